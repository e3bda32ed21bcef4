"""The review screen (ipywidgets): pick an exception, read its evidence, decide.

Only wiring: the queue and the evidence come from `reconkit.review.queue`, every decision goes
through `DecisionStore`. Each control has a stable description and a CSS class (`rk-...`) so
that people and browser tests find them.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import ipywidgets as w
import polars as pl

from reconkit.catalog.model import Catalog, load_catalog
from reconkit.money import format_cents
from reconkit.result import ReconResult
from reconkit.review.queue import context, review_queue
from reconkit.review.store import Decision, DecisionStore

MARKS = {"confirm": "✓", "reject": "✗", None: "·"}
ALL = "(all categories)"


class ReviewApp:
    """Review screen over a result's queue, recording decisions as `user` in `store`."""

    def __init__(self, result: ReconResult, store: DecisionStore, user: str, *,
                 catalog: Catalog | None = None, as_of: date | None = None) -> None:
        self.result, self.store, self.user = result, store, user
        self.catalog = catalog if catalog is not None else load_catalog()
        self.as_of = as_of
        self.queue = self._load_queue()
        counts = self.queue.group_by("category", "title").len().sort("title")
        self.category = w.Dropdown(description="Category", options=[(ALL, "")] + [
            (f"{t} ({n})", c) for c, t, n in counts.iter_rows()])
        self.items = w.SelectMultiple(description="Queue", rows=12,
                                      layout=w.Layout(width="98%"))
        self.candidate = w.Dropdown(description="Candidate", layout=w.Layout(width="98%"))
        self.detail = w.HTML()
        self.confirm_button = w.Button(description="Confirm", button_style="success",
                                       icon="check")
        self.reject_button = w.Button(description="Reject", button_style="danger", icon="times")
        self.undo_button = w.Button(description="Undo last", icon="undo")
        self.bulk_button = w.Button(description="Confirm all selected", button_style="info",
                                    layout=w.Layout(width="auto"))
        self.status = w.HTML()
        for widget, css in ((self.category, "rk-filter"), (self.items, "rk-queue"),
                            (self.candidate, "rk-candidate"), (self.detail, "rk-detail"),
                            (self.confirm_button, "rk-confirm"),
                            (self.reject_button, "rk-reject"), (self.undo_button, "rk-undo"),
                            (self.bulk_button, "rk-bulk-confirm"), (self.status, "rk-status")):
            widget.add_class(css)
        self.category.observe(lambda _c: self._fill_items(), names="value")
        self.items.observe(lambda _c: self._show_focus(), names="value")
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.reject_button.on_click(lambda _b: self.reject())
        self.undo_button.on_click(lambda _b: self.undo_last())
        self.bulk_button.on_click(lambda _b: self.confirm_selected())
        self.widget = w.VBox([
            self.category, self.items,
            w.HBox([self.confirm_button, self.reject_button, self.undo_button,
                    self.bulk_button]),
            self.candidate, self.status, self.detail])
        self.widget.add_class("rk-review-app")
        self._fill_items()
        self._say(f"{self.queue.height} exceptions to review; "
                  f"{self._decided()} already decided.")

    # -- display ---------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- verbs (the buttons call these) -------------------------------------------------------
    def select(self, exception_ids: Sequence[str]) -> None:
        """Select queue rows (the first one is shown in the detail pane)."""
        self.items.value = tuple(exception_ids)

    def confirm(self) -> int | None:
        """Confirm the chosen candidate of the focused exception (or the exception as stated
        when it has no candidate)."""
        return self._decide("confirm")

    def reject(self) -> int | None:
        """Reject the chosen candidate of the focused exception."""
        return self._decide("reject")

    def confirm_selected(self) -> list[int]:
        """Confirm the best candidate of every selected exception, in one transaction."""
        rows = self._rows(self.items.value)
        if not rows:
            self._say("Select one or more exceptions first.")
            return []
        before = self.store.aliases().height
        ids = self.store.bulk([Decision("confirm", match_id=_best(r),
                                        exception_id=r["exception_id"])
                               for r in rows], user=self.user, result=self.result)
        self._refresh()
        self._say(f"Confirmed {len(ids)} exceptions (decisions {ids[0]}–{ids[-1]})"
                  f"{self._learned(before)}.")
        return ids

    def undo_last(self) -> int | None:
        """Undo this user's latest decision still in force."""
        last = self.store.last_decision(self.user)
        if last is None:
            self._say("Nothing to undo.")
            return None
        self.store.undo(last, self.user)
        self._refresh()
        self._say(f"Undid decision {last}.")
        return last

    # -- internals -------------------------------------------------------------------------
    def _load_queue(self) -> pl.DataFrame:
        return review_queue(self.result, catalog=self.catalog,
                            decisions=self.store.active_decisions(), as_of=self.as_of)

    def _rows(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = list(ids)
        by_id = {r["exception_id"]: r for r in
                 self.queue.filter(pl.col("exception_id").is_in(wanted)).to_dicts()}
        return [by_id[i] for i in wanted if i in by_id]

    def _decide(self, action: str) -> int | None:
        rows = self._rows(self.items.value[:1])
        if not rows:
            self._say("Select an exception first.")
            return None
        row = rows[0]
        match_id = self.candidate.value or None
        before = self.store.aliases().height
        did = self.store.record(action, user=self.user, match_id=match_id,
                                exception_id=row["exception_id"], result=self.result)
        self._refresh()
        verb = {"confirm": "Confirmed", "reject": "Rejected"}[action]
        what = f"match {match_id} for {row['exception_id']}" if match_id else row["exception_id"]
        self._say(f"{verb} {what} (decision {did}){self._learned(before)}.")
        return did

    def _learned(self, before: int) -> str:
        n = self.store.aliases().height - before
        return f"; {n} payer IBAN alias learned" if n > 0 else ""

    def _decided(self) -> int:
        return int(self.queue["decision"].is_not_null().sum())

    def _refresh(self) -> None:
        self.queue = self._load_queue()
        self._fill_items()

    def _fill_items(self) -> None:
        keep = self.items.value
        q = self.queue
        if self.category.value:
            q = q.filter(pl.col("category") == self.category.value)
        self.items.options = [(_label(r), r["exception_id"]) for r in q.to_dicts()]
        kept = tuple(i for i in keep if i in set(q["exception_id"].to_list()))
        self.items.value = kept or tuple(q["exception_id"].head(1).to_list())
        self._show_focus()

    def _show_focus(self) -> None:
        rows = self._rows(self.items.value[:1])
        if not rows:
            self.candidate.options, self.detail.value = [], "<i>Nothing selected.</i>"
            return
        row = rows[0]
        self.candidate.options = [("(the exception itself, no match)", "")] + [
            (f"{m} — score {s:.2f} — {e}", m) for m, s, e in
            zip(row["candidate_ids"], row["candidate_scores"], row["candidate_explanations"],
                strict=True)]
        self.candidate.value = _best(row) or ""
        self.detail.value = render_context(context(self.result, row["exception_id"],
                                                   catalog=self.catalog))

    def _say(self, text: str) -> None:
        self.status.value = (f"<b>{html.escape(text)}</b> "
                             f"<span>({self._decided()} of {self.queue.height} decided)</span>")


def _best(row: dict[str, Any]) -> str | None:
    return row["candidate_ids"][0] if row["candidate_ids"] else None


def _money(cents: int | None, currency: str | None = None) -> str:
    if cents is None:
        return ""
    return format_cents(cents) + (f" {currency}" if currency else "")


def _label(row: dict[str, Any]) -> str:
    party = (row["party_names"] or "unresolved client").split(" | ")[0].split(": ", 1)[-1]
    return (f"{MARKS.get(row['decision'], '•')} {_money(row['amount_cents'], row['currency']):>16}"
            f" · {row['title']} · {row['label'] or row['record_id']} · {party}")


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "<i>none</i>"
    head = "".join(f"<th>{html.escape(c.removesuffix('_cents'))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(
        f"<td>{html.escape(_cell(c, r.get(c)))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table class='rk-table'><tr>{head}</tr>{body}</table>"


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column.endswith("_cents") and isinstance(value, int):
        return format_cents(value)
    return str(value)


def render_context(ctx: dict[str, Any]) -> str:
    """HTML of an exception's context: what it is, what to do, the client, the evidence."""
    exc, cat = ctx["exception"], ctx["category"]
    parts = [
        (f"<h4>{html.escape(cat.get('title', exc['category']))}: "
         f"{html.escape(exc['label'] or exc['record_id'])} "
         f"({html.escape(_money(exc['amount_cents'], exc['currency']))})</h4>"),
        f"<p>{html.escape(exc['detail'] or '')}</p>",
        f"<p><b>What to do:</b> {html.escape(cat.get('what_to_do', ''))}</p>",
        f"<p><b>Client:</b> {html.escape(exc['party_names'] or 'not resolved')}</p>",
        "<h5>Candidate matches</h5>",
        _table([{**c, "items": "; ".join(f"{i['role']} {i['system']}:{i['record_id']} "
                                         f"{_money(i['amount_cents'])}" for i in c["items"]),
                 "evidence": ", ".join(f"{k}={v}" for k, v in sorted(c["evidence"].items()))}
                for c in ctx["candidates"]],
               ["match_id", "rule_id", "status", "score", "explanation", "items", "evidence"]),
        "<h5>Invoices</h5>",
        _table(ctx["invoices"], ["number", "doc_type", "issue_date", "due_date", "amount_cents",
                                 "open_cents", "status"]),
        "<h5>Payments</h5>",
        _table(ctx["payments"], ["record_id", "booking_date", "amount_cents", "payer_name",
                                 "payer_iban", "remittance"]),
        "<h5>Contracts</h5>",
        _table(ctx["commitments"], ["record_id", "kind", "contract_number", "name",
                                    "amount_cents", "billing_frequency", "start_date",
                                    "end_date"]),
    ]
    return "<div class='rk-context'>" + "".join(parts) + "</div>"
