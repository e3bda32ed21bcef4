"""Fuzz the PSP settlement loaders (Stripe balance transactions JSON and payout
reconciliation CSV, Adyen settlement details, PayPal activity download) with mutated exports
(see tests/fuzzing.py)."""

from __future__ import annotations

import json
from pathlib import Path

from fuzzing import FUZZ_SETTINGS, check_outcome, mutated
from hypothesis import given
from test_settlement_loaders import ADYEN, BALANCE, PAYOUT_CSV, PAYOUTS, PAYPAL

from reconkit.loaders.adyen import load_adyen
from reconkit.loaders.paypal import load_paypal
from reconkit.loaders.stripe_payouts import load_stripe_payouts

JSON_SEEDS = [json.dumps(BALANCE, indent=1).encode(), json.dumps(PAYOUTS, indent=1).encode()]
JSON_TOKENS = ['"payout"', '"charge"', "null", "[]", "{}", '"1e3"', "1.5", "-0", "true",
               '{"id": 1}', "99999999999999999999999"]
CSV_TOKENS = [",", '"', ";", "\n", "eur", "-5.00", "payout", "MerchantPayout", "Completed",
              "Memo", "General Withdrawal"]


@FUZZ_SETTINGS
@given(mutated(JSON_SEEDS, tokens=JSON_TOKENS))
def test_mutated_stripe_json_loads_quarantines_or_fails_clearly(tmp_path: Path,
                                                                data: bytes) -> None:
    path = tmp_path / "balance_transactions.json"
    path.write_bytes(data)
    check_outcome(load_stripe_payouts, path)


@FUZZ_SETTINGS
@given(mutated([PAYOUT_CSV.encode()], tokens=CSV_TOKENS))
def test_mutated_stripe_payout_csv(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "payout_reconciliation.csv"
    path.write_bytes(data)
    check_outcome(load_stripe_payouts, path)


@FUZZ_SETTINGS
@given(mutated([ADYEN.encode()], tokens=CSV_TOKENS))
def test_mutated_adyen_settlement_details(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "settlement_detail_report_batch_42.csv"
    path.write_bytes(data)
    check_outcome(load_adyen, path)


@FUZZ_SETTINGS
@given(mutated([PAYPAL.encode()], tokens=CSV_TOKENS))
def test_mutated_paypal_activity(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "Download.csv"
    path.write_bytes(data)
    check_outcome(load_paypal, path, decimal=",", thousands=" ")
