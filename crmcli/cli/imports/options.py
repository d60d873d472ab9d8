"""The options every import command shares, declared once; its progress bar and report."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from crmcli.cli.env import Env
from crmcli.cli.output import emit
from crmcli.dates import DATE_ORDERS
from crmcli.errors import InvalidInput, UsageError
from crmcli.i18n import _, ngettext, say_message
from crmcli.imports import journal, reading
from crmcli.imports.headers import parse_map
from crmcli.imports.problems import KEEP_PROBLEMS
from crmcli.imports.result import ImportResult

# Options shared by `customers import` and `purchases import`, declared once.
FileArg = Annotated[
    Path,
    typer.Argument(
        help="CSV, TSV, semicolon-separated, JSON/JSONL, vCard (.vcf) or spreadsheet (.xlsx)."
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="The file's encoding (default: BOM, UTF-8, else detected)."),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map", "-m", help="SOURCE=FIELD: read column SOURCE as FIELD (or 'extra', 'ignore')."
    ),
]
DateOrderOpt = Annotated[
    str | None,
    typer.Option("--date-order", help="How to read dates like 03/01/19: YMD, DMY or MDY."),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
]
SkipInvalidOpt = Annotated[
    bool,
    typer.Option(
        "--skip-invalid", help="Import the good rows; write the bad ones to a rejects file."
    ),
]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(
        "--rejects", help="Where --skip-invalid writes bad rows (default FILE.rejects.csv)."
    ),
]
ForceRejectsOpt = Annotated[
    bool,
    typer.Option("--force", help="Replace the rejects file if it already exists."),
]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="Use the --map and options saved under this name.")
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="Country of phone numbers written without a country code (JP, KR, US…); "
        "default: the file's own, else the phone.region setting.",
    ),
]
SaveProfileOpt = Annotated[
    str | None,
    typer.Option("--save-profile", help="Save this import's --map and options under a name."),
]

SUMMARY_FIELDS = ["import_id", "file", "encoding", "added", "updated", "unchanged", "rejected"]


def date_order(value: str | None) -> Any:
    if value is None:
        return None
    order = value.strip().upper()
    if order not in DATE_ORDERS:
        said = _("--date-order must be one of {orders}, not {value}")
        raise UsageError(said.format(orders=", ".join(DATE_ORDERS), value=repr(value)))
    return order


def resolve_options(
    env: Env,
    *,
    kind: str,
    mapping: list[str] | None,
    order: str | None,
    encoding: str | None,
    profile: str | None,
) -> tuple[dict[str, str], Any, str | None]:
    """--map, --date-order and --encoding, merged over a saved --profile, checked."""
    saved_map: dict[str, str] = {}
    saved_opts: dict[str, Any] = {}
    if profile:
        saved_map, saved_opts = journal.load_profile(env.db, profile, kind=kind)
    merged = {**saved_map, **parse_map(mapping or [])}
    chosen_order = date_order(order or saved_opts.get("date_order"))
    chosen_encoding = encoding or saved_opts.get("encoding")
    if chosen_encoding:  # refused before anything is read or saved (rot13, bz2…)
        chosen_encoding = reading.text_encoding(chosen_encoding)
    return merged, chosen_order, chosen_encoding


def save_profile(
    env: Env,
    name: str | None,
    *,
    kind: str,
    mapping: dict[str, str],
    order: str | None,
    encoding: str | None,
) -> None:
    """`--save-profile NAME`: kept once the import (or its dry run) has gone through.

    A refused import saves nothing, not even the options it was given: a missing file
    or a mapping the file does not fit must not leave a profile behind.
    """
    if not name:
        return
    options = {"date_order": order, "encoding": encoding}
    journal.save_profile(env.db, name, kind=kind, mapping=mapping, options=options)
    env.say(_("saved import profile {name}").format(name=repr(name)))


@contextmanager
def progress_bar(env: Env, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal's stderr; nothing at all when piped.

    Past the reading, the work's phases (`crmcli.progress.phase`) replace the count.
    """
    try:
        tty = env.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        yield None
        return
    from rich.progress import Progress

    from crmcli.cli.output import console

    with Progress(console=console(env, stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        def phase(name: str) -> None:
            # Past the reading, nothing is counted: the bar pulses beside what is being
            # done (a server's SQL over the whole file, the indexes built again), at once.
            bar.update(task, description=f"{label}: {_phase_label(name)}")
            for shown in bar.tasks:  # update(total=None) keeps the total: no count now
                if shown.id == task:
                    shown.total = None
            bar.refresh()

        update.phase = phase  # type: ignore[attr-defined]  # `crmcli.progress.phase`

        # The bar is erased before anything else reaches the terminal: the result table
        # or a message must never start on the line of the bar's last frame.
        streams = env.stdout, env.stderr
        env.stdout, env.stderr = _StopFirst(env.stdout, bar.stop), _StopFirst(env.stderr, bar.stop)
        try:
            yield update
        finally:
            env.stdout, env.stderr = streams


def _phase_label(name: str) -> str:
    from crmcli import progress

    return {
        progress.CHECKING: _("checking the lines"),
        progress.STORING: _("storing the lines"),
        progress.INDEXING: _("building the indexes"),
        progress.VERIFYING: _("checking the copy"),
    }[name]


class _StopFirst:
    """A stream that calls `stop` (ending a live display) before its first write."""

    def __init__(self, stream: Any, stop: Callable[[], None]) -> None:
        self._stream = stream
        self._stop: Callable[[], None] | None = stop

    def write(self, text: str) -> int:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()
        return int(self._stream.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="On a refused file, list every problem, not one line per reason."
    ),
]


def report(
    env: Env, run: Callable[[], ImportResult], fmt: Any, *, verbose: bool = False
) -> ImportResult:
    """Run an import; the summary on stdout, notes on stderr.

    A refused file is told once, the fix first: one line per reason with its count and
    first line numbers (every problem with `--verbose`).
    """
    try:
        result = run()
    except InvalidInput as exc:
        if verbose:
            for problem in exc.problems:
                env.say("  " + say_message(str(problem)))
            if len(exc.problems) >= KEEP_PROBLEMS:
                said = _(
                    "(the first {n} are listed; --skip-invalid writes every refused line to "
                    "the rejects file)"
                )
                env.say("  " + said.format(n=f"{len(exc.problems):,}"))
        raise
    c = result.counts
    if result.dry_run:
        for problem in result.problems:
            env.say("  " + say_message(str(problem)))
    emit(
        env,
        [
            {
                "import_id": result.import_id,
                "file": result.file,
                "encoding": result.encoding,
                "added": c.added,
                "updated": c.updated,
                "unchanged": c.unchanged,
                "rejected": c.rejected,
                "merged": c.merged,
                "anonymous": c.anonymous,
            }
        ],
        # Each kind's own count, when there is one (the table stays within 80 columns
        # otherwise): rows merged into one customer; sales with no customer.
        fields=[*SUMMARY_FIELDS, *(k for k in ("merged", "anonymous") if getattr(c, k))],
        fmt=fmt,
    )
    for note in result.notes:  # the core's notes, said in the user's language
        env.say(say_message(note))
    if result.dry_run:
        said = _(
            "{file} ({encoding}): would add {added}, update {updated}, leave {unchanged} "
            "unchanged, reject {rejected}"
        )
    else:
        said = _(
            "{file} ({encoding}): added {added}, updated {updated}, unchanged {unchanged}, "
            "rejected {rejected}"
        )
    line = said.format(
        file=result.file,
        encoding=result.encoding,
        added=c.added,
        updated=c.updated,
        unchanged=c.unchanged,
        rejected=c.rejected,
    )
    if c.merged:
        merged = ngettext(
            "{n} row merged into a customer an earlier row gave",
            "{n} rows merged into a customer an earlier row gave",
            c.merged,
        )
        line += "; " + merged.format(n=c.merged)
    if c.anonymous:
        sales = ngettext("{n} anonymous sale", "{n} anonymous sales", c.anonymous)
        line += "; " + sales.format(n=c.anonymous)
    if result.customers_created:
        n = result.customers_created
        line += "; " + ngettext("{n} new customer", "{n} new customers", n).format(n=n)
    if result.dry_run:
        line = _("dry run, nothing written: {summary}").format(summary=line)
    elif result.import_id:
        undo = _("(import #{id}; `crmcli imports undo {id}`)").format(id=result.import_id)
        line += " " + undo
    env.say(line)
    if result.rejects:
        env.say(_("rejected rows, with a reason column: {path}").format(path=result.rejects))
    return result
