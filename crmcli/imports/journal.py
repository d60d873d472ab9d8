"""The record of imports: each one begun, its changes noted (what `imports undo` reads),
finished or refused as a whole; the list of past imports; saved `--map` profiles."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import dates, text
from crmcli.errors import InvalidInput, InvalidValue, Named, NotFound
from crmcli.i18n import M_, M_n
from crmcli.imports.problems import Problems, rejects_path
from crmcli.imports.result import Counts, DryRun, ImportResult, Unchanged

if TYPE_CHECKING:  # `imports list` reads no file: the file readers stay unloaded
    from crmcli.engines import Engine
    from crmcli.imports.reading import FileInfo


def begin(db: Engine, *, kind: str, info: FileInfo, options: Mapping[str, Any]) -> int:
    return db.insert(
        "imports",
        {
            "kind": kind,
            "file_name": info.path.name,
            "sha256": info.sha256,
            "encoding": info.encoding,
            "options": json.dumps(dict(options), ensure_ascii=False, sort_keys=True),
            "started_at": dates.now_utc(),
        },
    )


def finish(db: Engine, import_id: int, counts: Counts) -> None:
    db.execute(
        "UPDATE imports SET finished_at = ?, added = ?, updated = ?, unchanged = ?, rejected = ?"
        " WHERE id = ?",
        [
            dates.now_utc(),
            counts.added,
            counts.updated,
            counts.unchanged,
            counts.rejected,
            import_id,
        ],
    )


def record_change(
    db: Engine,
    import_id: int,
    table: str,
    row_id: int,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Note a row an import added or changed (`before`/`after`: what undo compares)."""
    db.execute(
        "INSERT INTO import_changes (import_id, table_name, row_id, action, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            import_id,
            table,
            row_id,
            action,
            None if before is None else json.dumps(dict(before), ensure_ascii=False),
            None if after is None else json.dumps(dict(after), ensure_ascii=False),
        ],
    )


def finish_or_fail(
    result: ImportResult,
    problems: Problems,
    *,
    skip_invalid: bool,
    dry_run: bool,
    total_rows: int,
    path: Path | None = None,
) -> None:
    """Inside the transaction: abort on problems (unless skipped), roll back a dry run, and
    roll back an import that changed nothing (a re-import leaves no trace)."""
    result.problems = problems.kept
    result.problem_count = problems.count
    if problems.count and not skip_invalid and not dry_run:
        rejects = rejects_path(path).name if path else "FILE.rejects.csv"
        raise InvalidInput(
            problems.kept,
            summary=M_n(
                "{file}: nothing was imported; {n:,} line of {total} has problems:",
                "{file}: nothing was imported; {n:,} lines of {total} have problems:",
                problems.rows,
                file=result.file,
                total=f"{total_rows:,}",
            ),
            details=problems.explain(total_rows=total_rows, rejects=rejects),
        )
    if dry_run:
        raise DryRun(result)
    c = result.counts
    # Rows refused again (with --skip-invalid) change nothing either: the rejects file
    # is written, the database is not.
    if not (c.added or c.updated or c.merged or result.customers_created):
        raise Unchanged(result)


# --- a big import ----------------------------------------------------------------------------


class Upkeep(NamedTuple):
    """What a big import sets aside while it runs and builds once afterwards
    (`Engine.bulk_loading`): its tables' secondary indexes, or only the triggers that keep
    a search index up (`indexes=False`, for an import that reads the indexes as it goes)."""

    tables: tuple[str, ...]  # the first is weighed against the file
    min_rows: int  # worth it from a file of this many rows…
    share: float  # …that is at least this share of the rows already stored
    indexes: bool
    keys: bool = False  # unique keys too (`Engine.bulk_loading`): the import keeps rows unique


def set_aside(db: Engine, upkeep: Upkeep, estimated_rows: int) -> AbstractContextManager[Any]:
    """For a big import, `upkeep` set aside until the block ends (else nothing is): the
    block gets the engine when it is, None when not.

    Building once by sorting costs a fraction of a million random inserts kept up row
    by row, as long as the import is a good part of the table. It all happens inside
    the import's transaction, so a failed or killed import leaves it as it was. On
    PostgreSQL the indexes' exclusive locks keep readers of the table out until the
    import commits: the share rule keeps that to imports that outweigh the table (a
    first load), never a day's file into a big table.
    """
    if estimated_rows < upkeep.min_rows:
        return nullcontext()
    existing = db.execute(f'SELECT count(*) FROM "{upkeep.tables[0]}"').fetchone()[0]
    if estimated_rows < upkeep.share * existing:
        return nullcontext()
    return db.bulk_loading(  # type: ignore[no-any-return]
        upkeep.tables, indexes=upkeep.indexes, keys=upkeep.keys
    )


IMPORT_FIELDS = (
    "id",
    "kind",
    "file_name",
    "encoding",
    "started_at",
    "added",
    "updated",
    "unchanged",
    "rejected",
    "undone_at",
    "sha256",
)


def list_imports(db: Engine) -> Iterator[dict[str, Any]]:
    cursor = db.execute(f"SELECT {', '.join(IMPORT_FIELDS)} FROM imports ORDER BY id")
    columns = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(columns, row, strict=True))


# --- profiles ------------------------------------------------------------------------------


def save_profile(
    db: Engine, name: str, *, kind: str, mapping: Mapping[str, str], options: Mapping[str, Any]
) -> None:
    """Keep a `--map` set (and options such as the date order) under a name."""
    name = text.check(name.strip(), field=Named("save_profile"), indexed=True)
    if not name:
        raise InvalidValue(M_("a profile needs a name"))
    with db.write():
        db.execute(
            "INSERT INTO import_profiles (name, kind, mapping, options) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, mapping = excluded.mapping,"
            " options = excluded.options",
            [
                name,
                kind,
                json.dumps(dict(mapping), ensure_ascii=False),
                json.dumps(dict(options), ensure_ascii=False),
            ],
        )


def load_profile(db: Engine, name: str, *, kind: str) -> tuple[dict[str, str], dict[str, Any]]:
    row = db.execute(
        "SELECT kind, mapping, options FROM import_profiles WHERE name = ?", [name]
    ).fetchone()
    if row is None:
        raise NotFound(M_("no import profile {name}").format(name=repr(name)))
    if row[0] != kind:
        raise InvalidValue(
            M_("profile {name} is for {kind} imports, not {wanted}").format(
                name=repr(name), kind=row[0], wanted=kind
            )
        )
    return json.loads(row[1]), json.loads(row[2] or "{}")
