"""Small helpers (VAT, months, business days, check digits) and the id and name factories.

Every id is drawn from the world's one random stream, so the same seed gives the same ids.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable
from datetime import date, timedelta

from stdnum import luhn
from stdnum.iso7064 import mod_97_10

from data_samples.words import (
    ACTIVITIES,
    BRAND_HEADS,
    BRAND_TAILS,
    CITIES,
    FR_BANKS,
    SURNAMES,
    TEMPLATES,
)
from reconkit.ids import sf_checksum

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
VAT_BP = 2000  # French standard VAT rate, 20 %, in basis points


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

    def _unique(self, make: Callable[[], str]) -> str:
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

