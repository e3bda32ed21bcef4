"""Connectors against a real HTTP server on 127.0.0.1: paging, retries, errors, secrets,
incremental sync, and sync -> export -> load."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from reconkit.connectors import (
    HttpClient,
    HubSpotConfig,
    RetryPolicy,
    SalesforceConfig,
    StripeConfig,
    SyncStore,
    resolve_token,
    sync_hubspot,
    sync_salesforce,
    sync_stripe,
)
from reconkit.errors import ConfigError, ConnectorError
from reconkit.ids import to_sf18
from reconkit.loaders.hubspot import load_hubspot
from reconkit.loaders.salesforce import load_salesforce
from reconkit.loaders.stripe import load_stripe

from _http_fixture import ApiServer, Reply, Request, api_server_fixture  # noqa: F401

TOKEN = "sk_test_51SECRETtokenVALUE"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture()
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(autouse=True)
def tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("STRIPE_API_KEY", "SALESFORCE_TOKEN", "HUBSPOT_TOKEN"):
        monkeypatch.setenv(var, TOKEN)
    monkeypatch.delenv("RECONKIT_SECRETS", raising=False)


def _policy(sleeps: Sleeps, attempts: int = 3) -> RetryPolicy:
    return RetryPolicy(max_attempts=attempts, backoff_base=0.001, retry_after_max=5.0,
                       sleep=sleeps)


# --- Stripe ---------------------------------------------------------------------------------

def _invoice(n: int, created: int) -> dict[str, Any]:
    return {"id": f"in_{n:04d}", "object": "invoice", "number": f"INV-{n:04d}",
            "customer": "cus_1", "customer_name": "Globex", "currency": "eur", "status": "open",
            "created": created, "total_taxes": [{"amount": 200}], "total_excluding_tax": 1000,
            "total": 1200, "metadata": {}}


class StripeInvoices:
    """Serves /v1/invoices newest first with limit/starting_after/created[gte]."""

    def __init__(self, invoices: list[dict[str, Any]]) -> None:
        self.invoices = invoices

    def __call__(self, req: Request) -> Reply:
        assert req.headers["Authorization"] == f"Bearer {TOKEN}"
        rows = sorted(self.invoices, key=lambda r: (-r["created"], r["id"]))
        if "created[gte]" in req.query:
            rows = [r for r in rows if r["created"] >= int(req.query["created[gte]"][0])]
        if "starting_after" in req.query:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(req.query["starting_after"][0]) + 1:]
        limit = int(req.query["limit"][0])
        return Reply(body={"object": "list", "url": "/v1/invoices",
                           "has_more": len(rows) > limit, "data": rows[:limit]})


def test_stripe_paging_incremental_idempotent_and_loadable(api_server: ApiServer,
                                                           tmp_path: Path) -> None:
    served = StripeInvoices([_invoice(n, 1709283600 + n) for n in range(1, 6)])
    api_server.route("GET", "/v1/invoices", served)
    config = StripeConfig(base_url=api_server.url, objects=("invoices",), page_size=2)
    store = tmp_path / "store" / "reconkit.db"

    first = sync_stripe(config, store)
    assert (first.fetched, first.snapshot) == ({"invoices": 5}, {"invoices": 5})
    assert len(api_server.requests) == 3  # 2 + 2 + 1
    assert SyncStore(store).cursor("stripe", "invoices") == "1709283605"

    served.invoices.append(_invoice(6, 1709283700))
    served.invoices[0]["status"] = "paid"  # an old invoice changed: created did not
    api_server.requests.clear()
    second = sync_stripe(config, store)
    assert api_server.requests[0].query["created[gte]"] == ["1709283605"]
    assert (second.fetched, second.snapshot) == ({"invoices": 2}, {"invoices": 6})

    out = tmp_path / "export"
    third = sync_stripe(config, store, out_dir=out)
    assert (third.fetched, third.snapshot) == ({"invoices": 1}, {"invoices": 6})
    assert third.files == (out / "invoices.json",)
    loaded = load_stripe(out)
    assert loaded.tables["invoices"]["record_id"].to_list() == [f"in_{n:04d}" for n in
                                                                 range(1, 7)]
    assert loaded.tables["invoices"]["amount_cents"].to_list() == [1200] * 6


# --- Salesforce -----------------------------------------------------------------------------

ACC = "0015g00000XyZaBAAV"


def _opp(n: int, stamp: str, won: bool = True) -> dict[str, Any]:
    rid = f"0065g00000AbCd{n}"
    return {"attributes": {"type": "Opportunity"}, "Id": to_sf18(rid), "AccountId": ACC,
            "Name": f"Deal {n}", "StageName": "Closed Won" if won else "Closed Lost",
            "IsWon": won, "Amount": 1000.5 * n, "CloseDate": "2024-02-28", "ContractId": None,
            "SystemModstamp": stamp}


class SalesforceQuery:
    """Serves SOQL queries: honours `SystemModstamp >= ...`, pages of 2 via nextRecordsUrl."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.soql: list[str] = []

    def query(self, req: Request) -> Reply:
        soql = req.query["q"][0]
        self.soql.append(soql)
        rows = sorted(self.records, key=lambda r: r["SystemModstamp"])
        if m := re.search(r"SystemModstamp >= (\S+)", soql):
            since = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            rows = [r for r in rows if dt.datetime.strptime(
                r["SystemModstamp"], "%Y-%m-%dT%H:%M:%S.%f%z") >= since]
        return self._page(rows, len(rows))

    def more(self, req: Request) -> Reply:
        return self._page(self.pending.pop(req.path), None)

    def _page(self, rows: list[dict[str, Any]], total: int | None) -> Reply:
        body: dict[str, Any] = {"totalSize": total, "done": len(rows) <= 2, "records": rows[:2]}
        if len(rows) > 2:
            url = f"/services/data/v62.0/query/01gRO0000016PIAYA2-{len(self.pending) + 2}"
            self.pending[url] = rows[2:]
            body["nextRecordsUrl"] = url
        return Reply(body=body)


def test_salesforce_paging_incremental_and_loadable(api_server: ApiServer,
                                                    tmp_path: Path) -> None:
    served = SalesforceQuery([_opp(1, "2024-02-28T10:00:00.000+0000"),
                              _opp(2, "2024-02-28T11:00:00.000+0000"),
                              _opp(3, "2024-02-28T12:00:00.000+0000", won=False)])
    api_server.route("GET", "/services/data/v62.0/query", served.query)
    for k in range(2, 6):
        api_server.route("GET", f"/services/data/v62.0/query/01gRO0000016PIAYA2-{k}",
                         served.more)
    config = SalesforceConfig(instance_url=api_server.url, objects=("Opportunity",),
                              extra_fields={"Opportunity": ("CurrencyIsoCode",)})
    store = tmp_path / "reconkit.db"
    first = sync_salesforce(config, store)
    assert first.fetched == {"Opportunity": 3}
    assert served.soql[0] == ("SELECT Id, AccountId, Name, StageName, IsWon, Amount, CloseDate, "
                              "ContractId, CurrencyIsoCode, SystemModstamp FROM Opportunity "
                              "ORDER BY SystemModstamp, Id")
    assert api_server.paths()[1] == "/services/data/v62.0/query/01gRO0000016PIAYA2-2"

    served.records.append(_opp(4, "2024-03-01T09:30:00.000+0000"))
    out = tmp_path / "sf"
    second = sync_salesforce(config, store, out_dir=out)
    assert served.soql[1].endswith("WHERE SystemModstamp >= 2024-02-28T12:00:00Z "
                                   "ORDER BY SystemModstamp, Id")
    assert (second.fetched, second.snapshot) == ({"Opportunity": 2}, {"Opportunity": 4})
    loaded = load_salesforce(out)
    assert loaded.tables["commitments"].select("name", "amount_cents").rows() == [
        ("Deal 1", 100050), ("Deal 2", 200100), ("Deal 4", 400200)]
    assert loaded.warnings == ("Opportunity.json: skipped 1 opportunity not won",)


# --- HubSpot --------------------------------------------------------------------------------

def _deal(n: int, modified: str) -> dict[str, Any]:
    return {"id": str(100 + n), "properties": {
        "dealname": f"Deal {n}", "amount": f"{n}000.5", "closedate": "2024-02-28T10:00:00Z",
        "dealstage": "closedwon", "hs_lastmodifieddate": modified},
        "associations": {"companies": {"results": [{"id": "900", "type": "deal_to_company"}]}}}


def test_hubspot_list_then_search_with_associations(api_server: ApiServer,
                                                    tmp_path: Path) -> None:
    deals = [_deal(n, f"2024-02-2{n}T10:00:00.000Z") for n in (1, 2, 3)]
    api_server.route("GET", "/crm/v3/objects/deals", lambda req: Reply(body=(
        {"results": deals[:2], "paging": {"next": {"after": "102"}}}
        if "after" not in req.query else {"results": deals[2:]})))
    changed = {k: v for k, v in _deal(4, "2024-03-01T08:00:00Z").items() if k != "associations"}
    api_server.route("POST", "/crm/v3/objects/deals/search", Reply(body={
        "total": 1, "results": [changed]}))
    api_server.route("POST", "/crm/v4/associations/deals/companies/batch/read", Reply(body={
        "status": "COMPLETE", "results": [{"from": {"id": "104"}, "to": [
            {"toObjectId": 901, "associationTypes": [{"typeId": 5, "label": "Primary"}]}]}]}))
    config = HubSpotConfig(base_url=api_server.url, objects=("deals",), page_size=2)
    store = tmp_path / "reconkit.db"
    assert sync_hubspot(config, store).fetched == {"deals": 3}
    first_list = api_server.requests[0]
    assert first_list.query["associations"] == ["companies"]
    assert api_server.requests[1].query["after"] == ["102"]

    out = tmp_path / "hs"
    second = sync_hubspot(config, store, out_dir=out)
    search = next(r for r in api_server.requests if r.path.endswith("/search"))
    assert search.body["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate", "operator": "GTE",
        "value": str(int(dt.datetime(2024, 2, 23, 10, tzinfo=dt.UTC).timestamp() * 1000))}
    assert (second.fetched, second.snapshot) == ({"deals": 1}, {"deals": 4})
    c = load_hubspot(out).tables["commitments"]
    assert c.select("record_id", "party_record_id", "amount_cents").rows() == [
        ("101", "900", 100050), ("102", "900", 200050), ("103", "900", 300050),
        ("104", "901", 400050)]


# --- retries and errors ---------------------------------------------------------------------

def _client(server: ApiServer, sleeps: Sleeps, attempts: int = 3) -> HttpClient:
    return HttpClient("Stripe", server.url, resolve_token("stripe"), timeout=2.0,
                      retry=_policy(sleeps, attempts))


def test_429_honours_retry_after_capped(api_server: ApiServer, sleeps: Sleeps) -> None:
    api_server.route("GET", "/v1/customers", [
        Reply(429, {"error": "rate"}, {"Retry-After": "2"}),
        Reply(429, {"error": "rate"}, {"Retry-After": "3600"}),
        Reply(200, {"object": "list", "data": [], "has_more": False})])
    with _client(api_server, sleeps) as client:
        assert client.get_json("/v1/customers")["data"] == []
    assert sleeps == [2.0, 5.0]


def test_500_then_success_backs_off_exponentially(api_server: ApiServer,
                                                  sleeps: Sleeps) -> None:
    api_server.route("GET", "/v1/customers", [Reply(500), Reply(502), Reply(200, {"ok": 1})])
    with _client(api_server, sleeps) as client:
        assert client.get_json("/v1/customers") == {"ok": 1}
    assert sleeps == [0.001, 0.002]


def test_500_forever_is_a_connector_error(api_server: ApiServer, sleeps: Sleeps) -> None:
    api_server.route("GET", "/v1/customers", Reply(503, {"error": "down"}))
    with _client(api_server, sleeps, attempts=4) as client, \
            pytest.raises(ConnectorError) as err:
        client.get_json("/v1/customers")
    assert str(err.value).startswith("Stripe kept failing (HTTP 503 on /v1/customers) after 4 "
                                     "attempts")
    assert len(api_server.requests) == 4 and len(sleeps) == 3


def test_truncated_json_is_a_connector_error(api_server: ApiServer, sleeps: Sleeps) -> None:
    api_server.route("GET", "/v1/invoices", Reply(raw=b'{"object": "list", "data": [{"id"'))
    with _client(api_server, sleeps) as client, pytest.raises(ConnectorError) as err:
        client.get_json("/v1/invoices", params={"limit": 100})
    assert "Stripe sent a response on /v1/invoices that is not valid JSON" in str(err.value)


def test_401_names_the_env_var_never_the_token(api_server: ApiServer, sleeps: Sleeps,
                                               tmp_path: Path) -> None:
    api_server.route("GET", "/services/data/v62.0/query", Reply(401, [
        {"message": f"Session expired or invalid {TOKEN}", "errorCode": "INVALID_SESSION_ID"}]))
    config = SalesforceConfig(instance_url=api_server.url, retry=_policy(sleeps))
    with pytest.raises(ConnectorError) as err:
        sync_salesforce(config, tmp_path / "reconkit.db")
    text = str(err.value)
    assert text.startswith("Salesforce rejected the token (HTTP 401) on "
                           "/services/data/v62.0/query: the token in SALESFORCE_TOKEN is "
                           "missing, expired or lacks access")
    assert TOKEN not in text and TOKEN not in repr(err.value)
    assert len(api_server.requests) == 1 and sleeps == []
    client = _client(api_server, sleeps)
    for shown in (repr(config), repr(client), repr(resolve_token("salesforce")),
                  str(resolve_token("salesforce"))):
        assert TOKEN not in shown
    client.close()


def test_other_4xx_body_is_scrubbed(api_server: ApiServer, sleeps: Sleeps) -> None:
    api_server.route("GET", "/v1/nope", Reply(404, {"error": f"bad key {TOKEN}"}))
    with _client(api_server, sleeps) as client, pytest.raises(ConnectorError) as err:
        client.get_json("/v1/nope")
    assert "HTTP 404" in str(err.value) and TOKEN not in str(err.value)
    assert "bad key ***" in str(err.value)


def test_failed_sync_keeps_state_untouched(api_server: ApiServer, sleeps: Sleeps,
                                           tmp_path: Path) -> None:
    api_server.route("GET", "/v1/customers", Reply(body={"object": "list", "has_more": False,
                                                         "data": [{"id": "cus_1",
                                                                   "created": 5}]}))
    api_server.route("GET", "/v1/invoices", Reply(500))
    config = StripeConfig(base_url=api_server.url, objects=("customers", "invoices"),
                          retry=_policy(sleeps, 2))
    store = tmp_path / "reconkit.db"
    with pytest.raises(ConnectorError):
        sync_stripe(config, store)
    assert SyncStore(store).cursor("stripe", "customers") is None
    assert SyncStore(store).count("stripe", "customers") == 0


# --- secrets --------------------------------------------------------------------------------

def test_secrets_file_outside_repo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HUBSPOT_TOKEN")
    monkeypatch.delenv("STRIPE_API_KEY")
    toml = tmp_path / "secrets.toml"
    toml.write_text(f'[hubspot]\ntoken = "{TOKEN}"\n')
    secret = resolve_token("hubspot", secrets_file=toml)
    assert secret.reveal() == TOKEN and secret.origin == f"secrets file {toml} ([hubspot] token)"
    yml = tmp_path / "secrets.yaml"
    yml.write_text(f"STRIPE_API_KEY: {TOKEN}\n")
    monkeypatch.setenv("RECONKIT_SECRETS", str(yml))
    assert resolve_token("stripe").origin == f"secrets file {yml} (STRIPE_API_KEY)"
    with pytest.raises(ConfigError, match="inside the repository"):
        resolve_token("stripe", secrets_file=yml, repo_root=tmp_path)
    monkeypatch.delenv("RECONKIT_SECRETS")
    with pytest.raises(ConnectorError, match="set the environment variable STRIPE_API_KEY"):
        resolve_token("stripe")
