"""The catalog as documentation: per rule what, why, owner, source, tolerances, threshold and
exception category, with hit counts from a run and precision from the reviewers' decisions;
and the difference between two catalogs.

Rules are documented generically: every field of the rule model, and every matcher parameter
(nested dicts and lists walked to dotted paths), so new fields and parameters appear without
changing this module. Parameters named `*_cents` are shown with their amount, `*_bp` with
their percentage.
"""

from __future__ import annotations

import html
from typing import Any

import polars as pl

from reconkit.catalog.model import Catalog

DOC_SCHEMA = {"id": pl.String, "link": pl.String, "priority": pl.Int64, "title": pl.String,
              "what": pl.String, "why": pl.String, "owner": pl.String, "source": pl.String,
              "matcher": pl.String, "tolerances": pl.String, "threshold": pl.String,
              "exception_category": pl.String, "what_to_do": pl.String, "enabled": pl.Boolean,
              "other_fields": pl.String, "hits_auto": pl.Int64, "hits_review": pl.Int64,
              "hits_confirmed": pl.Int64,
              "confirmed": pl.Int64, "rejected": pl.Int64, "precision": pl.Float64}
_STYLE = ("body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
          "dt{font-weight:bold}")
_SHOWN = {"id", "link", "priority", "title", "description", "rationale", "owner", "source",
          "matcher", "auto_approve", "exception_category", "enabled"}


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted path, scalar) pairs of a nested structure: `{"a": {"b": [1]}}` ->
    `[("a.b[0]", 1)]`; keys in their own order."""
    if isinstance(value, dict):
        if not value:
            return [(prefix, {})] if prefix else []
        return [p for k, v in value.items()
                for p in flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, list | tuple):
        if not value:
            return [(prefix, [])]
        return [p for i, v in enumerate(value) for p in flatten(v, f"{prefix}[{i}]")]
    return [(prefix, value)]


def _show(path: str, value: Any) -> str:
    leaf = path.rsplit(".", 1)[-1]
    if isinstance(value, int) and not isinstance(value, bool):
        if leaf.endswith("_cents"):
            return f"{path}={value} ({value // 100 if value >= 0 else -(-value // 100)}."\
                   f"{abs(value) % 100:02d})"
        if leaf.endswith("_bp"):
            return f"{path}={value} ({value / 100:.2f}%)"
    return f"{path}={value}"


def tolerances_text(params: dict[str, Any]) -> str:
    """Every matcher parameter as `path=value`, `; `-separated (empty: the defaults)."""
    return "; ".join(_show(p, v) for p, v in flatten(params)) or "(defaults)"


def rule_hits(matches: pl.DataFrame) -> pl.DataFrame:
    """rule_id -> matches made automatically, sent to review, and confirmed (by a reviewer's
    remembered decision, or the ERP's own lettering); alternatives count as rows."""
    return (matches.group_by("rule_id")
            .agg((pl.col("status") == "auto").sum().cast(pl.Int64).alias("hits_auto"),
                 (pl.col("status") == "review").sum().cast(pl.Int64).alias("hits_review"),
                 (pl.col("status") == "confirmed").sum().cast(pl.Int64)
                 .alias("hits_confirmed")))


def rule_precision(matches: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """rule_id -> matches reviewers confirmed and rejected (their latest decision per match),
    and precision = confirmed / (confirmed + rejected)."""
    last = (decisions.filter(pl.col("match_id").is_not_null()
                             & pl.col("action").is_in(["confirm", "reject"]))
            .sort("decision_id").group_by("match_id", maintain_order=True)
            .agg(pl.col("action").last()))
    per = (last.join(matches.select("match_id", "rule_id").unique("match_id"), on="match_id")
           .group_by("rule_id")
           .agg((pl.col("action") == "confirm").sum().cast(pl.Int64).alias("confirmed"),
                (pl.col("action") == "reject").sum().cast(pl.Int64).alias("rejected")))
    return per.with_columns((pl.col("confirmed") / (pl.col("confirmed") + pl.col("rejected")))
                            .round(4).alias("precision"))


def rule_documentation(catalog: Catalog, *, matches: pl.DataFrame | None = None,
                       decisions: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per rule in waterfall order (see DOC_SCHEMA); hits need `matches` (a run's
    matches.csv), precision needs `decisions` too (a decisions store's history)."""
    cats = {c.id: c for c in catalog.categories}
    rows = []
    for r in catalog.rules:
        dump = r.model_dump(mode="json")
        cat = cats.get(r.exception_category or "")
        other = {k: v for k, v in dump.items() if k not in _SHOWN}
        rows.append({
            "id": r.id, "link": r.link, "priority": r.priority, "title": r.title,
            "what": r.description.strip(), "why": r.rationale.strip(), "owner": r.owner,
            "source": r.source, "matcher": r.matcher.kind,
            "tolerances": tolerances_text(dump["matcher"].get("params", {})),
            "threshold": (f"auto at score >= {r.auto_approve}" if r.auto_approve is not None
                          else "always reviewed"),
            "exception_category": (f"{cat.id} ({cat.severity}: {cat.title})" if cat
                                   else r.exception_category),
            "what_to_do": cat.what_to_do if cat else None, "enabled": r.enabled,
            "other_fields": "; ".join(_show(p, v) for p, v in flatten(other)) or None})
    doc = pl.DataFrame(rows, schema={k: DOC_SCHEMA[k] for k in DOC_SCHEMA
                                     if k not in ("hits_auto", "hits_review", "hits_confirmed",
                                                  "confirmed",
                                                  "rejected", "precision")})
    hits = rule_hits(matches) if matches is not None else None
    prec = rule_precision(matches, decisions) \
        if matches is not None and decisions is not None else None
    for extra, cols in ((hits, ("hits_auto", "hits_review", "hits_confirmed")),
                        (prec, ("confirmed", "rejected", "precision"))):
        if extra is not None:
            doc = doc.join(extra.rename({"rule_id": "id"}), on="id", how="left",
                           maintain_order="left")
            doc = doc.with_columns(pl.col(c).fill_null(0) for c in cols if c != "precision")
        else:
            doc = doc.with_columns(pl.lit(None, DOC_SCHEMA[c]).alias(c) for c in cols)
    return doc.select(list(DOC_SCHEMA))


_LABELS = (("what", "What"), ("why", "Why"), ("owner", "Owner"), ("source", "Source"),
           ("matcher", "Matcher"), ("tolerances", "Tolerances"), ("threshold", "Threshold"),
           ("exception_category", "Exception category"), ("what_to_do", "What to do"),
           ("other_fields", "Other fields"))


def _figures(r: dict[str, Any]) -> str:
    hits = ("not measured (no run given)" if r["hits_auto"] is None
            else f"{r['hits_auto']} auto, {r['hits_review']} to review, "
            f"{r['hits_confirmed']} confirmed")
    prec = ("not measured (no decisions store given)" if r["confirmed"] is None
            else f"{r['confirmed']} confirmed, {r['rejected']} rejected"
            + (f", precision {r['precision']:.1%}" if r["precision"] is not None else ""))
    return f"Hits: {hits}. Reviewed: {prec}."


def catalog_markdown(doc: pl.DataFrame, *, title: str = "Rule catalog",
                     categories: pl.DataFrame | None = None,
                     settings: pl.DataFrame | None = None) -> str:
    """The documentation as Markdown: a summary table, one section per rule, then the
    shared settings (how references are read, party thresholds) and the exception categories
    (id, severity, title, what to do) when given."""
    out = [f"# {title}", "", f"{doc.height} rules in waterfall order (per link, by priority).",
           "", "| rule | link | priority | title | auto | review | confirmed | precision |",
           "|---|---|---|---|---|---|---|---|"]
    for r in doc.iter_rows(named=True):
        prec = "" if r["precision"] is None else f"{r['precision']:.1%}"
        out.append(f"| {r['id']} | {r['link']} | {r['priority']} | {r['title']} | "
                   f"{'' if r['hits_auto'] is None else r['hits_auto']} | "
                   f"{'' if r['hits_review'] is None else r['hits_review']} | "
                   f"{'' if r['hits_confirmed'] is None else r['hits_confirmed']} | {prec} |")
    for r in doc.iter_rows(named=True):
        state = "" if r["enabled"] else " (disabled)"
        out += ["", f"## {r['id']}: {r['title']}{state}", "",
                f"Link `{r['link']}`, priority {r['priority']}.", ""]
        out += [f"- **{label}:** {r[key]}" for key, label in _LABELS if r[key]]
        out.append(f"- **{_figures(r)}**")
    if settings is not None:
        out += ["", "## Shared settings", "", "| section | setting | value | meaning |",
                "|---|---|---|---|"]
        out += [f"| {r['section']} | {r['setting']} | {r['value']} | {r['meaning']} |"
                for r in settings.iter_rows(named=True)]
    if categories is not None:
        out += ["", "## Exception categories", "", "| id | severity | title | what to do |",
                "|---|---|---|---|"]
        out += [f"| {c['id']} | {c['severity']} | {c['title']} | {c['what_to_do']} |"
                for c in categories.iter_rows(named=True)]
    return "\n".join(out).replace("|  |", "| |") + "\n"


def catalog_html(doc: pl.DataFrame, *, title: str = "Rule catalog",
                 settings: pl.DataFrame | None = None) -> str:
    """The documentation as a self-contained HTML page (no script), the shared settings at
    the end when given."""
    cols = ["id", "link", "priority", "title", "hits_auto", "hits_review", "hits_confirmed",
            "precision"]
    cells = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>"
                                     for v in row) + "</tr>"
                    for row in doc.select(cols).iter_rows())
    summary = ("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in cols)
               + f"</tr></thead><tbody>{cells}</tbody></table>")
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
             f"<body>\n<h1>{html.escape(title)}</h1>\n<p>{doc.height} rules in waterfall "
             f"order.</p>\n{summary}"]
    for r in doc.iter_rows(named=True):
        items = "".join(f"<dt>{label}</dt><dd>{html.escape(str(r[key]))}</dd>"
                        for key, label in _LABELS if r[key])
        parts.append(f"<h2 id=\"{html.escape(r['id'])}\">{html.escape(r['id'])}: "
                     f"{html.escape(r['title'])}</h2><p>Link <code>{r['link']}</code>, priority "
                     f"{r['priority']}{'' if r['enabled'] else ', disabled'}.</p><dl>{items}"
                     f"</dl><p><strong>{html.escape(_figures(r))}</strong></p>")
    if settings is not None:
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
                       + "</tr>" for row in settings.iter_rows())
        parts.append("<h2 id=\"settings\">Shared settings</h2><table><thead><tr>"
                     + "".join(f"<th>{c}</th>" for c in settings.columns)
                     + f"</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts) + "\n</body>\n</html>\n"


def catalog_diff(old: Catalog, new: Catalog) -> pl.DataFrame:
    """What changed from `old` to `new`, per rule and category: added, removed, or each
    changed field (dotted path into nested fields such as matcher params) with both
    values. Sorted by kind, id, field."""
    rows: list[tuple[str, str, str, str | None, str | None]] = []
    for kind, a, b in (("rule", {r.id: r for r in old.rules}, {r.id: r for r in new.rules}),
                       ("category", {c.id: c for c in old.categories},
                        {c.id: c for c in new.categories}),
                       ("setting", {"reading": old.reading, "party_resolution":
                                    old.party_resolution},
                        {"reading": new.reading, "party_resolution": new.party_resolution})):
        for i in sorted(a.keys() | b.keys()):
            if i not in b:
                rows.append((kind, i, "removed", None, None))
            elif i not in a:
                rows.append((kind, i, "added", None, None))
            else:
                fa = dict(flatten(a[i].model_dump(mode="json")))
                fb = dict(flatten(b[i].model_dump(mode="json")))
                for f in sorted(fa.keys() | fb.keys()):
                    if fa.get(f) != fb.get(f):
                        rows.append((kind, i, f"changed {f}",
                                     None if f not in fa else str(fa[f]),
                                     None if f not in fb else str(fb[f])))
    return pl.DataFrame(rows, schema={"kind": pl.String, "id": pl.String, "change": pl.String,
                                      "old": pl.String, "new": pl.String}, orient="row")
