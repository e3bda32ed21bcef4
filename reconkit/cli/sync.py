"""`reconkit sync`: fetch Salesforce, HubSpot or Stripe records into a local snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconkit.cli._app import _guarded, console, sync_app
from reconkit.errors import ReconkitError

if TYPE_CHECKING:
    from reconkit.connectors import SyncResult


SyncStoreOpt = Annotated[Path, typer.Option(
    "--store", show_default=False,
    help="snapshot database (SQLite), kept between syncs: the next sync fetches only changes")]
SyncOutOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", show_default=False,
    help="folder where the snapshot is written as the files the loader reads (point a "
         "source of the run config at it)")]
TokenEnvOpt = Annotated[str, typer.Option("--token-env", metavar="VAR",
                                          help="environment variable holding the token")]
SecretsOpt = Annotated[Path | None, typer.Option(
    "--secrets-file", show_default=False,
    help="TOML or YAML secrets file outside the repository, read when the variable is not "
         "set (default: $RECONKIT_SECRETS)")]


def _url(value: str, option: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ReconkitError(f"{option} '{value}' is not a web address",
                            hint="give it with its scheme, e.g. https://example.my.salesforce.com")
    return value


def _sync_report(label: str, result: SyncResult, store: Path) -> None:
    fetched = ", ".join(f"{obj} {n}" for obj, n in result.fetched.items())
    snapshot = ", ".join(f"{obj} {n}" for obj, n in result.snapshot.items())
    typer.echo(f"Fetched {sum(result.fetched.values())} records from {label} ({fetched})")
    typer.echo(f"Snapshot in {store.name}: {sum(result.snapshot.values())} records ({snapshot})")
    if result.files:
        typer.echo(f"Files written to {result.files[0].parent}: "
                   f"{', '.join(p.name for p in result.files)}")


@sync_app.command("salesforce")
@_guarded
def sync_salesforce_cmd(
    store: SyncStoreOpt,
    instance_url: Annotated[str, typer.Option(
        "--instance-url", show_default=False,
        help="the org's address, e.g. https://acme.my.salesforce.com")],
    out: SyncOutOpt = None,
    api_version: Annotated[str, typer.Option(help="REST API version")] = "v62.0",
    token_env: TokenEnvOpt = "SALESFORCE_TOKEN",
    secrets_file: SecretsOpt = None,
) -> None:
    """Accounts, opportunities and contracts modified since the last sync."""
    from reconkit.connectors import SalesforceConfig, sync_salesforce

    cfg = SalesforceConfig(instance_url=_url(instance_url, "--instance-url"),
                           api_version=api_version, token_env=token_env,
                           secrets_file=secrets_file)
    with console.status("syncing Salesforce", spinner="dots"):
        result = sync_salesforce(cfg, store, out_dir=out)
    _sync_report("Salesforce", result, store)


@sync_app.command("hubspot")
@_guarded
def sync_hubspot_cmd(
    store: SyncStoreOpt,
    out: SyncOutOpt = None,
    base_url: Annotated[str, typer.Option("--base-url", help="API address")] =
    "https://api.hubapi.com",
    token_env: TokenEnvOpt = "HUBSPOT_TOKEN",
    secrets_file: SecretsOpt = None,
) -> None:
    """Companies and deals (with their associations) modified since the last sync."""
    from reconkit.connectors import HubSpotConfig, sync_hubspot

    cfg = HubSpotConfig(base_url=_url(base_url, "--base-url"), token_env=token_env,
                        secrets_file=secrets_file)
    with console.status("syncing HubSpot", spinner="dots"):
        result = sync_hubspot(cfg, store, out_dir=out)
    _sync_report("HubSpot", result, store)


@sync_app.command("stripe")
@_guarded
def sync_stripe_cmd(
    store: SyncStoreOpt,
    out: SyncOutOpt = None,
    base_url: Annotated[str, typer.Option("--base-url", help="API address")] =
    "https://api.stripe.com",
    lookback_days: Annotated[int, typer.Option(
        min=0, help="also re-read documents created this many days before the last sync "
                    "(Stripe only reports new documents; status changes need a look back)")]
    = 0,
    token_env: TokenEnvOpt = "STRIPE_API_KEY",
    secrets_file: SecretsOpt = None,
) -> None:
    """Customers, invoices and credit notes created since the last sync."""
    from reconkit.connectors import StripeConfig, sync_stripe

    cfg = StripeConfig(base_url=_url(base_url, "--base-url"),
                       lookback_seconds=lookback_days * 86_400, token_env=token_env,
                       secrets_file=secrets_file)
    with console.status("syncing Stripe", spinner="dots"):
        result = sync_stripe(cfg, store, out_dir=out)
    _sync_report("Stripe", result, store)
