"""The command-line application, its error handling and the options its commands share."""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final, ParamSpec

import typer
from rich.console import Console

from reconkit.errors import ReconkitError
from reconkit.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from reconkit.config import RunConfig
    from reconkit.result import ReconResult
    from reconkit.review.store import DecisionStore

MARKUP: Final = "markdown"  # help paragraphs re-flowed to the terminal width
app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode=MARKUP,
    help="Reconcile CRM, billing, ERP ledger and bank statements.\n\n"
         "Everything the notebooks do, headless (batch, cron): `run` a month, `audit` its "
         "data, export and decide the `review` queue, `sync` the CRM and billing APIs, "
         "document the rule `catalog`. Exit codes: 0 done, 2 bad input (the message says "
         "what to fix), 3 internal error.")
catalog_app = typer.Typer(no_args_is_help=True, rich_markup_mode=MARKUP,
                          help="Validate, list and export the rule catalog.")
review_app = typer.Typer(no_args_is_help=True, rich_markup_mode=MARKUP, help=(
    "Export the review queue; record, bulk-record and undo decisions; read the audit "
    "trail.\n\nDecisions live in a SQLite store (the same as the review notebook's), with "
    "who decided what and when; nothing is ever deleted."))
sync_app = typer.Typer(no_args_is_help=True, rich_markup_mode=MARKUP, help=(
    "Fetch Salesforce, HubSpot or Stripe records into a local snapshot and loader files."
    "\n\nEach sync fetches what changed since the last one. The token comes from an "
    "environment variable or a secrets file outside the repository; it is never printed."))
app.add_typer(review_app, name="review")
app.add_typer(sync_app, name="sync")
app.add_typer(catalog_app, name="catalog")
console = Console(stderr=True, soft_wrap=True)
P = ParamSpec("P")

REPO_ROOT = PROJECT_ROOT


def _fail(exc: ReconkitError) -> None:
    console.print(f"[bold red]reconkit:[/] {exc}")
    raise typer.Exit(code=2)


def _crash(exc: Exception) -> None:
    """An unexpected error (a bug, not bad data): one readable line, details on demand."""
    if os.environ.get("RECONKIT_DEBUG"):
        raise exc
    console.print(f"[bold red]reconkit: internal error:[/] {type(exc).__name__}: {exc}\n"
                  "  This is a bug in reconkit, not in your data. Re-run with RECONKIT_DEBUG=1 "
                  "for the full traceback and report it.")
    raise typer.Exit(code=3)


def _guarded(command: Callable[P, None]) -> Callable[P, None]:
    """Run a command so that a finance user never sees a traceback: bad input (a reconkit
    error, a file that cannot be read or written, a busy database) exits 2 with the message,
    anything else is reported as a bug (exit 3)."""
    @functools.wraps(command)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except typer.Exit:
            raise
        except ReconkitError as exc:
            _fail(exc)
        except OSError as exc:
            _fail(ReconkitError(f"{exc.strerror or type(exc).__name__}: {exc.filename or exc}",
                                hint="check the path, and that you may read or write there"))
        except sqlite3.Error as exc:
            _fail(ReconkitError(f"the database refused the operation ({exc})",
                                hint="another process may be using it: retry in a moment"))
        except Exception as exc:  # last resort: never a raw traceback
            _crash(exc)
    return guarded


ConfigArg = Annotated[Path, typer.Argument(help="run config (YAML)", show_default=False)]
StoreOpt = Annotated[Path | None, typer.Option(
    "--store", help="decisions store (SQLite file; the review notebook's store works too); "
                    "default: $RECONKIT_STORE, else `store:` of --config", show_default=False)]
UserOpt = Annotated[str, typer.Option(
    "--user", envvar="RECONKIT_USER", show_default=False,
    help="who decides, kept in the audit trail (default: $RECONKIT_USER)")]
DecideConfigOpt = Annotated[Path | None, typer.Option(
    "--config", show_default=False,
    help="run config of the month: the ids are checked against its run, and a confirmed "
         "payment from an unknown IBAN teaches that IBAN to the store")]
def _reconcile(config_path: Path, store: Path | None = None) -> tuple[RunConfig, ReconResult]:
    """Run the month of a config in memory; with a store (`store`, else RECONKIT_STORE, else
    the config's `store:`) its learned aliases and decisions are applied, as in the review
    notebook."""
    from reconkit.config import load_config
    from reconkit.pipeline import run
    from reconkit.review.where import store_choice, with_store

    cfg = load_config(config_path)
    choice = store_choice(cfg, store)  # --store, else RECONKIT_STORE, else `store:`
    cfg = with_store(cfg, choice)
    if choice.path is not None:
        console.print(choice.describe(config_path.name))
    with console.status("starting", spinner="dots") as status:
        result = run(cfg, progress=status.update)
    return cfg, result


def _require_file(path: Path, what: str, hint: str) -> None:
    if not path.is_file():
        raise ReconkitError(f"no {what} at {path}", hint=hint)


def _open_store(path: Path, *, must_exist: bool) -> DecisionStore:
    """The decisions store at `path`; reading commands refuse to create an empty one."""
    from reconkit.review.store import DecisionStore

    if must_exist:
        _require_file(path, "decisions store", "check --store: decisions are kept where "
                      "`reconkit review decide` or the review notebook recorded them")
    return DecisionStore(path)


def _suffix(path: Path, allowed: tuple[str, ...]) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ReconkitError(f"cannot write {path.name}: the file name must end with "
                            f"{' or '.join(allowed)}", hint="pick the format by the extension")
    return suffix


def _learned(count: int) -> str:
    return f"; {count} payer IBAN alias(es) learned" if count else ""


def main() -> None:  # pragma: no cover
    try:
        app()
    except ReconkitError as exc:
        console.print(f"[bold red]reconkit:[/] {exc}")
        sys.exit(2)
