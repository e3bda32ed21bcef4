"""HubSpot connector: CRM v3 companies and deals; sync by `hs_lastmodifieddate`.

First sync: `GET /crm/v3/objects/{object}?limit=100&properties=...&associations=companies`
following `paging.next.after`. Later syncs: `POST /crm/v3/objects/{object}/search` with
`hs_lastmodifieddate GTE <mark>`; search results carry no associations, so the deals' companies
are read with `POST /crm/v4/associations/deals/companies/batch/read` and put back in the v3
list shape the loader reads. Search stops at 10 000 results per query (HubSpot limit): a sync
of more changes than that needs a new store (full list).
"""

from __future__ import annotations

import datetime as dt
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

SOURCE = "hubspot"
DEFAULT_PROPERTIES: Final[dict[str, tuple[str, ...]]] = {
    "companies": ("name", "domain", "hs_lastmodifieddate"),
    "deals": ("dealname", "amount", "closedate", "dealstage", "pipeline", "deal_currency_code",
              "hs_is_closed_won", "hs_lastmodifieddate"),
}


@dataclass(frozen=True)
class HubSpotConfig:
    """Where and what to read; `extra_properties` adds e.g. custom SIREN/VAT properties."""

    base_url: str = "https://api.hubapi.com"
    objects: tuple[str, ...] = ("companies", "deals")
    extra_properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    token_env: str = "HUBSPOT_TOKEN"
    secrets_file: Path | None = None
    page_size: int = 100
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def properties(self, obj: str) -> list[str]:
        return list(dict.fromkeys((*DEFAULT_PROPERTIES.get(obj, ()),
                                   *self.extra_properties.get(obj, ()))))


def _millis(stamp: str) -> int:
    return int(dt.datetime.fromisoformat(stamp).timestamp() * 1000)


def _results(page: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise ConnectorError(f"HubSpot sent an unexpected page for {path} (no results)",
                             hint="check base_url points at the HubSpot API")
    return page["results"]


def _next(page: dict[str, Any]) -> str | None:
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after else None


def _list(client: HttpClient, config: HubSpotConfig, obj: str) -> list[dict[str, Any]]:
    path = f"/crm/v3/objects/{obj}"
    params: dict[str, Any] = {"limit": config.page_size, "archived": "false",
                              "properties": ",".join(config.properties(obj))}
    if obj == "deals":
        params["associations"] = "companies"
    out: list[dict[str, Any]] = []
    while True:
        page = client.get_json(path, params=params)
        out.extend(_results(page, path))
        if (after := _next(page)) is None:
            return out
        params = {**params, "after": after}


def _search(client: HttpClient, config: HubSpotConfig, obj: str, since_ms: str,
            ) -> list[dict[str, Any]]:
    path = f"/crm/v3/objects/{obj}/search"
    body: dict[str, Any] = {
        "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate",
                                       "operator": "GTE", "value": since_ms}]}],
        "properties": config.properties(obj),
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "limit": config.page_size,
    }
    out: list[dict[str, Any]] = []
    while True:
        page = client.post_json(path, body)
        out.extend(_results(page, path))
        if (after := _next(page)) is None:
            break
        body = {**body, "after": after}
    if obj == "deals" and out:
        _attach_companies(client, out)
    return out


def _attach_companies(client: HttpClient, deals: list[dict[str, Any]]) -> None:
    """Give searched deals the `associations.companies` a v3 list response would carry."""
    path = "/crm/v4/associations/deals/companies/batch/read"
    linked: dict[str, list[dict[str, str]]] = {}
    for start in range(0, len(deals), 100):
        chunk = deals[start:start + 100]
        page = client.post_json(path, {"inputs": [{"id": str(d["id"])} for d in chunk]})
        for row in _results(page, path):
            linked[str(row["from"]["id"])] = [
                {"id": str(to["toObjectId"]), "type": "deal_to_company"}
                for to in row.get("to", [])]
    for deal in deals:
        if companies := linked.get(str(deal["id"])):
            deal["associations"] = {"companies": {"results": companies}}


def fetch_hubspot(client: HttpClient, config: HubSpotConfig, obj: str, cursor: str | None,
                  ) -> tuple[list[tuple[str, Any]], str | None]:
    """Objects modified since `cursor` (epoch milliseconds; all when None) and the new mark."""
    records = _list(client, config, obj) if cursor is None else _search(client, config, obj,
                                                                         cursor)
    stamps = [_millis(s) for r in records
              if (s := (r.get("properties") or {}).get("hs_lastmodifieddate")
                  or r.get("updatedAt"))]
    return iter_ids(records, "id"), (str(max(stamps)) if stamps else None)


def export_hubspot(store: SyncStore, out_dir: Path, objects: tuple[str, ...]) -> tuple[Path, ...]:
    """Write the snapshot as saved list responses (`companies.json`, `deals.json`)."""
    return tuple(write_json(Path(out_dir) / f"{obj}.json", {"results": store.records(SOURCE, obj)})
                 for obj in objects)


def sync_hubspot(config: HubSpotConfig, store_path: Path, *, out_dir: Path | None = None,
                 ) -> SyncResult:
    """Fetch what changed since the last sync into the snapshot at `store_path`; with
    `out_dir`, also write the snapshot as files the "hubspot" loader reads."""
    return sync_source(
        label="HubSpot", source=SOURCE, base_url=config.base_url, config=config,
        store_path=store_path, out_dir=out_dir, export=export_hubspot,
        fetch=lambda client, obj, cursor: fetch_hubspot(client, config, obj, cursor))
