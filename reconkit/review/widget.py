"""The review screen (ipywidgets): pick an exception, read it in plain words, decide.

Only wiring: the queue and the evidence come from `reconkit.review.queue`, the words from
`reconkit.review.render`, allocations from `reconkit.review.manual`, and every decision goes
through `DecisionStore`. Every action is a method (the buttons call them, tests too); an error
(a busy store, a wrong amount) is shown on screen, in the status line and the error area.
Controls carry a CSS class (`rk-...`) so that people and browser tests find them.
"""

from __future__ import annotations

import functools
import html
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, ParamSpec, TypeVar

import ipywidgets as w
import polars as pl

from reconkit.catalog.model import Catalog, load_catalog
from reconkit.errors import ReconkitError
from reconkit.result import ReconResult
from reconkit.review.manual import (
    WRITE_OFF_ACCOUNTS,
    allocate,
    billing_clients,
    build_manual_match,
    customers_of,
    default_write_off,
    open_items,
    parse_amount,
)
from reconkit.review.queue import context, review_queue
from reconkit.review.records import input_records
from reconkit.review.render import (
    day,
    history_lines,
    money,
    render_context,
    render_ids,
    row_label,
)
from reconkit.review.store import Decision, DecisionStore

ALL = "(all categories)"
P = ParamSpec("P")
T = TypeVar("T")


def on_screen(method: Callable[P, T]) -> Callable[P, T | None]:
    """Run an action; show any error on screen instead of losing it in a log."""
    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T | None:
        app: ReviewApp = args[0]  # type: ignore[assignment]
        try:
            return method(*args, **kwargs)
        except ReconkitError as exc:
            app.error(exc.message + (f" ({exc.hint})" if exc.hint else ""))
        except sqlite3.OperationalError as exc:
            app.error(f"The decisions store is busy or locked ({exc}): nothing was recorded. "
                      "Another process is writing to it; try again in a moment.")
        except Exception as exc:  # a bug: still on screen, never silent
            app.error(f"Unexpected error, nothing was recorded: {type(exc).__name__}: {exc}")
        return None
    return guarded


class ReviewApp:
    """Review screen over a result's queue, recording decisions as `user` in `store`."""

    def __init__(self, result: ReconResult, store: DecisionStore, user: str, *,
                 catalog: Catalog | None = None, as_of: date | None = None,
                 store_note: str = "") -> None:
        self.result, self.store, self.user = result, store, user
        self.catalog = catalog if catalog is not None else load_catalog()
        self.as_of, self.store_note = as_of, store_note
        self._stale = set(store.stale_decisions(result))
        records = input_records(result.inputs)
        self.labels = {(s, r): lab or r for s, r, lab in
                       records.select("system", "record_id", "label").iter_rows()}
        self.queue = self._load_queue()
        self._build()
        self._fill_items()
        self._say(f"{self.queue.height} exceptions to review; {self._decided()} already "
                  "decided." + (f" {store_note}" if store_note else ""))

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        counts = self.queue.group_by("category", "title").len().sort("title")
        self.category = w.Dropdown(description="Category", options=[(ALL, "")] + [
            (f"{t} ({n})", c) for c, t, n in counts.iter_rows()])
        self.show = w.ToggleButtons(options=["All", "To decide"], value="All")
        self.items = w.SelectMultiple(description="Queue", rows=10,
                                      layout=w.Layout(width="98%"))
        self.candidate = w.Dropdown(description="Candidate", layout=w.Layout(width="98%"))
        self.detail, self.ids, self.status = w.HTML(), w.HTML(), w.HTML()
        self.errors = w.HTML()  # the error area: what went wrong stays visible
        b = w.Button
        self.confirm_button = b(description="Confirm", button_style="success", icon="check")
        self.reject_button = b(description="Reject", button_style="danger", icon="times")
        self.undo_button = b(description="Undo last", icon="undo")
        self.bulk_button = b(description="Confirm all selected", button_style="info",
                             layout=w.Layout(width="auto"))
        # match by hand
        self.search = w.Text(placeholder="invoice number or client name",
                             description="Find")
        self.search_button = b(description="Search open invoices", layout=w.Layout(width="auto"))
        self.open_list = w.SelectMultiple(description="Open items", rows=6,
                                          layout=w.Layout(width="98%"))
        self.allocations = w.VBox()
        self.allocation_note = w.HTML()
        self.match_button = b(description="Record match by hand", button_style="success",
                              layout=w.Layout(width="auto"))
        # write off, reassign, defer, comment
        self.write_off_amount = w.Text(description="Amount", layout=w.Layout(width="220px"))
        self.write_off_account = w.Dropdown(description="Account", options=[
            (f"{k} {v}", k) for k, v in WRITE_OFF_ACCOUNTS.items()])
        self.write_off_reason = w.Text(description="Reason", placeholder="why")
        self.write_off_button = b(description="Write off", button_style="warning")
        clients = billing_clients(self.result)
        self.reassign_to = w.Dropdown(description="Client", options=clients)
        self.reassign_button = b(description="Reassign payment", layout=w.Layout(width="auto"))
        self.defer_until = w.DatePicker(description="Until")
        self.defer_button = b(description="Defer")
        self.comment_text = w.Text(description="Comment", layout=w.Layout(width="60%"))
        self.comment_button = b(description="Add comment", layout=w.Layout(width="auto"))
        fold = w.Accordion(children=[self.ids], titles=("Details (ids)",))
        css = {"category": "rk-filter", "items": "rk-queue", "open_list": "rk-open-items",
               "bulk_button": "rk-bulk-confirm", "match_button": "rk-manual-match",
               "search_button": "rk-search-button"}
        for name, value in list(vars(self).items()):  # rk-<name>: confirm_button -> rk-confirm
            if isinstance(value, w.DOMWidget) and name not in ("result", "store"):
                css.setdefault(name, "rk-" + name.removesuffix("_button").replace("_", "-"))
        for name, cls in css.items():
            getattr(self, name).add_class(cls)
        self.category.observe(lambda _c: self._fill_items(), names="value")
        self.show.observe(lambda _c: self._fill_items(), names="value")
        self._filling = False
        self.items.observe(lambda _c: None if self._filling else self._show_focus(),
                           names="value")
        self.open_list.observe(lambda _c: self._fill_allocations(), names="value")
        for button, action in ((self.confirm_button, self.confirm),
                               (self.reject_button, self.reject),
                               (self.undo_button, self.undo_last),
                               (self.bulk_button, self.confirm_selected),
                               (self.search_button, lambda: self.search_open_items()),
                               (self.match_button, self.record_manual_match),
                               (self.write_off_button, self.write_off),
                               (self.reassign_button, self.reassign),
                               (self.defer_button, self.defer),
                               (self.comment_button, self.comment)):
            button.on_click(lambda _b, a=action: a())
        section = w.HTML
        self.widget = w.VBox([
            w.HBox([self.category, self.show]), self.items,
            w.HBox([self.confirm_button, self.reject_button, self.bulk_button,
                    self.undo_button]),
            self.candidate, self.status, self.errors, self.detail,
            section("<h5>Match by hand: pick the open invoices this payment settles</h5>"),
            w.HBox([self.search, self.search_button]), self.open_list, self.allocations,
            self.allocation_note, self.match_button,
            section("<h5>Write off a difference</h5>"),
            w.HBox([self.write_off_amount, self.write_off_account, self.write_off_reason,
                    self.write_off_button]),
            section("<h5>Other decisions</h5>"),
            w.HBox([self.reassign_to, self.reassign_button]),
            w.HBox([self.defer_until, self.defer_button]),
            w.HBox([self.comment_text, self.comment_button]), fold])
        self.widget.add_class("rk-review-app")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:  # displayed as its widget
        return self.widget._repr_mimebundle_(**kwargs)

    # -- verbs (the buttons call these) ----------------------------------------------------
    def select(self, exception_ids: Sequence[str]) -> None:
        """Select queue rows (the first one is shown in the detail pane)."""
        self.items.value = tuple(exception_ids)

    @on_screen
    def confirm(self) -> int | None:
        """Confirm the chosen candidate of the focused exception (or the exception as stated
        when it has no candidate)."""
        return self._decide("confirm")

    @on_screen
    def reject(self) -> int | None:
        """Reject the chosen candidate of the focused exception."""
        return self._decide("reject")

    @on_screen
    def confirm_selected(self) -> list[int]:
        """Confirm the best candidate of every selected exception, in one transaction."""
        rows = self._rows(self.items.value)
        if not rows:
            raise ReconkitError("select one or more exceptions first")
        before = self.store.aliases().height
        ids = self.store.bulk([Decision("confirm", exception_id=r["exception_id"])
                               for r in rows], user=self.user, result=self.result)
        self._refresh(f"Confirmed {len(ids)} exceptions{self._learned(before)}.")
        return ids

    @on_screen
    def undo_last(self) -> int | None:
        """Undo this user's latest decision still in force."""
        last = self.store.last_decision(self.user)
        if last is None:
            raise ReconkitError("nothing of yours to undo")
        undone = self.store.undo(last, self.user)
        self._refresh(f"Undid your {undone['action'].replace('_', '-')} of {undone['at'][:10]}.")
        return last

    @on_screen
    def search_open_items(self, text: str | None = None) -> int:
        """List the focused client's open invoices, plus any whose number or client name
        contains `text` (the search box); return how many."""
        if text is not None:
            self.search.value = text
        row = self._focus()
        found = open_items(self.result, customers=customers_of(self.result, row['party_id']),
                           search=self.search.value)
        self._open = {r["record_id"]: r for r in found.to_dicts()}
        self.open_list.options = [
            (f"{r['number']} · {r['party_name'] or ''} · {day(r['issue_date'])} · "
             f"{money(r['open_cents'], r['currency'])} due", r["record_id"])
            for r in found.to_dicts()]
        return found.height

    def pick_items(self, record_ids: Iterable[str]) -> None:
        """Pick open invoices for the match by hand (amounts proposed, editable)."""
        self.open_list.value = tuple(record_ids)

    def set_allocation(self, record_id: str, amount: str) -> None:
        """Change the amount allocated to one picked invoice (text, e.g. `1,200.00`)."""
        for box in self.allocations.children:
            if getattr(box, "record_id", None) == record_id:
                box.children[1].value = amount
        self._allocation_summary()

    @on_screen
    def record_manual_match(self) -> int | None:
        """Record the picked invoices and amounts as a match by hand of the focused payment."""
        row = self._focus()
        payment = context(self.result, row["exception_id"], catalog=self.catalog)["record"]
        found = open_items(self.result, customers=customers_of(self.result, row['party_id']),
                           search=self.search.value)
        built = build_manual_match(payment, self._allocated(), found)
        did = self.store.record("confirm", user=self.user, match_id=built.match_id,
                                exception_id=row["exception_id"], payload=built.payload,
                                result=self.result)
        left = (f"; {money(built.unallocated_cents, payment.get('currency'))} left to write "
                "off or explain" if built.unallocated_cents else "")
        self._refresh(f"Recorded a match by hand for {row['label']}{left}.")
        return did

    @on_screen
    def write_off(self, amount: str | None = None, account: str | None = None,
                  reason: str | None = None) -> int | None:
        """Write off a difference of the focused exception (its chosen candidate, if any, is
        confirmed with it) to an account, with a reason."""
        row = self._focus()
        cents = parse_amount(amount if amount is not None else self.write_off_amount.value)
        why = (reason if reason is not None else self.write_off_reason.value).strip()
        if not why:
            raise ReconkitError("a write-off needs its reason")
        acct = account or self.write_off_account.value
        did = self.store.record("write_off", user=self.user,
                                match_id=self.candidate.value or None,
                                exception_id=row["exception_id"], result=self.result,
                                payload={"cents": cents, "account": acct, "reason": why,
                                         "currency": row["currency"]})
        self.write_off_reason.value = ""
        self._refresh(f"Wrote off {money(cents, row['currency'])} to {acct} ({why}).")
        return did

    @on_screen
    def reassign(self, customer_id: str | None = None) -> int | None:
        """The focused payment belongs to another client: remember its IBAN as that client's."""
        row = self._focus()
        target = customer_id or self.reassign_to.value
        payment = context(self.result, row["exception_id"], catalog=self.catalog)["record"]
        iban = (payment.get("payer_iban") or "").replace(" ", "").upper()
        if payment.get("table") != "payments" or not iban:
            raise ReconkitError("only a bank payment with the payer's IBAN can be reassigned",
                                hint="build a match by hand instead")
        name = self.labels.get(("billing", target), target)
        did = self.store.record("reassign", user=self.user, exception_id=row["exception_id"],
                                payload={"party": target, "name": name},
                                teach=[("bank", iban, "billing", target)], result=self.result)
        self._refresh(f"Payments from this IBAN now belong to {name} (from the next run).")
        return did

    @on_screen
    def defer(self, until: date | None = None) -> int | None:
        """Put the focused exception aside until a date."""
        row = self._focus()
        when = until or self.defer_until.value
        did = self.store.record("note", user=self.user, exception_id=row["exception_id"],
                                payload={"kind": "defer", "until": str(when) if when else None,
                                         "note": self.comment_text.value or None})
        self._refresh("Deferred" + (f" until {day(when)}." if when else "."))
        return did

    @on_screen
    def comment(self, text: str | None = None) -> int | None:
        """Keep a comment with the focused exception (decides nothing)."""
        row = self._focus()
        note = (text if text is not None else self.comment_text.value).strip()
        if not note:
            raise ReconkitError("write the comment first")
        did = self.store.record("note", user=self.user, exception_id=row["exception_id"],
                                payload={"note": note})
        self.comment_text.value = ""
        self._refresh("Comment kept.")
        return did

    def error(self, text: str) -> None:
        """Show an error on screen (status line and error area)."""
        shown = f"<b class='rk-error' style='color:#b00020'>⚠ {html.escape(text)}</b>"
        self.status.value = self.errors.value = shown

    # -- internals -------------------------------------------------------------------------
    def _load_queue(self) -> pl.DataFrame:
        decisions = self.store.active_decisions().filter(
            ~pl.col("decision_id").is_in(sorted(self._stale)))
        return review_queue(self.result, catalog=self.catalog, decisions=decisions,
                            as_of=self.as_of)

    def _rows(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = list(ids)
        by_id = {r["exception_id"]: r for r in
                 self.queue.filter(pl.col("exception_id").is_in(wanted)).to_dicts()}
        return [by_id[i] for i in wanted if i in by_id]

    def _focus(self) -> dict[str, Any]:
        rows = self._rows(self.items.value[:1])
        if not rows:
            raise ReconkitError("select an exception first")
        return rows[0]

    def _decide(self, action: str) -> int:
        row = self._focus()
        match_id = self.candidate.value or None
        before = self.store.aliases().height
        as_stated = {"as_stated": True} if not match_id and row["candidate_ids"] else None
        did = self.store.record(action, user=self.user, match_id=match_id, payload=as_stated,
                                exception_id=row["exception_id"], result=self.result)
        verb = {"confirm": "Confirmed", "reject": "Rejected"}[action]
        what = (f"the candidate for {row['label']}" if match_id else f"{row['label']}")
        self._refresh(f"{verb} {what}{self._learned(before)}.")
        return did

    def _learned(self, before: int) -> str:
        n = self.store.aliases().height - before
        return f"; the payer's IBAN is now known ({n} alias learned)" if n > 0 else ""

    def _decided(self) -> int:
        return int(self.queue["decision"].is_not_null().sum())

    def _refresh(self, message: str) -> None:
        self.queue = self._load_queue()
        self._fill_items()
        self._say(message)

    @on_screen
    def _fill_items(self) -> None:
        keep = self.items.value
        q = self.queue
        if self.category.value:
            q = q.filter(pl.col("category") == self.category.value)
        if self.show.value == "To decide":
            q = q.filter(pl.col("decision").is_null())
        shown = set(q["exception_id"].to_list())
        kept = tuple(i for i in keep if i in shown)
        self._filling = True  # one detail render per refill, never a transient empty one
        try:
            self.items.options = [(row_label(r), r["exception_id"]) for r in q.to_dicts()]
            self.items.value = kept or tuple(q["exception_id"].head(1).to_list())
        finally:
            self._filling = False
        self._show_focus()

    @on_screen
    def _show_focus(self) -> None:
        rows = self._rows(self.items.value[:1])
        self.open_list.options, self._open = [], {}
        self.allocations.children = ()
        if not rows:
            self.candidate.options, self.detail.value = [], "<i>Nothing selected.</i>"
            self.ids.value = ""
            return
        row = rows[0]
        ctx = context(self.result, row["exception_id"], catalog=self.catalog)
        options = [("(the exception itself, no match)", "")]
        for n, c in enumerate(ctx["candidates"], start=1):
            docs = [self.labels.get((i["system"], i["record_id"]), "a record")
                    for i in c["items"] if i["role"] != "payment"]
            options.append((f"{n}. {' + '.join(docs)} · likeness {c['score']:.0%}",
                            c["match_id"]))
        self.candidate.options = options
        self.candidate.value = row["candidate_ids"][0] if row["candidate_ids"] else ""
        self.detail.value = render_context(ctx, self.labels, history_lines(
            self.store.history(exception_id=row["exception_id"]), self._stale))
        self.ids.value = render_ids(ctx)
        self.write_off_amount.value = default_write_off(ctx)

    def _fill_allocations(self) -> None:
        picked = [self._open[r] for r in self.open_list.value if r in self._open]
        row = self._rows(self.items.value[:1])
        amount = abs(int(row[0]["amount_cents"] or 0)) if row else 0
        plan = allocate(amount, [(p["record_id"], p["open_cents"]) for p in picked])
        boxes = []
        for p in picked:
            text = w.Text(value=money(plan.get(p["record_id"], 0)),
                          layout=w.Layout(width="160px"))
            text.add_class("rk-allocation-amount")
            text.observe(lambda _c: self._allocation_summary(), names="value")
            box = w.HBox([w.Label(f"{p['number']} ({money(p['open_cents'], p['currency'])} "
                                  "due)", layout=w.Layout(width="340px")), text])
            box.record_id = p["record_id"]
            boxes.append(box)
        self.allocations.children = tuple(boxes)
        self._allocation_summary()

    def _allocated(self) -> dict[str, int]:
        return {box.record_id: parse_amount(box.children[1].value)
                for box in self.allocations.children}

    def _allocation_summary(self) -> None:
        row = self._rows(self.items.value[:1])
        if not row or not self.allocations.children:
            self.allocation_note.value = ""
            return
        try:
            total = sum(self._allocated().values())
        except ReconkitError as exc:
            self.allocation_note.value = f"<span style='color:#b00020'>{exc.message}</span>"
            return
        amount, cur = int(row[0]["amount_cents"] or 0), row[0]["currency"]
        self.allocation_note.value = (f"Allocated {money(total, cur)} of {money(amount, cur)};"
                                      f" left {money(amount - total, cur)}.")

    def _say(self, text: str) -> None:
        self.status.value = (f"<b>{html.escape(text)}</b> "
                             f"<span>({self._decided()} of {self.queue.height} decided)</span>")
        self.errors.value = ""
