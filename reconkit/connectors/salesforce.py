"""Salesforce connector: SOQL queries over the REST API; sync by `SystemModstamp`.

`GET {instance}/services/data/vXX.X/query?q=SELECT ... WHERE SystemModstamp >= <mark>
ORDER BY SystemModstamp`, then `nextRecordsUrl` until `done`. The mark is inclusive, so
records stamped in the same second as the last sync are read again and upserted (idempotent).
Deleted records are not removed from the snapshot (that needs `queryAll` and `IsDeleted`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from reconkit.connectors.http import HttpClient, RetryPolicy
from reconkit.connectors.state import (
    SyncResult,
    SyncStore,
    iter_ids,
    sync_source,
    write_json,
)
from reconkit.errors import ConnectorError

SOURCE = "salesforce"
DEFAULT_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "Account": ("Id", "Name", "ParentId"),
    "Opportunity": ("Id", "AccountId", "Name", "StageName", "IsWon", "Amount", "CloseDate",
                    "ContractId"),
    "Contract": ("Id", "AccountId", "ContractNumber", "Name", "StartDate", "EndDate",
                 "ContractTerm", "Status"),
}


@dataclass(frozen=True)
class SalesforceConfig:
    """Where and what to read; `extra_fields` adds custom or multi-currency fields per object
    (e.g. {"Opportunity": ("CurrencyIsoCode", "Discount__c")}). Holds no secret."""

    instance_url: str
    api_version: str = "v62.0"
    objects: tuple[str, ...] = ("Account", "Opportunity", "Contract")
    extra_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    token_env: str = "SALESFORCE_TOKEN"
    secrets_file: Path | None = None
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def soql(self, obj: str, cursor: str | None) -> str:
        fields = dict.fromkeys((*DEFAULT_FIELDS.get(obj, ("Id",)),
                                *self.extra_fields.get(obj, ()), "SystemModstamp"))
        where = f" WHERE SystemModstamp >= {soql_datetime(cursor)}" if cursor else ""
        return f"SELECT {', '.join(fields)} FROM {obj}{where} ORDER BY SystemModstamp, Id"


def soql_datetime(stamp: str) -> str:
    """A response datetime (`2024-02-28T16:42:10.000+0000`) as a SOQL literal, to the second."""
    parsed = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(dt.UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_salesforce(client: HttpClient, config: SalesforceConfig, obj: str,
                     cursor: str | None) -> tuple[list[tuple[str, Any]], str | None]:
    """Records of `obj` modified since `cursor`, following `nextRecordsUrl`, and the new mark."""
    url = f"/services/data/{config.api_version}/query"
    params: dict[str, str] | None = {"q": config.soql(obj, cursor)}
    records: list[dict[str, Any]] = []
    while True:
        page = client.get_json(url, params=params)
        if not isinstance(page, dict) or not isinstance(page.get("records"), list):
            raise ConnectorError(f"Salesforce sent an unexpected page for {url} (no records)",
                                 hint="check instance_url and api_version")
        records.extend(page["records"])
        if page.get("done", True) or not page.get("nextRecordsUrl"):
            break
        url, params = page["nextRecordsUrl"], None
    stamps = [r["SystemModstamp"] for r in records if r.get("SystemModstamp")]
    return iter_ids(records, "Id"), (max(stamps) if stamps else None)


def export_salesforce(store: SyncStore, out_dir: Path, objects: tuple[str, ...],
                      ) -> tuple[Path, ...]:
    """Write the snapshot as saved query responses (`Account.json`, ...) for the loader."""
    files = []
    for obj in objects:
        records = store.records(SOURCE, obj)
        files.append(write_json(Path(out_dir) / f"{obj}.json",
                                {"totalSize": len(records), "done": True, "records": records}))
    return tuple(files)


def sync_salesforce(config: SalesforceConfig, store_path: Path, *,
                    out_dir: Path | None = None) -> SyncResult:
    """Fetch what changed since the last sync into the snapshot at `store_path`; with
    `out_dir`, also write the snapshot as files the "salesforce" loader reads."""
    return sync_source(
        label="Salesforce", source=SOURCE, base_url=config.instance_url, config=config,
        store_path=store_path, out_dir=out_dir, export=export_salesforce,
        fetch=lambda client, obj, cursor: fetch_salesforce(client, config, obj, cursor))
