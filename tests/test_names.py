"""Name similarity scores and blocked candidate search: exact scores and candidate lists."""

from __future__ import annotations

import polars as pl
import pytest

from reconkit.keys.names import best_name_candidates, name_similarity


def test_name_similarity_exact_scores() -> None:
    left = pl.Series(["GLOBEX INDUSTRIES", "GLOBEX", "DUPOND ET FILS",
                      "GLOBEX INDUSTRIES FRANCE SERV", "ACME", None, "INDUSTRIES GLOBEX",
                      "XLOBEX INDUSTRIES"])
    right = pl.Series(["GLOBEX INDUSTRIES", "GLOBEX HOLDING", "DUPONT ET FILS",
                       "GLOBEX INDUSTRIES FRANCE SERVICES", "ZENITH", "ACME",
                       "GLOBEX INDUSTRIES", "GLOBEX INDUSTRIES"])
    out = name_similarity(left, right)
    assert out.dtype == pl.Float64
    assert out.to_list() == [1.0, 0.8, 0.9286, 0.95, 0.2, 0.0, 1.0, 0.9412]


def test_name_similarity_needs_aligned_series() -> None:
    with pytest.raises(ValueError, match="aligned"):
        name_similarity(pl.Series(["A"]), pl.Series(["A", "B"]))


def test_best_name_candidates_exact_fuzzy_and_limit() -> None:
    queries = pl.DataFrame({"pid": ["q1", "q2", "q3", "q4", "q5"],
                            "n": ["GLOBEX INDUSTRIES", "XLOBEX INDUSTRIES", "DUPOND ET FILS",
                                  "UNKNOWN CO", None]})
    refs = pl.DataFrame({"cid": ["c1", "c2", "c3", "c4"],
                         "n": ["GLOBEX INDUSTRIES", "GLOBEX INDUSTRIE", "DUPONT ET FILS",
                               "DUPONT ET FILLES"]})
    out = best_name_candidates(queries, refs, query_id="pid", query_name="n", ref_id="cid",
                               ref_name="n")
    assert out.columns == ["pid", "cid", "name_score"]
    # q1 exact (no fuzzy search); q2 found through the shared word INDUSTRIES although its
    # first letters differ; q3 two candidates, best first.
    assert out.rows() == [("q1", "c1", 1.0), ("q2", "c1", 0.9412), ("q3", "c3", 0.9286),
                          ("q3", "c4", 0.8667)]
    top1 = best_name_candidates(queries, refs, query_id="pid", query_name="n", ref_id="cid",
                                ref_name="n", limit=1, min_score=0.9)
    assert top1.rows() == [("q1", "c1", 1.0), ("q2", "c1", 0.9412), ("q3", "c3", 0.9286)]


def test_truncated_bank_name_and_same_id_column() -> None:
    queries = pl.DataFrame({"id": ["b1"], "n": ["GLOBEX INDUSTRIES FRANCE SERV"]})
    refs = pl.DataFrame({"id": ["p1", "p2"], "n": ["GLOBEX INDUSTRIES FRANCE SERVICES",
                                                   "GLOBEX INDUSTRIES"]})
    out = best_name_candidates(queries, refs, query_id="id", query_name="n", ref_id="id",
                               ref_name="n")
    # both are prefixes of the bank's cut name: the rule cannot tell them apart
    assert out.rows() == [("b1", "p1", 0.95), ("b1", "p2", 0.95)]
    assert out.columns == ["id", "id_ref", "name_score"]


def test_common_word_blocks_are_skipped() -> None:
    refs = pl.DataFrame({"cid": [f"c{i}" for i in range(4)],
                         "n": ["ALPHA FRANCE", "BRAVO FRANCE", "CHARLIE FRANCE", "DELTA FRANCE"]})
    queries = pl.DataFrame({"pid": ["q1"], "n": ["XRAVO FRANCE"]})
    def run(max_block_refs: int) -> list[tuple[object, ...]]:
        return best_name_candidates(queries, refs, query_id="pid", query_name="n",
                                    ref_id="cid", ref_name="n", min_score=0.8,
                                    max_block_refs=max_block_refs).rows()

    assert run(500) == [("q1", "c1", 0.9167)]
    assert run(3) == []  # FRANCE is on 4 names: too common to block on
