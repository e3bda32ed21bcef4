"""The FEC format (French general-ledger export, LPF art. A47 A-1): its columns and how its
journals are told apart. Shared by the FEC loader, the FEC writer and the matchers."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

FEC_COLUMNS: Final = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)


def journal_kind(code: str, label: str) -> str:
    """Classify a journal as "sales", "credit_note", "bank" or "other" from its code and label.

    The code decides first (VT/VE/VEN sales, AV credit notes, BQ/BNK bank); the label
    ("Ventes", "Avoirs", "Banque") is the fallback for house codes.
    """
    c = (code or "").strip().upper()
    if c.startswith("AV"):
        return "credit_note"
    if re.match(r"^(BQ|BNK|BK)", c):
        return "bank"
    if re.match(r"^(VT|VTE|VE|VEN)\d*$", c):
        return "sales"
    words = _plain(label or "")
    if "avoir" in words:
        return "credit_note"
    if re.search(r"\b(banque|bank)", words):
        return "bank"
    if re.search(r"\b(vente|sales)", words):
        return "sales"
    return "other"


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
