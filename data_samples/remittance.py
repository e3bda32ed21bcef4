"""Remittance habits of real payers (realistic dialects): how an invoice reference reaches the
bank statement, if at all.

A habit is drawn per credit transfer from the dialect's weights; it decides the free text
(camt `Ustrd`), the structured RF reference and the end-to-end id, and whether the payment
still carries an identifier of the invoice (`identifiable`: its number in any surface form,
the contract or PO number, the sequence alone, the RF reference or the end-to-end id).
"""

from __future__ import annotations

import random
from datetime import date

from data_samples.ids import rf_reference
from data_samples.model import Client, Invoice
from data_samples.words import MONTHS_FR

HABITS = ("exact", "glued", "spaced_dash", "dash_dropped", "zeros_dropped", "zeros_added",
          "sequence_only", "contract_only", "po_only", "period_only", "nothing", "e2e_only",
          "rf", "ocr_typo", "lower_case")
NOT_IDENTIFIABLE = frozenset({"period_only", "nothing"})
NUMBER_FORMS = ("exact", "glued", "spaced_dash", "dash_dropped", "zeros_dropped", "lower_case",
                "ocr_typo")
CODE_WORDS = ("/INV/", "/RFB/", "/ROC/", "/URI/")
OCR = {"0": "O", "O": "0", "1": "I", "I": "1", "L": "1", "8": "B", "B": "8", "5": "S",
       "S": "5", "2": "Z", "Z": "2", "6": "G"}


def _split(number: str) -> tuple[str, str]:
    """(prefix, sequence) of `<PREFIX>-<NNNN>` (or of any number with a last dash)."""
    prefix, _, seq = number.rpartition("-")
    return (prefix, seq) if prefix and seq.isdigit() else (number, "")


def surface(rng: random.Random, habit: str, inv: Invoice) -> tuple[str, str]:
    """The invoice reference as the payer typed it, and the habit actually used (a contract or
    PO habit without such a number falls back to the exact number)."""
    number = inv.number
    prefix, seq = _split(number)
    if habit == "glued":
        return rng.choice(CODE_WORDS) + number, habit
    if seq and habit == "spaced_dash":
        return f"{prefix} - {seq}", habit
    if seq and habit == "dash_dropped":
        return prefix + seq, habit
    if seq and habit == "zeros_dropped" and seq.startswith("0"):
        return f"{prefix}-{int(seq)}", habit
    if seq and habit == "zeros_added":
        return f"{prefix}-00{seq}", habit
    if seq and habit == "sequence_only":
        return rng.choice((f"INV {seq}", f"facture {int(seq)}", f"FACT N {int(seq)}",
                           f"FACTURE NO {seq}")), habit
    if habit == "contract_only" and inv.commitment_id and inv.commitment_id.startswith("800"):
        return rng.choice((f"CONTRAT {inv.commitment_ref}", f"CTR {inv.commitment_ref}",
                           f"CONTRAT N {int(inv.commitment_ref or 0)}")), habit
    if habit == "po_only" and inv.po_number:
        return rng.choice((inv.po_number, f"BC {inv.po_number}",
                           f"VOTRE COMMANDE {inv.po_number}")), habit
    if habit == "lower_case":
        return number.lower(), habit
    if habit == "ocr_typo":
        spots = [i for i, ch in enumerate(number) if ch in OCR]
        if spots:
            i = rng.choice(spots)
            return number[:i] + OCR[number[i]] + number[i + 1:], habit
    return number, "exact"


def _period(inv: Invoice) -> str:
    d = inv.period_start or inv.issue
    return f"{MONTHS_FR[d.month - 1]} {d.year}"


def _e2e(rng: random.Random) -> str:
    return "NOTPROVIDED" if rng.random() < 0.5 else f"E2E{rng.randrange(10**9, 10**10)}"


def credit_transfer(rng: random.Random, weights: tuple[tuple[str, float], ...],
                    invs: list[Invoice], c: Client,
                    when: date) -> tuple[str | None, str | None, str | None, str, bool]:
    """(text, structured RF ref, end-to-end id, habit, identifiable) of one credit transfer."""
    name = c.base_name.upper()
    habit = rng.choices([h for h, _ in weights], [w for _, w in weights])[0]
    if len(invs) > 1:
        habit = habit if habit in NUMBER_FORMS else "exact"
        refs = " ".join(surface(rng, habit, i)[0] for i in invs)
        return f"FACTURES {refs}", None, _e2e(rng), habit, True
    inv = invs[0]
    if habit == "period_only":
        text = rng.choice((f"ABONNEMENT {_period(inv)}", f"ECHEANCE {_period(inv)}",
                           f"{name} {_period(inv)}", f"LOYER LOGICIEL {_period(inv)}"))
        return text, None, _e2e(rng), habit, False
    if habit == "nothing":
        return rng.choice((None, "VIREMENT", f"VIR {name}"[:35].strip(),
                           "PAIEMENT FOURNISSEUR")), None, _e2e(rng), habit, False
    if habit == "e2e_only":
        return rng.choice((None, "VIR SEPA", "VIREMENT")), None, inv.number, habit, True
    if habit == "rf":
        return rng.choice((None, "PAIEMENT FOURNISSEUR")), rf_reference(inv.number), \
            _e2e(rng), habit, True
    ref, habit = surface(rng, habit, inv)
    x = rng.random()
    if ref.startswith("/"):
        text = ref if x < 0.5 else f"{name} {ref}"
    elif x < 0.3:
        text = f"FACTURE {ref}"
    elif x < 0.5:
        text = f"REGLEMENT {ref} {name}"
    elif x < 0.7:
        text = ref
    elif x < 0.85:
        text = f"VIR {name} {ref}"
    else:
        text = f"PAIEMENT {ref} {_period(inv)}"
    if rng.random() < 0.1:
        text = f"CLIENT {rng.randrange(100, 99999):05d} {text}"
    return text[:140].strip(), None, _e2e(rng), habit, True


def direct_debit_text(inv: Invoice, company: str) -> str:
    """What the payer's bank shows for our SEPA direct debit: the period, not the number
    (the invoice number travels in the end-to-end id)."""
    return f"PRLV SEPA {company.upper()} ABONNEMENT {_period(inv)}"
