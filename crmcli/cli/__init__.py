"""The `crmcli` command: a thin layer that parses, calls the core, and renders.

Each command group lives in its own module and is joined here with `add_typer`.
Errors are handled once, in `CrmGroup.invoke`: a domain error becomes one line on
stderr and its exit status — never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from crmcli import __version__
from crmcli.cli.env import Env
from crmcli.db import explain, resolve_db_path
from crmcli.errors import CrmError, ExitStatus


class CrmGroup(TyperGroup):
    """The root group: turns domain and SQLite errors into a message and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CrmError as exc:
            _fail(ctx, str(exc), exc.exit_status)
        except sqlite3.DatabaseError as exc:  # locked, read-only, disk full, damaged file
            _fail(ctx, explain(exc), ExitStatus.ERROR)
        except BrokenPipeError:  # `crmcli … | head -1`: the reader has all it wanted
            _silence_stdout()
            raise typer.Exit(0) from None
        except OSError as exc:  # a file named on the command line: missing, unreadable, full
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(ctx, f"{where}{exc.strerror or exc}", ExitStatus.ERROR)
        except KeyboardInterrupt:
            _fail(ctx, "interrupted; nothing half-written was kept", ExitStatus.ERROR)


def _fail(ctx: Any, message: str, status: ExitStatus) -> None:
    env = ctx.obj if isinstance(ctx.obj, Env) else None
    stream = env.stderr if env else sys.stderr
    print(f"crmcli: error: {message}", file=stream, flush=True)
    raise typer.Exit(int(status))


app = typer.Typer(
    cls=CrmGroup,
    name="crmcli",
    help="Customer management for small shops: whom to call, greet or visit today, and why.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"crmcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database file; else $CRMCLI_DB; else the user data directory.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Customer management for small shops: whom to call, greet or visit today, and why."""
    ctx.obj = Env(db_path=resolve_db_path(db))


# Command groups: (name on the command line, module with a Typer `app`). A module may
# also add commands to another group (e.g. `customers import`) when it is imported.
GROUPS = [
    ("customers", "crmcli.cli.customers"),
    ("purchases", "crmcli.cli.purchases"),
    ("db", "crmcli.cli.database"),
    ("config", "crmcli.cli.config"),
    ("complaints", "crmcli.cli.complaints"),
    ("tiers", "crmcli.cli.tiers"),
    ("imports", "crmcli.cli.imports"),
    ("followups", "crmcli.cli.followups"),
    ("contacts", "crmcli.cli.contacts"),
    ("templates", "crmcli.cli.templates"),
    ("export", "crmcli.cli.export"),
]
# Modules that only add commands to the groups above.
EXTENSIONS: list[str] = [
    "crmcli.cli.customers_import",
    "crmcli.cli.purchases_import",
    "crmcli.cli.customers_tiers",
    "crmcli.cli.customers_privacy",
]


def _register() -> None:
    from importlib import import_module

    for name, module in GROUPS:
        app.add_typer(import_module(module).app, name=name)
    for module in EXTENSIONS:
        import_module(module)
    from crmcli.cli.demo import demo

    app.command("demo")(demo)
    from crmcli.cli.agenda import register

    register(app)


_register()


def main() -> None:
    """Console-script entry point: quiet on a closed pipe (`crmcli … | head -1`)."""
    try:
        app()
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()


def _silence_stdout() -> None:
    # Python flushes stdout again at exit; point it at /dev/null so that flush is quiet.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
