"""The `reconkit` CLI has parity with the notebooks and connectors: audit, review queue,
decisions (one, bulk, undo, history), catalog export and API syncs, on the bundled sample
month and a real HTTP server on 127.0.0.1; bad input exits 2 with a message, never a
traceback or a token."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from openpyxl import load_workbook
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from reconkit.audit import exception_profile, profile_tables
from reconkit.catalog import load_catalog
from reconkit.cli import app
from reconkit.config import load_config
from reconkit.engine import Reconciliation
from reconkit.loaders.stripe import load_stripe
from reconkit.pipeline import load_sources, run
from reconkit.result import ReconResult
from reconkit.review.queue import QUEUE_COLUMNS, review_queue
from reconkit.review.store import DecisionStore

from _http_fixture import ApiServer, Reply, Request, api_server_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CONFIG = ROOT / "data_samples" / "sample" / "run_canonical.yaml"
TOKEN = "sk_test_51CLIsecretTOKENvalue"
runner = CliRunner()


def cli(*args: str | Path, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def sample() -> ReconResult:
    """The sample month as the library computes it (what the CLI must reproduce)."""
    return run(load_config(SAMPLE_CONFIG))


@pytest.fixture(scope="module")
def queue(sample: ReconResult) -> pl.DataFrame:
    return review_queue(sample, catalog=load_catalog())


def _with_candidates(queue: pl.DataFrame, n: int) -> list[tuple[str, str]]:
    """(exception id, best candidate match id) of the first `n` queue rows with candidates."""
    rows = queue.filter(pl.col("candidate_ids").list.len() > 0).head(n)
    assert rows.height == n
    return [(r["exception_id"], r["candidate_ids"][0]) for r in rows.iter_rows(named=True)]


# --- help -----------------------------------------------------------------------------------

def test_help_lists_every_command() -> None:
    top = cli("--help")
    assert top.exit_code == 0
    for command in ("run", "demo", "audit", "review", "sync", "catalog", "loaders"):
        assert f" {command} " in top.stdout
    review = cli("review", "--help").stdout
    for command in ("queue", "decide", "decide-file", "undo", "history"):
        assert f" {command} " in review
    sync = cli("sync", "--help").stdout
    assert all(f" {s} " in sync for s in ("salesforce", "hubspot", "stripe"))
    assert " export " in cli("catalog", "--help").stdout


# --- audit ----------------------------------------------------------------------------------

def test_audit_writes_profiles_workbook_and_chart(tmp_path: Path) -> None:
    out = tmp_path / "audit"
    res = cli("audit", SAMPLE_CONFIG, "--out", out, "--top", "3")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.xlsx", "audit_report.html", "audit_report.md", "charts", "data_profile.csv",
        "draft_catalog", "exception_profile.csv", "exceptions_chart.vl.json",
        "load_report.csv", "mined_payment_delays.csv", "mined_pays_for.csv",
        "mined_references.csv", "mined_tolerances.csv", "quarantine.csv", "tacit_rules.csv"]

    config = load_config(SAMPLE_CONFIG)
    loaded = load_sources(config)
    result = Reconciliation.from_config(config).match(loaded)
    expected = exception_profile(result, catalog=load_catalog(config.catalog))
    got = pl.read_csv(out / "exception_profile.csv", schema=expected.schema)
    assert_frame_equal(got, expected)
    profile = profile_tables(loaded.tables)
    data_profile = pl.read_csv(out / "data_profile.csv", schema=profile.schema)
    assert_frame_equal(data_profile, profile)
    assert pl.read_csv(out / "load_report.csv")["rows_loaded"].to_list() == \
        loaded.report_frame()["rows_loaded"].to_list()
    assert pl.read_csv(out / "quarantine.csv").height == 0

    wb = load_workbook(out / "audit.xlsx", read_only=True)
    assert wb.sheetnames == ["data profile", "exception profile", "load report", "quarantine"]
    assert wb["exception profile"].max_row == expected.height + 1

    chart = json.loads((out / "exceptions_chart.vl.json").read_text())
    assert chart["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert sorted(v["category"] for v in chart["data"]["values"]) == \
        sorted(expected["category"].to_list())

    to_review = expected.filter(pl.col("severity") == "decision")
    lines = res.stdout.splitlines()
    assert lines[0] == ("Tables profiled: 5 (commitments 638, invoices 848, ledger_lines 1305, "
                        "parties 891, payments 289 rows)")
    assert lines[1] == "Rows quarantined: 0"
    assert lines[2] == (f"Exceptions: {expected['exceptions'].sum()} in {expected.height} "
                        f"categories: 54 to review, "
                        f"{expected['exceptions'].sum() - 54} for information only")
    assert int(to_review["exceptions"].sum()) == 54
    top = to_review.sort(["exceptions", "amount_cents", "category"],
                         descending=[True, True, False]).head(3)["category"].to_list()
    assert [line.split()[1] for line in lines[4:7]] == top
    assert lines[7] == "Tacit rules mined from the ledger's lettering:"
    assert lines[8].startswith("  - Payers cite the invoice they pay in 88.6% of lettered")
    assert lines[-1].startswith(f"Audit written to {out}: audit.xlsx, audit_report.html")


# --- review queue ---------------------------------------------------------------------------

def test_review_queue_csv_is_the_library_queue(tmp_path: Path, queue: pl.DataFrame) -> None:
    out = tmp_path / "queue.csv"
    res = cli("review", "queue", SAMPLE_CONFIG, "--out", out)
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"Review queue: 54 exceptions (0 already decided) written to {out}"
    got = pl.read_csv(out, infer_schema=False)
    assert got.columns == QUEUE_COLUMNS
    assert got.height == queue.height == 54
    assert got["exception_id"].to_list() == queue["exception_id"].to_list()
    assert got["amount_cents"].cast(pl.Int64).to_list() == queue["amount_cents"].to_list()
    assert got["candidate_ids"].fill_null("").to_list() == \
        queue["candidate_ids"].list.join("; ").to_list()
    assert got["decision"].null_count() == 54


def test_review_queue_xlsx_shows_the_store_decisions(tmp_path: Path,
                                                     queue: pl.DataFrame) -> None:
    store = tmp_path / "decisions.sqlite"
    (exc_a, match_a), (exc_b, _) = _with_candidates(queue, 2)
    with DecisionStore(store) as db:
        db.record("reject", user="alice", match_id=match_a)
        db.record("note", user="alice", exception_id=exc_b, payload={"note": "asked the client"})
    out = tmp_path / "queue.xlsx"
    res = cli("review", "queue", SAMPLE_CONFIG, "--out", out, "--store", store)
    assert res.exit_code == 0, res.output
    assert "54 exceptions (2 already decided)" in res.stdout
    ws = load_workbook(out, read_only=True)["review queue"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:7] == ["exception_id", "category", "title", "system", "record_id", "label",
                          "amount"]
    assert len(rows) == 55
    decided = {r[0]: r[header.index("decision")] for r in rows[1:] if r[header.index("decision")]}
    assert decided == {exc_a: "reject", exc_b: "note"}


# --- decisions ------------------------------------------------------------------------------

def test_decide_then_history_then_undo(tmp_path: Path) -> None:
    store = tmp_path / "d.sqlite"
    res = cli("review", "decide", "--store", store, "--user", "alice", "--match", "M-1",
              "--exception", "E-1", "--action", "confirm", "--note", "paid in two parts")
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == "Recorded decision 1: confirm match M-1 exception E-1 by alice"

    trail = cli("review", "history", "--store", store)
    assert trail.exit_code == 0
    lines = trail.stdout.splitlines()
    assert lines[0] == "1 decisions (0 undone) in d.sqlite"
    assert len(lines) == 2
    assert lines[1].split()[2:] == ["alice", "confirm", "match", "M-1", "exception", "E-1",
                                    "note:", "paid", "in", "two", "parts"]

    undo = cli("review", "undo", "--store", store, "--user", "bob", "1")
    assert undo.exit_code == 0, undo.output
    assert undo.stdout.strip() == "Undid decision 1 (by bob)"
    with DecisionStore(store) as db:
        hist = db.history()
    assert hist.select("decision_id", "match_id", "exception_id", "action", "payload",
                       "user", "undone_by").rows() == [
        (1, "M-1", "E-1", "confirm", '{"note": "paid in two parts"}', "alice", "bob")]
    assert hist["undone_at"][0] is not None
    after = cli("review", "history", "--store", store).stdout
    assert after.startswith("1 decisions (1 undone)")
    assert f"[undone {hist['undone_at'][0]} by bob]" in after

    again = cli("review", "undo", "--store", store, "--user", "bob", "1")
    assert again.exit_code == 2
    assert "decision 1 was already undone" in again.stderr
    nothing = cli("review", "undo", "--store", store, "--user", "bob")
    assert nothing.exit_code == 2 and "bob has no decision in force to undo" in nothing.stderr


def test_undo_defaults_to_the_users_latest_decision(tmp_path: Path) -> None:
    store = tmp_path / "d.sqlite"
    for user, exc in (("alice", "E-1"), ("bob", "E-2"), ("alice", "E-3")):
        assert cli("review", "decide", "--store", store, "--user", user, "--exception", exc,
                   "--action", "reject").exit_code == 0
    res = cli("review", "undo", "--store", store, env={"RECONKIT_USER": "bob"})
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == "Undid decision 2 (by bob)"


def test_decide_file_records_every_row_in_one_transaction(tmp_path: Path) -> None:
    store = tmp_path / "d.sqlite"
    bulk = tmp_path / "decisions.csv"
    # as Excel (French locale) saves "CSV UTF-8": BOM, semicolons; the empty action is skipped
    bulk.write_text("\ufeffmatch_id;exception_id;action;note\n"
                    "M-1;E-1;confirm;\n"
                    ";E-2;reject;duplicate of E-1\n"
                    ";E-3;note;called the client\n"
                    ";E-4;;\n", encoding="utf-8")
    res = cli("review", "decide-file", bulk, "--store", store, "--user", "carol")
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == ("Recorded 3 decisions (ids 1-3) by carol; 1 row(s) without "
                                  "an action skipped")
    history_csv = tmp_path / "trail.csv"
    res = cli("review", "history", "--store", store, "--csv", history_csv)
    assert res.stdout.strip() == f"3 decisions written to {history_csv}"
    trail = pl.read_csv(history_csv, infer_schema=False)
    assert trail.columns == ["decision_id", "match_id", "exception_id", "action", "payload",
                             "user", "at", "undone_at", "undone_by"]
    assert trail.select("match_id", "exception_id", "action", "payload", "user").rows() == [
        ("M-1", "E-1", "confirm", "{}", "carol"),
        (None, "E-2", "reject", '{"note": "duplicate of E-1"}', "carol"),
        (None, "E-3", "note", '{"note": "called the client"}', "carol")]
    assert trail["at"].n_unique() == 1  # one transaction, one stamp


def test_decide_file_with_a_bad_row_records_nothing(tmp_path: Path) -> None:
    store = tmp_path / "d.sqlite"
    bulk = tmp_path / "decisions.csv"
    bulk.write_text("exception_id,action,note\nE-1,reject,\n,confirm,\nE-3,approve,\n"
                    "E-4,note,\n")
    res = cli("review", "decide-file", bulk, "--store", store, "--user", "carol")
    assert res.exit_code == 2
    assert "file decisions.csv: 3 row(s) cannot be recorded, so nothing was" in res.stderr
    assert "line 3: a decision needs the match or the exception it is about" in res.stderr
    assert "line 4: unknown action 'approve'" in res.stderr
    assert "line 5: a note needs its text" in res.stderr
    assert "Traceback" not in res.output
    with DecisionStore(store) as db:
        assert db.history().height == 0

    no_column = tmp_path / "wrong.csv"
    no_column.write_text("id,decision\nE-1,reject\n")
    res = cli("review", "decide-file", no_column, "--store", store, "--user", "carol")
    assert res.exit_code == 2
    assert "missing columns: found id, decision" in res.stderr


def test_decide_with_config_checks_ids_and_learns(tmp_path: Path,
                                                  queue: pl.DataFrame) -> None:
    store = tmp_path / "d.sqlite"
    res = cli("review", "decide", "--store", store, "--user", "alice", "--exception",
              "E-doesnotexist", "--action", "reject", "--config", SAMPLE_CONFIG)
    assert res.exit_code == 2
    assert "exception E-doesnotexist is not in the run of run_canonical.yaml" in res.stderr
    (exc, match), = _with_candidates(queue, 1)
    res = cli("review", "decide", "--store", store, "--user", "alice", "--exception", exc,
              "--match", match, "--action", "confirm", "--config", SAMPLE_CONFIG)
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith(f"Recorded decision 1: confirm match {match} exception {exc}")


def test_bad_review_input_exits_2_with_a_message(tmp_path: Path) -> None:
    store = tmp_path / "d.sqlite"
    cases = [
        (("review", "queue", SAMPLE_CONFIG, "--out", tmp_path / "q.pdf"),
         "cannot write q.pdf: the file name must end with .xlsx or .csv"),
        (("review", "history", "--store", store), f"no decisions store at {store}"),
        (("review", "decide", "--store", store, "--user", "a", "--exception", "E-1",
          "--action", "note"), "a note needs its text"),
        (("review", "decide", "--store", store, "--user", "a", "--action", "reject"),
         "a decision needs the match or the exception it is about"),
        (("review", "decide-file", tmp_path / "nope.csv", "--store", store, "--user", "a"),
         "no decisions file at"),
        (("review", "queue", tmp_path / "missing.yaml", "--out", tmp_path / "q.csv"),
         "run config not found"),
    ]
    for args, message in cases:
        res = cli(*args)
        assert res.exit_code == 2, (args, res.output)
        assert message in res.stderr, (args, res.stderr)
        assert "Traceback" not in res.output
    bad_action = cli("review", "decide", "--store", store, "--user", "a", "--exception", "E",
                     "--action", "approve")
    assert bad_action.exit_code == 2 and "'approve' is not one of" in bad_action.output
    assert not store.exists()  # nothing was created by refused commands


def test_process_exit_code_and_stderr(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "reconkit.cli", "review", "history",
                           "--store", str(tmp_path / "none.sqlite")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("reconkit: no decisions store at")


# --- catalog --------------------------------------------------------------------------------

def test_catalog_export_markdown_and_excel(tmp_path: Path) -> None:
    catalog = load_catalog()
    md = tmp_path / "catalog.md"
    res = cli("catalog", "export", "--out", md)
    assert res.exit_code == 0, res.output
    n_rules, n_cats = len(catalog.rules), len(catalog.categories)
    assert res.stdout.strip() == f"Exported {n_rules} rules and {n_cats} categories to {md}"
    text = md.read_text()
    rule_rows = [line for line in text.splitlines() if line.startswith("| ")
                 and line.split(" | ")[0][2:] in {r.id for r in catalog.rules}]
    assert [line.split(" | ")[0][2:] for line in rule_rows] == [r.id for r in catalog.rules]
    assert all(f"| {c.id} | {c.severity} |" in text for c in catalog.categories)

    xlsx = tmp_path / "catalog.xlsx"
    assert cli("catalog", "export", ROOT / "rule_catalog", "--out", xlsx).exit_code == 0
    wb = load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["rules", "settings", "categories"]
    ids = [r[0] for r in wb["rules"].iter_rows(min_row=2, values_only=True)]
    assert ids == [r.id for r in catalog.rules]
    assert wb["categories"].max_row == n_cats + 1

    bad = cli("catalog", "export", tmp_path, "--out", tmp_path / "x.md")
    assert bad.exit_code == 2 and "Traceback" not in bad.output


# --- sync -----------------------------------------------------------------------------------

class StripePages:
    """Serves /v1/<object> newest first, at most 2 per page whatever the limit."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = sorted(rows, key=lambda r: (-r["created"], r["id"]))

    def __call__(self, req: Request) -> Reply:
        if req.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"error": {"message": "Invalid API Key provided"}})
        rows = self.rows
        if "starting_after" in req.query:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(req.query["starting_after"][0]) + 1:]
        return Reply(body={"object": "list", "has_more": len(rows) > 2, "data": rows[:2]})


def _invoice(n: int) -> dict[str, Any]:
    return {"id": f"in_{n:04d}", "object": "invoice", "number": f"INV-{n:04d}",
            "customer": "cus_1", "customer_name": "Globex", "currency": "eur", "status": "open",
            "created": 1709283600 + n, "total_taxes": [{"amount": 200}],
            "total_excluding_tax": 1000, "total": 1200, "metadata": {}}


def test_sync_stripe_fetches_every_page(api_server: ApiServer, tmp_path: Path) -> None:
    api_server.route("GET", "/v1/customers", StripePages([
        {"id": f"cus_{n}", "object": "customer", "name": f"Client {n}", "created": 1709000000 + n}
        for n in (1, 2)]))
    api_server.route("GET", "/v1/invoices", StripePages([_invoice(n) for n in range(1, 6)]))
    api_server.route("GET", "/v1/credit_notes", StripePages([]))
    store, out = tmp_path / "sync.sqlite", tmp_path / "stripe"
    res = cli("sync", "stripe", "--store", store, "--out", out, "--base-url", api_server.url,
              "--token-env", "RK_TEST_STRIPE", env={"RK_TEST_STRIPE": TOKEN})
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        "Fetched 7 records from Stripe (customers 2, invoices 5, credit_notes 0)",
        "Snapshot in sync.sqlite: 7 records (customers 2, invoices 5, credit_notes 0)",
        f"Files written to {out}: customers.json, invoices.json, credit_notes.json"]
    assert api_server.paths().count("/v1/invoices") == 3  # 2 + 2 + 1
    assert TOKEN not in res.output
    invoices = load_stripe(out).tables["invoices"]
    assert invoices["record_id"].to_list() == [f"in_{n:04d}" for n in range(1, 6)]
    assert invoices["amount_cents"].to_list() == [1200] * 5


def test_sync_bad_or_missing_token_exits_2_naming_the_variable(api_server: ApiServer,
                                                               tmp_path: Path) -> None:
    api_server.route("GET", "/v1/customers", StripePages([]))
    wrong = "sk_test_51WRONGtokenVALUE"
    args = ("sync", "stripe", "--store", tmp_path / "s.sqlite", "--base-url", api_server.url,
            "--token-env", "RK_TEST_STRIPE")
    res = cli(*args, env={"RK_TEST_STRIPE": wrong})
    assert res.exit_code == 2
    assert "Stripe rejected the token (HTTP 401) on /v1/customers" in res.stderr
    assert "RK_TEST_STRIPE" in res.stderr
    assert wrong not in res.output and "Traceback" not in res.output

    missing = cli(*args, env={"RK_TEST_STRIPE": "", "RECONKIT_SECRETS": ""})
    assert missing.exit_code == 2
    assert "no Stripe token found" in missing.stderr and "RK_TEST_STRIPE" in missing.stderr

    not_url = cli("sync", "stripe", "--store", tmp_path / "s.sqlite", "--base-url",
                  "api.stripe.com", env={"STRIPE_API_KEY": TOKEN})
    assert not_url.exit_code == 2 and "is not a web address" in not_url.stderr


def test_sync_salesforce_follows_next_records(api_server: ApiServer, tmp_path: Path) -> None:
    accounts = [{"attributes": {"type": "Account"}, "Id": f"0015g00000XyZa{n}AAA",
                 "Name": f"Client {n}", "SystemModstamp": f"2026-10-0{n}T10:00:00.000+0000"}
                for n in (1, 2, 3)]

    def query(req: Request) -> Reply:
        soql = req.query["q"][0]
        if "FROM Account" in soql:
            return Reply(body={"totalSize": 3, "done": False, "records": accounts[:2],
                               "nextRecordsUrl": "/services/data/v62.0/query/01g-2000"})
        return Reply(body={"totalSize": 0, "done": True, "records": []})

    api_server.route("GET", "/services/data/v62.0/query", query)
    api_server.route("GET", "/services/data/v62.0/query/01g-2000", Reply(body={
        "totalSize": 3, "done": True, "records": accounts[2:]}))
    res = cli("sync", "salesforce", "--store", tmp_path / "s.sqlite", "--instance-url",
              api_server.url, env={"SALESFORCE_TOKEN": TOKEN})
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == \
        "Fetched 3 records from Salesforce (Account 3, Opportunity 0, Contract 0)"


def test_sync_hubspot_counts_companies_and_deals(api_server: ApiServer,
                                                 tmp_path: Path) -> None:
    api_server.route("GET", "/crm/v3/objects/companies", Reply(body={"results": [
        {"id": "900", "properties": {"name": "Globex",
                                     "hs_lastmodifieddate": "2026-10-01T10:00:00Z"}}]}))
    api_server.route("GET", "/crm/v3/objects/deals", Reply(body={"results": [
        {"id": str(n), "properties": {"dealname": f"Deal {n}",
                                      "hs_lastmodifieddate": "2026-10-02T10:00:00Z"}}
        for n in (101, 102)]}))
    res = cli("sync", "hubspot", "--store", tmp_path / "s.sqlite", "--out", tmp_path / "hs",
              "--base-url", api_server.url, env={"HUBSPOT_TOKEN": TOKEN})
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == "Fetched 3 records from HubSpot (companies 1, deals 2)"
    deals = json.loads((tmp_path / "hs" / "deals.json").read_text())["results"]
    assert [d["id"] for d in deals] == ["101", "102"]


def test_python_dash_m_runs_the_same_command_line() -> None:
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "reconkit", "--help"], capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "catalog" in out.stdout and "run" in out.stdout
