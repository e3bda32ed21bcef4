"""Read camt entries in batches at C speed: one XSLT call extracts the fields of many entries.

Walking each `Ntry` subtree from Python costs ~35 element proxies per entry; on a month of 50k
entries that walk, not the XML parser, was most of the load time. Here a compiled XSLT
(libxslt, push style: each element on a path `read_entry` reads is visited once) writes the
texts `read_entry` reads as one flat record per entry, and `_camt_vector.read_records` turns
the records of many entries into payment rows, issues and warnings with polars.

Exactness over cleverness: an entry whose shape a flat record cannot represent exactly (a
field given twice or holding elements, several transactions, a comment or processing
instruction in a field, an element of another namespace on a read path) is flagged, and read
by `read_entry` on the element itself, so the output is the same as reading every entry with
`read_entry` (tests/test_camt_batch.py compares both on every shape and on fuzzed files).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final
from xml.sax.saxutils import escape, quoteattr

import polars as pl
from lxml import etree

from reconkit.loaders._bank import raw_payments
from reconkit.loaders._camt_entry import Doc, Running, read_entry
from reconkit.loaders._camt_vector import NUMBER, ORDINAL, read_records

RS: Final = "\x1e"  # record and field separators: control characters, which XML 1.0
FS: Final = "\x1f"  # text cannot hold (the stylesheet makes them with EXSLT decode-uri)
COMPLEX: Final = "!"  # the field name written for anything a flat record cannot represent

# mode -> {child element: (field written for the child as a leaf, mode to read it as a parent)}
# Modes follow the paths `read_entry` reads: `Sts/Cd` is field sts_cd read in mode sts.
_TREE: Final[dict[str, dict[str, tuple[str | None, str | None]]]] = {
    "e": {"Sts": ("sts", "sts"), "Amt": ("amt", None), "CdtDbtInd": ("ind", None),
          "AcctSvcrRef": ("ref", None), "NtryRef": ("ntry_ref", None), "BookgDt": (None, "bd"),
          "ValDt": (None, "vd"), "RvslInd": ("rvsl", None), "AddtlNtryInf": ("info", None),
          "BkTxCd": (None, "bk"), "NtryDtls": (None, "nd")},
    "sts": {"Cd": ("sts_cd", None), "Prtry": ("sts_prtry", None)},
    "bd": {"Dt": ("bookg_dt", None), "DtTm": ("bookg_dttm", None)},
    "vd": {"Dt": ("val_dt", None), "DtTm": ("val_dttm", None)},
    "bk": {"Domn": (None, "bkd"), "Prtry": (None, "bkp")},
    "bkd": {"Cd": ("domn", None), "Fmly": (None, "bkf")},
    "bkf": {"Cd": ("fmly", None), "SubFmlyCd": ("sub", None)},
    "bkp": {"Cd": ("prtry", None)},
    "nd": {"TxDtls": ("tx", "tx")},
    "tx": {"Amt": ("t_amt", None), "AmtDtls": (None, "ad"), "RltdPties": (None, "rp"),
           "RmtInf": (None, "ri"), "Refs": (None, "refs"), "AddtlTxInf": ("addtl_tx", None),
           "RtrInf": (None, "rtr"), "BkTxCd": (None, "tbk"), "NtryDtls": (None, "nd")},
    "ad": {"TxAmt": (None, "ad2")}, "ad2": {"Amt": ("t_txamt", None)},
    "rp": {"Dbtr": (None, "dbtr"), "Cdtr": (None, "cdtr"), "DbtrAcct": (None, "da"),
           "CdtrAcct": (None, "ca")},
    "dbtr": {"Pty": (None, "dbtrp"), "Nm": ("dbtr_nm", None)},
    "dbtrp": {"Nm": ("dbtr_pty", None)},
    "cdtr": {"Pty": (None, "cdtrp"), "Nm": ("cdtr_nm", None)},
    "cdtrp": {"Nm": ("cdtr_pty", None)},
    "da": {"Id": (None, "da2")}, "da2": {"IBAN": ("dbtr_iban", None)},
    "ca": {"Id": (None, "ca2")}, "ca2": {"IBAN": ("cdtr_iban", None)},
    "ri": {"Ustrd": ("ustrd", None), "Strd": (None, "strd")},
    "strd": {"CdtrRefInf": (None, "cri"), "RfrdDocInf": (None, "rdi")},
    "cri": {"Ref": ("cdtr_ref", None)}, "rdi": {"Nb": ("doc_nb", None)},
    "refs": {"EndToEndId": ("e2e", None)},
    "rtr": {"Rsn": (None, "rsn"), "AddtlInf": ("rtr_info", None)},
    "rsn": {"Cd": ("rtr_cd", None), "Prtry": ("rtr_prtry", None)},
    "tbk": {"Domn": (None, "tbkd"), "Prtry": (None, "tbkp")},
    "tbkd": {"Cd": ("t_domn", None), "Fmly": (None, "tbkf")},
    "tbkf": {"Cd": ("t_fmly", None), "SubFmlyCd": ("t_sub", None)},
    "tbkp": {"Cd": ("t_prtry", None)},
}
# what lxml's len() counts: a field is read only from an element without such children
_LEAF: Final = "[not(*) and not(comment()) and not(processing-instruction())]"
_FLAG: Final = f"<xsl:text>{COMPLEX}</xsl:text><xsl:value-of select=\"concat($fs, $fs)\"/>"


def _literal(text: str) -> str:
    """`text` as an XPath 1.0 string literal."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


def _leaf(field: str, ccy: bool) -> str:
    """Write `field FS text FS` (and `field@Ccy FS currency FS` for an amount)."""
    out = f"<xsl:value-of select=\"concat('{field}', $fs, ., $fs)\"/>"
    if ccy:
        out += (f"<xsl:if test=\"@Ccy != ''\"><xsl:value-of select=\"concat('{field}@Ccy', "
                "$fs, @Ccy, $fs)\"/></xsl:if>")
    return out


def _templates(mode: str, pre: str, children: dict[str, tuple[str | None, str | None]],
               foreign: str) -> list[str]:
    """The templates of one mode: its children by name, and a catch-all for the others."""
    out = [f'<xsl:template match="*" mode="{mode}" priority="-1">'
           f'<xsl:if test="{foreign}">{_FLAG}</xsl:if></xsl:template>']

    def template(match: str, priority: int, body: str) -> None:
        out.append(f'<xsl:template match="{pre}{match}" mode="{mode}" priority="{priority}">'
                   f"{body}</xsl:template>")

    for name, (field, sub) in children.items():
        recurse = f'<xsl:apply-templates select="*" mode="{sub}"/>'
        if field == "tx":  # a transaction: counted by its field, read in its own mode
            template(name, 1, f"<xsl:value-of select=\"concat('tx', $fs, $fs)\"/>{recurse}")
        elif field:  # a leaf field, which may also be a parent (Sts)
            template(name + _LEAF, 2, _leaf(field, name == "Amt"))
            template(name, 1, recurse if sub else _FLAG)
        else:
            template(name, 1, recurse)
    return out


@lru_cache(maxsize=16)
def stylesheet(ns: str) -> etree.XSLT:
    """The extracting stylesheet for entries in namespace `ns` (compiled once per namespace).

    Push style: each element on a path `read_entry` reads is visited once and matched by name
    (a hash lookup in libxslt), several times cheaper than one XPath per field.
    """
    pre = "c:" if ns else ""
    foreign = escape(f"namespace-uri() != {_literal(ns)}", {'"': "&quot;"})
    out = [t for mode, kids in _TREE.items() for t in _templates(mode, pre, kids, foreign)]
    xmlns = f" xmlns:c={quoteattr(ns)}" if ns else ""
    text = (
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"'
        f' xmlns:str="http://exslt.org/strings"{xmlns}>'
        '<xsl:output method="text" encoding="UTF-8"/><xsl:param name="n"/>'
        "<xsl:variable name=\"rs\" select=\"str:decode-uri('%1E')\"/>"
        "<xsl:variable name=\"fs\" select=\"str:decode-uri('%1F')\"/>"
        f'<xsl:template match="/"><xsl:for-each select="*/{pre}Ntry[position() &lt;= $n]">'
        '<xsl:value-of select="$rs"/><xsl:apply-templates select="*" mode="e"/>'
        f"</xsl:for-each></xsl:template>{''.join(out)}</xsl:stylesheet>")
    return etree.XSLT(etree.XML(text.encode("utf-8")))


Record = dict[str, str]
_FIELDS: Final = sorted({f for kids in _TREE.values() for f, _ in kids.values() if f}
                        | {"amt@Ccy", "t_amt@Ccy", "t_txamt@Ccy"})
_FIELD_SET: Final = frozenset(_FIELDS)
_RECORD_SCHEMA: Final = {**{f: pl.String for f in _FIELDS}, ORDINAL: pl.Int64,
                         NUMBER: pl.Int64}


def records(parent: etree._Element, ns: str, n: int) -> list[Record | None]:
    """The fields of the first `n` entries (`Ntry` children) of `parent`; None: not flat."""
    try:
        text = str(stylesheet(ns)(parent, n=str(n)))
    except etree.XSLTError:  # never seen; the caller then reads each entry alone
        return []
    out: list[Record | None] = []
    for chunk in text.split(RS)[1:]:
        parts = chunk.split(FS)
        pairs = iter(parts)  # a field twice (two TxDtls, two Ustrd) is not flat
        rec = dict(zip(pairs, pairs, strict=False))
        flat = 2 * len(rec) + 1 == len(parts) and rec.keys() <= _FIELD_SET
        out.append(rec if flat else None)  # COMPLEX is not a field: flagged entries too
    return out


FAST = True  # False reads every entry with `read_entry` (the reference the tests compare to)
BATCH_SIZE = 2000  # entries per XSLT call (about 2 MB of tree)
SETTLE_SIZE = 4000  # simple entries read together by polars (~20 MB of records)


class Batch:
    """Entries of one statement read together, in document order.

    An entry joins the batch when it is a child of the statement (or notification) element.
    Queued entries are extracted (one XSLT call) when the queue is full and before any other
    entry or statement event; simple records then wait to be read together by polars, which
    happens before anything else is written to `doc` (a statement closes, an entry outside a
    statement, the end of the document), so rows, issues and warnings keep document order.
    Entries extracted are cleared and removed from the tree (all but the element iterparse
    just returned), which keeps memory flat on a statement of any size.
    """

    def __init__(self, doc: Doc, entry_tag: str, container_tag: str) -> None:
        self.doc = doc
        self.entry_tag = entry_tag
        self.container_tag = container_tag
        self.run: Running | None = None
        self.parent: etree._Element | None = None
        self.items: list[tuple[etree._Element, int]] = []
        self.leftover: etree._Element | None = None
        self.enabled: bool | None = None  # decided at the first entry
        self.simple: list[Record] = []  # extracted, waiting for `settle`
        self.warnings: list[tuple[int, str]] = []  # (ordinal, text) of entries read alone
        self.first_currency: list[tuple[int, str]] = []

    @property
    def idle(self) -> bool:
        """Nothing queued nor waiting: `doc` holds everything read so far."""
        return not self.items and not self.simple

    def add(self, el: etree._Element, ordinal: int) -> bool:
        """Queue an entry; False (after settling the queue) when it must be read on its own."""
        parent = el.getparent()
        if self.enabled is None:  # entities of a DTD would be invisible to the stylesheet
            self.enabled = FAST and not el.getroottree().docinfo.doctype
        if not self.enabled or parent is None or parent.tag != self.container_tag:
            self.flush(el, settle=True)
            return False
        if parent is not self.parent:
            self.flush(el)
            self.parent = parent
        self.items.append((el, ordinal))
        if len(self.items) >= BATCH_SIZE:
            self.flush(el, settle=len(self.simple) + BATCH_SIZE >= SETTLE_SIZE)
        return True

    def flush(self, current: etree._Element | None, *, settle: bool = False) -> None:
        """Extract the queued entries (and read them all if `settle`).

        `current` is the element iterparse just returned: it stays in the tree.
        """
        if self.leftover is not None and self.leftover is not current:
            if (up := self.leftover.getparent()) is not None:
                up.remove(self.leftover)
            self.leftover = None
        if self.items:
            items, self.items = self.items, []
            assert self.parent is not None
            recs: list[Record | None] = [None] * len(items)
            if self.parent.find(self.entry_tag) is items[0][0]:
                recs = records(self.parent, self.doc.ns, len(items))
            if len(recs) != len(items):  # not the expected entries: read each one alone
                recs = [None] * len(items)
            for (el, ordinal), rec in zip(items, recs, strict=True):
                self._extracted(el, ordinal, rec)
            for el, _ in items:
                el.clear(keep_tail=True)
                if el is current:
                    self.leftover = el
                elif (up := el.getparent()) is not None:
                    up.remove(el)
        if settle:
            self.settle()

    def _extracted(self, el: etree._Element, ordinal: int, rec: Record | None) -> None:
        """Keep a simple record for `settle`; read any other entry now, as `read_entry` does."""
        doc, run = self.doc, self.run
        assert run is not None
        if rec is not None:
            run.entries += 1
            rec[ORDINAL], rec[NUMBER] = ordinal, run.entries  # type: ignore[assignment]
            self.simple.append(rec)
            return
        before, n_warnings = run.currency, len(doc.warnings)
        read_entry(doc, run, el, ordinal)
        self.warnings += [(ordinal, w) for w in doc.warnings[n_warnings:]]
        del doc.warnings[n_warnings:]
        if before is None and run.currency is not None:  # the first currency is decided
            self.first_currency.append((ordinal, run.currency))  # in `settle`
            run.currency = None

    def settle(self) -> None:
        """Read the simple records together; merge them with the entries read alone."""
        doc, run = self.doc, self.run
        if run is None or not (self.simple or self.warnings or self.first_currency):
            return
        if self.simple:
            fast, outcome = read_records(doc, run, pl.DataFrame(self.simple,
                                                                 schema=_RECORD_SCHEMA))
            self.simple = []
            doc.issues += outcome.issues
            self.warnings += outcome.warnings
            if outcome.first_currency:
                self.first_currency.append(outcome.first_currency)
            doc.frames.append(pl.concat([raw_payments(doc.rows), fast]).sort(
                "source_row", maintain_order=True))
            doc.rows.clear()
        if self.first_currency and run.currency is None:
            run.currency = min(self.first_currency)[1]
        doc.warnings += [w for _, w in sorted(self.warnings, key=lambda ow: ow[0])]
        self.warnings, self.first_currency = [], []
