"""The rule catalog: documented matching rules, validated at load.

A rule is a matcher spec (its serialised parameters) plus the knowledge around it: the tacit
rule in plain words, why it holds, who owns it, where it was learned, its priority in the
waterfall, the confidence above which it may auto-match, and the exception it raises.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconkit.catalog.settings import PartyResolution, ReferenceReading
from reconkit.errors import ConfigError
from reconkit.paths import DEFAULT_CATALOG
from reconkit.vocabulary import LinkKind, Severity

# Set by the matchers layer when it is imported (it registers the matcher kinds): builds a
# matcher from its kind and parameters, raising TypeError/ValueError on bad ones. The catalog
# sits below the matchers and never imports them.
MatcherCheck = Callable[[str, dict[str, Any]], object]
_matcher_check: list[MatcherCheck] = []


def set_matcher_check(check: MatcherCheck) -> None:
    """Called once by `reconkit.matchers.base`: how rules' matcher specs are validated."""
    _matcher_check[:] = [check]


class MatcherSpec(BaseModel):
    """A matcher's registered `kind` and its parameters (its whole serialised form)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
    title: str = Field(min_length=3)
    description: str = Field(min_length=10, description="the tacit rule, in plain words")
    rationale: str = Field(min_length=10)
    owner: str
    source: str = Field(description="who taught it, and when")
    link: LinkKind
    matcher: MatcherSpec
    priority: int = Field(ge=0, le=10_000)
    auto_approve: float | None = Field(
        default=None, ge=0, le=1,
        description="minimum score to auto-match; null means always send to review")
    ambiguity_margin: float = Field(default=0.05, ge=0, le=1)
    exception_category: str | None = None
    enabled: bool = True


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    severity: Severity = Field(default="decision", description=(
        "decision: a person must decide (the review queue); info: recorded, no decision"))
    title: str
    description: str
    what_to_do: str


class Catalog(BaseModel):
    """All rules and exception categories of a catalog folder, in waterfall order."""

    model_config = ConfigDict(frozen=True)

    rules: tuple[Rule, ...]
    categories: tuple[Category, ...]
    reading: ReferenceReading
    party_resolution: PartyResolution

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        seen: set[str] = set()
        for r in rules:
            if r.id in seen:
                raise ValueError(f"rule id {r.id} is defined twice")
            seen.add(r.id)
        return tuple(sorted(rules, key=lambda r: (r.priority, r.id)))

    def for_link(self, link: str) -> list[Rule]:
        return [r for r in self.rules if r.link == link and r.enabled]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def category_ids(self) -> set[str]:
        return {c.id for c in self.categories}

    def severities(self) -> dict[str, Severity]:
        """category -> severity; a category the catalog does not declare needs a decision."""
        return {c.id: c.severity for c in self.categories}

    def rules_frame(self) -> pl.DataFrame:
        """The rules in waterfall order, one row each: what a controller reviews or exports."""
        return pl.DataFrame([{
            "id": r.id, "link": r.link, "priority": r.priority, "title": r.title,
            "auto_approve": r.auto_approve, "exception_category": r.exception_category,
            "matcher": r.matcher.kind, "owner": r.owner, "source": r.source,
            "enabled": r.enabled, "description": r.description, "rationale": r.rationale,
        } for r in self.rules], schema_overrides={"auto_approve": pl.Float64,
                                                  "exception_category": pl.String})

    def settings_frame(self) -> pl.DataFrame:
        """The shared settings (reference reading, party resolution), one row per number or
        word list, with what it means: part of the behaviour an auditor reads."""
        rows = []
        for section, model in (("reading", self.reading),
                               ("party_resolution", self.party_resolution)):
            fields = type(model).model_fields
            for name, value in model.model_dump(mode="json").items():
                items = value.items() if isinstance(value, dict) else [(None, value)]
                for sub, v in items:
                    rows.append({"section": section,
                                 "setting": name if sub is None else f"{name}.{sub}",
                                 "value": ", ".join(map(str, v)) if isinstance(v, list)
                                 else str(v),
                                 "meaning": fields[name].description or ""})
        return pl.DataFrame(rows, schema={"section": pl.String, "setting": pl.String,
                                          "value": pl.String, "meaning": pl.String})

    def categories_frame(self) -> pl.DataFrame:
        """The exception categories with their severity and what to do."""
        return pl.DataFrame([c.model_dump() for c in self.categories])

    def to_dict(self) -> dict[str, Any]:
        return {"rules": [r.model_dump(mode="json") for r in self.rules],
                "categories": [c.model_dump(mode="json") for c in self.categories],
                "reading": self.reading.model_dump(mode="json"),
                "party_resolution": self.party_resolution.model_dump(mode="json")}




def load_catalog(folder: Path | None = None) -> Catalog:
    """Load every `*.yaml` of a catalog folder; errors name the file, the rule and the field."""
    folder = Path(folder) if folder else _default_folder()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ConfigError(f"no rule files (*.yaml) in catalog folder {folder}",
                          hint="point `catalog:` in the run config to the rule_catalog folder")
    rules: list[Rule] = []
    categories: list[Category] = []
    sections: dict[str, Any] = {}
    for f in files:
        try:
            doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"not valid YAML: {exc}", source_file=f.name) from None
        if not isinstance(doc, dict):
            raise ConfigError("expected a mapping with `rules:` and/or `categories:`",
                              source_file=f.name)
        unknown = set(doc) - {"rules", "categories", "description", *_SECTIONS}
        if unknown:
            raise ConfigError(f"unknown top-level key(s) {sorted(unknown)}", source_file=f.name,
                              hint="a catalog file holds `description`, `rules`, `categories`, "
                                   + ", ".join(f"`{k}`" for k in _SECTIONS))
        for key, model in _SECTIONS.items():
            if key in doc:
                if key in sections:
                    raise ConfigError(f"section `{key}` is defined in two files",
                                      source_file=f.name, hint="keep one `{key}:` per catalog")
                sections[key] = _parse(model, doc[key], f, f"section {key!r}")
        for i, raw in enumerate(doc.get("rules") or []):
            rules.append(_parse(Rule, raw, f, f"rule {raw.get('id', f'#{i + 1}')!r}"
                                if isinstance(raw, dict) else f"rule #{i + 1}"))
        for i, raw in enumerate(doc.get("categories") or []):
            categories.append(_parse(Category, raw, f, f"category #{i + 1}"))
    for key in _SECTIONS:
        if key not in sections:
            raise ConfigError(f"the catalog has no `{key}:` section", source_file=folder.name,
                              hint="copy it from the default rule_catalog/settings.yaml")
    try:
        catalog = Catalog(rules=tuple(rules), categories=tuple(categories), **sections)
    except ValidationError as exc:
        raise ConfigError(exc.errors()[0]["msg"], source_file=folder.name) from None
    _check_references(catalog)
    return catalog


def _parse(model: type[BaseModel], raw: Any, f: Path, what: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "(whole entry)"
        raise ConfigError(f"{what}, field '{field}': {err['msg']}", source_file=f.name,
                          hint="see rule_catalog/README.md for the fields of a rule") from None


_SECTIONS: dict[str, type[BaseModel]] = {"reading": ReferenceReading,
                                          "party_resolution": PartyResolution}


def _check_references(catalog: Catalog) -> None:
    cats = catalog.category_ids()
    for r in catalog.rules:
        if r.exception_category and r.exception_category not in cats:
            raise ConfigError(f"rule {r.id!r}, field 'exception_category': unknown category "
                              f"{r.exception_category!r}", hint="declare it under `categories:`")
        for check in _matcher_check:
            try:
                check(r.matcher.kind, r.matcher.params)
            except (TypeError, ValueError) as exc:
                field = "kind" if str(exc).startswith("unknown matcher") else "params"
                raise ConfigError(f"rule {r.id!r}, field 'matcher.{field}': {exc}") from None


def _default_folder() -> Path:
    if DEFAULT_CATALOG.is_dir():
        return DEFAULT_CATALOG
    return Path(__file__).resolve().parent / "default"
