"""Fuzz the Salesforce loader with mutated Data Loader / report CSVs and REST query responses
(see tests/fuzzing.py): columns swapped, deleted or duplicated, headers renamed, nasty cells,
any delimiter, quoting and encoding; JSON values of the wrong type, nulls, truncation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fuzzing import (
    FUZZ_SETTINGS,
    REPO,
    check_outcome,
    csv_rows,
    head_lines,
    mutated_csv,
    mutated_json,
)
from hypothesis import given
from hypothesis import strategies as st
from test_salesforce import (
    ACC_A,
    ACCOUNTS,
    CONTRACTS,
    OPP_1,
    OPPORTUNITIES,
    REPORT_FR,
)

from reconkit.loaders.salesforce import load_salesforce

SAMPLE = REPO / "data_samples/sample/native/salesforce"
# (file name, loader options, seed text)
CSV_SEEDS: list[tuple[str, dict[str, Any], str]] = [
    *[(f"{obj}.csv", {}, head_lines(SAMPLE / f"{obj}.csv", 6))
      for obj in ("Account", "Opportunity", "Contract")],
    ("Account.csv", {}, ACCOUNTS), ("Opportunity.csv", {}, OPPORTUNITIES),
    ("Contract.csv", {}, CONTRACTS),
    ("rapport.csv", {"object": "Opportunity", "locale": "fr_FR"}, REPORT_FR),
]
CELLS = [ACC_A, OPP_1, "0015g00000XyZaB", "true", "false", "12", "Monthly", "Annual",
         "Activated", "28/02/2024", "10 000,50", "1 234,56"]
REST = {"totalSize": 1, "done": True, "records": [{
    "attributes": {"type": "Opportunity", "url": f"/services/data/v62.0/sobjects/x/{OPP_1}"},
    "Id": OPP_1, "Name": "Globex - Platform 2024", "AccountId": ACC_A,
    "Account": {"attributes": {"type": "Account"}, "Name": "Globex Industries SA"},
    "StageName": "Closed Won", "IsWon": True, "Amount": 10000.1, "CloseDate": "2024-02-28",
    "ContractId": None, "LastModifiedDate": "2024-02-28T16:42:10.000+0000"}]}


@st.composite
def _csv_case(draw: st.DrawFn) -> tuple[str, dict[str, Any], bytes]:
    name, options, text = draw(st.sampled_from(CSV_SEEDS))
    return name, options, draw(mutated_csv([csv_rows(text)], cells=CELLS))


@FUZZ_SETTINGS
@given(_csv_case())
def test_mutated_csv_exports_load_quarantine_or_fail_clearly(
        tmp_path: Path, case: tuple[str, dict[str, Any], bytes]) -> None:
    name, options, data = case
    path = tmp_path / name
    path.write_bytes(data)
    check_outcome(load_salesforce, path, **options)


@FUZZ_SETTINGS
@given(mutated_json([REST], values=[OPP_1, ACC_A, "Opportunity", "Account", "Contract"]))
def test_mutated_rest_responses_load_quarantine_or_fail_clearly(tmp_path: Path,
                                                                data: bytes) -> None:
    path = tmp_path / "q.json"
    path.write_bytes(data)
    check_outcome(load_salesforce, path)


@FUZZ_SETTINGS
@given(st.sampled_from(CSV_SEEDS[:3]).flatmap(
    lambda seed: st.tuples(st.just(seed[0]), mutated_csv([csv_rows(seed[2])], cells=CELLS))))
def test_folder_with_one_mutated_export_loads_quarantines_or_fails_clearly(
        tmp_path: Path, case: tuple[str, bytes]) -> None:
    """The three sample exports together (contracts looked up across files), one mutated."""
    name, data = case
    for seed_name, _, text in CSV_SEEDS[:3]:
        (tmp_path / seed_name).write_text(text, encoding="utf-8")
    (tmp_path / name).write_bytes(data)
    check_outcome(load_salesforce, tmp_path)


def test_seeds_load_cleanly(tmp_path: Path) -> None:
    for name, options, text in CSV_SEEDS:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        loaded = load_salesforce(path, **options)
        assert sum(t.height for t in loaded.tables.values()) > 0
