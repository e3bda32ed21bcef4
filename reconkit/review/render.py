"""What the review screen says, in a finance analyst's words.

Amounts are written `12,000.00 EUR` (thousands separated by commas, a point before the
cents, the currency after) everywhere; dates `1 Oct 2026`; records by their invoice number or
payer name, clients by name. Evidence is rendered as sentences, never JSON or cents. Internal
ids (matches, exceptions, Stripe ids) only appear in the details fold.
"""

from __future__ import annotations

import html
import json
from datetime import date
from typing import Any, Final

MARKS: Final = {"confirm": "✓", "reject": "✗", "write_off": "✓", "reassign": "↪",
                "defer": "⏸", "note": "✎", None: "•"}
SYSTEMS: Final = {"bank": "bank statement", "billing": "billing tool", "erp": "ERP ledger",
                  "crm": "CRM", "psp": "payment provider"}


def format_money(cents: int) -> str:
    """`12,000.00`: thousands separated by commas, a point before the cents."""
    sign = "-" if cents < 0 else ""
    units, minor = divmod(abs(int(cents)), 100)
    return f"{sign}{units:,}.{minor:02d}"


def money(cents: int | None, currency: str | None = None) -> str:
    """`12,000.00 EUR` (empty for a missing amount)."""
    if cents is None:
        return ""
    return f"{format_money(cents)} {currency}" if currency else format_money(cents)


def day(d: date | str | None) -> str:
    """`1 Oct 2026`."""
    if d is None:
        return ""
    if isinstance(d, str):
        try:
            d = date.fromisoformat(d[:10])
        except ValueError:
            return str(d)
    return f"{d.day} {d.strftime('%b %Y')}"


def client_name(party_names: str | None) -> str:
    """The client's leading name (billing first) of a queue row's `party_names`."""
    if not party_names:
        return "client not identified"
    return party_names.split(" | ")[0].split(": ", 1)[-1]


def row_label(row: dict[str, Any]) -> str:
    """One queue line: mark, amount, what, which record, which client, when."""
    when = day(row.get("record_date"))
    return (f"{MARKS.get(row.get('decision'), '•')} "
            f"{money(row['amount_cents'], row['currency']):>18} · {row['title']} · "
            f"{row['label'] or 'record without a name'} · {client_name(row['party_names'])}"
            + (f" · {when}" if when else ""))


_EVIDENCE: Final[dict[str, str]] = {
    "invoice_numbers": "the payment cites {v}",
    "invoice_number": "it refers to invoice {v}",
    "number": "the ERP line carries the number {v}",
    "ref_evidence": "the reference matched {v}",
    "party_evidence": "the payer was recognised by its {v}",
    "payer_evidence": "the payer was recognised by its {v}",
    "party_score": "payer likeness {v:.0%}",
    "ref_score": "reference likeness {v:.0%}",
    "same_party": "both documents belong to the same client",
    "linked_by": "the records are linked by {v}",
    "combinations_found": "{v} combinations of open invoices add up to the amount",
    "open_items_searched": "{v} open items of the client were tried",
    "same_amount_documents": "{v} documents of the client have this amount",
    "commitment_ref": "CRM contract {v}",
    "discount_bp": "agreed discount {pct}",
    "lettering_code": "lettering code {v}",
    "lettering_date": "lettered on {day}",
    "partial": "partial lettering",
    "by_reference": "found by its reference",
    "ledger_id": "ERP entry {v}",
    "already_paid_by": "the invoice was already paid by another payment",
}
_AMOUNTS: Final[dict[str, str]] = {
    "open_cents": "still open before this payment", "payment_cents": "payment",
    "invoice_cents": "invoice", "ledger_cents": "booked in the ERP",
    "billed_cents": "billed", "committed_cents": "committed in the CRM",
    "net_cents": "net balance", "write_off_cents": "difference to write off",
}


def evidence_sentences(evidence: dict[str, Any], currency: str | None = None) -> list[str]:
    """Evidence of a candidate match as short sentences (amounts formatted, booleans read)."""
    out: list[str] = []
    amounts = [f"{label} {money(int(evidence[k]), currency)}" for k, label in _AMOUNTS.items()
               if isinstance(evidence.get(k), int) and not isinstance(evidence.get(k), bool)]
    if amounts:
        out.append("Amounts: " + ", ".join(amounts) + ".")
    for k, v in sorted(evidence.items()):
        if k in _AMOUNTS or v is None or v is False:
            continue
        template = _EVIDENCE.get(k)
        if template is None:
            out.append(f"{k.replace('_', ' ').capitalize()}: {v}.")
            continue
        try:
            text = template.format(v=v, day=day(str(v)),
                                   pct=f"{int(v) / 100:g} %" if isinstance(v, int) else v)
        except (ValueError, TypeError):
            text = template.format(v=v, day=v, pct=v)
        out.append(text[0].upper() + text[1:] + ".")
    return out


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def record_sentence(record: dict[str, Any]) -> str:
    """The record an exception is about, in one sentence."""
    table = record.get("table")
    cur = record.get("currency")
    if table == "payments":
        ref = record.get("remittance") or record.get("structured_ref")
        payer = record.get("payer_name") or "an unnamed payer"
        return (f"Bank payment of {money(record['amount_cents'], cur)} received on "
                f"{day(record.get('booking_date'))} from {payer}"
                + (f", reference “{ref}”" if ref else ", no reference") + ".")
    if table == "invoices":
        kind = "Credit note" if record.get("doc_type") == "credit_note" else "Invoice"
        to = record.get("party_name") or "a client"
        return (f"{kind} {record.get('number')} of {money(record['amount_cents'], cur)} "
                f"issued on {day(record.get('issue_date'))} to {to}"
                + (f", due {day(record.get('due_date'))}" if record.get("due_date") else "")
                + ".")
    if table == "ledger_lines":
        return (f"ERP line {record.get('piece_ref') or record.get('label') or ''} of "
                f"{money(record['amount_cents'], cur)} booked on "
                f"{day(record.get('entry_date'))} on account {record.get('account')} "
                f"{record.get('aux_account') or ''}".rstrip() + ".")
    if table == "commitments":
        return (f"CRM {record.get('kind') or 'commitment'} "
                f"{record.get('contract_number') or record.get('name') or ''} of "
                f"{money(record.get('amount_cents'), cur)}"
                + (f", from {day(record.get('start_date'))}" if record.get("start_date")
                   else "") + ".")
    if table == "parties":
        return f"Client record “{record.get('name')}” in the {SYSTEMS.get(record['system'])}."
    return "The record is not in the loaded sources."


def invoice_state(inv: dict[str, Any]) -> str:
    """What is still due on an invoice, as reconkit sees it, without contradicting the
    billing tool silently."""
    amount, open_ = inv.get("amount_cents") or 0, inv.get("open_cents")
    cur = inv.get("currency")
    if open_ is None:
        state = "not settled here"
    elif open_ == 0:
        state = "settled"
    elif open_ == amount:
        state = f"open, {money(open_, cur)} due"
    else:
        state = f"partly settled, {money(open_, cur)} still due"
    said = (inv.get("status") or "").lower()
    if said == "paid" and open_:
        state += " (the billing tool marks it paid: the payment is not matched here yet)"
    return state


def decision_name(action: str, payload: str | None) -> str:
    """What a decision was, in words: `match by hand`, `write-off`, `deferral`, `comment`."""
    p = json.loads(payload or "{}")
    if action == "confirm" and p.get("items"):
        return "match by hand"
    if action == "note":
        return "deferral" if p.get("kind") == "defer" else "comment"
    return {"write_off": "write-off", "reassign": "reassigned to " + str(p.get("name") or
                                                                        "another client")
            }.get(action, action)


def history_lines(history: Any, stale: set[int]) -> list[str]:
    """An exception's decisions (a `DecisionStore.history` frame) as lines for the screen."""
    return [f"{d['user']} · {decision_name(d['action'], d['payload'])} · {d['at'][:10]}"
            + (f" (undone by {d['undone_by']})" if d["undone_at"] else "")
            + (" (not applied: its records changed since)" if d["decision_id"] in stale
               else "")
            for d in history.iter_rows(named=True)]


def _table(head: list[str], rows: list[list[str]], css: str = "rk-table") -> str:
    if not rows:
        return "<p><i>none</i></p>"
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='{css}'><tr>{th}</tr>{body}</table>"


def candidate_sentence(n: int, cand: dict[str, Any], labels: dict[tuple[str, str], str],
                       currency: str | None) -> str:
    """`Candidate 1 (likeness 60 %): this payment of 2,400.00 EUR settles F-1 (1,200.00 EUR)
    and F-2 (1,200.00 EUR).` followed by the rule's explanation and the evidence."""
    items = cand["items"]
    pays = [i for i in items if i["role"] == "payment"]
    docs = [i for i in items if i["role"] != "payment"]
    what = " and ".join(f"{labels.get((i['system'], i['record_id']), 'a record')} "
                        f"({money(i['amount_cents'], currency)})" for i in docs)
    if pays:
        head = (f"this payment of {money(sum(i['amount_cents'] or 0 for i in pays), currency)} "
                f"settles {what or 'nothing'}")
    else:
        head = f"links {what}"
    status = {"review": "proposed", "auto": "matched automatically", "confirmed":
              "confirmed by a reviewer", "rejected": "rejected by a reviewer"}.get(
        cand["status"], cand["status"])
    ev = " ".join(evidence_sentences(cand["evidence"], currency))
    return (f"<p class='rk-candidate-text'><b>Candidate {n}</b> ({status}, likeness "
            f"{cand['score']:.0%}): {esc(head)}.<br><i>{esc(cand['explanation'] or '')}</i>"
            + (f"<br>{esc(ev)}" if ev else "") + "</p>")


def render_context(ctx: dict[str, Any], labels: dict[tuple[str, str], str],
                   history: list[str] | None = None) -> str:
    """HTML of an exception: what it is, what happened, what to do, the client, candidate
    matches as sentences, the client's invoices and payments; ids only in the fold."""
    exc, cat = ctx["exception"], ctx["category"]
    cur = exc["currency"]
    parts = [
        f"<h4>{esc(cat.get('title', exc['category']))}: {esc(exc['label'] or '')} "
        f"({esc(money(exc['amount_cents'], cur))})</h4>",
        f"<p>{esc(record_sentence(ctx['record']))}</p>",
        f"<p><b>What happened:</b> {esc(exc['detail'] or cat.get('description', ''))}</p>",
        f"<p><b>What to do:</b> {esc(cat.get('what_to_do', ''))}</p>",
        f"<p><b>Client:</b> {esc(exc['party_names'] or 'not identified')}</p>",
    ]
    if history:
        parts.append("<p><b>Decisions so far:</b><br>" + "<br>".join(esc(h) for h in history)
                     + "</p>")
    parts.append("<h5>Candidate matches</h5>")
    parts += [candidate_sentence(n, c, labels, cur)
              for n, c in enumerate(ctx["candidates"], start=1)] or ["<p><i>none</i></p>"]
    parts += ["<h5>The client's invoices</h5>", _table(
        ["Number", "Issued", "Due", "Amount", "Still due"],
        [[i.get("number") or "", day(i.get("issue_date")), day(i.get("due_date")),
          money(i.get("amount_cents"), i.get("currency")), invoice_state(i)]
         for i in ctx["invoices"]])]
    parts += ["<h5>The client's payments</h5>", _table(
        ["Received", "Amount", "Payer", "Reference"],
        [[day(p.get("booking_date")), money(p.get("amount_cents"), p.get("currency")),
          p.get("payer_name") or "", p.get("remittance") or p.get("structured_ref") or ""]
         for p in ctx["payments"]])]
    if ctx["commitments"]:
        parts += ["<h5>Contracts</h5>", _table(
            ["Contract", "Amount", "Billed", "From", "To"],
            [[c.get("contract_number") or c.get("name") or "",
              money(c.get("amount_cents"), c.get("currency")),
              c.get("billing_frequency") or "", day(c.get("start_date")),
              day(c.get("end_date"))] for c in ctx["commitments"]])]
    return "<div class='rk-context'>" + "".join(parts) + "</div>"


def render_ids(ctx: dict[str, Any]) -> str:
    """The details fold: internal ids for support and the CLI."""
    exc = ctx["exception"]
    rows = [["exception", exc["exception_id"]], ["record", f"{exc['system']}:{exc['record_id']}"],
            ["client (party)", exc["party_id"] or ""]]
    rows += [[f"candidate {n}", c["match_id"] + " · rule " + c["rule_id"]]
             for n, c in enumerate(ctx["candidates"], start=1)]
    rows += [["invoice " + (i.get("number") or ""), i["record_id"]] for i in ctx["invoices"]]
    return _table(["what", "id"], rows, "rk-ids-table")
