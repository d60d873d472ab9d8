"""`crmcli db …`: where the database is, whether it is healthy, a backup, migrations."""

from pathlib import Path
from typing import Annotated

import typer

from crmcli import db as dbmod
from crmcli.cli.env import Env, get_env
from crmcli.db_url import PostgresUrl
from crmcli.errors import CrmError
from crmcli.i18n import _, ngettext
from crmcli.migrations import applied_names

app = typer.Typer(
    help="The database (a file, or on a PostgreSQL server): path, check, backup, migrate, copy.",
    no_args_is_help=True,
)


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print the database file's path (it may not exist yet), or its URL, password masked."""
    print(get_env(ctx).db_path, file=get_env(ctx).stdout)


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Run SQLite's integrity and foreign-key checks; exit 1 if anything is wrong.

    On PostgreSQL, which checks those itself: whether crmcli's schema is there and up
    to date.
    """
    env = get_env(ctx)
    if isinstance(env.db_path, PostgresUrl):
        from crmcli import postgres

        conn = postgres.open_db(env.db_path, migrate=False)
        try:
            problems = postgres.check(env.db_path, conn)
        finally:
            conn.close()
    else:
        problems = dbmod.check(env.read_db())
    if problems:
        for p in problems:
            env.say(p)
        said = ngettext(
            "{database}: {n} problem found", "{database}: {n} problems found", len(problems)
        )
        raise CrmError(said.format(database=env.db_path, n=len(problems)))
    env.say(_("{database}: ok").format(database=env.db_path))


@app.command("backup")
def backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="The backup file to create.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace TARGET if it already exists.")
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="KIND",
            help="On PostgreSQL: sqlite (a crmcli database file) or pg_dump (an archive for "
            "pg_restore). Default: pg_dump when it is installed, else sqlite.",
        ),
    ] = None,
) -> None:
    """Copy the database consistently, even while another process writes (created 0600).

    On PostgreSQL the copy is a pg_dump archive (restore it with pg_restore), or an
    SQLite file when pg_dump is not installed or --as sqlite asks for one: crmcli opens
    it with --db, and `crmcli db copy FILE URL` puts it back on a server.
    """
    from crmcli import db_copy
    from crmcli.cli.imports.options import progress_bar

    env = get_env(ctx)
    database = env.read_db()
    with progress_bar(env, _("backing up")) as progress:
        made = db_copy.back_up(database, target, kind=kind, force=force, progress=progress)
    values = {"database": env.db_path, "target": target}
    if not isinstance(env.db_path, PostgresUrl):  # a file's backup is a file, as always
        env.say(_("backed up {database} to {target}").format(**values))
    elif made.kind == db_copy.PG_DUMP:
        said = _("backed up {database} to {target}: a pg_dump archive (restore it with pg_restore)")
        env.say(said.format(**values))
    else:
        assert made.checked is not None
        said = _(
            "backed up {database} to {target}: an SQLite file, {rows} rows in {tables} "
            "tables, their counts and money sums checked (open it with --db {target}; "
            "`crmcli db copy {target} URL` puts it back on a server)"
        )
        rows, tables = f"{made.checked.rows:,}", len(made.checked.tables)
        env.say(said.format(**values, rows=rows, tables=tables))
        if made.without_pg_dump:
            env.say(
                _(
                    "note: pg_dump is not installed, so the backup is an SQLite file; for a "
                    "pg_dump archive install it (Debian: apt-get install postgresql-client)"
                )
            )


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt",
            help="Add crmcli's tables to an SQLite file that is not crmcli's (never done unasked).",
        ),
    ] = False,
) -> None:
    """Bring the database's schema up to date (creating it if there is none)."""
    env = get_env(ctx)
    if isinstance(env.db_path, PostgresUrl):
        _migrate_postgres(env, env.db_path, adopt=adopt)
        return
    database = dbmod.open_sqlite(env.db_path, migrate=False, adopt=adopt)
    done = dbmod.apply_pending(database)
    dbmod.use_wal(database)  # an adopted file, now crmcli's: readers never block a writer
    env.say(
        _("applied: {names}").format(names=", ".join(done))
        if done
        else _("the schema is up to date")
    )
    env.say(_("migrations: {names}").format(names=", ".join(applied_names(database))))


def _migrate_postgres(env: Env, url: PostgresUrl, *, adopt: bool) -> None:
    from crmcli import postgres, postgres_schema

    conn = postgres.open_db(url, migrate=False, adopt=adopt)
    try:
        done = postgres.migrate(url, conn)
        env.say(
            _("applied: {names}").format(names=", ".join(done))
            if done
            else _("the schema is up to date")
        )
        env.say(
            _("migrations: {names}").format(names=", ".join(postgres_schema.applied_names(conn)))
        )
    finally:
        conn.close()


@app.command("copy")
def copy_database(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="SRC",
            help="The crmcli database to copy: an SQLite file or a postgresql:// URL.",
        ),
    ],
    dest: Annotated[
        str,
        typer.Argument(
            metavar="DEST",
            help="Where to copy it: a new SQLite file, or an empty PostgreSQL database's URL.",
        ),
    ],
) -> None:
    """Copy a whole crmcli database to another engine (SQLite ⇄ PostgreSQL) or file.

    DEST must hold nothing yet. It is filled in one transaction, then its
    row counts and money sums are checked against SRC's: on a failure or a
    mismatch it is left as it was. SRC is read in one snapshot (it may stay
    in use meanwhile).
    """
    from crmcli import db_copy
    from crmcli.cli.imports.options import progress_bar
    from crmcli.db_url import parse

    env = get_env(ctx)
    src, dst = parse(source, source="SRC"), parse(dest, source="DEST")
    with progress_bar(env, _("copying")) as progress:
        done = db_copy.copy_database(src, dst, progress=progress)
    said = _("copied {source} to {dest}: {tables} tables, {rows} rows in {seconds} s")
    rows, seconds = f"{done.rows:,}", f"{done.seconds:.1f}"
    env.say(said.format(source=src, dest=dst, tables=len(done.tables), rows=rows, seconds=seconds))
    money = done.money_columns
    said = _(
        "checked on both sides: the row count of every table, and the sums of {n} money "
        "columns ({names})"
    )
    env.say(said.format(n=len(money), names=", ".join(money)))


def _say_applied(env: Env, done: list[str]) -> None:
    if done:
        env.say(_("applied: {names}").format(names=", ".join(done)))
    else:
        env.say(_("the schema is up to date"))
