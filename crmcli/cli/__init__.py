"""The `crmcli` command: a thin layer that parses, calls the core, and renders.

Each module here holds the commands in front of the core module of the same name
(cli/tiers.py before tiers.py; `crmcli config` in cli/settings.py before settings.py),
or adds them to another group (cli/customers_buying.py: `customers who-bought`…);
COMMANDS below says which module each command loads (tests/test_module_names.py).
Errors are handled once, in `CrmGroup.invoke`: a domain error becomes one line on
stderr and its exit status — never a traceback; the fields a core message names
(`errors.Named`) are said as the options a user types (`--skip-reason`).
"""

import gc
import os
import sqlite3
import sys
import weakref
from types import MethodType
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from crmcli import __version__
from crmcli.cli.env import Env
from crmcli.cli.screen import fitted, printable
from crmcli.errors import CrmError, ExitStatus, FieldMessage
from crmcli.i18n import N_, _, say_message, use_setting


class CrmGroup(TyperGroup):
    """The root group: turns domain and SQLite errors into a message and an exit code."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        # The root's own help is drawn before its callback reads --db: until then the
        # setting ui.language is read where --db (as typed), $CRMCLI_DB or the default
        # location points.
        given = sys.argv[1:] if args is None else list(args)
        use_setting(_language_setting(_db_option(given)))
        _name_values(self)  # `--db DB`, as every command's values are named
        return super().main(args, *rest, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except typer.TyperException as exc:  # `crmcli --nope`: click's own message
            _click_error_in_language(exc)
            raise

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from crmcli.cli.help import prepare

        prepare(self, ctx)
        super().format_help(ctx, formatter)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        from crmcli.cli.i18n import usage

        usage(self, ctx, formatter)

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(c for c in super().list_commands(ctx) if c not in COMMANDS)]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        found = super().resolve_command(ctx, args)
        if not gc.isenabled():  # paused by the entry point while the code loads
            # What start-up made lives as long as the run: frozen, the collector does not
            # walk it all once more (that first walk cost 5-15 % of `customers show`).
            gc.freeze()
            gc.enable()
        return found

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            command = self.commands[cmd_name] = load_command(cmd_name)
        return command

    def invoke(self, ctx: Any) -> Any:
        # A command's --output files are put in place when it succeeds, dropped otherwise.
        try:
            result = self._invoke(ctx)
        except typer.Exit as exc:
            _close_outputs(ctx, keep=exc.exit_code == 0)
            raise
        except (typer.TyperException, typer.Abort, EOFError) as exc:  # a usage error worded
            # by click, or a question answered no or not at all: typer says it ("Aborted.")
            _close_outputs(ctx, keep=False)
            _click_error_in_language(exc)
            raise
        except BaseException:
            _close_outputs(ctx, keep=False)
            raise
        _close_outputs(ctx, keep=True)
        return result

    def _invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except FieldMessage as exc:  # the core names fields; the user typed options
            _fail(ctx, exc.text(option_for, say_message), exc.exit_status)
        except CrmError as exc:  # the core says it in English; the user reads it in theirs
            _fail(ctx, say_message(str(exc)), exc.exit_status)
        except sqlite3.DatabaseError as exc:  # locked, read-only, disk full, damaged file
            from crmcli.db import explain

            _fail(ctx, explain(exc), ExitStatus.ERROR)
        except UnicodeEncodeError as exc:  # PYTHONIOENCODING=ascii, a C locale: CSV cannot
            # be written with characters left out or replaced without lying about the data.
            bad = exc.object[exc.start : exc.end] if isinstance(exc.object, str) else "?"
            said = _(
                "the output's encoding ({encoding}) cannot write {text}; set "
                "PYTHONIOENCODING=utf-8 (or a UTF-8 locale), or use --format json, which escapes it"
            )
            _fail(ctx, said.format(encoding=exc.encoding, text=ascii(bad)), ExitStatus.ERROR)
        except BrokenPipeError:  # `crmcli … | head -1`: the reader has all it wanted
            _silence_stdout()
            raise typer.Exit(0) from None
        except OSError as exc:  # a file named on the command line: missing, unreadable, full
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(ctx, f"{where}{exc.strerror or exc}", ExitStatus.ERROR)
        except KeyboardInterrupt:
            _fail(ctx, _("interrupted; nothing half-written was kept"), ExitStatus.INTERRUPTED)


def _click_error_in_language(exc: Exception) -> None:
    """click's usage error (`No such option`…), shown by typer, in the user's language."""
    from crmcli.cli.i18n import say_click_error  # only when something went wrong

    say_click_error(exc)


def _close_outputs(ctx: Any, *, keep: bool) -> None:
    # The command is over: what start-up froze (resolve_command) is the collector's again,
    # so that at exit it finalizes the Env, its database and any half-read listing in
    # the order it always has.
    gc.unfreeze()
    env = ctx.obj if isinstance(ctx.obj, Env) else None
    if env is None:
        return
    try:
        env.close_outputs(keep=keep)
    except CrmError as exc:  # the file appeared meanwhile, or the disk filled at the end
        _fail(ctx, str(exc), exc.exit_status)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(ctx, f"{where}{exc.strerror or exc}", ExitStatus.ERROR)


def _db_option(args: list[str]) -> str | None:
    """`--db`'s value among the root's options (before the command's name), if given."""
    for i, arg in enumerate(args):
        if arg == "--db" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--db="):
            return arg.removeprefix("--db=")
        if not arg.startswith("-"):
            return None  # the command's name: its own options are not the root's
    return None


def _language_setting(target: Any, env: Env | None = None) -> Any:
    """Reads `ui.language` from the database at `target` when a message needs it: through
    the command's own connection once it has one (`env`), else read-only from the file."""

    # Weakly: crmcli.i18n keeps each reader it was given, and with it the Env (a test
    # process runs hundreds of commands, each with its own connection).
    alive = weakref.ref(env) if env is not None else None

    def read() -> str | None:
        current = alive() if alive is not None else None
        engine = current.opened if current is not None else None
        if engine is not None:  # no second connection, nor the message layer's module
            try:
                row = engine.execute(
                    "SELECT value FROM settings WHERE key = ?", ["ui.language"]
                ).fetchone()
            except engine.Error:  # closed meanwhile: the file is read as before a command
                pass
            else:
                return row[0] if row and isinstance(row[0], str) else None
        from crmcli.cli.i18n import stored_language

        return stored_language(target)

    return read


def option_for(field: str) -> str:
    """The option a core field is given with: `skip_reason` → `--skip-reason`."""
    return "--" + field.replace("_", "-")


def _fail(ctx: Any, message: str, status: ExitStatus) -> None:
    env = ctx.obj if isinstance(ctx.obj, Env) else None
    stream = env.stderr if env else sys.stderr
    # The message may quote what the user typed or a stored name: never raw escapes. On a
    # terminal its lines fit it, broken between words in every language.
    said = f"crmcli: error: {printable(message, newlines=True)}"
    print(fitted(said, stream), file=stream, flush=True)
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
            help="Database file, or a postgresql:// URL; else $CRMCLI_DB; else the user data "
            "directory.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Customer management for small shops: whom to call, greet or visit today, and why."""
    from crmcli.db import resolve_db_path  # here, not at the top: `--version` needs no database

    ctx.obj = Env(db_path=resolve_db_path(db))
    use_setting(_language_setting(ctx.obj.db_path, ctx.obj))


# Every command, loaded only when it runs (or when help lists them all), so that
# `crmcli due` in a cron job pays for the agenda and nothing else.
# name → (module, attribute): a Typer app is a command group, a function one command.
COMMANDS: dict[str, tuple[str, str]] = {
    "customers": ("crmcli.cli.customers", "app"),
    "purchases": ("crmcli.cli.purchases", "app"),
    "items": ("crmcli.cli.launches", "app"),
    "imports": ("crmcli.cli.imports.journal", "app"),
    "due": ("crmcli.cli.agenda", "due_app"),
    "greet": ("crmcli.cli.greetings", "greet"),
    "followups": ("crmcli.cli.followups", "app"),
    "contacts": ("crmcli.cli.contacts", "app"),
    "templates": ("crmcli.cli.templates", "app"),
    "tiers": ("crmcli.cli.tiers", "app"),
    "complaints": ("crmcli.cli.complaints", "app"),
    "visits": ("crmcli.cli.visits", "app"),
    "export": ("crmcli.cli.ics", "app"),
    "db": ("crmcli.cli.db", "app"),
    "config": ("crmcli.cli.settings", "app"),
    "demo": ("crmcli.cli.demo", "demo"),
}
# How `crmcli --help` groups the commands, for a shop owner scanning it.
PANELS = {
    N_("Every day"): ("due", "greet", "followups", "contacts", "customers", "purchases"),
    N_("Looking after customers"): ("tiers", "visits", "items", "complaints", "templates"),
    N_("Bringing data in and out"): ("imports", "export"),
    N_("Set-up"): ("config", "db", "demo"),
}
_PANEL_OF = {name: panel for panel, names in PANELS.items() for name in names}

# Modules that add commands to a group (`customers import`…) and the commands each adds,
# in order: imported when one of those commands runs or help lists them, so that
# `customers search` does not load the import machinery (tests/test_cli.py checks
# the names against what the modules add).
EXTENSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "crmcli.cli.imports.customers": ("import",),
        "crmcli.cli.customers_export": ("export",),
        "crmcli.cli.customers_merge": ("dupes", "merge"),
        "crmcli.cli.customers_tiers": ("set-tier", "at-risk"),
        "crmcli.cli.customers_buying": ("who-bought", "set-attitude", "attitudes"),
        "crmcli.cli.customers_launches": ("early-adopters",),
        "crmcli.cli.customers_privacy": ("forget",),
        "crmcli.cli.customers_relations": ("relate", "unrelate", "relations"),
    },
    "purchases": {
        "crmcli.cli.imports.purchases": ("import",),
        "crmcli.cli.purchases_export": ("export",),
    },
}  # fmt: skip


class LazyGroup(TyperGroup):
    """A command group that builds a command when it runs or help lists it, and imports
    the EXTENSIONS module that adds it on first use: typer builds every command of a
    group at once, each from its function's signature (~0.4 ms a command; `customers`
    has nine before its extensions), and a run needs one."""

    app: Any  # the group's typer.Typer; both set by load_command
    extensions: dict[str, tuple[str, ...]]

    def list_commands(self, ctx: Any) -> list[str]:
        # The group's own commands, then each extension's as EXTENSIONS declares them,
        # whichever of them a run has loaded so far.
        later = [n for names in self.extensions.values() for n in names]
        built = [n for n in (*self._infos(), *self.commands) if n not in later]
        return [*dict.fromkeys(built), *later]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name not in self._infos():
            self._load_extensions(cmd_name)
        info = self._infos().get(cmd_name)
        if cmd_name not in self.commands and info is not None:
            self.commands[cmd_name] = self._build(info)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # A typo: typer suggests a command from those built ("did you mean"): all of them.
        if args and args[0] not in self.list_commands(ctx):
            self._load_extensions()
            for name in self.list_commands(ctx):
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def _infos(self) -> dict[str, Any]:
        """The group's commands as typer registered them (extensions once imported)."""
        import typer.main

        return {
            info.name or typer.main.get_command_name(info.callback.__name__): info
            for info in self.app.registered_commands
        }

    def _build(self, info: Any) -> Any:
        import typer.main

        command = typer.main.get_command_from_info(
            info,
            pretty_exceptions_short=self.app.pretty_exceptions_short,
            rich_markup_mode=self.app.rich_markup_mode,
        )
        _help_in_language(command)
        return command

    def _load_extensions(self, name: str | None = None) -> None:
        """Import the extension module that adds command `name` (all of them for None,
        or a name none adds): `customers attitudes` loads no import machinery."""
        from importlib import import_module

        adding = [m for m, names in self.extensions.items() if name in names]
        for module in adding or self.extensions:
            import_module(module)  # each adds its commands to self.app


def load_command(name: str) -> Any:
    """Build the click command for `name` from its module (see COMMANDS)."""
    from copy import copy
    from importlib import import_module

    import typer.main

    module, attribute = COMMANDS[name]
    target = getattr(import_module(module), attribute)
    command: Any
    if isinstance(target, typer.Typer):
        bare = copy(target)  # the group itself, its commands built on demand (LazyGroup)
        bare.registered_commands = []
        command = typer.main.get_group(bare)
        command.__class__ = LazyGroup
        command.app, command.extensions = target, EXTENSIONS.get(name, {})
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    command.rich_help_panel = _PANEL_OF.get(name)
    _help_in_language(command)
    return command


def _help_in_language(command: Any) -> None:
    """Make `command` (and those under it) say their help in the user's language.

    Only when help is shown do the translation and layout modules load (crmcli/cli/i18n.py,
    help.py): a command that just runs opens no catalog.
    """
    if "format_help" not in command.__dict__:
        command.format_help = MethodType(_format_help, command)
        command.format_usage = MethodType(_format_usage, command)
        _name_values(command)
    for sub in getattr(command, "commands", {}).values():
        _help_in_language(sub)


# The types whose value typer named by the Python type (`--owner <str>`, `--days <int
# range>`, `ref <str>`): words that tell a person nothing, in no language.
PLAIN_TYPES = frozenset({"str", "int", "float", "int range", "float range", "path"})


def _name_values(command: Any) -> None:
    """Name each plain value as its option or argument is named, in capitals: `--owner
    OWNER`, `--as-of AS_OF`, `customers show REF` — the house style of the help texts
    (`merge OTHER into KEEP`, `SOURCE=FIELD`), and argparse's. A list of choices, a flag
    and a metavar a command gives (`db backup --as KIND`) stay as they are."""
    for param in command.params:
        if param.metavar is not None or param.type.name not in PLAIN_TYPES:
            continue
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            continue
        if param.param_type_name == "argument":
            name = param.name or ""
        else:
            name = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        name = name.lstrip("-").replace("-", "_").upper()
        param.metavar = name if param.nargs == 1 else f"{name}..."


def _format_help(self: Any, ctx: Any, formatter: Any) -> None:
    from crmcli.cli.help import prepare

    prepare(self, ctx)
    type(self).format_help(self, ctx, formatter)


def _format_usage(self: Any, ctx: Any, formatter: Any) -> None:
    from crmcli.cli.i18n import usage

    usage(self, ctx, formatter)


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
