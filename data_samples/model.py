"""The in-memory world of the sample month: clients, contracts, opportunities, invoices, payments.

Everything is drawn from one `random.Random(seed)` in a fixed order, so the same arguments
always give the same world. Amounts are integer cents; dates are `datetime.date`. This module
builds the *ordinary* business (clients, commitments, invoices, a normal payment plan);
`scenarios` then injects exceptions and decoys, and `generate` derives the ledger, the bank
statement, the canonical tables and the ground truth from the final world.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from stdnum import luhn
from stdnum.iso7064 import mod_97_10

from reconkit.ids import sf_checksum

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
VAT_BP = 2000  # French standard VAT rate, 20 %, in basis points

# --------------------------------------------------------------------------- word lists
SURNAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "Andre", "Lefevre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "Francois", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clement",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez",
    "Gerard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger",
    "Roche", "Roy", "Noel", "Meyer", "Lucas", "Meunier", "Jean", "Perez", "Marchand", "Dufour",
    "Blanchard", "Marie", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin",
    "Fernandez", "Pierre", "Renard", "Arnaud", "Rolland", "Caron", "Aubert", "Giraud", "Leclerc",
    "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Philippe", "Leclercq",
    "Lacroix", "Fabre", "Dupuis", "Olivier", "Rodriguez", "Da Silva", "Hubert", "Louis",
    "Charles", "Guillot", "Riviere", "Le Gall", "Guillaume", "Adam", "Rey", "Moulin", "Gonzalez",
    "Berger", "Lecomte", "Menard", "Fleury", "Deschamps", "Carpentier", "Julien", "Benoit",
    "Paris", "Maillard", "Marchal", "Aubry", "Vasseur", "Le Roux", "Renault", "Jacquet",
    "Collet", "Prevost", "Poirier", "Charpentier", "Royer", "Huet", "Baron", "Dupuy", "Pons",
    "Paul", "Laine", "Carre", "Breton", "Remy", "Schneider", "Perrot", "Guyot", "Barre",
    "Marty", "Cousin", "Tessier", "Delmas", "Hoarau", "Besson", "Etienne", "Lebrun", "Texier",
)
ACTIVITIES = (
    "Logistique", "Transports", "Batiment", "Conseil", "Informatique", "Distribution",
    "Maintenance", "Menuiserie", "Electricite", "Plomberie", "Immobilier", "Imprimerie",
    "Emballages", "Industrie", "Mecanique", "Services", "Nettoyage", "Restauration",
    "Patrimoine", "Expertise", "Ingenierie", "Automatismes", "Telecom", "Securite",
    "Environnement", "Energie", "Agencement", "Peinture", "Charpente", "Metallerie",
    "Chauffage", "Climatisation", "Paysage", "Formation", "Recrutement", "Evenements",
    "Optique", "Pharma", "Cosmetiques", "Textile", "Vins", "Boulangerie", "Traiteur",
    "Froid", "Levage", "Toiture", "Assainissement", "Medical", "Audit", "Finance",
    "Courtage", "Architecture", "Design", "Communication", "Productions", "Studio",
    "Robotique", "Fonderie", "Plasturgie", "Carrosserie",
)
BRAND_HEADS = ("Nova", "Axi", "Veri", "Alti", "Sola", "Logi", "Tech", "Opti", "Medi", "Eco",
               "Hexa", "Kali", "Orba", "Proxi", "Sigma", "Terra", "Vita", "Zeni", "Lumi",
               "Cyber", "Data", "Flexi", "Galva", "Inno", "Mecha", "Numeri", "Omni", "Qualia")
BRAND_TAILS = ("tek", "lis", "gen", "com", "sys", "line", "nova", "tis", "via", "rama", "lia",
               "soft", "form", "plan", "flow", "mat", "nergie", "pro", "labs", "ware", "pole")
CITIES = ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Bordeaux", "Rennes",
          "Nice", "Strasbourg", "Grenoble", "Dijon", "Angers", "Reims", "Brest", "Tours",
          "Rouen", "Metz", "Nancy", "Caen", "Orleans", "Amiens", "Limoges", "Pau", "Annecy",
          "Valence", "Poitiers", "Vannes", "Lorient", "Chambery", "Nimes", "Avignon",
          "Perpignan", "Besancon", "Mulhouse", "Troyes", "Niort", "Quimper", "Bayonne", "Cholet")
TEMPLATES = ("{s} {a}", "{s} {a}", "{s} {a}", "{b}", "{b} {a}", "{a} {s}", "Groupe {s}",
             "Ets {s}", "{s} & Fils", "{s} {a} {c}", "{a} du {c}", "Atelier {s}", "{b} {c}")
FRENCH_FORMS = ("SAS", "SAS", "SAS", "SARL", "SARL", "SA", "SASU", "EURL")
FOREIGN = (("DE", "GmbH"), ("GB", "Ltd"), ("NL", "BV"))
FR_BANKS = (("30004", "BNP Paribas"), ("30003", "Societe Generale"), ("30002", "LCL"),
            ("10278", "Credit Mutuel"), ("30066", "CIC"), ("20041", "La Banque Postale"),
            ("18206", "Credit Agricole"), ("17515", "Caisse d'Epargne"))
UNKNOWN_PAYERS = ("SCI LES TILLEULS", "M OU MME DURAND PIERRE", "ASSOCIATION SPORTIVE ST MALO",
                  "CABINET MEDICAL DES LILAS", "SARL LE PETIT ZINC", "MAIRIE DE VILLENEUVE",
                  "COMITE D ENTREPRISE AIRCO", "SYNDIC COPRO LES PINS", "EARL DU MOULIN",
                  "GAEC DES TROIS CHENES", "M. LECOQ JEAN-MARC", "CAMPING DE LA PLAGE")
OPP_PROJECTS = ("Projet migration", "Audit securite", "Formation utilisateurs", "Deploiement",
                "Integration ERP", "Atelier cadrage", "Developpement specifique",
                "Mission conseil", "Reprise de donnees", "Accompagnement")
MONTHS_FR = ("JANVIER", "FEVRIER", "MARS", "AVRIL", "MAI", "JUIN", "JUILLET", "AOUT",
             "SEPTEMBRE", "OCTOBRE", "NOVEMBRE", "DECEMBRE")


# --------------------------------------------------------------------------- small helpers
def tax_of(net_cents: int) -> int:
    """VAT at 20 %, rounded half-up in cents (symmetrically for negative amounts)."""
    q, r = divmod(abs(net_cents) * VAT_BP, 10_000)
    t = q + (1 if r * 2 >= 10_000 else 0)
    return t if net_cents >= 0 else -t


def pct_of(cents: int, bp: int) -> int:
    """`cents * bp / 10000` rounded half-up (bp = basis points)."""
    q, r = divmod(cents * bp, 10_000)
    return q + (1 if r * 2 >= 10_000 else 0)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_start(year: int, month: int) -> date:
    return date(year, month, 1)


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def business_day(d: date, not_after: date | None = None) -> date:
    """Next Monday-Friday on or after `d`; backwards instead if that would pass `not_after`."""
    out = d
    while out.weekday() >= 5:
        out += timedelta(days=1)
    if not_after is not None and out > not_after:
        out = d
        while out.weekday() >= 5:
            out -= timedelta(days=1)
    return out


def base62(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(BASE62) for _ in range(n))


def siren_from(body8: str) -> str:
    return body8 + luhn.calc_check_digit(body8)


def fr_vat(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def iban_from_bban(country: str, bban: str) -> str:
    return country + mod_97_10.calc_check_digits(bban + country) + bban


def rib_key(bank: str, branch: str, account: str) -> str:
    """French RIB key over numeric bank, branch and account codes."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def rf_reference(invoice_number: str) -> str:
    """ISO 11649 creditor reference built from an invoice number (alphanumerics kept)."""
    body = "".join(ch for ch in invoice_number.upper() if ch.isalnum())
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


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

    @property
    def month_end(self) -> date:
        return month_end(self.month)

    def history_months(self) -> list[date]:
        out, d = [], self.first_month
        while d <= self.month:
            out.append(d)
            d = add_months(d, 1)
        return out


# --------------------------------------------------------------------------- id factory
class Ids:
    """Unique, realistic-looking ids for every system, drawn from the world's random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._seen: set[str] = set()
        self._sf_counter = {"001": 4_100_000, "006": 8_200_000, "800": 1_300_000}
        self._contract_no = 100
        self._invoice_no: dict[int, int] = {}
        self._rebate_no: dict[int, int] = {}
        self._aux = 0
        self._bank_ref = rng.randrange(1000, 9000)
        self._siren_seen: set[str] = set()
        self._iban_seen: set[str] = set()

    def _unique(self, make: callable) -> str:  # type: ignore[valid-type]
        while True:
            v = make()
            if v not in self._seen:
                self._seen.add(v)
                return v

    def sf(self, prefix: str) -> str:
        """An 18-character Salesforce id with a valid checksum suffix."""
        self._sf_counter[prefix] += self.rng.randrange(1, 40)
        n, digits = self._sf_counter[prefix], []
        for _ in range(6):
            n, r = divmod(n, 62)
            digits.append(BASE62[r])
        id15 = prefix + "5g" + "0000" + "".join(reversed(digits))
        return id15 + sf_checksum(id15)

    def contract_number(self) -> str:
        self._contract_no += self.rng.randrange(1, 4)
        return f"{self._contract_no:08d}"

    def invoice_number(self, year: int, month: int) -> str:
        if year not in self._invoice_no:
            self._invoice_no[year] = 0
        self._invoice_no[year] += 1
        return f"F-{year}-{self._invoice_no[year]:06d}"

    def seed_invoice_counter(self, year: int, start: int) -> None:
        self._invoice_no.setdefault(year, start)

    def rebate_number(self, year: int) -> str:
        self._rebate_no[year] = self._rebate_no.get(year, 0) + 1
        return f"AV-{year}-{self._rebate_no[year]:04d}"

    def stripe(self, prefix: str, n: int = 24) -> str:
        return self._unique(lambda: prefix + base62(self.rng, n))

    def aux(self) -> str:
        self._aux += self.rng.randrange(1, 4)
        return f"C{self._aux:05d}"

    def siren(self) -> str:
        while True:
            s = siren_from(f"{self.rng.randrange(30_000_000, 99_999_999):08d}")
            if s not in self._siren_seen:
                self._siren_seen.add(s)
                return s

    def iban(self, country: str) -> str:
        while True:
            if country == "FR":
                bank = self.rng.choice(FR_BANKS)[0]
                branch = f"{self.rng.randrange(10, 99999):05d}"
                account = f"{self.rng.randrange(10**9, 10**11):011d}"
                bban = bank + branch + account + rib_key(bank, branch, account)
            elif country == "DE":
                bban = f"{self.rng.randrange(10**7, 10**8):08d}{self.rng.randrange(10**9):010d}"
            elif country == "GB":
                bban = "NWBK" + f"{self.rng.randrange(10**5, 10**6):06d}" \
                       f"{self.rng.randrange(10**7, 10**8):08d}"
            else:
                bban = self.rng.choice(("ABNA", "INGB", "RABO")) + \
                       f"{self.rng.randrange(10**9, 10**10):010d}"
            iban = iban_from_bban(country, bban)
            if iban not in self._iban_seen:
                self._iban_seen.add(iban)
                return iban

    def bank_ref(self, d: date) -> str:
        """A 16-digit bank reference (AcctSvcrRef): booking date + a growing counter."""
        self._bank_ref += self.rng.randrange(1, 60)
        return f"{d:%Y%m%d}{self._bank_ref:08d}"


# --------------------------------------------------------------------------- names
class Names:
    """Realistic, unique French company names from the word lists above."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._seen: set[str] = set()

    def _draw(self) -> str:
        r = self.rng
        brand = r.choice(BRAND_HEADS) + r.choice(BRAND_TAILS)
        return r.choice(TEMPLATES).format(s=r.choice(SURNAMES), a=r.choice(ACTIVITIES),
                                          b=brand, c=r.choice(CITIES))

    def company(self) -> str:
        for attempt in range(200):
            name = self._draw()
            if attempt > 20:
                name = f"{name} {self.rng.choice(CITIES)}"
            if attempt > 60:
                name = f"{name} {self.rng.randrange(2, 99)}"
            if self._key(name) not in self._seen:
                self._seen.add(self._key(name))
                return name
        raise RuntimeError("name space exhausted")

    def twin_pair(self) -> tuple[str, str]:
        """Two near-identical names of different clients ("Martin Logistique" / "...ques")."""
        while True:
            s, a = self.rng.choice(SURNAMES), self.rng.choice(ACTIVITIES)
            if a.endswith("s"):
                continue
            first, second = f"{s} {a}", f"{s} {a}s"
            if self._key(first) not in self._seen and self._key(second) not in self._seen:
                self._seen.update({self._key(first), self._key(second)})
                return first, second

    def reserve(self, name: str) -> bool:
        key = self._key(name)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    @staticmethod
    def _key(name: str) -> str:
        return name.upper().replace(" ", "")


# --------------------------------------------------------------------------- amounts
def draw_amount(rng: random.Random, frequency: str) -> int:
    """A per-period amount excl. tax: round plans, whole euros, or amounts with cents."""
    scale = {"monthly": 1, "quarterly": 3, "annual": 12, "one_off": 6}[frequency]
    kind = rng.random()
    if kind < 0.4:
        euros = rng.choice((50, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1200, 1500, 2000))
        return euros * 100 * scale
    if kind < 0.8:
        return rng.randrange(60, 4000) * 100 * scale
    return rng.randrange(6000, 400_000) * scale


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


def min_clients(k: int) -> int:
    return (len(ROLES_PER_K) * k + len(SINGLE_ROLES)) * 4 // 3


def build_world(n_clients: int, seed: int, month: date, history_months: int,
                volume: Volume = Volume()) -> World:
    """Clients, CRM commitments and invoices of the window; no payments yet."""
    rng = random.Random(seed)
    ids = Ids(rng)
    names = Names(rng)
    k = scenario_count(n_clients, volume.scenarios_per_100)
    if n_clients < min_clients(k):
        raise ValueError(f"--clients must be at least {min_clients(k)} to hold every scenario")
    company_siren = ids.siren()
    world = World(seed=seed, month=month, first_month=add_months(month, -history_months),
                  company_siren=company_siren, company_iban=ids.iban("FR"),
                  company_name="Nexalia Software SAS")
    roles = [r for r in ROLES_PER_K for _ in range(k)] + list(SINGLE_ROLES)
    roles += ["ordinary"] * (n_clients - len(roles))
    rng.shuffle(roles)
    _make_clients(world, roles, rng, ids, names)
    _make_commitments(world, rng, ids)
    if volume.orders_per_client > 0:
        _make_extra_orders(world, rng, ids, volume.orders_per_client)
    _make_invoices(world, rng, ids)
    world._ids = ids  # type: ignore[attr-defined]
    world._rng = rng  # type: ignore[attr-defined]
    return world


def _make_clients(world: World, roles: list[str], rng: random.Random, ids: Ids,
                  names: Names) -> None:
    twin_queues: dict[str, list[str]] = {"twin": [], "unresolved_twin": []}
    parents: list[Client] = []
    subsidiaries: list[Client] = []
    for i, role in enumerate(roles, start=1):
        foreign = rng.random() < 0.05 and role not in ("twin", "unresolved_twin", "parent",
                                                       "subsidiary")
        if role == "fee" and rng.random() < 0.5:
            foreign = True
        if role in twin_queues:
            other = "unresolved_twin" if role == "twin" else "twin"
            if twin_queues[role]:
                base = twin_queues[role].pop()
            else:
                base, twin_name = names.twin_pair()
                twin_queues[other].append(twin_name)
        else:
            base = names.company()
        if foreign:
            country, form = rng.choice(FOREIGN)
            siren, vat = None, None
            if country == "DE":
                vat = f"DE{rng.randrange(10**8, 10**9)}"
        else:
            country = "FR"
            form = rng.choice(FRENCH_FORMS)
            siren = ids.siren() if rng.random() < 0.95 else None
            vat = fr_vat(siren) if siren and rng.random() < 0.85 else None
        if role in ("twin", "unresolved_twin"):
            form = "SAS" if role == "twin" else "SARL"
        payer = _payer_profile(rng, role)
        ibans = [ids.iban(country)]
        if rng.random() < 0.15:
            ibans.append(ids.iban(country))
        legal = f"{base} {form}"
        billing_name = legal if rng.random() < 0.7 else base
        erp_name = legal.upper()[:30].strip()
        c = Client(
            client_id=f"K{i:05d}", base_name=base, legal_form=form, country=country,
            siren=siren, vat=vat, ibans=ibans, crm_ids=[ids.sf("001")], crm_names=[legal],
            billing_id=ids.stripe("cus_", 14), erp_aux=ids.aux(), billing_name=billing_name,
            erp_name=erp_name, payer=payer, role=role,
            billing_meta=rng.random() < 0.85, crm_refs=rng.random() < 0.7,
            email_domain=_domain(base, country),
        )
        if role == "renamed":
            new = names.company()
            c.crm_names = [f"{new} {form}"]
        if role == "two_entity":
            c.crm_ids.append(ids.sf("001"))
            c.crm_names.append(f"{base} Services {rng.choice(('SARL', 'SAS'))}")
        if role == "parent":
            parents.append(c)
        if role == "subsidiary":
            subsidiaries.append(c)
        world.clients.append(c)
    for parent, sub in zip(parents, subsidiaries, strict=False):
        sub.parent_client = parent.client_id
        if not parent.base_name.startswith("Groupe"):
            group = f"Groupe {parent.base_name.split()[0]}"
            if names.reserve(group):
                parent.base_name = group
                parent.crm_names = [f"{group} {parent.legal_form}"]
                parent.billing_name = parent.crm_names[0]
                parent.erp_name = parent.crm_names[0].upper()[:30].strip()


def _payer_profile(rng: random.Random, role: str) -> str:
    if role == "cn_lettered":
        return "prompt"
    if role in ("partial", "over", "dup", "fee", "grouped", "subsidiary", "same_amount",
                "recurring", "netting", "grouped_refs", "twin", "unresolved_twin", "renamed"):
        return "normal"
    x = rng.random()
    return "sdd" if x < 0.2 else "prompt" if x < 0.45 else "normal" if x < 0.85 else "late"


def _domain(base: str, country: str) -> str:
    slug = "".join(ch for ch in base.lower() if ch.isalnum())[:18] or "client"
    return f"{slug}.{ {'FR': 'fr', 'DE': 'de', 'GB': 'co.uk', 'NL': 'nl'}[country] }"


def _make_commitments(world: World, rng: random.Random, ids: Ids) -> None:
    m = world.month
    for c in world.clients:
        account = c.crm_ids[0]
        monthly_only = c.role not in ("ordinary", "parent", "two_entity")
        freq = "monthly"
        if not monthly_only:
            x = rng.random()
            freq = "monthly" if x < 0.8 else "quarterly" if x < 0.92 else "annual"
        amount = draw_amount(rng, freq)
        if c.role == "fee":
            amount = max(amount, 30_000)
        discount = None
        if c.role == "discount_na" or (c.role == "ordinary" and rng.random() < 0.15):
            discount = rng.choice((500, 1000, 1500, 2000))
        term = rng.choice((12, 12, 24, 36))
        auto_renew = rng.random() < 0.6
        months_ago = rng.randrange(len(world.history_months()), 40)
        start = add_months(m, -months_ago).replace(day=rng.randrange(1, 29))
        if c.role == "drift":
            auto_renew, term = True, 12
            start = date(m.year - rng.choice((1, 2)), m.month, rng.randrange(1, 16))
        if c.role == "recurring" or c.role == "grouped":
            start = min(start, add_months(world.first_month, -1))
        start = min(start, add_months(world.first_month, -1)) if freq == "monthly" else start
        end = add_months(start, term) - timedelta(days=1)
        while auto_renew and end < month_end(m):
            end = add_months(end + timedelta(days=1), term) - timedelta(days=1)
        if not auto_renew and end < month_end(m):
            end = add_months(month_end(m), rng.randrange(1, 20))
        list_amount = None
        if discount:
            list_amount = amount
            amount = amount - pct_of(amount, discount)
        contract = Contract(
            record_id=ids.sf("800"), number=ids.contract_number(), client_id=c.client_id,
            account_id=account, name=f"{c.base_name} - Abonnement {freq_label(freq)}",
            frequency=freq, amount=amount, list_amount=list_amount, discount_bp=discount,
            start=start, end=end, term=term, auto_renew=auto_renew, status="Activated")
        world.contracts.append(contract)
        world.opportunities.append(Opportunity(
            record_id=ids.sf("006"), client_id=c.client_id, account_id=account,
            name=f"{c.base_name} - Abonnement {start.year}", stage="Closed Won", is_won=True,
            amount=contract.list_amount or contract.amount,
            close_date=start - timedelta(days=rng.randrange(3, 30)),
            contract_id=contract.record_id))
        if c.role == "ordinary" and rng.random() < 0.06:
            old_start = add_months(start, -rng.randrange(30, 50))
            world.contracts.append(Contract(
                record_id=ids.sf("800"), number=ids.contract_number(), client_id=c.client_id,
                account_id=account, name=f"{c.base_name} - Ancien contrat", frequency="monthly",
                amount=draw_amount(rng, "monthly"), list_amount=None, discount_bp=None,
                start=old_start, end=add_months(old_start, 24) - timedelta(days=1), term=24,
                auto_renew=False, status="Expired"))
        if c.role == "same_amount" or (c.role == "ordinary" and rng.random() < 0.12):
            n_opps = 2 if c.role == "same_amount" else 1
            amount_o = draw_amount(rng, "one_off")
            for j in range(n_opps):
                close = world.first_month + timedelta(days=rng.randrange(
                    0, (month_end(m) - world.first_month).days - 5))
                if c.role == "same_amount":
                    close = add_months(m, -1).replace(day=5 + 10 * j)
                world.opportunities.append(Opportunity(
                    record_id=ids.sf("006"), client_id=c.client_id, account_id=account,
                    name=f"{c.base_name} - {rng.choice(OPP_PROJECTS)}", stage="Closed Won",
                    is_won=True, amount=amount_o, close_date=close))
        if c.role == "ordinary" and rng.random() < 0.1:
            world.opportunities.append(Opportunity(
                record_id=ids.sf("006"), client_id=c.client_id, account_id=account,
                name=f"{c.base_name} - {rng.choice(OPP_PROJECTS)}",
                stage=rng.choice(("Closed Lost", "Negotiation/Review", "Proposal/Price Quote")),
                is_won=False, amount=draw_amount(rng, "one_off"),
                close_date=month_end(m) + timedelta(days=rng.randrange(-40, 60))))


# Typical days from issue to payment, per payment habit (SDD: issue + 7, then the 5th/20th).
TYPICAL_DELAY = {"sdd": 12, "prompt": 10, "normal": 28, "late": 48}


def _make_extra_orders(world: World, rng: random.Random, ids: Ids, per_client: float) -> None:
    """Extra one-off won opportunities, issued so that they fall due and are paid in the month.

    Each client (except the `same_amount` decoys, whose one-off invoices are the decoy) gets
    `per_client` of them on average; the issue date is a day of the month minus the client's
    typical payment delay, so the ordinary payment plan pays most of them in the month.
    """
    whole, frac = int(per_client), per_client - int(per_client)
    first, days = world.first_month, (world.month_end - world.month).days + 1
    for c in world.clients:
        if c.role == "same_amount":
            continue
        for _ in range(whole + (1 if rng.random() < frac else 0)):
            target = world.month + timedelta(days=rng.randrange(days))
            close = max(first, target - timedelta(days=TYPICAL_DELAY[c.payer] + 2))
            world.opportunities.append(Opportunity(
                record_id=ids.sf("006"), client_id=c.client_id, account_id=c.crm_ids[0],
                name=f"{c.base_name} - {rng.choice(OPP_PROJECTS)}", stage="Closed Won",
                is_won=True, amount=draw_amount(rng, "one_off"), close_date=close))


def freq_label(freq: str) -> str:
    return {"monthly": "mensuel", "quarterly": "trimestriel", "annual": "annuel"}[freq]


def billing_months(contract: Contract, months: list[date]) -> list[date]:
    """The months of the window in which a contract issues an invoice."""
    out = []
    for mo in months:
        if contract.status != "Activated":
            continue
        bill_day = mo.replace(day=min(contract.start.day, 28))
        if bill_day < contract.start or bill_day > contract.end:
            continue
        diff = (mo.year - contract.start.year) * 12 + mo.month - contract.start.month
        step = {"monthly": 1, "quarterly": 3, "annual": 12}[contract.frequency]
        if diff % step == 0:
            out.append(mo)
    return out


def _make_invoices(world: World, rng: random.Random, ids: Ids) -> None:
    months = world.history_months()
    # Invoice numbers continue the year's sequence: earlier months of the year already used some.
    per_month = max(1, len(world.clients) * 11 // 10)
    world.invoice_seq_start = per_month * (months[0].month - 1) + rng.randrange(0, 50)
    clients = {c.client_id: c for c in world.clients}
    items: list[tuple[date, int, object]] = []
    for n, ct in enumerate(world.contracts):
        for mo in billing_months(ct, months):
            items.append((mo.replace(day=min(ct.start.day, 28)), n, ct))
    for n, op in enumerate(world.opportunities):
        if op.is_won and op.contract_id is None and op.close_date >= world.first_month:
            issue = op.close_date + timedelta(days=rng.randrange(0, 6))
            if issue <= world.month_end:
                items.append((issue, 100_000_000 + n, op))
    items.sort(key=lambda t: (t[0], t[1]))
    for issue, _, src in items:
        c = clients[src.client_id]  # type: ignore[attr-defined]
        number = ""
        if isinstance(src, Contract):
            net = src.amount
            subtotal = src.list_amount or src.amount
            step = {"monthly": 1, "quarterly": 3, "annual": 12}[src.frequency]
            inv = Invoice(record_id=ids.stripe("in_"), number=number, client_id=c.client_id,
                          doc_type="invoice", issue=issue, due=None, net=net, tax=tax_of(net),
                          subtotal=subtotal, commitment_ref=src.number,
                          commitment_id=src.record_id, period_start=issue,
                          period_end=add_months(issue, step) - timedelta(days=1))
        else:
            net = src.amount  # type: ignore[attr-defined]
            inv = Invoice(record_id=ids.stripe("in_"), number=number, client_id=c.client_id,
                          doc_type="invoice", issue=issue, due=None, net=net, tax=tax_of(net),
                          subtotal=net, commitment_ref=src.record_id,  # type: ignore[attr-defined]
                          commitment_id=src.record_id,  # type: ignore[attr-defined]
                          po_number=f"PO-{issue.year}-{rng.randrange(100, 999)}"
                          if rng.random() < 0.4 else None)
        inv.due = issue + timedelta(days=10 if c.payer == "sdd" else 30)
        inv.party_name = c.billing_name
        world.invoices.append(inv)


# --------------------------------------------------------------------------- payments
SDD_DAYS = (5, 20)


def sdd_date(after: date, not_after: date | None = None) -> date:
    """The first direct-debit collection day (the 5th or the 20th, business day) on/after."""
    d = after.replace(day=1)
    while True:
        for day in SDD_DAYS:
            cand = business_day(d.replace(day=day))
            if cand >= after:
                return cand
        d = add_months(d, 1)


def payer_name_variant(rng: random.Random, c: Client, crm_name: bool = False) -> str:
    """The payer name as a bank shows it: upper case, maybe no legal form, `STE`, truncated."""
    legal = c.crm_names[0] if crm_name else c.legal_name
    base = legal.rsplit(" ", 1)[0]
    x = rng.random()
    if x < 0.35:
        name = legal.upper()
    elif x < 0.6:
        name = base.upper()
    elif x < 0.72:
        name = "STE " + base.upper()
    elif x < 0.85:
        name = legal
    else:
        name = f"{base.upper()} {c.legal_form}"
    return name[:35].strip()


def noisy_number(rng: random.Random, number: str) -> tuple[str, str]:
    """The invoice number as a payer types it, with the kind of noise applied."""
    year, seq = number[2:6], number[7:]
    x = rng.random()
    if x < 0.40:
        return number, "exact"
    if x < 0.55:
        return number.replace("-", ""), "compact"
    if x < 0.68:
        return f"F-{year}-{int(seq)}", "zeros_dropped"
    if x < 0.80:
        return number.lower(), "lower_case"
    if x < 0.90 and "0" in seq:
        i = rng.choice([j for j, ch in enumerate(seq) if ch == "0"])
        return f"F-{year}-{seq[:i]}O{seq[i + 1:]}", "o_for_zero"
    i = rng.randrange(len(seq))
    letter = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"}.get(seq[i], "X")
    return f"F-{year}-{seq[:i]}{letter}{seq[i + 1:]}", "typo"


def transfer_remittance(rng: random.Random, numbers: list[str], c: Client,
                        when: date) -> tuple[str | None, str | None, str | None]:
    """(unstructured text, structured RF ref, end-to-end id) of a credit transfer."""
    e2e = "NOTPROVIDED" if rng.random() < 0.5 else f"E2E{rng.randrange(10**9, 10**10)}"
    if len(numbers) == 1 and rng.random() < 0.15:
        text = rng.choice((None, "PAIEMENT FOURNISSEUR", f"VIR {c.base_name.upper()}"))
        return text, rf_reference(numbers[0]), e2e
    shown = [noisy_number(rng, n)[0] for n in numbers]
    refs = " ".join(shown)
    month = MONTHS_FR[when.month - 1]
    x = rng.random()
    if x < 0.3:
        text = f"FACTURE {refs}"
    elif x < 0.45:
        text = f"FACT {refs}"
    elif x < 0.6:
        text = f"REGLEMENT {refs} {c.base_name.upper()}"
    elif x < 0.75:
        text = refs
    elif x < 0.88:
        text = f"VIR {c.base_name.upper()} REF {refs} ECHEANCE {month} {when.year}"
        text = text[:35].strip()
        if shown[0] not in text:
            text = f"REF {refs}"
    else:
        text = f"PAIEMENT {refs} {month}"
    if rng.random() < 0.15:
        text = f"CLIENT {rng.randrange(100, 99999):05d} {text} CMD PO-{when.year}-" \
               f"{rng.randrange(100, 999)}"
    if len(numbers) == 1 and rng.random() < 0.08:
        e2e = numbers[0]
    return text[:140].strip(), None, e2e


def number_documents(world: World) -> None:
    """Invoice numbers in issue order (per year); credit notes `<invoice>-CN-nn` or `AV-...`."""
    ids: Ids = world._ids  # type: ignore[attr-defined]
    first_year = world.first_month.year
    ids.seed_invoice_counter(first_year, world.invoice_seq_start)
    for year in range(first_year + 1, world.month.year + 1):
        ids.seed_invoice_counter(year, 0)
    order = sorted(range(len(world.invoices)), key=lambda i: (world.invoices[i].issue, i))
    by_id = {i.record_id: i for i in world.invoices}
    cn_count: dict[str, int] = {}
    for inv in world.invoices:
        if inv.doc_type == "credit_note" and inv.credited and inv.number:
            cn_count[inv.credited] = cn_count.get(inv.credited, 0) + 1
    for i in order:
        inv = world.invoices[i]
        if inv.number:
            continue
        if inv.doc_type == "invoice":
            inv.number = ids.invoice_number(inv.issue.year, inv.issue.month)
    for i in order:
        inv = world.invoices[i]
        if inv.number or inv.doc_type != "credit_note":
            continue
        if inv.credited:
            cn_count[inv.credited] = cn_count.get(inv.credited, 0) + 1
            inv.number = f"{by_id[inv.credited].number}-CN-{cn_count[inv.credited]:02d}"
        else:
            inv.number = ids.rebate_number(inv.issue.year)


def plan_payments(world: World) -> None:
    """The ordinary payment of every invoice, by each client's payment habit."""
    rng: random.Random = world._rng  # type: ignore[attr-defined]
    clients = {c.client_id: c for c in world.clients}
    end = world.month_end
    for inv in world.invoices:
        if inv.doc_type != "invoice":
            continue
        c = clients[inv.client_id]
        if c.role == "ordinary" and rng.random() < 0.02:
            continue  # disputed: stays open
        if c.payer == "sdd":
            when = sdd_date(inv.issue + timedelta(days=7))
        else:
            lo, hi = {"prompt": (5, 15), "normal": (18, 38), "late": (35, 62)}[c.payer]
            when = business_day(inv.issue + timedelta(days=rng.randrange(lo, hi + 1)))
        if when > end:
            continue
        world.payments.append(make_payment(world, rng, c, [inv], when))


def make_payment(world: World, rng: random.Random, c: Client, invs: list[Invoice], when: date,
                 amount: int | None = None, scenario: str = "normal") -> Payment:
    """A payment by client `c` of `invs` in full (or of `amount`), in its usual channel."""
    total = sum(i.amount for i in invs) if amount is None else amount
    allocations = [(i.record_id, i.amount) for i in invs]
    world.next_pid += 1
    pid = world.next_pid
    if c.payer == "sdd" and len(invs) == 1 and scenario == "normal":
        month = MONTHS_FR[invs[0].issue.month - 1].lower()
        return Payment(pid=pid, date=when, amount=total, client_id=c.client_id,
                       payer_client=c.client_id, payer_name=c.legal_name.upper()[:70].strip(),
                       payer_iban=c.ibans[0],
                       remittance=f"Facture {invs[0].number} abonnement {month} "
                                  f"{invs[0].issue.year}",
                       structured_ref=None, e2e=invs[0].number, channel="sdd",
                       allocations=allocations, mandate=f"MDT-{c.erp_aux}-01", scenario=scenario)
    text, sref, e2e = transfer_remittance(rng, [i.number for i in invs], c, when)
    iban = c.ibans[0] if len(c.ibans) == 1 or rng.random() < 0.8 else c.ibans[1]
    return Payment(pid=pid, date=when, amount=total, client_id=c.client_id,
                   payer_client=c.client_id,
                   payer_name=payer_name_variant(rng, c, crm_name=c.role == "renamed"),
                   payer_iban=iban, remittance=text, structured_ref=sref, e2e=e2e,
                   channel="sct", allocations=allocations, scenario=scenario)
