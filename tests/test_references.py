"""Reference extraction and matching: evidence kinds, the too-loose guards, determinism."""

from __future__ import annotations

import polars as pl

from reconkit.keys.references import extract_tokens, match_references

DOCS = pl.DataFrame({
    "record_id": ["in_1", "in_2", "in_3", "in_4", "in_5", "in_6", "in_7"],
    "number": ["F-2026-004217", "AV-2026-004217", "2026-004300", "INV-2024-00124",
               "539007547034", "F-2025-004217", "CTR-2026-000123456789"],
})


def _match(texts: dict[str, str], **kw: object) -> list[tuple[str, str, str, float]]:
    frame = pl.DataFrame({"pid": list(texts), "rem": list(texts.values())})
    tokens = extract_tokens(frame, id_col="pid", text_cols=["rem"])
    out = match_references(tokens, DOCS, id_col="pid", **kw)  # type: ignore[arg-type]
    return [tuple(r) for r in out.select("pid", "record_id", "ref_evidence", "ref_score")
            .iter_rows()]


def test_extract_tokens_families_and_order() -> None:
    frame = pl.DataFrame({"pid": ["p1", "p2"],
                          "rem": ["VIR FACT F-2026-004217 120.00 EUR", "RF18 5390 0754 7034 X"],
                          "lbl": ["REF 12345678", None]})
    tok = extract_tokens(frame, id_col="pid", text_cols=["rem", "lbl"])
    assert tok.columns == ["pid", "token", "key", "source_col", "kind"]
    assert tok.rows() == [
        ("p1", "F-2026", "F2026", "rem", "ref"),
        ("p1", "F-2026-004217", "F20264217", "rem", "ref"),
        ("p1", "F-2026-004217 120", "F20264217120", "rem", "ref"),
        ("p1", "F-2026-004217 120.00", "F202642171200", "rem", "ref"),
        ("p1", "REF 12345678", "REF12345678", "lbl", "ref"),
        ("p1", "12345678", "12345678", "lbl", "digits"),
        ("p2", "RF18539007547034", "RF18539007547034", "rem", "rf"),
        ("p2", "539007547034", "539007547034", "rem", "rf_payload"),
        # the printed RF also reads as letter-led references; they match nothing here
        ("p2", "RF18 5390", "RF185390", "rem", "ref"),
        ("p2", "RF18 5390 0754", "RF185390754", "rem", "ref"),
        ("p2", "RF18 5390 0754 7034", "RF1853907547034", "rem", "ref"),
    ]


def test_invalid_rf_is_not_an_rf_token() -> None:
    frame = pl.DataFrame({"pid": ["p1"], "rem": ["RF19539007547034"]})
    kinds = extract_tokens(frame, id_col="pid", text_cols=["rem"]).get_column("kind").to_list()
    assert "rf" not in kinds and "rf_payload" not in kinds


def test_exact_and_normalized() -> None:
    assert _match({"p1": "FACT F-2026-004217", "p2": "REGLEMENT f 2026 4217 merci"}) == [
        ("p1", "in_1", "exact", 1.0), ("p2", "in_1", "normalized", 0.97)]


def test_ocr_letter_in_number() -> None:
    # OCR-like letters are read as digits at extraction, so the reading equals the number
    assert _match({"p1": "F-2026-0O4217"}) == [("p1", "in_1", "exact", 1.0)]
    # and a letter splitting the last group no longer cuts the reference in two
    assert _match({"p1": "FACT F-2026-O04217 CMD PO-2026-257"}) == [
        ("p1", "in_1", "exact", 1.0)]


def test_rf_payload() -> None:
    assert _match({"p1": "RF18539007547034"}) == [("p1", "in_5", "rf_payload", 0.97)]


def test_digit_groups_do_not_pick_the_wrong_series() -> None:
    # AV-2026-004217 must not also match F-2026-004217 (same digits, other series).
    assert _match({"p1": "AVOIR AV 2026-004217"}) == [("p1", "in_2", "normalized", 0.97)]
    # A short digit group alone matches nothing (no 4217 -> F-2026-004217).
    assert _match({"p1": "FACTURE 4217 ET 004217"}) == []


def test_bare_digits_match_only_equal_digits() -> None:
    assert _match({"p1": "FACTURE 2026-004300"}) == [("p1", "in_3", "exact", 1.0)]
    # prefix dropped by the customer: digits equal two documents' digits -> both offered
    assert _match({"p1": "PAIEMENT 2026004217"}) == [
        ("p1", "in_1", "normalized", 0.97), ("p1", "in_2", "normalized", 0.97)]
    # no fuzzy on bare digit runs
    assert _match({"p1": "PAIEMENT 2026004218"}) == []


def test_typo_is_fuzzy_only_without_exact_hit() -> None:
    assert _match({"p1": "INV-2024-00123"}) == [("p1", "in_4", "fuzzy", 0.85)]
    assert _match({"p1": "INV-2024-00124"}) == [("p1", "in_4", "exact", 1.0)]
    assert _match({"p1": "INV-2024-00123"}, max_edits=0) == []


def test_truncated_reference() -> None:
    assert _match({"p1": "/REMI/CTR-2026-0001234567"}) == [("p1", "in_7", "truncated", 0.8)]


def test_ambiguous_token_is_dropped() -> None:
    docs = pl.DataFrame({"record_id": [f"d{i}" for i in range(5)],
                         "number": [f"F-2026-00421{i}" for i in range(5)]})
    frame = pl.DataFrame({"pid": ["p1"], "rem": ["F-2026-00421"]})
    tokens = extract_tokens(frame, id_col="pid", text_cols=["rem"])
    out = match_references(tokens, docs, id_col="pid")
    assert out.height == 0
    out = match_references(tokens, docs, id_col="pid", max_docs_per_token=5)
    assert out.get_column("ref_evidence").to_list() == ["fuzzy"] * 5


def test_same_id_column_name_and_determinism() -> None:
    frame = pl.DataFrame({"record_id": ["b2", "b1"],
                          "rem": ["F-2025-004217 / F-2026-004217", "F2026004217"]})
    tokens = extract_tokens(frame, id_col="record_id", text_cols=["rem"])
    first = match_references(tokens, DOCS, id_col="record_id")
    assert first.columns == ["record_id", "record_id_doc", "ref_evidence", "ref_score",
                             "ref_token"]
    assert first.select("record_id", "record_id_doc", "ref_evidence").rows() == [
        ("b1", "in_1", "normalized"), ("b2", "in_1", "exact"), ("b2", "in_6", "exact")]
    again = match_references(tokens.reverse(), DOCS.reverse(), id_col="record_id")
    assert again.equals(first)


def test_empty_inputs() -> None:
    frame = pl.DataFrame({"pid": ["p1"], "rem": [None]}, schema={"pid": pl.String,
                                                                   "rem": pl.String})
    tokens = extract_tokens(frame, id_col="pid", text_cols=["rem"])
    assert tokens.height == 0
    assert match_references(tokens, DOCS, id_col="pid").height == 0


def test_a_typo_in_a_prefix_is_one_edit_within_the_payers_documents() -> None:
    """Letters are never read as digits: `TVZL9ZUU` for `TV2L9ZUU` (and `OPTI5O59` for
    `OPTISO59`) is one edit away from the payer's own number, not two."""
    from reconkit.keys.references import match_references_in_blocks
    texts = pl.DataFrame({"record_id": ["p", "q"], "party_id": ["A", "B"],
                          "remittance": ["TVZL9ZUU-0030", "OPTI5O59-0019"]})
    docs = pl.DataFrame({"invoice_id": ["a30", "a33", "b19"], "party_id": ["A", "A", "B"],
                         "number": ["TV2L9ZUU-0030", "TV2L9ZUU-0033", "OPTISO59-0019"]})
    got = match_references_in_blocks(texts, docs, id_col="record_id", block_col="party_id",
                                     text_cols=["remittance"], doc_id_col="invoice_id",
                                     max_edits=1, min_len=6)
    assert sorted(got.rows()) == [("p", "a30", "fuzzy_block"), ("q", "b19", "fuzzy_block")]
