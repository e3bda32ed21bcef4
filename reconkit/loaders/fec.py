"""French FEC (Fichier des Écritures Comptables) reader: the customer-account ledger lines.

The whole file is checked line by line and entry by entry (every entry must balance), but only
the customer-account lines (411 by default) and their parties are emitted: they are what the
reconciliation compares with billing and bank. Parsing is vectorised polars over string
columns; see `docs/conventions.md` for ids, lineage and quarantine rules.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, Final

import polars as pl
from stdnum.fr import siren as stdnum_siren

from reconkit.errors import SourceFormatError
from reconkit.formats.fec import FEC_COLUMNS
from reconkit.loaders._text import TextLines, read_lines
from reconkit.loaders.base import Loaded, register_loader
from reconkit.money import (
    currency_exponent,
    format_cents,
    format_cents_expr,
    parse_amount_expr,
)
from reconkit.schemas import QUARANTINE_COLUMNS, conform, empty_quarantine

_KNOWN: Final = (*FEC_COLUMNS, "Montant", "Sens")
_MANDATORY: Final = ("JournalCode", "EcritureNum", "EcritureDate", "CompteNum")
_DATES: Final = ("EcritureDate", "PieceDate", "DateLet", "ValidDate")
_SEPARATORS: Final = {"\t": "tab", "|": "|", ";": ";", ",": ","}
_DATE_RE: Final = (r"^(\d{4}[-/.]?\d{2}[-/.]?\d{2}|\d{2}[-/.]?\d{2}[-/.]?\d{4})"
                   r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_FILE_NAME_RE: Final = re.compile(r"^(\d{9})FEC(\d{8})", re.IGNORECASE)
_ROW: Final = "(row)"


@register_loader("fec")
def load_fec(path: Path, *, customer_accounts: tuple[str, ...] = ("411",),
             currency: str = "EUR", encoding: str | None = None, **_: Any) -> Loaded:
    """Load a FEC file: customer-account lines as `ledger_lines`, their auxiliary accounts as
    `parties`; unreadable lines and every line of an unbalanced entry go to quarantine.

    Options: `encoding` forces the text encoding (detected otherwise).
    """
    path = Path(path)
    name = path.name
    try:
        text = read_lines(path, encoding)
    except (OSError, LookupError) as exc:
        raise SourceFormatError(f"cannot read the file as text ({exc})", source_file=name,
                                hint="export the FEC again as UTF-8 or ISO-8859-15") from exc
    lines = text.lines
    if lines.is_empty():
        raise SourceFormatError("the file is empty", source_file=name, row=1,
                                hint="export the FEC again: the first line lists the fields")
    header_line = lines[0].removeprefix("\ufeff")
    sep = _separator(header_line, name)
    columns, n_fields, trailing = _columns(header_line, sep, name)
    sens_mode = not {"Debit", "Credit"} <= columns.keys()
    raw = _split(text, header_line, sep, columns, n_fields, trailing=trailing,
                 quoted=bool(lines.str.contains('"', literal=True).any()))
    book_currency = currency.strip().upper()
    scale = currency_exponent(book_currency)
    df = _parse(raw, sens_mode, scale)

    problems = _line_problems(df, name, sep, n_fields, sens_mode)
    entries = _entry_problems(df, name, scale)
    quarantine = pl.concat([problems, entries], how="vertical").sort(
        "source_row", "column", maintain_order=True)
    bad = quarantine.select("source_row").unique()

    customer = _customer_lines(df, customer_accounts)
    # the entry's other accounts (706 revenue, 709 rebates, 512 bank...): what the line is for
    counter = _counter_accounts(df.filter(pl.col("__fields_ok")).join(
        customer.select("source_row"), on="source_row", how="anti"))
    customer = customer.join(counter, on=["JournalCode", "EcritureNum"], how="left",
                             maintain_order="left")
    ledger = _ledger_lines(customer.join(bad, on="source_row", how="anti"), name,
                           book_currency)
    # lines on other accounts (revenue, VAT, bank) are read and balance-checked, not loaded:
    # the load report counts them as skipped
    others = df.join(customer.select("source_row"), on="source_row", how="anti") \
        .join(bad, on="source_row", how="anti").height
    return Loaded(
        tables={"ledger_lines": ledger, "parties": _parties(ledger)},
        quarantine=quarantine.select(list(QUARANTINE_COLUMNS)),
        rows_read={name: raw.height},
        rows_skipped={name: others},
        warnings=tuple(_lettering_warnings(ledger, scale) + _siren_warnings(name)),
    )


def _counter_accounts(lines: pl.DataFrame) -> pl.DataFrame:
    """Per entry, its distinct accounts sorted and joined by spaces (`706000 445710`).

    A per-group list (unique, sort, join) costs 0.5 s on a 400k-line FEC: instead each
    account is a bit, an entry ORs its bits, and each distinct set of bits is spelled once.
    A ledger with more than 62 accounts on these lines (or none) takes the list path.
    """
    keys = ["JournalCode", "EcritureNum"]
    accounts = lines["CompteNum"].drop_nulls().unique().sort().to_list()
    if not accounts or len(accounts) > 62:
        return lines.group_by(keys).agg(
            pl.col("CompteNum").unique().sort().str.join(" ").alias("counter_accounts"))
    bits = {a: 1 << i for i, a in enumerate(accounts)}
    masks = lines.group_by(keys).agg(pl.col("CompteNum").replace_strict(
        bits, default=0, return_dtype=pl.Int64).bitwise_or().alias("__mask"))
    spelled = {m: " ".join(a for i, a in enumerate(accounts) if m >> i & 1)
               for m in masks["__mask"].unique().to_list()}
    return masks.select(*keys, pl.col("__mask").replace_strict(
        spelled, return_dtype=pl.String).alias("counter_accounts"))


def _separator(header_line: str, name: str) -> str:
    """The separator that splits the header most (FEC headers hold no other punctuation)."""
    counts = {s: header_line.count(s) for s in _SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    if counts[best] < 3:
        raise SourceFormatError(
            "the first line is not a FEC header (no tab, '|', ';' or ',' between field names)",
            source_file=name, row=1,
            hint="the first line must list the field names: JournalCode, JournalLib, ...")
    return best


def _columns(header_line: str, sep: str, name: str) -> tuple[dict[str, int], int, bool]:
    """(canonical FEC column name -> field position, number of fields, trailing separator).

    Names are matched case-insensitively; a trailing separator adds no field.
    """
    names = [n.strip().strip('"').strip() for n in header_line.split(sep)]
    trailing = len(names) > 1 and not names[-1]
    while names and not names[-1]:
        names.pop()
    lookup = {k.lower(): k for k in _KNOWN}
    positions: dict[str, int] = {}
    for i, n in enumerate(names):
        key = lookup.get(n.lower())
        if key and key not in positions:
            positions[key] = i
    missing = [c for c in _MANDATORY if c not in positions]
    if not ({"Debit", "Credit"} <= positions.keys() or {"Montant", "Sens"} <= positions.keys()):
        missing += [c for c in ("Debit", "Credit") if c not in positions]
    if missing:
        raise SourceFormatError(
            f"the header has no column {', '.join(missing)}", source_file=name, row=1,
            hint="a FEC header must name the 18 legal fields (JournalCode ... Idevise); "
                 "Debit and Credit may be replaced by Montant and Sens")
    return positions, len(names), trailing


def _split(text: TextLines, header_line: str, sep: str, columns: dict[str, int],
           n: int, *, trailing: bool, quoted: bool) -> pl.DataFrame:
    """One row per data line: source_row, the raw line, its field count and known fields.

    Blank lines and repeated header lines (a FEC split into parts) are not data lines. A line
    may end with one extra empty field when the file ends its lines with a separator (header
    ending with one, or most lines doing so): per line, it looks like a separator in a label.
    Without quotes, polars' CSV reader splits the fields (one row per line, like the lines).
    """
    field = _csv_fields(text, sep, n) if not quoted else None
    df = text.lines.slice(1).alias("__line").to_frame()
    if field is not None:  # fields from the CSV reader, count from the separators
        df = pl.concat([df, field.slice(1)], how="horizontal")
        n_fields = pl.col("__line").str.count_matches(sep, literal=True).cast(pl.Int64) + 1
        extra_empty = pl.col("__line").str.contains(re.escape(sep) + r"\s*$")
        get = [pl.col(f"__f{i}") for i in range(n)]
    else:
        parts = _fields(pl.col("__line"), sep, quoted)
        n_fields = parts.list.len().cast(pl.Int64)
        extra_empty = (parts.list.get(n, null_on_oob=True).str.strip_chars() == "") \
            .fill_null(False)
        get = [parts.list.get(i, null_on_oob=True) for i in range(n)]
    df = df.with_row_index("source_row", offset=2).with_columns(
        pl.col("source_row").cast(pl.Int64))
    df = df.filter((pl.col("__line").str.strip_chars() != "") & (pl.col("__line") != header_line))
    df = df.with_columns(n_fields.alias("__n_fields"), extra_empty.alias("__extra_empty"))
    one_more = (pl.col("__n_fields") == n + 1) & pl.col("__extra_empty")
    trailing = trailing or (df.select(one_more.mean()).item() or 0) > 0.5  # None: no lines
    fields_ok = (pl.col("__n_fields") == n) | (one_more & trailing)
    clean = [
        _clean(get[columns[c]], quoted).alias(c) if c in columns
        else pl.lit(None, pl.String).alias(c)
        for c in _KNOWN
    ]
    return df.select("source_row", "__line", "__n_fields", fields_ok.alias("__fields_ok"),
                     *clean)


def _csv_fields(text: TextLines, sep: str, n: int) -> pl.DataFrame | None:
    """The first `n` fields of every line (`__f0`...), or None when the reader's rows do not
    line up with the lines (then the lines are split one by one)."""
    try:
        cells = pl.read_csv(io.BytesIO(text.data), has_header=False, separator=sep,
                            quote_char=None, infer_schema=False, truncate_ragged_lines=True,
                            raise_if_empty=False)
    except pl.exceptions.PolarsError:
        return None
    if cells.height != text.lines.len() or cells.width < n:
        return None
    return cells.select(pl.col(c).alias(f"__f{i}") for i, c in enumerate(cells.columns[:n]))


def _fields(line: pl.Expr, sep: str, quoted: bool) -> pl.Expr:
    """Split a line into fields; with quotes, a quoted field may hold the separator."""
    if not quoted:
        return line.str.split(sep)
    s = re.escape(sep)
    field = f'{s}(?:"(?:[^"]|"")*"|[^{s}]*)'
    return (pl.lit(sep) + line).str.extract_all(field).list.eval(
        pl.element().str.strip_prefix(sep))


def _clean(field: pl.Expr, quoted: bool) -> pl.Expr:
    """Strip padding (and CSV quotes when the file has any); blank becomes null."""
    s = field.str.strip_chars()
    if quoted:
        unquoted = s.str.slice(1, s.str.len_chars() - 2).str.replace_all('""', '"', literal=True)
        s = pl.when(s.str.starts_with('"') & s.str.ends_with('"') & (s.str.len_chars() > 1)) \
            .then(unquoted.str.strip_chars()).otherwise(s)
    return s.replace("", None)  # not when/then: that would strip twice


def _parse(df: pl.DataFrame, sens_mode: bool, scale: int) -> pl.DataFrame:
    """Add parsed dates (`__d_<col>`) and debit/credit cents (null when unreadable)."""
    dates = [_parsed(df, c, _fast_date(pl.col(c)), _date(pl.col(c))).alias(f"__d_{c}")
             for c in _DATES]
    if not sens_mode:
        debit = pl.lit(_amount(df, "Debit", scale))
        credit = pl.lit(_amount(df, "Credit", scale))
        sens_ok = pl.lit(True)
    else:
        amount = pl.lit(_amount(df, "Montant", scale))
        sens = pl.col("Sens").str.to_uppercase()
        is_debit = sens.is_in(["D", "+1"])
        is_credit = sens.is_in(["C", "-1"])
        debit = pl.when(is_debit).then(amount).when(is_credit).then(0)
        credit = pl.when(is_credit).then(amount).when(is_debit).then(0)
        sens_ok = (is_debit | is_credit).fill_null(False)
    return df.with_columns(*dates, debit.alias("__debit"), credit.alias("__credit"),
                           sens_ok.alias("__sens_ok"))


def _parsed(df: pl.DataFrame, column: str, fast: pl.Expr, full: pl.Expr) -> pl.Series:
    """Parse with `fast` (the usual shape), and with `full` only the values it rejected.

    The lenient parsers cost a dozen regex passes: running them on the few odd values only
    keeps a 400k-line file within seconds.
    """
    out = df.select(fast).to_series()
    retry = out.is_null() & df[column].is_not_null()
    if retry.any():
        out = out.scatter(retry.arg_true(), df.filter(retry).select(full).to_series())
    return out


def _amount(df: pl.DataFrame, column: str, scale: int) -> pl.Series:
    """FEC amount (decimal comma or dot, sign left or right, zero-padded) to cents; blank = 0."""
    col = pl.col(column)
    dec = col.str.replace(",", ".", literal=True).cast(pl.Decimal(38, scale + 2), strict=False)
    fast = (dec * 10**scale).round(0, mode="half_away_from_zero").cast(pl.Int64, strict=False)
    cents = _parsed(df, column, fast, parse_amount_expr(col, decimal=",", scale=scale))
    return cents.set(df[column].is_null(), 0).alias(column)


def _fast_date(col: pl.Expr) -> pl.Expr:
    """Plain AAAAMMJJ, the legal form, of a year from 1900 to 2099.

    The year is checked on the text (its first 4 digits): checking it on the parsed date
    would parse every date twice (eager polars does not share the subexpression).
    """
    plain = col.str.contains(r"^\d{8}$") & col.str.slice(0, 4).is_between(
        pl.lit("1900"), pl.lit("2099"))
    return pl.when(plain).then(col.str.to_date("%Y%m%d", strict=False))


def _date(col: pl.Expr) -> pl.Expr:
    """AAAAMMJJ (also with / - . separators, JJMMAAAA, a time suffix) to a calendar date."""
    digits = col.str.extract(_DATE_RE, 1).str.replace_all(r"[-/.]", "")
    ymd = digits.str.to_date("%Y%m%d", strict=False)
    dmy = digits.str.to_date("%d%m%Y", strict=False)
    ymd = pl.when(ymd.dt.year().is_between(1900, 2099)).then(ymd)
    dmy = pl.when(dmy.dt.year().is_between(1900, 2099)).then(dmy)
    return pl.coalesce(ymd, dmy)


def _line_problems(df: pl.DataFrame, name: str, sep: str, n_fields: int,
                   sens_mode: bool) -> pl.DataFrame:
    """Quarantine rows for lines that cannot be parsed on their own."""
    ok = pl.col("__fields_ok")
    checks: list[tuple[pl.Expr, str, pl.Expr, pl.Expr]] = [(
        ~ok, _ROW, pl.col("__line"),
        pl.lit("wrong number of fields: ") + pl.col("__n_fields").cast(pl.String)
        + pl.lit(f" instead of {n_fields} (look for a '{_SEPARATORS[sep]}' inside a label)"),
    )]
    for c in _MANDATORY:
        checks.append((ok & pl.col(c).is_null(), c, pl.col(c), pl.lit("missing value")))
    for c in _DATES:
        checks.append((ok & pl.col(c).is_not_null() & pl.col(f"__d_{c}").is_null(), c,
                       pl.col(c), pl.lit("not a date (expected YYYYMMDD)")))
    if sens_mode:
        checks.append((ok & ~pl.col("__sens_ok"), "Sens", pl.col("Sens"),
                       pl.lit("not a debit/credit direction (expected D, C, +1 or -1)")))
        checks.append((ok & pl.col("__sens_ok") & pl.col("__debit").is_null()
                       & pl.col("__credit").is_null(), "Montant", pl.col("Montant"),
                       pl.lit("not an amount (expected e.g. 12000,00)")))
    else:
        for c, parsed in (("Debit", "__debit"), ("Credit", "__credit")):
            checks.append((ok & pl.col(parsed).is_null(), c, pl.col(c),
                           pl.lit("not an amount (expected e.g. 12000,00)")))
    return pl.concat([_quarantine(df.filter(mask), name, column, value, reason)
                      for mask, column, value, reason in checks], how="vertical")


def _entry_problems(df: pl.DataFrame, name: str, scale: int) -> pl.DataFrame:
    """Quarantine every line of an entry that does not balance or cannot be checked.

    Lines are grouped by (JournalCode, EcritureNum); lines whose fields could not be split
    are left out, so the entry they belong to shows up as unbalanced.
    """
    keyed = df.filter(pl.col("__fields_ok") & pl.col("JournalCode").is_not_null()
                      & pl.col("EcritureNum").is_not_null())
    amount_ok = pl.col("__debit").is_not_null() & pl.col("__credit").is_not_null()
    keys = ["JournalCode", "EcritureNum"]
    totals = keyed.group_by(keys).agg(
        pl.col("__debit").filter(amount_ok).sum().alias("__dsum"),
        pl.col("__credit").filter(amount_ok).sum().alias("__csum"),
        (~amount_ok).sum().alias("__unreadable"),
    ).filter((pl.col("__unreadable") > 0) | (pl.col("__dsum") != pl.col("__csum")))
    lines = keyed.join(totals, on=keys, how="inner").filter(
        (pl.col("__unreadable") == 0) | amount_ok)
    entry = pl.lit("entry ") + pl.col("EcritureNum")
    reason = pl.when(pl.col("__unreadable") > 0).then(
        entry + pl.lit(" cannot be checked for balance: another of its lines has an "
                       "unreadable amount")
    ).otherwise(
        entry + pl.lit(" is unbalanced: debit ")
        + format_cents_expr(pl.col("__dsum"), scale=scale)
        + pl.lit(", credit ") + format_cents_expr(pl.col("__csum"), scale=scale))
    return _quarantine(lines, name, "EcritureNum", pl.col("EcritureNum"), reason)


def _quarantine(rows: pl.DataFrame, name: str, column: str, value: pl.Expr,
                reason: pl.Expr) -> pl.DataFrame:
    if rows.height == 0:
        return empty_quarantine()
    return rows.select(
        pl.lit("erp").alias("system"), pl.lit(name).alias("source_file"), "source_row",
        pl.lit(column).alias("column"), value.cast(pl.String).alias("value"),
        reason.cast(pl.String).alias("reason"),
    )


def _customer_lines(df: pl.DataFrame, customer_accounts: tuple[str, ...]) -> pl.DataFrame:
    """Customer-account lines with their record id.

    `:<n>` numbering counts every well-formed customer line of the entry in file order, so an
    id does not change when another line of the entry is quarantined or fixed.
    """
    prefix = "^(" + "|".join(re.escape(a) for a in customer_accounts) + ")"
    lines = df.filter(pl.col("__fields_ok") & pl.col("CompteNum").str.contains(prefix)
                      & pl.col("JournalCode").is_not_null() & pl.col("EcritureNum").is_not_null())
    keys = ["JournalCode", "EcritureNum"]
    base = pl.col("JournalCode") + pl.lit(":") + pl.col("EcritureNum")
    nth = (pl.int_range(pl.len()).over(keys) + 1).cast(pl.String)
    record_id = pl.when(pl.len().over(keys) > 1).then(base + pl.lit(":") + nth).otherwise(base)
    return lines.with_columns(record_id.alias("record_id"))


def _ledger_lines(lines: pl.DataFrame, name: str, book_currency: str) -> pl.DataFrame:
    code = pl.col("EcritureLet")
    partial = (code.str.starts_with("*")
               | (code.str.contains("[a-z]") & ~code.str.contains("[A-Z]"))).fill_null(False)
    out = lines.select(
        pl.lit("erp").alias("system"), "record_id", pl.lit(name).alias("source_file"),
        "source_row",
        pl.col("JournalCode").alias("journal_code"),
        pl.col("EcritureNum").alias("entry_number"),
        pl.col("__d_EcritureDate").alias("entry_date"),
        pl.col("CompteNum").alias("account"),
        pl.col("CompAuxNum").alias("aux_account"),
        pl.col("CompAuxLib").alias("aux_name"),
        pl.col("PieceRef").alias("piece_ref"),
        pl.col("__d_PieceDate").alias("piece_date"),
        pl.col("EcritureLib").alias("label"),
        (pl.col("__debit") - pl.col("__credit")).alias("amount_cents"),
        pl.coalesce(pl.col("Idevise").str.to_uppercase(), pl.lit(book_currency))
        .alias("currency"),
        code.alias("lettering_code"),
        pl.col("__d_DateLet").alias("lettering_date"),
        partial.alias("lettering_partial"),
        pl.col("counter_accounts"),
    )
    return conform("ledger_lines", out)


def _parties(ledger: pl.DataFrame) -> pl.DataFrame:
    """One party per auxiliary account: its most frequent name (ties: the earliest seen).

    An account that never carries a name is named by its number, so it is not lost.
    """
    lines = ledger.filter(pl.col("aux_account").is_not_null())
    named = lines.filter(pl.col("aux_name").is_not_null()).group_by(
        "aux_account", "aux_name").agg(pl.len().alias("n"), pl.col("source_row").min())
    best = named.sort(["aux_account", "n", "source_row"], descending=[False, True, False]) \
        .unique(subset="aux_account", keep="first")
    first = lines.group_by("aux_account").agg(pl.col("source_row").min().alias("first_row"))
    parties = first.join(best, on="aux_account", how="left").select(
        pl.lit("erp").alias("system"),
        pl.col("aux_account").alias("record_id"),
        pl.lit(ledger["source_file"][0] if ledger.height else None, pl.String)
        .alias("source_file"),
        pl.coalesce("source_row", "first_row").alias("source_row"),
        pl.coalesce("aux_name", "aux_account").alias("name"),
        pl.col("first_row"),
    ).sort("first_row", "record_id").drop("first_row")
    return conform("parties", parties)


def _lettering_warnings(ledger: pl.DataFrame, scale: int) -> list[str]:
    """Full (upper-case) lettering groups must net to zero on their account."""
    keys = ["account", "aux_account", "lettering_code"]
    groups = ledger.filter(pl.col("lettering_code").is_not_null() & ~pl.col("lettering_partial")) \
        .group_by(keys).agg(pl.col("amount_cents").sum().alias("net"),
                            pl.col("source_row").sort().alias("rows"),
                            pl.col("source_file").first()) \
        .filter(pl.col("net") != 0).sort("rows")
    return [
        f"file {g['source_file']}: lettering {g['lettering_code']} on account "
        f"{g['account']}{'/' + g['aux_account'] if g['aux_account'] else ''} does not net to "
        f"zero ({format_cents(g['net'], scale=scale)} left, lines "
        f"{', '.join(str(r) for r in g['rows'])})"
        for g in groups.iter_rows(named=True)
    ]


def _siren_warnings(name: str) -> list[str]:
    m = _FILE_NAME_RE.match(name)
    if m and not stdnum_siren.is_valid(m.group(1)):
        return [(f"file {name}: the SIREN {m.group(1)} in the file name is not valid "
                 "(check digit fails): check the company's SIREN")]
    return []
