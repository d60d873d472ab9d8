"""Help in the user's language: typer's help texts looked up in the catalogs when shown.

Typer holds help as plain strings on the click commands (docstrings, `help=`, panel
names). They are translated when a help screen is drawn, never before: a command that
runs without `--help` opens no catalog and reads no setting. The English text stays on
each object, so the next help (a test in another language) starts from it again.
`crmcli.i18n.extract_help` extracts the same strings for the catalogs.
"""

from __future__ import annotations

import inspect
from contextlib import closing
from typing import Any

from crmcli.cli.table import unwrapped
from crmcli.db_url import PostgresUrl, Target
from crmcli.errors import CrmError
from crmcli.i18n import M_, N_, _, pgettext, reword, say_message, translate

# Click's and typer's own words on a help screen (they look them up in no catalog of ours).
CLICK_WORDS = {
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEFAULT_STRING": N_("[default: {}]"),
}
N_("Show this message and exit.")  # click's --help
N_("Install completion for the current shell.")  # typer's --install-completion
N_("Show completion for the current shell, to copy it or customize the installation.")

_ENGLISH = "_crmcli_english"

# --- click's own usage errors ------------------------------------------------------------
# typer (0.28) carries its own copy of click, which words a usage error in English with
# f-strings and no catalog; typer then draws it in a panel. These are the shapes of those
# messages as that click makes them (tests/test_i18n_cli.py makes each one happen, so a
# typer that words one differently fails there): the message is found again among them,
# as a core message is (`say_message`), and said in the language with its values
# (options, the value typed) as they were. Nested: "Invalid value for '--days': 'x' is
# not a valid integer." is two of them.
CLICK_ERRORS = (
    M_("No such option: {option}"),
    M_("{message} (Possible options: {options})"),
    M_("No such command {name}."),
    M_("No such command {name}. Did you mean {suggestions}?"),
    M_("Missing command."),
    M_("Missing argument {name}."),
    M_("Missing option {name}."),
    M_("Missing parameter {name}."),
    M_("Missing parameter: {name}"),
    M_("{message} Choose from:"),
    M_("Option {option} requires an argument."),
    M_("Option {option} requires {n} arguments."),
    M_("Option {option} does not take a value."),
    M_("Argument {argument} takes {n} values."),
    M_("Got unexpected extra argument(s) ({arguments})"),
    M_("Invalid value for {parameter}: {message}"),
    M_("Invalid value: {message}"),
    M_("{value} is not a valid {type}."),
    M_("{value} is not in the range {range}."),
    M_("{value} is not one of {choices}."),
    M_("{value} is not a valid boolean. Recognized values: {values}"),
    M_("{value} does not match the formats {formats}."),
    M_("Takes {n} values but {given} given."),
    M_("{n} values are required, but {given} given."),
    # The names click gives its types in "… is not a valid {type}".
    *(M_("int"), M_("int range"), M_("float"), M_("float range"), M_("datetime")),
)  # fmt: skip
# The words around it, typer's: the panel's title, the hint under the usage line.
ERROR_WORDS = {
    "ERRORS_PANEL_TITLE": N_("Error"),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
    "ABORTED_TEXT": N_("Aborted."),
}


def say_click_error(exc: Exception) -> None:
    """Make click's error `exc` say its message, and typer its panel, in the user's language."""
    from typer import rich_utils  # typer draws the error with it next

    for name, english in ERROR_WORDS.items():
        setattr(rich_utils, name, _(english))
    if not hasattr(exc, "format_message") or type(exc).__name__ == "NoArgsIsHelpError":
        return  # an abort ("Aborted." only), or the help itself, drawn already
    english = exc.format_message()  # type: ignore[attr-defined]
    said = say_message(english)
    if said != english:
        exc.format_message = lambda: said  # type: ignore[attr-defined]


def usage(command: Any, ctx: Any, formatter: Any) -> None:
    """click's usage line, its "Usage:" in the user's language."""
    pieces = command.collect_usage_pieces(ctx)
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage:") + " ")


def translate_help(command: Any, ctx: Any) -> None:
    """Put `command`'s help, its parameters' and its subcommands' in the user's language."""
    from typer import rich_utils  # loaded already: the help screen is being drawn

    for name, english in CLICK_WORDS.items():
        setattr(rich_utils, name, _(english))
    _translate(command, "help", "short_help", "epilog", "rich_help_panel")
    for param in command.get_params(ctx):
        _translate(param, "help", "rich_help_panel")
    if hasattr(command, "list_commands"):  # a group: its commands' one-line help
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                _translate(sub, "help", "short_help", "rich_help_panel")


def _translate(obj: object, *attributes: str) -> None:
    english = obj.__dict__.setdefault(_ENGLISH, {})
    for attribute in attributes:
        if attribute not in english:
            english[attribute] = getattr(obj, attribute, None)
        text = english[attribute]
        if isinstance(text, str) and text:
            # One line a paragraph: the screen wraps it to its width (help.py).
            setattr(obj, attribute, unwrapped(translate(inspect.cleandoc(text))))


def stored_language(target: Target | str | None) -> str | None:
    """The setting `ui.language` as stored in the database at `target`, read-only.

    `target` is the database's location, or `--db` as typed (None: `$CRMCLI_DB`, else the
    default location): an SQLite file or a PostgreSQL server's database. None when there
    is none to read: no file yet, no server answering, an unreadable file. Never
    creates or migrates.
    """
    import sqlite3
    from urllib.parse import quote

    from crmcli.db import MEMORY, resolve_db_path

    try:
        if target is None or isinstance(target, str):  # as typed after --db, or not at all
            target = resolve_db_path(target)
    except CrmError:  # $CRMCLI_DB names a scheme crmcli refuses: the command will say so
        return None
    if isinstance(target, PostgresUrl):
        from crmcli.postgres import stored_setting

        return stored_setting(target, "ui.language")
    if str(target) == MEMORY or not target.is_file():
        return None
    try:
        uri = f"file:{quote(str(target.resolve()))}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=0.5)) as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = 'ui.language'").fetchone()
    except sqlite3.Error:  # not crmcli's file, locked, damaged: the command will say so
        return None
    return row[0] if row and isinstance(row[0], str) else None


# --- a table's words -------------------------------------------------------------------
# A column's header is its field's name, said in the user's language on a terminal (CSV
# and JSON keep the name: scripts read it); a field not listed here keeps its name.
HEADERS = (
    *(N_("date"), N_("kind"), N_("ref"), N_("name"), N_("salutation"), N_("phone")),
    *(N_("why"), N_("owner"), N_("email"), N_("message"), N_("id"), N_("code"), N_("tags")),
    *(N_("status"), N_("customer"), N_("customer_name"), N_("amount"), N_("item")),
    *(N_("order_id"), N_("file_name"), N_("encoding"), N_("started_at"), N_("added")),
    *(N_("updated"), N_("unchanged"), N_("rejected"), N_("undone_at"), N_("day"), N_("note")),
    *(N_("rrule"), N_("at"), N_("channel"), N_("by"), N_("body"), N_("tier"), N_("customers")),
    *(N_("revenue"), N_("share_pct"), N_("average"), N_("run"), N_("as_of"), N_("rule")),
    *(N_("window"), N_("created_at"), N_("change"), N_("spend_before"), N_("spend_after")),
    *(N_("rank"), N_("spend"), N_("above_pct"), N_("reason"), N_("opened_on"), N_("severity")),
    *(N_("stage"), N_("due_on"), N_("summary"), N_("event"), N_("details"), N_("section")),
    *(N_("key"), N_("value"), N_("default"), N_("help"), N_("last"), N_("days_since")),
    *(N_("interval_days"), N_("ratio"), N_("attitude"), N_("suggested"), N_("visits")),
    *(N_("early_launches"), N_("score"), N_("birthday"), N_("relation"), N_("who")),
    *(N_("goal"), N_("next"), N_("on"), N_("met"), N_("repeats"), N_("of"), N_("cause")),
    *(N_("matched"), N_("spent"), N_("launches"), N_("from"), N_("to"), N_("source")),
    *(N_("a_name"), N_("b_name")),
    # Every customer field, as `customers export` or `--fields` shows it in a table.
    *(N_("family_name"), N_("given_name"), N_("patronymic"), N_("name_reading")),
    *(N_("addressed_as"), N_("gender"), N_("locale"), N_("locale_source"), N_("phones")),
    *(N_("phone_e164"), N_("phones_e164"), N_("birthday_lunar"), N_("birthday_leap")),
    *(N_("anniversary"), N_("address"), N_("postcode"), N_("company"), N_("occupation")),
    *(N_("income_band"), N_("notes"), N_("lost_at"), N_("lost_reason")),
    *(N_("prospect_calls_from"), N_("tier_override"), N_("tier_override_reason")),
    *(N_("tier_override_at"), N_("contact_days"), N_("contact_hours"), N_("do_not_contact")),
    N_("updated_at"),
    *(N_("category"), N_("delivery_date"), N_("line_id"), N_("quantity"), N_("unit_price")),
    *(N_("days_overdue"), N_("items")),
)  # fmt: skip
# The fixed values a person reads in these columns: agenda kinds, complaint stages and
# causes. Display only: the stored value, `--kind`/`--to` and CSV/JSON keep the name.
VALUES: dict[str, frozenset[str]] = {
    "kind": frozenset(
        {
            *(N_("birthday"), N_("anniversary"), N_("holiday"), N_("after-sale"), N_("thanks")),
            *(N_("prospect"), N_("visit"), N_("followup"), N_("complaint")),
            N_("family-birthday"),
        }
    ),
    "stage": frozenset(
        {
            *(N_("received"), N_("apologized"), N_("cause-found"), N_("resolved")),
            *(N_("followed-up"), N_("closed")),
        }
    ),
    "cause": frozenset(
        {N_("expectation"), N_("product-quality"), N_("staff-service"), N_("other")}
        | {N_("(not recorded)")}  # complaints report: complaints with no cause yet
    ),
}
VALUES["next_stage"] = VALUES["stage"]
VALUES["event"] = frozenset({N_("opened"), N_("advanced"), N_("skipped to"), N_("reopened")})
VALUES["severity"] = frozenset({N_("low"), N_("normal"), N_("high")})
VALUES["status"] = frozenset({N_("customer"), N_("prospect"), N_("lost")})
VALUES["relation"] = frozenset(
    {N_("spouse"), N_("child"), N_("parent"), N_("sibling"), N_("colleague")}
    | {N_("referred by"), N_("referred")}
)
# A complaint's or a contact's channel: the usual ones (any other word is shown as typed).
VALUES["channel"] = frozenset(
    {N_("store"), N_("phone"), N_("online"), N_("email"), N_("sns"), N_("visit"), N_("other")}
    | {N_("call"), N_("sms")}
)
# How a customer moved between two runs (tiers changes); where an item's launch day comes
# from (items list); why two customers may be one (customers dupes).
VALUES["change"] = frozenset({N_("new"), N_("left"), N_("demoted"), N_("promoted")})
VALUES["source"] = frozenset({N_("first sale"), N_("before records")})
VALUES["reason"] = frozenset({N_("phone"), N_("email"), N_("name")})
# A customer's attitude (seed 003): set by hand, or suggested by their buying.
VALUES["attitude"] = frozenset({N_("loyal"), N_("brand-switching"), N_("no-loyalty")})
VALUES["suggested"] = VALUES["attitude"]
_HEADERS = frozenset(HEADERS)
# What an import read (`imports list`'s kind). The same words are headers elsewhere (the
# msgid `customers` is a count of customers), so these carry their own context.
_IMPORT_KINDS = {
    "customers": lambda: pgettext("import kind", "customers"),
    "purchases": lambda: pgettext("import kind", "purchases"),
}


def header(field: str) -> str:
    """A column's header for a person: the field's name in the user's language."""
    return _(field) if field in _HEADERS else field


def shown_value(field: str, value: object) -> object:
    """A kind, stage or cause, or an agenda item's why, in the user's language; any other
    value as it is."""
    if isinstance(value, str):
        if field == "matched":  # the fields a search found the customer in (`name, code`)
            return ", ".join(header(name) for name in value.split(", "))
        if value in VALUES.get(field, ()):
            return _(value)
        if field == "kind" and value in _IMPORT_KINDS:
            return _IMPORT_KINDS[value]()
        if field == "why":
            return _why(value)
        if field == "reason":  # a tier run's reason: a core message (tiers.py)
            return say_message(value)
    return value


def _why(text: str) -> str:
    # The agenda's modules are loaded already: only `due` prints a why.
    from crmcli.agenda import WHY_LATER
    from crmcli.agenda_sources import WHY, WHY_NESTED, WHY_WORDS

    labels = (*VALUES["stage"], *VALUES["severity"], *VALUES["relation"])
    # What a line adds around its item's why first; then the longest template first.
    order = (*sorted(WHY_LATER, key=len, reverse=True), *sorted(WHY, key=len, reverse=True))
    return reword(text, (*order, *labels), WHY_NESTED | {"why"}, WHY_WORDS)
