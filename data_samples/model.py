"""The in-memory world of the sample month: clients, contracts, opportunities, invoices, payments.

Everything is drawn from one `random.Random(seed)` in a fixed order, so the same arguments
always give the same world. Amounts are integer cents; dates are `datetime.date`. This module
builds the *ordinary* business (clients, commitments, invoices, a normal payment plan);
`scenarios` then injects exceptions and decoys, and `generate` derives the ledger, the bank
statement, the canonical tables and the ground truth from the final world.
"""


from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from data_samples.dialects import CLASSIC, Dialect
from data_samples.ids import (  # noqa: F401  (re-exported: the model's vocabulary)
    add_months,
    month_end,
    pct_of,
    rf_reference,
    tax_of,
)


# --------------------------------------------------------------------------- world records
@dataclass
class Client:
    """One real client, as the ground truth knows it, with its ids in every system."""

    client_id: str
    base_name: str
    legal_form: str
    country: str
    siren: str | None
    vat: str | None
    ibans: list[str]
    crm_ids: list[str]
    crm_names: list[str]
    billing_id: str
    erp_aux: str
    billing_name: str
    erp_name: str
    payer: str                      # sdd | prompt | normal | late
    role: str = "ordinary"
    parent_client: str | None = None
    billing_meta: bool = True       # billing customer carries crm/erp ids in metadata
    crm_refs: bool = True           # CRM account carries billing/erp ids
    email_domain: str = ""
    in_crm: bool = True             # self-serve customers exist in billing and ERP only
    invoice_prefix: str | None = None   # Stripe per-customer numbering prefix
    invoice_seq: int = 0            # last sequence number used with that prefix

    @property
    def legal_name(self) -> str:
        return f"{self.base_name} {self.legal_form}"


@dataclass
class Contract:
    record_id: str
    number: str
    client_id: str
    account_id: str
    name: str
    frequency: str                  # monthly | quarterly | annual
    amount: int                     # per period, excl. tax, after discount
    list_amount: int | None
    discount_bp: int | None
    start: date
    end: date
    term: int
    auto_renew: bool
    status: str
    in_crm: bool = True             # False: a self-serve Stripe subscription, no CRM contract
    subscription_id: str | None = None
    product: str = "Nexalia Pro"
    quantity: int = 1


@dataclass
class Opportunity:
    record_id: str
    client_id: str
    account_id: str
    name: str
    stage: str
    is_won: bool
    amount: int
    close_date: date
    contract_id: str | None = None
    list_amount: int | None = None
    discount_bp: int | None = None


@dataclass
class Invoice:
    """An invoice or credit note of the billing tool (credit note amounts are negative)."""

    record_id: str
    number: str
    client_id: str
    doc_type: str
    issue: date
    due: date | None
    net: int
    tax: int
    subtotal: int                   # before coupon (= net when no discount applied)
    credited: str | None = None
    commitment_ref: str | None = None   # contract number or opportunity id, as in metadata
    commitment_id: str | None = None    # CRM record id behind it (truth)
    po_number: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    cn_type: str | None = None
    reason: str | None = None
    memo: str | None = None
    in_ledger: bool = True
    ledger_delta: int = 0           # 411 amount booked minus true amount (ledger mismatch)
    party_name: str | None = None
    subscription_id: str | None = None
    crm_meta: bool = True           # commitment reference written in the billing metadata
    po_custom: bool = False         # PO number in custom_fields instead of metadata
    created_minute: int | None = None   # minutes after midnight Paris (None: noon)
    rebate: bool = False            # year-end rebate: hosted on `credited`, credits no invoice
    prorated: bool = False          # first invoice of a subscription, shorter period
    lines_text: str | None = None   # invoice line description (realistic dialects)

    @property
    def amount(self) -> int:
        return self.net + self.tax


@dataclass
class Payment:
    """A customer payment (or bank fee) with its true allocation to invoices."""

    pid: int
    date: date
    amount: int
    client_id: str | None           # client whose receivable it settles (None: unknown)
    payer_client: str | None        # client who sent it (parent, twin...), truth for the IBAN
    payer_name: str | None
    payer_iban: str | None
    remittance: str | None
    structured_ref: str | None
    e2e: str | None
    channel: str                    # sct | sdd | fee
    allocations: list[tuple[str, int]] = field(default_factory=list)
    mandate: str | None = None
    scenario: str = "normal"
    dropped: bool = False
    habit: str = "classic"          # how the payer wrote the reference (remittance.HABITS)
    identifiable: bool = True       # remittance, e2e or RF carries an identifier
    write_off: tuple[str, int] | None = None  # earlier receipt: (account, cents the ledger
    #                                           wrote off there: + short, - paid more)
    parent_paid: bool = False       # earlier receipt sent by the client's parent company


@dataclass
class World:
    seed: int
    month: date                     # first day of the reconciled month
    first_month: date               # first day of the earliest history month
    company_siren: str
    company_iban: str
    company_name: str
    clients: list[Client] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    exceptions: list[tuple[str, str, str, str]] = field(default_factory=list)
    decoys: list[tuple[str, str, str]] = field(default_factory=list)
    normal_cases: list[tuple[str, str, str]] = field(default_factory=list)
    next_pid: int = 0
    invoice_seq_start: int = 0
    dialect: Dialect = CLASSIC

    @property
    def month_end(self) -> date:
        return month_end(self.month)

    def history_months(self) -> list[date]:
        out, d = [], self.first_month
        while d <= self.month:
            out.append(d)
            d = add_months(d, 1)
        return out


# --------------------------------------------------------------------------- world building
ROLES_PER_K = (
    "partial", "over", "dup", "fee", "grouped", "subsidiary", "parent", "twin", "unresolved_twin",
    "same_amount", "recurring", "netting", "grouped_refs", "unbilled", "without_commitment",
    "amount_mismatch", "discount_na", "drift", "missing_ledger", "ledger_mismatch",
    "cn_lettered", "rebate", "renamed",
)
SINGLE_ROLES = ("two_entity",)


@dataclass(frozen=True)
class Volume:
    """How busy the month is, beyond the default world (which is `Volume()`).

    `orders_per_client`: extra one-off won opportunities per client (mean; the fraction is
    drawn), each invoiced once and timed by the client's payment habit so that it falls due
    and is paid in the reconciled month: one more invoice and about one more bank payment.
    `scenarios_per_100`: instances of each exception per 100 clients, so exceptions and
    decoys stay in proportion when payments multiply.
    """

    orders_per_client: float = 0.0
    scenarios_per_100: int = 1


VOLUMES = {"default": Volume(), "bench": Volume(orders_per_client=2.5, scenarios_per_100=3)}


def scenario_count(n_clients: int, per_100: int = 1) -> int:
    """How many independent instances of each exception: max(3, N * per_100 // 100)."""
    return max(3, n_clients * per_100 // 100)


def dialect_roles(dialect: Dialect, k: int) -> list[str]:
    """Roles a dialect gives to ordinary clients (none in `classic`): `*_per_k` times
    max(3, k // 3) each, so a bench month keeps most of its clients ordinary."""
    unit = max(3, k // 3)
    return (["self_serve"] * (dialect.self_serve_per_k * unit)
            + ["tacit"] * (dialect.tacit_per_k * unit)
            + ["carry_unbilled", "carry_orphan"] * (dialect.carry_over_per_k * unit))


def min_clients(k: int, dialect: Dialect = CLASSIC) -> int:
    """Reserved scenario clients are at most 3/4 of the world, dialect roles included."""
    return max((len(ROLES_PER_K) * k + len(SINGLE_ROLES)) * 4 // 3,
               len(ROLES_PER_K) * k + len(SINGLE_ROLES) + 2 * len(dialect_roles(dialect, k)))


