"""Stripe connector: list customers, invoices and credit notes; sync by `created[gte]`.

`GET /v1/{object}?limit=100&starting_after=<last id>` while `has_more`. Stripe's `created`
never changes, so an incremental sync picks up new documents only; later status changes of
older ones need `lookback_seconds` (re-read a recent window) or a full sync on a new store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconkit.connectors.http import HttpClient, RetryPolicy
from reconkit.connectors.state import (
    SyncResult,
    SyncStore,
    iter_ids,
    sync_source,
    write_json,
)
from reconkit.errors import ConnectorError

SOURCE = "stripe"


@dataclass(frozen=True)
class StripeConfig:
    """Where and how to read Stripe; holds no secret (the key comes from `token_env`)."""

    base_url: str = "https://api.stripe.com"
    objects: tuple[str, ...] = ("customers", "invoices", "credit_notes")
    token_env: str = "STRIPE_API_KEY"
    secrets_file: Path | None = None
    page_size: int = 100
    lookback_seconds: int = 0
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def fetch_stripe(client: HttpClient, obj: str, cursor: str | None, *, page_size: int = 100,
                 lookback_seconds: int = 0) -> tuple[list[tuple[str, Any]], str | None]:
    """All objects created since `cursor` (Unix seconds), and the new mark."""
    params: dict[str, Any] = {"limit": page_size}
    if cursor is not None:
        params["created[gte]"] = int(cursor) - lookback_seconds
    records: list[dict[str, Any]] = []
    while True:
        page = client.get_json(f"/v1/{obj}", params=params)
        data = page.get("data") if isinstance(page, dict) else None
        if not isinstance(data, list):
            raise ConnectorError(f"Stripe sent an unexpected page for /v1/{obj} (no data list)",
                                 hint="check base_url points at the Stripe API")
        records.extend(data)
        if not page.get("has_more") or not data:
            break
        params = {**params, "starting_after": data[-1]["id"]}
    created = [int(r["created"]) for r in records if r.get("created") is not None]
    return iter_ids(records, "id"), (str(max(created)) if created else None)


def export_stripe(store: SyncStore, out_dir: Path, objects: tuple[str, ...]) -> tuple[Path, ...]:
    """Write the snapshot as saved list responses (`customers.json`, ...) for `load_stripe`."""
    return tuple(write_json(Path(out_dir) / f"{obj}.json",
                            {"object": "list", "url": f"/v1/{obj}", "has_more": False,
                             "data": store.records(SOURCE, obj)}) for obj in objects)


def sync_stripe(config: StripeConfig, store_path: Path, *, out_dir: Path | None = None,
                ) -> SyncResult:
    """Fetch what was created since the last sync into the snapshot at `store_path`; with
    `out_dir`, also write the snapshot as files the "stripe" loader reads."""
    return sync_source(
        label="Stripe", source=SOURCE, base_url=config.base_url, config=config,
        store_path=store_path, out_dir=out_dir, export=export_stripe,
        fetch=lambda client, obj, cursor: fetch_stripe(
            client, obj, cursor, page_size=config.page_size,
            lookback_seconds=config.lookback_seconds))
