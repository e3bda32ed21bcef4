"""The review screen, driven through its buttons: plain words, every action recorded, errors
on screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from reconkit.result import ReconResult
from reconkit.review.manual import parse_amount
from reconkit.review.render import invoice_state
from reconkit.review.store import DecisionStore
from reconkit.review.widget import ReviewApp

from conftest import BOLT_IBAN


@pytest.fixture
def app(tmp_path: Path, tiny_result: ReconResult) -> Iterator[ReviewApp]:
    with DecisionStore(tmp_path / "d.sqlite") as store:
        yield ReviewApp(tiny_result, store, "ana")


def test_main_view_speaks_plain_words_and_keeps_ids_in_the_fold(app: ReviewApp) -> None:
    main = app.detail.value + "".join(label for label, _v in app.items.options) + "".join(
        label for label, _v in app.candidate.options)
    for internal in ("M-b", "E-2", "in_2", "cus_B", "_cents", "{", "P2"):
        assert internal not in main, internal
    assert "Bank payment of 500.00 EUR received on 31 Mar 2024 from BOLT" in app.detail.value
    assert "this payment of 500.00 EUR settles F-2 (500.00 EUR)" in app.detail.value
    assert app.candidate.options[1][0] == "1. F-2 · likeness 70%"
    assert "M-b" in app.ids.value and "E-2" in app.ids.value  # the details fold
    app.select(["E-5"])
    assert "-20.00 EUR" in app.items.options[2][0]


def test_invoice_state_never_contradicts_the_billing_status() -> None:
    inv = {"amount_cents": 120_000, "open_cents": 60_000, "currency": "EUR", "status": "paid"}
    assert invoice_state(inv) == ("partly settled, 600.00 EUR still due (the billing tool "
                                  "marks it paid: the payment is not matched here yet)")
    assert invoice_state({**inv, "open_cents": 0}) == "settled"
    assert invoice_state({**inv, "open_cents": 120_000, "status": "open"}) == (
        "open, 1,200.00 EUR due")


@pytest.mark.parametrize("text, cents", [("1,200.00", 120_000), ("1 200,50", 120_050),
                                         ("2.5", 250), ("12000", 1_200_000)])
def test_parse_amount(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


def test_match_by_hand_allocates_and_is_applied(app: ReviewApp,
                                                tiny_result: ReconResult) -> None:
    app.select(["E-2"])  # BOLT's payment of 500.00
    assert app.search_open_items("F-") == 1  # F-1 is settled by an automatic match
    assert app.open_list.options[0][0] == "F-2 · Bolt SARL · 5 Mar 2024 · 500.00 EUR due"
    app.pick_items(["in_2"])
    assert app.allocations.children[0].children[1].value == "500.00"
    app.set_allocation("in_2", "450.00")
    assert "Allocated 450.00 EUR of 500.00 EUR; left 50.00 EUR." in app.allocation_note.value
    did = app.record_manual_match()
    assert did == 1 and "50.00 EUR left to write off" in app.status.value
    applied = app.store.apply(tiny_result)
    manual = applied.matches.filter(pl.col("rule_id") == "MANUAL")
    assert manual.select("status", "kind").rows() == [("confirmed", "payment_invoice")]
    items = applied.match_items.filter(pl.col("match_id") == manual["match_id"][0])
    assert sorted(items.select("record_id", "role", "amount_cents").rows()) == [
        ("in_2", "invoice", 45_000), ("p2", "payment", 45_000)]


def test_too_much_allocated_is_refused_on_screen(app: ReviewApp) -> None:
    app.select(["E-2"])
    app.search_open_items("F-2")
    app.pick_items(["in_2"])
    app.set_allocation("in_2", "600.00")
    assert app.record_manual_match() is None
    assert "F-2 only owes 500.00 EUR" in app.errors.value
    assert app.store.history().height == 0


def test_write_off_reassign_defer_comment(app: ReviewApp, tiny_result: ReconResult) -> None:
    app.select(["E-2"])
    assert app.write_off("2.50", "627", "bank fee") == 1
    assert app.reassign("cus_A") == 2
    assert app.store.aliases().rows() == [("bank", BOLT_IBAN, "billing", "cus_A")]
    app.select(["E-3"])
    assert app.defer() == 3
    assert app.comment("asked accounting") == 4
    assert app.comment("  ") is None and "write the comment first" in app.errors.value
    h = app.store.history()
    assert h.select("exception_id", "action").rows() == [
        ("E-2", "write_off"), ("E-2", "reassign"), ("E-3", "note"), ("E-3", "note")]
    assert app.queue.filter(pl.col("exception_id") == "E-3")["decision"].item() == "note"
    m = app.store.apply(tiny_result).matches.filter(pl.col("match_id") == "M-b")
    assert m["status"].item() == "confirmed"
    assert "2.50 EUR written off to account 627 (bank fee) by ana" in m["explanation"].item()


HOLDER = """
import sqlite3, sys, time
from pathlib import Path
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")  # another process holds the store's write lock
Path(sys.argv[2]).touch()
while not Path(sys.argv[3]).exists():
    time.sleep(0.02)
db.execute("ROLLBACK")
"""


def test_confirm_while_another_process_holds_the_store_shows_the_error(
        tmp_path: Path, tiny_result: ReconResult) -> None:
    import subprocess
    import sys
    import time

    path, held, release = tmp_path / "busy.sqlite", tmp_path / "held", tmp_path / "release"
    with DecisionStore(path, timeout=0.2) as store:
        app = ReviewApp(tiny_result, store, "ana")
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(held),
                                   str(release)])
        try:
            deadline = time.monotonic() + 30
            while not held.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            app.confirm_button.click()
        finally:
            release.touch()
            holder.wait(timeout=30)
        assert "decisions store is busy or locked" in app.errors.value
        assert "nothing was recorded" in app.status.value
        assert store.history().height == 0
        app.confirm_button.click()  # free again: it works
        assert store.history().height == 1 and app.errors.value == ""


def test_buttons_work_from_the_kernel_comm_thread(app: ReviewApp) -> None:
    """The notebook kernel delivers widget events on another thread than the cell that
    opened the store (the browser test found `SQLite objects created in a thread`)."""
    import threading

    done: list[int | None] = []
    worker = threading.Thread(target=lambda: done.append(app.confirm()))
    worker.start()
    worker.join(timeout=30)
    assert done == [1] and app.errors.value == ""
    assert app.store.history()["action"].to_list() == ["confirm"]


def test_confirming_the_exception_itself_keeps_no_match(app: ReviewApp) -> None:
    app.select(["E-2"])
    app.candidate.value = ""  # "(the exception itself, no match)"
    assert app.confirm() == 1
    row = app.store.history().row(0, named=True)
    assert (row["match_id"], row["exception_id"]) == (None, "E-2")


def test_decisions_so_far_are_named_in_words(app: ReviewApp) -> None:
    from reconkit.review.render import decision_name

    assert decision_name("confirm", '{"items": [{"record_id": "p2"}]}') == "match by hand"
    assert decision_name("note", '{"kind": "defer"}') == "deferral"
    assert decision_name("note", '{"note": "x"}') == "comment"
    assert decision_name("reassign", '{"name": "Acme SAS"}') == "reassigned to Acme SAS"
    app.select(["E-3"])
    app.comment("asked accounting")
    assert "ana · comment · " in app.detail.value
