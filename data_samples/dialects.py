"""Dialects: named sets of real-world export conventions the generator draws from.

Each knob is one convention of `/work/shared/reference/formats.md` §8 (numbering, remittance
habits, partial CRM metadata, where the Opportunity <-> Contract lookup sits, unlettered
earlier receipts, hosted year-end rebates, self-serve customers, prorated first invoices, tacit
renewals, UTC timestamps, carry-over from earlier months). `classic` switches every knob off: it
is the world the committed sample was generated from, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

# Payer habits for the remittance of a credit transfer (see `remittance.HABITS`).
CLASSIC_HABITS: tuple[tuple[str, float], ...] = ()  # the original habits of `payments`


@dataclass(frozen=True)
class Dialect:
    """One set of conventions; every rate is a probability, every `*_per_k` a count per k
    (k = scenario instances per category, `model.scenario_count`)."""

    name: str
    summary: str
    # 1. numbering: `global` (F-YYYY-NNNNNN, one sequence) or `per_customer` (<PREFIX>-<NNNN>)
    numbering: str = "global"
    digit_led_prefixes: float = 0.0     # share of customer prefixes starting with a digit
    random_prefixes: float = 0.0        # share of Stripe-random 8-char prefixes (else from name)
    # 2. remittance habits of credit transfers: (habit, weight); () = classic habits
    habits: tuple[tuple[str, float], ...] = CLASSIC_HABITS
    sdd_text: str = "invoice"           # invoice: "Facture <no> ..."; period: period only
    # 3. billing metadata and invoice shape
    subscription_crm_meta: float = 1.0  # share of subscription invoices with contract metadata
    services_crm_meta: float = 1.0      # share of services invoices with sf_opportunity_id
    subscription_field: str = "classic"  # classic | basil | pre_basil
    line_items: bool = False            # `N x Product (a X EUR / mois)` lines with periods
    po_custom_field: float = 0.0        # share of PO numbers in custom_fields, not metadata
    subscription_po: float = 0.0        # share of clients with a yearly PO on subscriptions
    usage_period: bool = False          # invoice-level period = Stripe's usage period (the
    #                                     previous one); the service period is on the lines
    # 4. Opportunity <-> Contract lookup: opportunity (ContractId) | contract_custom | contract_cpq
    opportunity_link: str = "opportunity"
    # 5. share of earlier-month receipts never lettered (label cites the invoice)
    unlettered_receipts: float = 0.0
    # 6. year-end rebates as credit notes hosted on some earlier invoice
    hosted_rebates: bool = False
    # 7. self-serve customers: in Stripe and the ledger, not in the CRM
    self_serve_per_k: int = 0
    # 8. share of ordinary monthly contracts started in the window, prorated first invoice
    prorated_first: float = 0.0
    # 9. tacit renewals: CRM keeps the old EndDate and amount, billing is indexed
    tacit_per_k: int = 0
    # 10. share of invoices created just after midnight Paris (the previous day in UTC)
    utc_midnight: float = 0.0
    # 11. carry-over: won deals of earlier months not billed, earlier invoices without deal
    carry_over_per_k: int = 0
    # 12. Stripe as payment provider: share of ordinary clients paying by card / SEPA debit
    #     through Stripe (daily payouts net of fees, one bank credit each), and per k the
    #     refunds (half with a credit note) and disputes of those charges
    stripe_payers: float = 0.0
    stripe_refunds_per_k: int = 0
    stripe_disputes_per_k: int = 0

    @property
    def classic(self) -> bool:
        return self.name == "classic"


CLASSIC = Dialect(name="classic", summary="the engine's own assumptions (committed sample)")

STRIPE_DEFAULT = Dialect(
    name="stripe_default",
    summary="Stripe defaults and a tidy finance team: per-customer numbers, mostly cited",
    numbering="per_customer", digit_led_prefixes=0.25, random_prefixes=0.8,
    habits=(("exact", 30), ("glued", 8), ("spaced_dash", 5), ("dash_dropped", 6),
            ("zeros_dropped", 5), ("zeros_added", 2), ("sequence_only", 4),
            ("contract_only", 3), ("po_only", 2), ("period_only", 4), ("nothing", 3),
            ("e2e_only", 6), ("rf", 8), ("ocr_typo", 4), ("lower_case", 4)),
    sdd_text="period", subscription_crm_meta=0.65, services_crm_meta=0.0,
    subscription_field="basil", line_items=True, po_custom_field=0.3, usage_period=True,
    subscription_po=0.15,
    opportunity_link="contract_custom", unlettered_receipts=0.05, hosted_rebates=True,
    self_serve_per_k=2, prorated_first=0.06, tacit_per_k=1, utc_midnight=0.1,
    carry_over_per_k=1, stripe_payers=0.25, stripe_refunds_per_k=1, stripe_disputes_per_k=1,
)

MESSY_ERP = Dialect(
    name="messy_erp",
    summary="older Stripe API, CPQ contracts, an accountant behind, payers who type anything",
    numbering="per_customer", digit_led_prefixes=0.45, random_prefixes=0.6,
    habits=(("exact", 14), ("glued", 10), ("spaced_dash", 8), ("dash_dropped", 9),
            ("zeros_dropped", 8), ("zeros_added", 4), ("sequence_only", 8),
            ("contract_only", 6), ("po_only", 5), ("period_only", 8), ("nothing", 7),
            ("e2e_only", 4), ("rf", 2), ("ocr_typo", 7), ("lower_case", 3)),
    sdd_text="period", subscription_crm_meta=0.55, services_crm_meta=0.0,
    subscription_field="pre_basil", line_items=True, po_custom_field=0.6, usage_period=True,
    subscription_po=0.3,
    opportunity_link="contract_cpq", unlettered_receipts=0.2, hosted_rebates=True,
    self_serve_per_k=3, prorated_first=0.1, tacit_per_k=2, utc_midnight=0.2,
    carry_over_per_k=2,
)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (CLASSIC, STRIPE_DEFAULT, MESSY_ERP)}
REALISTIC: tuple[str, ...] = tuple(n for n in DIALECTS if n != "classic")
