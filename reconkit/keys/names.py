"""Party name similarity and blocked best-candidate search (rapidfuzz).

Names are expected already normalised (`reconkit.keys.normalize.normalize_name`).
Aligned candidate pairs are scored with rapidfuzz's vectorised `cpdist` (millions of pairs
per second), over pairs that blocking keeps small.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

PREFIX_SCORE: Final = 0.95   # one name is a prefix of the other (bank truncation)
PREFIX_MIN_LEN: Final = 12   # ... and the shorter one has at least this many characters


def name_similarity(left: pl.Series, right: pl.Series) -> pl.Series:
    """Similarity (Float64, 0..1, 4 decimals) of aligned, already-normalised names.

    The best of rapidfuzz `ratio` (a typo in a first letter, which reorders sorted tokens),
    `token_sort_ratio` (word order does not matter) and the mean of `token_sort_ratio` and
    `token_set_ratio` (a name that is a word subset of the other, "GLOBEX" vs "GLOBEX
    HOLDING", gets credit, damped: 0.8 rather than token_set's 1.0). When one name is a prefix
    of the other and the shorter has >= 12 characters (bank fields cut at 35 characters),
    the score is at least 0.95. Equal names score 1.0; a null or empty side scores 0.0.
    """
    if left.len() != right.len():
        raise ValueError(f"name_similarity needs aligned series, got {left.len()} and "
                         f"{right.len()} names")
    a = left.cast(pl.String).fill_null("")
    b = right.cast(pl.String).fill_null("")
    if a.len() == 0:
        return pl.Series("name_score", [], dtype=pl.Float64)
    la, lb = a.to_list(), b.to_list()

    def pair(scorer: object) -> np.ndarray:
        return process.cpdist(la, lb, scorer=scorer, dtype=np.float64)  # type: ignore[arg-type]

    sort = pair(fuzz.token_sort_ratio)
    best = np.maximum.reduce([pair(fuzz.ratio), sort, (sort + pair(fuzz.token_set_ratio)) / 2])
    frame = pl.DataFrame({"a": a, "b": b, "s": best / 100.0})
    shorter = pl.min_horizontal(pl.col("a").str.len_chars(), pl.col("b").str.len_chars())
    prefix = (shorter >= PREFIX_MIN_LEN) & (pl.col("a").str.starts_with(pl.col("b"))
                                            | pl.col("b").str.starts_with(pl.col("a")))
    score = (pl.when((pl.col("a") == "") | (pl.col("b") == "")).then(0.0)
             .when(pl.col("a") == pl.col("b")).then(1.0)
             .when(prefix).then(pl.max_horizontal(pl.col("s"), pl.lit(PREFIX_SCORE)))
             .otherwise(pl.col("s")))
    return frame.select(score.round(4).alias("name_score")).to_series()


def _blocks(frame: pl.DataFrame, idx: str) -> pl.DataFrame:
    """Blocking keys of each name: `p:` + first 3 characters, `t:` + every word of >= 4."""
    prefix = frame.select(idx, (pl.lit("p:") + pl.col("__name").str.slice(0, 3))
                          .alias("__block"))
    words = frame.select(idx, pl.col("__name").str.split(" ").alias("__block")) \
        .explode("__block").filter(pl.col("__block").str.len_chars() >= 4) \
        .select(idx, (pl.lit("t:") + pl.col("__block")).alias("__block"))
    return pl.concat([prefix, words]).unique()


def best_name_candidates(
    queries: pl.DataFrame,
    reference: pl.DataFrame,
    *,
    query_id: str,
    query_name: str,
    ref_id: str,
    ref_name: str,
    min_score: float = 0.85,
    limit: int = 5,
    max_block_refs: int = 500,
    look_alikes: bool = False,
) -> pl.DataFrame:
    """Top `limit` reference names per query name, scoring at least `min_score`.

    Returns (`query_id`, `ref_id`, `name_score`) sorted by query id, score (desc), ref id;
    when both id columns have the same name, the reference one is named `<ref_id>_ref`.
    Names must already be normalised; null or empty names never match.
    1. Exact: a join on the name; these queries (score 1.0) are not searched further,
       unless `look_alikes` (then near-identical other names are returned too, so a caller
       can see that an exact name has a twin one letter away).
    2. Other queries are compared only with reference names sharing a block: the same first
       3 characters, or a shared word of >= 4 characters (so a typo in the first letters
       still finds the name). Blocks holding more than `max_block_refs` reference names
       (words such as "FRANCE", "SERVICES"; prefixes such as "GRO") are too common to block
       on and are skipped: the other blocks of the name still find it. Candidate pairs
       whose length ratio already caps token_sort below the bar (and that are no prefix
       pair) are dropped in polars; the rest are scored with `name_similarity`.
    """
    ref_out = f"{ref_id}_ref" if ref_id == query_id else ref_id
    schema = {query_id: queries.schema[query_id], ref_out: reference.schema[ref_id],
              "name_score": pl.Float64}
    usable = pl.col("__name").is_not_null() & (pl.col("__name").str.len_chars() > 0)
    q = queries.select(pl.col(query_id), pl.col(query_name).alias("__name")) \
        .with_row_index("__q").filter(usable)
    r = reference.select(pl.col(ref_id).alias(ref_out), pl.col(ref_name).alias("__name")) \
        .with_row_index("__r").filter(usable)

    exact = q.join(r, on="__name").select("__q", "__r", pl.lit(1.0).alias("name_score"))
    rest = q if look_alikes else q.join(exact.select("__q").unique(), on="__q", how="anti")
    r_blocks = _blocks(r, "__r")
    r_blocks = r_blocks.filter(pl.len().over("__block") <= max_block_refs)
    pairs = _blocks(rest, "__q").join(r_blocks, on="__block").select("__q", "__r").unique()
    pairs = pairs.join(rest.select("__q", pl.col("__name").alias("__a")), on="__q") \
        .join(r.select("__r", pl.col("__name").alias("__b")), on="__r")
    la, lb = pl.col("__a").str.len_chars(), pl.col("__b").str.len_chars()
    cap = 2 * pl.min_horizontal(la, lb) / (la + lb)
    is_prefix = (pl.min_horizontal(la, lb) >= PREFIX_MIN_LEN) & (
        pl.col("__a").str.starts_with(pl.col("__b")) | pl.col("__b").str.starts_with(pl.col("__a")))
    pairs = pairs.filter((cap >= 2 * min_score - 1) | is_prefix).sort("__q", "__r")
    fuzzy = pairs.with_columns(name_similarity(pairs.get_column("__a"), pairs.get_column("__b"))) \
        .filter(pl.col("name_score") >= min_score).select("__q", "__r", "name_score")
    fuzzy = fuzzy.join(exact.select("__q", "__r"), on=["__q", "__r"], how="anti")

    best = pl.concat([exact, fuzzy]).join(q.select("__q", query_id), on="__q") \
        .join(r.select("__r", ref_out), on="__r")
    best = best.sort(["__q", "name_score", ref_out], descending=[False, True, False])
    best = best.filter(pl.int_range(pl.len()).over("__q") < limit)
    best = best.sort([query_id, "name_score", ref_out], descending=[False, True, False])
    return best.select(list(schema)).cast(schema)  # type: ignore[arg-type]
