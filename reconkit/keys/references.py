"""Find document references (invoice, credit note, contract, PO numbers) in free text.

`extract_tokens` turns remittance texts, ledger labels etc. into candidate reference tokens;
`match_references` pairs those tokens with documents by equi-joins on comparison keys (see
`reconkit.keys.normalize.reference_key`), never by an all-pairs cross join: typos are
found with a symmetric-delete neighbourhood join, truncations with a prefix join.
"""

from __future__ import annotations

from typing import Final

import polars as pl
from rapidfuzz.distance import Levenshtein
from stdnum import iso11649

from reconkit.keys.citations import compact_key
from reconkit.keys.normalize import ocr_digits, reference_key
from reconkit.schemas import PolarsDataType

# Token kinds (column `kind` of `extract_tokens`).
REF: Final = "ref"                # letter-led reference such as F-2026-004217
RF: Final = "rf"                  # valid ISO 11649 creditor reference, compact
RF_PAYLOAD: Final = "rf_payload"  # the reference embedded in a valid RF (after RFcc)
DIGITS: Final = "digits"          # a bare run of digits (possibly -, /, _ separated)

# Evidence and its score, best first.
EVIDENCE_SCORES: Final[dict[str, float]] = {
    "exact": 1.0,        # token text equals the document number (case-insensitive)
    "normalized": 0.97,  # equal reference_key (digits-only token: equal key digits)
    "rf_payload": 0.97,  # payload of a checksum-valid RF reference equals the key
    "fuzzy": 0.85,       # keys within `max_edits` Levenshtein edits
    "truncated": 0.8,    # token key is a prefix of exactly one document key
}
_RANK: Final = {ev: i for i, ev in enumerate(EVIDENCE_SCORES)}

_SEP: Final = r"[-/_. ]"
_RF_COMPACT: Final = r"\bRF[0-9]{2}[A-Z0-9]{1,21}\b"
_RF_SPACED: Final = r"\bRF[0-9]{2}(?: [A-Z0-9]{1,4}){1,6}\b"
# A bare digit run: not glued to a letter, digit or joiner on its left (so the digits of
# `F-2026-004217` are not also a digits token); the left delimiter is stripped afterwards.
_DIGITS_RE: Final = r"(?:^|[^A-Z0-9\-/_.])[0-9]+(?:[-/_][0-9]+)*\b"


def default_ref_patterns(max_groups: int = 4) -> list[str]:
    """The letter-led reference regexes: one per number of digit groups (1..max_groups).

    A token is a letter-led alphanumeric word (the prefix, e.g. `F`, `INV`, `A1B2C3D4`),
    an optional joiner (`-`, `/`, `_`, `.`, space) and exactly k digit groups joined the same
    way (a digit group may hold an O, I or L between digits: an OCR slip that
    `reference_key` repairs). One regex per k yields every reading (`F-2026`, `F-2026-004217`,
    `F-2026-004217 120`), so a greedy join never swallows the amount that follows a
    reference: only readings whose key equals a document's key produce a match.
    """
    group = r"[0-9]+(?:[OIL][0-9]+)*"
    return [
        rf"\b[A-Z][A-Z0-9]*{_SEP}?{group}(?:{_SEP}{group}){{{k - 1}}}\b"
        for k in range(1, max_groups + 1)
    ]


def _token_schema(id_col: str, id_dtype: PolarsDataType) -> dict[str, PolarsDataType]:
    return {id_col: id_dtype, "token": pl.String, "key": pl.String, "source_col": pl.String,
            "kind": pl.String}


def extract_tokens(
    texts: pl.DataFrame,
    *,
    id_col: str,
    text_cols: list[str],
    patterns: list[str] | None = None,
    rf: bool = True,
    digit_runs: bool = True,
    min_digits: int = 4,
    min_run_digits: int = 5,
) -> pl.DataFrame:
    """Candidate reference tokens found in `text_cols`, one row per distinct (id, kind, token).

    Columns: `id_col`, `token` (as written, upper case), `key` (`reference_key(token)`),
    `source_col`, `kind` (`ref` | `rf` | `rf_payload` | `digits`).
    Families (matching is case-insensitive):
    - `ref`: `patterns` (default `default_ref_patterns()`), kept when the token has at least
      `min_digits` digits;
    - `rf` (when `rf`): ISO 11649 references, compact (`RF18539007547034`) or printed in groups
      of four; only checksum-valid ones are kept (longest valid reading), each also giving
      an `rf_payload` row (the part after `RFcc`);
    - `digits` (when `digit_runs`): bare digit runs of at least `min_run_digits` digits.
    Order: input row order, then `text_cols` order, then family, then position in the text.
    """
    id_dtype = texts.schema[id_col]
    ref_patterns = patterns if patterns is not None else default_ref_patterns()
    families: list[tuple[str, str]] = []
    if rf:
        families += [(RF, _RF_COMPACT), (RF, _RF_SPACED)]
    families += [(REF, p) for p in ref_patterns]
    if digit_runs:
        families.append((DIGITS, _DIGITS_RE))

    base = texts.select(pl.col(id_col), *[pl.col(c).cast(pl.String) for c in text_cols])
    base = base.with_row_index("__row")
    parts = []
    for col_i, col in enumerate(text_cols):
        upper = pl.col(col).str.to_uppercase()
        # OCR-like letters inside numbers (F-2026-O02805) would split a reference in two
        read = ocr_digits(upper)
        for fam_i, (kind, pattern) in enumerate(families):
            parts.append(base.select(
                "__row", id_col,
                pl.lit(col_i, pl.Int32).alias("__col"), pl.lit(fam_i, pl.Int32).alias("__fam"),
                pl.lit(col).alias("source_col"), pl.lit(kind).alias("kind"),
                (upper if kind == RF else read).str.extract_all(pattern).alias("token"),
            ).explode("token").filter(pl.col("token").is_not_null()))
    if not parts:
        return pl.DataFrame(schema=_token_schema(id_col, id_dtype))
    raw = pl.concat(parts).sort("__row", "__col", "__fam", maintain_order=True)

    n_digits = pl.col("token").str.count_matches(r"[0-9]")
    raw = raw.with_columns(
        pl.when(pl.col("kind") == DIGITS).then(pl.col("token").str.replace(r"^[^0-9]", ""))
        .otherwise(pl.col("token")).alias("token"))
    raw = raw.filter(
        ((pl.col("kind") == REF) & (n_digits >= min_digits))
        | ((pl.col("kind") == DIGITS) & (n_digits >= min_run_digits))
        | (pl.col("kind") == RF))
    raw = _validate_rf(raw)
    payload = raw.filter(pl.col("kind") == RF).with_columns(
        pl.col("token").str.slice(4), pl.lit(RF_PAYLOAD).alias("kind"))
    out = pl.concat([raw, payload]).sort("__row", "__col", "__fam", maintain_order=True)
    out = out.with_columns(reference_key(pl.col("token")).alias("key"))
    out = out.filter(pl.col("key").is_not_null())
    out = out.unique(subset=[id_col, "kind", "token"], keep="first", maintain_order=True)
    return out.select(list(_token_schema(id_col, id_dtype)))


def _valid_rf(candidate: str) -> str | None:
    """The longest checksum-valid RF reading of a candidate (groups cut at spaces)."""
    groups = candidate.split(" ")
    for n in range(len(groups), 0, -1):
        compact = "".join(groups[:n])
        if len(compact) >= 5 and iso11649.is_valid(compact):
            return compact
    return None


def _validate_rf(raw: pl.DataFrame) -> pl.DataFrame:
    """Replace RF candidates by their valid compact form; drop invalid ones."""
    cands = raw.filter(pl.col("kind") == RF).get_column("token").unique().to_list()
    mapping = {c: _valid_rf(c) for c in cands}
    checked = pl.col("token").replace_strict(
        list(mapping), list(mapping.values()), default=None, return_dtype=pl.String)
    return raw.with_columns(
        pl.when(pl.col("kind") == RF).then(checked).otherwise(pl.col("token")).alias("token")
    ).filter(pl.col("token").is_not_null())


def match_references(
    tokens: pl.DataFrame,
    documents: pl.DataFrame,
    *,
    id_col: str,
    doc_id_col: str = "record_id",
    doc_ref_col: str = "number",
    max_edits: int = 1,
    min_key_len: int = 6,
    min_truncated_len: int = 8,
    max_docs_per_token: int = 3,
) -> pl.DataFrame:
    """Candidate (text, document) pairs from reference tokens, with evidence and score.

    `tokens` is the output of `extract_tokens`; `documents` holds `doc_id_col` and
    `doc_ref_col` (the number as printed). Returns one row per (`id_col`, `doc_id_col`) with
    the best evidence: columns `id_col`, `doc_id_col`, `ref_evidence`, `ref_score`,
    `ref_token`, sorted by id, score (desc), document id. When `id_col == doc_id_col`
    (both `record_id`), the document id column is named `<doc_id_col>_doc`.
    Evidence (`EVIDENCE_SCORES`):
    - exact 1.0 / normalized 0.97: `ref`/`rf` tokens whose key equals the document key
      (exact when the texts are equal ignoring case); a `digits` token only matches documents
      whose key, letters removed, equals its key, and is ignored when a `ref`/`rf` token of
      the same text already matched a document with those digits (so `AV-2026-004217` does
      not also pick `F-2026-004217`);
    - rf_payload 0.97: the payload of a valid RF reference equals the document key;
    - fuzzy 0.85: a `ref` token without exact/normalized hit whose key (>= `min_key_len`
      chars) is within `max_edits` Levenshtein edits of a document key; candidates come from
      a join on deletion neighbourhoods (every key with up to `max_edits` characters
      deleted), verified with rapidfuzz;
    - truncated 0.8: a `ref` token without exact/normalized hit whose key (>=
      `min_truncated_len` chars) is a proper prefix of exactly one distinct document key.
    Digits tokens and RF payloads never match fuzzily. A token matching more than
    `max_docs_per_token` documents is dropped as ambiguous noise.
    """
    doc_out = f"{doc_id_col}_doc" if doc_id_col == id_col else doc_id_col
    out_schema = {id_col: tokens.schema[id_col], doc_out: documents.schema[doc_id_col],
                  "ref_evidence": pl.String, "ref_score": pl.Float64, "ref_token": pl.String}
    tok = tokens.select(id_col, "token", "key", "kind").with_row_index("__tok")
    docs = documents.select(
        pl.col(doc_id_col).alias("__doc"), reference_key(pl.col(doc_ref_col)).alias("__dkey"),
        pl.col(doc_ref_col).cast(pl.String).str.to_uppercase().str.strip_chars().alias("__dnum"),
    ).filter(pl.col("__dkey").is_not_null()).with_columns(
        pl.col("__dkey").str.replace_all("[A-Z]", "").alias("__ddig"))

    exactish = pl.when(pl.col("token") == pl.col("__dnum")).then(pl.lit("exact")) \
        .otherwise(pl.lit("normalized"))
    keyed = tok.filter(pl.col("kind") != DIGITS).join(
        docs, left_on="key", right_on="__dkey", how="inner"
    ).with_columns(pl.when(pl.col("kind") == RF_PAYLOAD).then(pl.lit("rf_payload"))
                   .otherwise(exactish).alias("ref_evidence"))
    explained = keyed.filter(pl.col("kind").is_in([REF, RF])).select(id_col, "__ddig").unique()
    digits = tok.filter(pl.col("kind") == DIGITS).join(
        docs.filter(pl.col("__ddig") != ""), left_on="key", right_on="__ddig", how="inner"
    ).rename({"key": "__ddig"}).join(explained, on=[id_col, "__ddig"], how="anti") \
        .with_columns(exactish.alias("ref_evidence"))
    cols = ["__tok", id_col, "__doc", "token", "ref_evidence"]
    hits = [keyed.select(cols), digits.select(cols)]

    open_refs = tok.filter(pl.col("kind") == REF).join(
        pl.concat([h.select("__tok") for h in hits]).unique(), on="__tok", how="anti")
    hits.append(_fuzzy_hits(open_refs, docs, max_edits, min_key_len, max_docs_per_token)
                .select(cols))
    hits.append(_truncated_hits(open_refs, docs, min_truncated_len).select(cols))

    allhits = pl.concat(hits).unique(subset=["__tok", "__doc", "ref_evidence"])
    allhits = allhits.filter(pl.col("__doc").n_unique().over("__tok") <= max_docs_per_token)
    best = allhits.with_columns(
        pl.col("ref_evidence").replace_strict(_RANK, return_dtype=pl.Int32).alias("__rank"),
    ).sort(id_col, "__doc", "__rank", "__tok").unique(
        subset=[id_col, "__doc"], keep="first", maintain_order=True)
    best = best.with_columns(
        pl.col("ref_evidence").replace_strict(EVIDENCE_SCORES, return_dtype=pl.Float64)
        .alias("ref_score"), pl.col("token").alias("ref_token"), pl.col("__doc").alias(doc_out))
    best = best.sort([id_col, "ref_score", doc_out], descending=[False, True, False])
    return best.select(list(out_schema)).cast(out_schema)  # type: ignore[arg-type]


_MAX_NEIGHBOURS: Final = 64  # candidate documents verified per key (a bound on work, not a score)
_POS_MIX: Final = 0x9E3779B97F4A7C15  # odd 64-bit constant: folds a position into a hash


def _deletions(keys: pl.DataFrame, col: str) -> pl.DataFrame:
    """Rows (col, `__h`, `__hp`): each key with one character deleted, as a 64-bit hash of
    the shortened key (`__h`) and the same hash folded with the deleted position (`__hp`)."""
    max_len = keys.select(pl.col(col).str.len_chars().max()).item() or 0
    key = pl.col(col)
    out = pl.concat([keys.filter(key.str.len_chars() > i).select(
        key, pl.lit(i, pl.UInt64).alias("__pos"),
        (key.str.slice(0, i) + key.str.slice(i + 1)).hash().alias("__h"))
        for i in range(max_len)])
    return out.select(col, "__h", (pl.col("__h") ^ (pl.col("__pos") * _POS_MIX)).alias("__hp"))


def _neighbours_1(tkeys: pl.DataFrame, dkeys: pl.DataFrame) -> pl.DataFrame:
    """(key, __dkey) pairs at Levenshtein distance exactly 1, by three equi-joins.

    Same length: both keys with the same position deleted agree (a substitution); a token
    key one longer: one of its deletions equals the document key; one shorter: one of the
    document key's deletions equals it. Joins run on 64-bit hashes; the caller verifies.
    """
    tdel, ddel = _deletions(tkeys, "key"), _deletions(dkeys, "__dkey")
    tfull = tkeys.select("key", pl.col("key").hash().alias("__h"))
    dfull = dkeys.select("__dkey", pl.col("__dkey").hash().alias("__h"))
    return pl.concat([
        tdel.join(ddel.select("__dkey", "__hp"), on="__hp").select("key", "__dkey"),
        tdel.join(dfull, on="__h").select("key", "__dkey"),
        tfull.join(ddel.select("__dkey", "__h"), on="__h").select("key", "__dkey"),
    ]).unique()


def _neighbours_n(tkeys: pl.DataFrame, dkeys: pl.DataFrame, max_edits: int) -> pl.DataFrame:
    """Candidate (key, __dkey) pairs within `max_edits`: join of deletion neighbourhoods
    (each key with 0..max_edits characters deleted); a superset the caller verifies."""

    def neighbourhood(keys: pl.DataFrame, col: str) -> pl.DataFrame:
        level = keys.select(pl.col(col), pl.col(col).alias("__var"))
        frames = [level]
        for _ in range(max_edits):
            max_len = level.select(pl.col("__var").str.len_chars().max()).item() or 0
            var = pl.col("__var")
            level = pl.concat([level.filter(var.str.len_chars() > i).select(
                pl.col(col), (var.str.slice(0, i) + var.str.slice(i + 1)).alias("__var"))
                for i in range(max_len)]).unique()
            frames.append(level)
        return pl.concat(frames).unique()

    return neighbourhood(tkeys, "key").join(neighbourhood(dkeys, "__dkey"), on="__var") \
        .select("key", "__dkey").unique().filter(pl.col("key") != pl.col("__dkey"))


def _fuzzy_hits(open_refs: pl.DataFrame, docs: pl.DataFrame, max_edits: int,
                min_key_len: int, max_docs: int) -> pl.DataFrame:
    long_enough = pl.col("key").str.len_chars() >= min_key_len
    tkeys = open_refs.filter(long_enough).select("key").unique()
    dkeys = docs.select(pl.col("__dkey").alias("key")).filter(long_enough).unique() \
        .rename({"key": "__dkey"})
    empty = open_refs.head(0).join(docs, left_on="key", right_on="__dkey") \
        .with_columns(pl.lit("fuzzy").alias("ref_evidence"))
    if max_edits < 1 or tkeys.height == 0 or dkeys.height == 0:
        return empty
    pairs = _neighbours_1(tkeys, dkeys) if max_edits == 1 \
        else _neighbours_n(tkeys, dkeys, max_edits)
    # Deletion neighbours are candidates only (a per-customer series shares most deletions
    # with its siblings): verify them, then a key within `max_edits` of more documents than a
    # token may match is ambiguous. A key with a flood of candidates is noise, not verified.
    pairs = pairs.filter(pl.len().over("key") <= _MAX_NEIGHBOURS).sort("key", "__dkey")
    ok = [Levenshtein.distance(a, b, score_cutoff=max_edits) <= max_edits
          for a, b in zip(pairs.get_column("key").to_list(),
                          pairs.get_column("__dkey").to_list(), strict=True)]
    pairs = pairs.filter(pl.Series(ok, dtype=pl.Boolean))
    pairs = pairs.filter(pl.len().over("key") <= max_docs)
    return open_refs.join(pairs, on="key").join(docs, on="__dkey") \
        .with_columns(pl.lit("fuzzy").alias("ref_evidence"))


def _truncated_hits(open_refs: pl.DataFrame, docs: pl.DataFrame,
                    min_len: int) -> pl.DataFrame:
    dkeys = docs.select("__dkey").unique()
    max_len = dkeys.select(pl.col("__dkey").str.len_chars().max()).item() or 0
    prefixes = [dkeys.filter(pl.col("__dkey").str.len_chars() > n).select(
        pl.col("__dkey").str.slice(0, n).alias("key"), "__dkey") for n in range(min_len, max_len)]
    if not prefixes:
        return open_refs.head(0).join(docs, left_on="key", right_on="__dkey") \
            .with_columns(pl.lit("truncated").alias("ref_evidence"))
    unique_prefix = pl.concat(prefixes).filter(pl.len().over("key") == 1)
    return open_refs.join(unique_prefix, on="key").join(docs, on="__dkey") \
        .with_columns(pl.lit("truncated").alias("ref_evidence"))


def match_references_in_blocks(
    texts: pl.DataFrame,
    documents: pl.DataFrame,
    *,
    id_col: str,
    block_col: str,
    text_cols: list[str],
    doc_id_col: str = "record_id",
    doc_ref_col: str = "number",
    max_edits: int = 1,
    min_len: int = 6,
) -> pl.DataFrame:
    """Typo-tolerant reference matching inside a block (e.g. the payer's own open invoices).

    Globally, a one-character typo in a dense numbering sits next to several real numbers and
    is rightly dropped as ambiguous; within one client's handful of open documents it is not.
    Words of the texts (whitespace-separated, >= `min_len` compact characters, >= 3 digits)
    are compared as written (case and separators aside, zeros kept; letters are never read
    as digits, so a typo in a prefix such as `TVZL9ZUU` for `TV2L9ZUU` is one edit) with
    every document of the same block; pairs within `max_edits` edits are returned as
    (id_col, doc_id_col, ref_evidence): "normalized" when equal, else "fuzzy_block".
    Cost is words x documents per block, never all pairs.
    """
    schema = {id_col: pl.String, doc_id_col: pl.String, "ref_evidence": pl.String}
    if texts.height == 0 or documents.height == 0:
        return pl.DataFrame(schema=schema)
    words = texts.select(
        id_col, block_col,
        pl.concat_str([pl.col(c).fill_null("") for c in text_cols], separator=" ")
        .str.split(" ").alias("word"),
    ).explode("word").with_columns(compact_key(pl.col("word")).alias("w")).filter(
        (pl.col("w").str.len_chars() >= min_len)
        & (pl.col("w").str.count_matches(r"[0-9]") >= 3)).select(id_col, block_col, "w").unique()
    docs = documents.select(pl.col(doc_id_col).alias("__doc"), block_col,
                            compact_key(pl.col(doc_ref_col)).alias("d")).drop_nulls()
    pairs = words.join(docs, on=block_col).filter(
        (pl.col("w").str.len_chars() - pl.col("d").str.len_chars()).abs() <= max_edits)
    if pairs.height == 0:
        return pl.DataFrame(schema=schema)
    dist = [Levenshtein.distance(a, b, score_cutoff=max_edits + 1)
            for a, b in zip(pairs["w"].to_list(), pairs["d"].to_list(), strict=True)]
    hits = pairs.with_columns(pl.Series("dist", dist, dtype=pl.Int64)).filter(
        pl.col("dist") <= max_edits)
    # equal once OCR-like letters are read as digits: a normalised reading, not a typo
    return hits.select(
        pl.col(id_col), pl.col("__doc").alias(doc_id_col),
        pl.when(pl.col("dist") == 0).then(pl.lit("normalized")).otherwise(pl.lit("fuzzy_block"))
        .alias("ref_evidence"),
    ).unique().sort(id_col, doc_id_col).cast(schema)  # type: ignore[arg-type]
