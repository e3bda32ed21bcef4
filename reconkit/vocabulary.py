"""The words of the result contract, declared once: the kinds of link the engine builds (in
waterfall order), the statuses a match can have and the severities of an exception."""

from __future__ import annotations

from typing import Final, Literal, get_args

# The order the engine decides them in: parties first, then documents among themselves, then
# what payment providers (PSP settlement lines) and the bank collected, then the ERP's own
# lettering.
LinkKind = Literal["party", "credit_note_invoice", "invoice_ledger", "invoice_commitment",
                   "settlement_invoice", "payment_invoice", "payment_ledger",
                   "ledger_lettering"]
LINK_KINDS: Final[tuple[str, ...]] = get_args(LinkKind)
# Links that use up amounts (a payment's money, an invoice's open amount): never twice.
CONSUMING_LINKS: Final = frozenset({"settlement_invoice", "payment_invoice"})

MatchStatus = Literal["auto", "review", "confirmed", "rejected"]
MATCH_STATUSES: Final[tuple[str, ...]] = get_args(MatchStatus)

Severity = Literal["decision", "info"]
SEVERITIES: Final[tuple[str, ...]] = get_args(Severity)
