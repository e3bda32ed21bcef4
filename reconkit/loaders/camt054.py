"""camt.054 (ISO 20022 BankToCustomerDebitCreditNotification, .001.02 to .001.08).

A notification (`BkToCstmrDbtCdtNtfctn/Ntfctn`) lists entries booked (or about to be) on one
account outside the daily statement: intraday credits, the detail of a SEPA direct-debit
batch, returned direct debits (`RvslInd`, `RtrInf/Rsn/Cd`, kept in the remittance text as
`return AC04`). Its entries are read exactly as camt.053 entries (same record ids, signs and
dates; see `reconkit.loaders._camt_entry`). Notifications carry no balances, so they are
listed in the statements table without the balance and continuity checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from reconkit.loaders._camt import Message, load_camt
from reconkit.loaders.base import Loaded, register_loader

CAMT054: Final = Message(
    kind="camt054", label="camt.054 notification", name="camt.054",
    root="BkToCstmrDbtCdtNtfctn", container="Ntfctn",
    wrong_file_hint=("export the debit/credit notifications in camt.054 format "
                     "(BankToCustomerDebitCreditNotification); an end-of-day statement is "
                     "camt.053 (load it with kind: camt053)"),
    chained=False)


@register_loader("camt054")
def load_camt054(path: Path, **options: Any) -> Loaded:
    """Load a camt.054 XML file, a .zip or a folder of them into the `payments` table."""
    return load_camt(Path(path), options, CAMT054)
