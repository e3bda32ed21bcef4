"""Which known document numbers a free text cites, read from the documents' side.

Pattern-led extraction guesses what a reference looks like; real numbering does not oblige
(Stripe's per-customer `0759376C-0001`, a prefix that starts with a digit or holds I, L, O).
Here the text is cut into its alphanumeric runs (`/INV/ABC12 - 0010` -> INV, ABC12, 0010) and
every window of 1..`max_window` consecutive runs is keyed two ways, as is every document
number, then joined:
- `ckey`: the characters, separators dropped (a dash dropped or spaced reads the same);
- `zkey`: leading zeros of every digit group dropped first (`ABC12-10` = `ABC12-0010`).
No letter is ever turned into a digit: a prefix is read as written. When one text window
cites a document and a longer overlapping window cites another (`ABC12-0010` inside
`ABC12-0010-CN-01`), only the longer reading stands.

`sequence_citations` reads the sequence alone (`INV 0042`, `facture 42`) after a code word;
the caller resolves it within the payer's own documents only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl
from stdnum import iso11649

from reconkit.schemas import PolarsDataType

_RUN: Final = r"[A-Z0-9]+"
_ZEROS: Final = r"(^|[^0-9])0+([0-9])"


def compact_key(expr: pl.Expr) -> pl.Expr:
    """Upper case, every character but A-Z and 0-9 dropped: `abc12 - 0010` -> `ABC120010`."""
    return expr.cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")


def zero_key(expr: pl.Expr) -> pl.Expr:
    """`compact_key` after dropping the leading zeros of every digit group, a group being
    delimited by any non-digit as written: `ABC12-0010` and `abc12-10` -> `ABC1210`."""
    s = expr.cast(pl.String).str.to_uppercase().str.replace_all(_ZEROS, "${1}${2}")
    return s.str.replace_all(r"[^A-Z0-9]", "")


def text_windows(texts: pl.DataFrame, *, id_col: str, text_cols: list[str],
                 max_window: int) -> pl.DataFrame:
    """Windows of consecutive alphanumeric runs holding at least one digit.

    Columns: `id_col`, `source_col`, `start`, `width`, `window` (runs joined by `-`), `ckey`,
    `zkey`. Runs never cross from one text column to another.
    """
    parts = []
    for col in text_cols:
        runs = texts.select(
            pl.col(id_col), pl.lit(col).alias("source_col"),
            pl.col(col).cast(pl.String).str.to_uppercase().str.extract_all(_RUN).alias("run"),
        ).with_row_index("__text").explode("run").drop_nulls("run").with_columns(
            pl.int_range(pl.len()).over("__text").alias("start"))
        # the k-th next run, when it belongs to the same text (a plain shift: no window
        # function per text)
        same_text = [pl.col("__text").shift(-k) == pl.col("__text") for k in range(max_window)]
        for width in range(1, max_window + 1):
            window = pl.concat_str([pl.when(same_text[k]).then(pl.col("run").shift(-k))
                                    for k in range(width)], separator="-")
            parts.append(runs.select(id_col, "source_col", "start",
                                     pl.lit(width, pl.Int32).alias("width"),
                                     window.alias("window")))
    schema: dict[str, PolarsDataType] = {
        id_col: texts.schema[id_col], "source_col": pl.String, "start": pl.Int64,
        "width": pl.Int32, "window": pl.String}
    if not parts:
        return pl.DataFrame(schema={**schema, "rf": pl.Boolean, "ckey": pl.String,
                                    "zkey": pl.String})
    out = pl.concat([p.cast(schema) for p in parts])  # type: ignore[arg-type]
    out = out.filter(pl.col("window").is_not_null() & pl.col("window").str.contains("[0-9]"))
    out = pl.concat([out.with_columns(pl.lit(False).alias("rf")), _rf_payloads(out)])
    return out.with_columns(compact_key(pl.col("window")).alias("ckey"),
                            zero_key(pl.col("window")).alias("zkey"))


# letters a scan or a retyping puts for digits, only ever read in a number's final sequence
_OCR_DIGITS: Final = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5",
                      "G": "6", "B": "8"}
_OCR_GROUP: Final = "[0-9" + "".join(_OCR_DIGITS) + "]+"


def _ocr_sequence_hits(windows: pl.DataFrame, docs: pl.DataFrame,
                       min_key_len: int) -> pl.DataFrame:
    """Readings whose final run, a sequence with OCR-like letters (`-002B`, `-0O14`, `-000S`),
    spells a document number once those letters are read as the digits they stand for; the
    prefix is never touched (its letters are letters). Citation `ocr`."""
    last = pl.col("window").str.extract(r"-([^-]+)$", 1)
    cand = windows.filter((pl.col("width") >= 2) & ~pl.col("rf")
                          & last.str.contains(f"^{_OCR_GROUP}$")
                          & last.str.contains("[0-9]") & last.str.contains("[A-Z]"))
    if cand.height == 0:
        return windows.head(0).with_columns(pl.lit(None, pl.String).alias("__doc"),
                                            pl.lit(None, pl.Boolean).alias("__lettered"),
                                            pl.lit("ocr").alias("citation"))
    fixed = last.str.replace_many(list(_OCR_DIGITS), list(_OCR_DIGITS.values()))
    head = pl.col("window").str.extract(r"^(.*)-[^-]+$", 1)
    read = cand.with_columns(zero_key(pl.concat_str([head, fixed], separator="-"))
                             .alias("__okey"))
    targets = docs.filter(pl.col("zkey").str.len_chars() >= min_key_len)
    return read.join(targets.select("__doc", pl.col("zkey").alias("__okey"), "__lettered"),
                     on="__okey").drop("__okey").with_columns(pl.lit("ocr").alias("citation"))


def _rf_payloads(windows: pl.DataFrame) -> pl.DataFrame:
    """The reference inside each checksum-valid ISO 11649 creditor reference (`RF39` +
    `3FRN61440022`), as an extra window flagged `rf`."""
    rf = windows.filter((pl.col("width") == 1)
                        & pl.col("window").str.contains(r"^RF[0-9]{2}[A-Z0-9]{1,21}$"))
    valid = {w: iso11649.is_valid(w) for w in rf["window"].unique().to_list()}
    rf = rf.filter(pl.col("window").replace_strict(valid, default=False,
                                                   return_dtype=pl.Boolean))
    return rf.with_columns(pl.col("window").str.slice(4), pl.lit(True).alias("rf"))


def cite_documents(windows: pl.DataFrame, documents: pl.DataFrame, *, id_col: str,
                   doc_id_col: str, number_col: str, min_key_len: int) -> pl.DataFrame:
    """(id_col, doc_id_col, citation, cited): documents whose number a text window spells.

    `citation` is `exact` (same characters, separators aside), `normalized` (equal once
    leading zeros are dropped), `ocr` (the final sequence written with OCR-like letters,
    `-002B` for `-0028`) or `rf_payload` (inside a valid RF creditor reference); keys
    shorter than `min_key_len` characters never cite (a bare `102` is an amount as often as a
    number), and a number without letters is only read written in one piece. The longest
    overlapping reading wins.
    """
    doc_out = f"{doc_id_col}_doc" if doc_id_col == id_col else doc_id_col
    schema: dict[str, PolarsDataType] = {
        id_col: windows.schema[id_col], doc_out: documents.schema[doc_id_col],
        "citation": pl.String, "cited": pl.String}
    docs = documents.select(pl.col(doc_id_col).alias("__doc"),
                            compact_key(pl.col(number_col)).alias("ckey"),
                            zero_key(pl.col(number_col)).alias("zkey")).drop_nulls()
    docs = docs.with_columns(pl.col("ckey").str.contains("[A-Z]").alias("__lettered"))
    if windows.height == 0 or docs.height == 0:
        return pl.DataFrame(schema=schema)
    long = pl.col("ckey").str.len_chars() >= min_key_len
    exact = windows.filter(long).join(docs.filter(long).select("__doc", "ckey", "__lettered"),
                                      on="ckey").with_columns(pl.lit("exact").alias("citation"))
    zlong = pl.col("zkey").str.len_chars() >= min_key_len
    norm = windows.filter(zlong).join(docs.filter(zlong).select("__doc", "zkey", "__lettered"),
                                      on="zkey").with_columns(
        pl.lit("normalized").alias("citation"))
    ocr = _ocr_sequence_hits(windows, docs, min_key_len)
    # a number without letters (a contract number) is only read written in one piece: digits
    # assembled from several runs are dates and amounts as often as numbers
    hits = pl.concat([exact, norm.select(exact.columns), ocr.select(exact.columns)]).filter(
        pl.col("__lettered") | (pl.col("width") == 1)).with_columns(
        (pl.col("start") + pl.col("width")).alias("end"),
        pl.when(pl.col("rf")).then(pl.lit("rf_payload")).otherwise(pl.col("citation"))
        .alias("citation"))
    # a reading strictly inside a longer reading of the same text that cites something else
    spans = hits.select(id_col, "source_col", pl.col("start").alias("s2"),
                        pl.col("end").alias("e2"), pl.col("__doc").alias("d2")).unique()
    shadowed = hits.join(spans, on=[id_col, "source_col"]).filter(
        (pl.col("s2") <= pl.col("start")) & (pl.col("e2") >= pl.col("end"))
        & ((pl.col("e2") - pl.col("s2")) > (pl.col("end") - pl.col("start")))
        & (pl.col("d2") != pl.col("__doc"))).select(id_col, "source_col", "start", "end",
                                                    "__doc").unique()
    hits = hits.join(shadowed, on=[id_col, "source_col", "start", "end", "__doc"], how="anti")
    best = hits.with_columns((pl.col("citation") != "exact").cast(pl.Int8).alias("__r")) \
        .sort(id_col, "__doc", "__r", "source_col", "start") \
        .unique(subset=[id_col, "__doc"], keep="first", maintain_order=True)
    return best.select(pl.col(id_col), pl.col("__doc").alias(doc_out), "citation",
                       pl.col("window").alias("cited")).sort(id_col, doc_out) \
        .cast(schema)  # type: ignore[arg-type]


def sequence_citations(windows: pl.DataFrame, *, id_col: str,
                       code_words: Sequence[str]) -> pl.DataFrame:
    """(id_col, seq): a number written alone after a code word (`INV 0042`, `FACTURE N 42`,
    `/INV/42`, `CONTRAT 00000417`), leading zeros dropped."""
    words = "|".join(sorted({w.upper() for w in code_words}, key=len, reverse=True))
    pattern = rf"^(?:{words})-(?:(?:N|NO|NUM|NR)-)?0*([0-9]+)$"
    pairs = windows.filter(pl.col("width") <= 3).with_columns(
        pl.col("window").str.extract(pattern, 1).alias("seq")).drop_nulls("seq")
    return pairs.select(id_col, "seq").unique().sort(id_col, "seq")


def document_sequence(number: pl.Expr) -> pl.Expr:
    """The last digit group of a document number, leading zeros dropped
    (`0759376C-0042` -> `42`); null when the number has no digit."""
    return number.cast(pl.String).str.extract(r"([0-9]+)[^0-9]*$", 1) \
        .str.replace(r"^0+([0-9])", "${1}")


def period_citations(texts: pl.DataFrame, *, id_col: str, text_cols: Sequence[str],
                     month_names: dict[str, int]) -> pl.DataFrame:
    """(id_col, period): a month written by its name with its year (`ABONNEMENT SEPTEMBRE
    2026`, `ECHEANCE SEPT 2026`), as the first day of that month. Names are matched as whole
    words, case and accents aside (`month_names`: upper-case name -> month number)."""
    schema: dict[str, PolarsDataType] = {id_col: texts.schema[id_col], "period": pl.Date}
    if texts.height == 0 or not month_names:
        return pl.DataFrame(schema=schema)
    names = "|".join(sorted(month_names, key=len, reverse=True))
    pattern = rf"(?:^|[^A-Z])({names})\.?\s+(20[0-9]{{2}})(?:[^0-9]|$)"
    parts = [texts.select(pl.col(id_col), pl.col(c).cast(pl.String).str.to_uppercase()
                          .str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
                          .str.extract_groups(pattern).alias("__m")) for c in text_cols]
    found = pl.concat(parts).unnest("__m").drop_nulls("1")
    return found.select(
        id_col, pl.date(pl.col("2").cast(pl.Int32),
                        pl.col("1").replace_strict(month_names, return_dtype=pl.Int8), 1)
        .alias("period")).unique().sort(id_col, "period")
