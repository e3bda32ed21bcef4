"""Catalog-wide settings the rules share: how references are read, how parties are resolved.

Every number the engine uses lives in the catalog (these sections and each rule's matcher
parameters), so the exported catalog is the whole behaviour; code holds none of them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The ways a payment can cite a document (vocabulary, not numbers): exact spellings first.
REFERENCE_EVIDENCE = ("exact", "normalized", "ocr", "rf_payload", "po_number", "contract_number",
                      "sequence", "period", "oldest_instalment", "fuzzy", "fuzzy_block",
                      "truncated")
APPROXIMATE_EVIDENCE = ("fuzzy", "fuzzy_block", "truncated")


class ReferenceReading(BaseModel):
    """How remittance texts are read for document numbers, and what each reading is worth."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_window: int = Field(ge=1, le=8, description="consecutive text runs read as one number")
    min_key_len: int = Field(ge=3, le=20, description="shortest number (characters) that cites")
    max_edits: int = Field(ge=0, le=2, description="typos tolerated in a number")
    fuzzy_min_len: int = Field(ge=3, le=30, description="shortest number read with a typo")
    truncated_min_len: int = Field(ge=3, le=30,
                                   description="shortest prefix read as a cut-off number")
    code_words: tuple[str, ...] = Field(
        min_length=1, description="words before a bare sequence number (INV 0042)")
    contract_words: tuple[str, ...] = Field(
        min_length=1, description="words before a contract number (CONTRAT N 417)")
    month_names: dict[str, int] = Field(
        description="month names (upper case, no accents) a remittance names a billing "
        "period by (ABONNEMENT SEPTEMBRE 2026), with their month number")
    issued_after_payment_days: int = Field(
        ge=0, le=60, description="a payment designates (by PO, contract or sequence) invoices "
        "issued at most this many days after it")
    designate_oldest_of_equal: bool = Field(
        description="among several open invoices of exactly the amount a contract or PO "
        "citation designates, the oldest is the one paid (instalments settled oldest first)")
    evidence_scores: dict[str, float] = Field(
        description="reference score (0..1) of each way of citing a document")

    @field_validator("evidence_scores")
    @classmethod
    def _known_evidence(cls, scores: dict[str, float]) -> dict[str, float]:
        missing = set(REFERENCE_EVIDENCE) - set(scores)
        unknown = set(scores) - set(REFERENCE_EVIDENCE)
        if missing or unknown:
            raise ValueError(f"needs a score for each of {', '.join(REFERENCE_EVIDENCE)}"
                             + (f"; unknown {sorted(unknown)}" if unknown else "")
                             + (f"; missing {sorted(missing)}" if missing else ""))
        if any(not 0 <= v <= 1 for v in scores.values()):
            raise ValueError("scores lie between 0 and 1")
        return scores


class PartyResolution(BaseModel):
    """Thresholds of party resolution by name (the PARTY-* rules' behaviour)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name_attach_min: float = Field(ge=0, le=1, description="a lone record joins a client by "
                                   "name from this similarity")
    name_margin: float = Field(ge=0, le=1, description="... when no other client is this close")
    payer_name_min: float = Field(ge=0, le=1, description="a bank payer joins a client by name "
                                  "from this similarity")
    payer_name_floor: float = Field(ge=0, le=1, description="other clients above this floor ...")
    payer_name_margin: float = Field(ge=0, le=1, description="... and within this margin make "
                                     "the payer ambiguous")
    renamed_max_similarity: float = Field(ge=0, le=1, description="a CRM name below this "
                                          "similarity to billing/ERP names is a rename")
    name_candidates: int = Field(ge=1, le=50, description="closest names considered per record")
    known_account_score: float = Field(ge=0, le=1, description="party evidence of a payer "
                                       "known by IBAN or a remembered alias")
    resolved_payer_min_score: float = Field(ge=0, le=1, description="party evidence of a payer "
                                            "resolved to the invoiced client by name, at least")
