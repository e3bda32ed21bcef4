"""What every matcher shares: the registry, the candidate frame, the run context and state.

A matcher is a small frozen dataclass with one verb, `propose(ctx, state)`, returning a frame
of candidate matches (CANDIDATE_SCHEMA): an anchor record, the items it would be matched with
(each with the amount allocated), a score in 0..1, evidence (JSON) and a one-sentence
explanation. Its parameters are its serialised form (`to_dict` / `from_dict`), which is exactly
what a catalog rule's `matcher:` holds. Matchers hold no data.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

import polars as pl
from pydantic import TypeAdapter, ValidationError

from reconkit.catalog.model import set_matcher_check
from reconkit.money import format_cents_expr
from reconkit.schemas import PolarsDataType

ITEM = pl.Struct({"system": pl.String, "record_id": pl.String, "role": pl.String,
                  "amount_cents": pl.Int64})

CANDIDATE_SCHEMA: dict[str, PolarsDataType] = {
    "anchor_system": pl.String,
    "anchor_id": pl.String,
    "items": pl.List(ITEM),
    "score": pl.Float64,
    "evidence": pl.String,
    "explanation": pl.String,
}


class Matcher(Protocol):
    kind: ClassVar[str]

    def propose(self, ctx: Any, state: Any) -> pl.DataFrame: ...


_M = TypeVar("_M")
_REGISTRY: dict[str, type] = {}


def register_matcher(cls: type[_M]) -> type[_M]:
    """Class decorator: register a frozen dataclass matcher under its `kind`."""
    kind = cls.kind  # type: ignore[attr-defined]
    if kind in _REGISTRY and _REGISTRY[kind] is not cls:
        raise ValueError(f"matcher kind {kind!r} registered twice")
    _REGISTRY[kind] = cls
    return cls


def matcher_kinds() -> list[str]:
    _import_builtin()
    return sorted(_REGISTRY)


def build_matcher(kind: str, params: dict[str, Any]) -> Matcher:
    """Instantiate a matcher from its serialised form (catalog `matcher:` entry), every
    parameter checked against its type (`k_max: "six"` or an unknown `check:` is refused)."""
    _import_builtin()
    if kind not in _REGISTRY:
        raise ValueError(f"unknown matcher {kind!r}; known matchers: "
                         f"{', '.join(sorted(_REGISTRY))}")
    cls = _REGISTRY[kind]
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(params) - names
    if unknown:
        raise TypeError(f"matcher {kind!r} has no parameter(s) {sorted(unknown)}; "
                        f"it takes {sorted(names)}")
    try:
        built: Matcher = _adapter(cls).validate_python(params)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(all)"
        raise ValueError(f"matcher {kind!r}, parameter {where}: {err['msg']}") from None
    return built


@functools.cache
def _adapter(cls: type) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


def to_dict(matcher: Matcher) -> dict[str, Any]:
    """The serialised form of a matcher: its kind and parameters."""
    return {"kind": matcher.kind, "params": dataclasses.asdict(matcher)}  # type: ignore[call-overload]


set_matcher_check(build_matcher)


def _import_builtin() -> None:
    from reconkit.matchers import (  # noqa: F401
        combinators,
        commitment_inference,
        commitments,
        credit_notes,
        ledger,
        party_rules,
        payments,
        payouts,
        settlements,
    )


@dataclass(frozen=True)
class Score:
    """How a rule weighs its evidence into a 0..1 score (the catalog's comparison levels):
    `reference * ref_score + amount * amount_agrees + party * party_score + bonus`, each
    evidence a column in 0..1 the matcher computes. The rule's `auto_approve` is read against
    this score, so both numbers sit side by side in the catalog."""

    reference: float
    amount: float
    party: float
    bonus: float

    def __post_init__(self) -> None:
        if not all(0 <= w <= 1 for w in (self.reference, self.amount, self.party)):
            raise ValueError("score weights lie between 0 and 1")

    def expr(self, *, reference: pl.Expr | None = None, amount: pl.Expr | None = None,
             party: pl.Expr | None = None) -> pl.Expr:
        """The weighted score; evidence not given counts as absent (0)."""
        parts: list[pl.Expr] = [pl.lit(self.bonus)]
        for weight, value in ((self.reference, reference), (self.amount, amount),
                              (self.party, party)):
            if value is not None:
                parts.append(weight * value.cast(pl.Float64))
        return pl.sum_horizontal(parts)


def empty_candidates() -> pl.DataFrame:
    return pl.DataFrame(schema=CANDIDATE_SCHEMA)


def item(system: pl.Expr | str, record_id: pl.Expr, role: pl.Expr | str,
         amount: pl.Expr | None = None) -> pl.Expr:
    """One match item as a struct expression (amount null where no amount is allocated)."""
    sys_expr = pl.lit(system) if isinstance(system, str) else system
    role_expr = pl.lit(role) if isinstance(role, str) else role
    amt = amount if amount is not None else pl.lit(None, pl.Int64)
    return pl.struct(sys_expr.alias("system"), record_id.cast(pl.String).alias("record_id"),
                     role_expr.alias("role"), amt.cast(pl.Int64).alias("amount_cents"))


def exception_only(df: pl.DataFrame, system: str, anchor: str, explanation: pl.Expr,
                   evidence: pl.Expr) -> pl.DataFrame:
    """Candidates without items: the rule only raises its exception on these anchors."""
    return candidates(df.sort(anchor), anchor_system=system, anchor_id=anchor,
                      items=pl.lit([], dtype=pl.List(ITEM)), score=pl.lit(0.0),
                      evidence=evidence, explanation=explanation)


def evidence_json(**cols: pl.Expr) -> pl.Expr:
    """Evidence columns packed as a JSON object string (sorted keys, stable)."""
    names = sorted(cols)
    return pl.struct([cols[n].alias(n) for n in names]).struct.json_encode()


def candidates(df: pl.DataFrame, *, anchor_system: str, anchor_id: str,
               items: pl.Expr, score: pl.Expr, evidence: pl.Expr,
               explanation: pl.Expr) -> pl.DataFrame:
    """Shape a frame into CANDIDATE_SCHEMA."""
    if df.height == 0:
        return empty_candidates()
    return df.select(
        pl.lit(anchor_system).alias("anchor_system"),
        pl.col(anchor_id).cast(pl.String).alias("anchor_id"),
        items.alias("items"),
        score.cast(pl.Float64).round(4).alias("score"),
        evidence.alias("evidence"),
        explanation.alias("explanation"),
    ).cast(CANDIDATE_SCHEMA)  # type: ignore[arg-type]


def money(expr: pl.Expr) -> pl.Expr:
    """Cents as a human amount string ('1234.56') for explanations."""
    return format_cents_expr(expr)


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)


