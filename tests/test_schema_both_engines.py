"""The same schema on both engines, read from each engine's own catalog and tried.

Every rule a database enforces on the rows it is given — NOT NULL, UNIQUE (primary
keys, unique indexes, partial ones), CHECK, foreign keys with what a delete does to the
rows that refer, and the triggers that refuse a change (complaint history) — is read
from SQLite's catalog (PRAGMA table_info / index_list / foreign_key_list, the tables'
SQL) and from PostgreSQL's (pg_attribute, pg_index, pg_constraint, pg_trigger), in
one neutral form. The two sets must be equal; and for every rule found on either
engine, a write that breaks it (and a few that keep it) is tried on both, inside a
transaction rolled back after: the outcome — stored (and what was stored), or refused
(and in which words) — must be the same. A rule that exists on one engine only makes
both fail (`test_a_rule_on_one_engine_only_is_found` drops one to prove it).

Column types are not compared here (SQLite stores any value in any column; crmcli
writes only what its types say): tests/test_postgres_schema.py checks the types.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from graphlib import TopologicalSorter
from typing import Any, NamedTuple

import pg_server
import pytest

from crmcli import migrations
from crmcli.db import open_db
from crmcli.engines import Engine
from crmcli.migrations import names

SQLITE_INTERNAL = ("sqlite_", "_sqlite_", "customers_fts", "customers_words", "customer_phones_fts")
MARKER = "_crmcli_migrations"  # PostgreSQL's record of migrations (SQLite's: _sqlite_migrations)


class ForeignKey(NamedTuple):
    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    on_delete: str


class Unique(NamedTuple):
    table: str
    columns: tuple[str, ...]
    partial: bool


class Check(NamedTuple):
    table: str
    columns: frozenset[str]
    values: frozenset[str]  # the literals it names: the values a listed column may take


class Catalog(NamedTuple):
    columns: dict[str, list[str]]  # table → its columns, in order
    integers: set[tuple[str, str]]  # columns holding numbers (the rest hold text)
    not_null: set[tuple[str, str]]
    unique: set[Unique]
    checks: set[Check]
    foreign_keys: set[ForeignKey]
    guarded: set[tuple[str, str]]  # (table, INSERT|UPDATE|DELETE|TRUNCATE) a trigger refuses
    defaulted: set[tuple[str, str]]  # columns a row may leave out (a default, the next id)
    numbered: set[tuple[str, str]]  # the row's number, given by the engine (rowid, identity)

    def rules(self) -> dict[str, set[Any]]:
        return {
            "not null": self.not_null,
            "unique": self.unique,
            "check": self.checks,
            "foreign key": self.foreign_keys,
            "refusing trigger": self.guarded,
            "numbered by the engine": self.numbered,
        }


# --- reading each catalog ---


def _check_clauses(sql: str) -> Iterator[str]:
    """The expression of every CHECK (…) in an SQLite CREATE TABLE, balanced parentheses."""
    for found in re.finditer(r"\bCHECK\s*\(", sql, re.IGNORECASE):
        depth, start = 1, found.end()
        for at in range(start, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[at], 0)
            if depth == 0:
                yield sql[start:at]
                break


def _literals(expression: str) -> frozenset[str]:
    return frozenset(re.findall(r"'([^']*)'", expression))


def _referenced(expression: str, columns: list[str]) -> frozenset[str]:
    words = set(re.findall(r"[A-Za-z_]\w*", re.sub(r"'[^']*'", "", expression)))
    return frozenset(c for c in columns if c in words)


def sqlite_catalog(db: Engine) -> Catalog:
    conn = db.conn  # type: ignore[attr-defined]
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
        if not name.startswith(SQLITE_INTERNAL)
    ]
    out = Catalog({}, set(), set(), set(), set(), set(), set(), set(), set())
    for table in tables:
        sql = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
        ).fetchone()[0]
        without_rowid = bool(re.search(r"\)\s*WITHOUT\s+ROWID\s*$", sql, re.IGNORECASE))
        info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        out.columns[table] = [c[1] for c in info]
        pk = tuple(c[1] for c in sorted((c for c in info if c[5]), key=lambda c: c[5]))
        rowid_alias = (
            not without_rowid
            and len(pk) == 1
            and next(c[2] for c in info if c[1] == pk[0]).upper() == "INTEGER"
        )
        for _, name, decl, notnull, default, in_pk in info:
            if decl.upper() in ("INTEGER", "NUMERIC"):
                out.integers.add((table, name))
            if default is not None or (in_pk and rowid_alias):
                out.defaulted.add((table, name))
            if in_pk and rowid_alias:
                out.numbered.add((table, name))
            # A WITHOUT ROWID table's key and a rowid alias (NULL: the next number) are
            # never NULL; an ordinary table's other key may be, unless it says NOT NULL.
            if notnull or (in_pk and (without_rowid or rowid_alias)):
                out.not_null.add((table, name))
        if pk:
            out.unique.add(Unique(table, pk, False))
        for _, index, unique, origin, partial in conn.execute(f'PRAGMA index_list("{table}")'):
            if unique and origin != "pk":
                names = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{index}")'))
                out.unique.add(Unique(table, names, bool(partial)))
        for clause in _check_clauses(sql):
            out.checks.add(Check(table, _referenced(clause, out.columns[table]), _literals(clause)))
        keys: dict[int, list[Any]] = {}
        for row in conn.execute(f'PRAGMA foreign_key_list("{table}")'):
            keys.setdefault(row[0], []).append(row)
        for rows in keys.values():
            parent = rows[0][2]
            to = [r[4] for r in rows]
            if None in to:  # REFERENCES parent: its primary key
                parent_info = conn.execute(f'PRAGMA table_info("{parent}")').fetchall()
                to = [c[1] for c in sorted((c for c in parent_info if c[5]), key=lambda c: c[5])]
            out.foreign_keys.add(
                ForeignKey(table, tuple(r[3] for r in rows), parent, tuple(to), rows[0][6])
            )
        for (trigger_sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [table]
        ):
            if "RAISE(" in trigger_sql.upper().replace(" ", ""):
                event = re.search(r"\b(INSERT|UPDATE|DELETE)\b", trigger_sql, re.IGNORECASE)
                assert event is not None
                out.guarded.add((table, event[1].upper()))
                if event[1].upper() == "DELETE":
                    # SQLite has no TRUNCATE: emptying a table is a DELETE, refused too.
                    out.guarded.add((table, "TRUNCATE"))
    return out


_ON_DELETE = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


def postgresql_catalog(db: Engine) -> Catalog:
    conn = db.conn  # type: ignore[attr-defined]
    here = "c.relnamespace = current_schema()::regnamespace"
    out = Catalog({}, set(), set(), set(), set(), set(), set(), set(), set())
    for table, column, type_name, not_null, default, identity in conn.execute(
        "SELECT c.relname, a.attname, format_type(a.atttypid, NULL), a.attnotnull,"
        " a.atthasdef OR a.attidentity <> '', a.attidentity <> ''"
        " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
        f" WHERE {here} AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"
        "  AND c.relname <> %s ORDER BY c.relname, a.attnum",
        [MARKER],
    ):
        out.columns.setdefault(table, []).append(column)
        if type_name != "text":
            out.integers.add((table, column))
        if not_null:
            out.not_null.add((table, column))
        if default:
            out.defaulted.add((table, column))
        if identity:
            out.numbered.add((table, column))
    for table, columns, partial in conn.execute(
        "SELECT c.relname, array_agg(a.attname ORDER BY k.n), i.indpred IS NOT NULL"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
        " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)"
        " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
        f" WHERE {here} AND i.indisunique AND c.relname <> %s"
        " GROUP BY i.indexrelid, c.relname, i.indpred",
        [MARKER],
    ):
        out.unique.add(Unique(table, tuple(columns), partial))
    for table, kind, columns, parent, parent_columns, on_delete, definition in conn.execute(
        "SELECT c.relname, k.contype,"
        " ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i)"
        "       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),"
        " p.relname,"
        " ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i)"
        "       JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i),"
        " k.confdeltype, pg_get_constraintdef(k.oid)"
        " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " LEFT JOIN pg_class p ON p.oid = k.confrelid"
        f" WHERE {here} AND k.contype IN ('c', 'f')"
    ):
        if kind == "c":
            out.checks.add(Check(table, frozenset(columns), _literals(definition)))
        else:
            out.foreign_keys.add(
                ForeignKey(
                    table, tuple(columns), parent, tuple(parent_columns), _ON_DELETE[on_delete]
                )
            )
    for table, kinds, source in conn.execute(
        "SELECT c.relname, t.tgtype, p.prosrc FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
        f" WHERE {here} AND NOT t.tgisinternal"
    ):
        if re.search(r"\bRAISE\s+EXCEPTION\b", source, re.IGNORECASE):
            for bit, event in ((4, "INSERT"), (8, "DELETE"), (16, "UPDATE"), (32, "TRUNCATE")):
                if kinds & bit:
                    out.guarded.add((table, event))
    return out


def _differences(sqlite: Catalog, postgresql: Catalog) -> list[str]:
    out = []
    if set(sqlite.columns) != set(postgresql.columns):
        out.append(f"tables: {sorted(set(sqlite.columns) ^ set(postgresql.columns))}")
    for rule, on_sqlite in sqlite.rules().items():
        on_server = postgresql.rules()[rule]
        out += [f"{rule} on SQLite only: {r}" for r in sorted(on_sqlite - on_server, key=str)]
        out += [f"{rule} on PostgreSQL only: {r}" for r in sorted(on_server - on_sqlite, key=str)]
    return out


# --- the same rows on both engines, and writes tried against them ---

Statement = tuple[str, list[Any]]


class World:
    """Two rows of every table (k = 1, 2), parents first, the same on both engines.

    Row k holds k in every number column and 'vk' in every text one, its parents' row k
    in every reference and a listed value in a checked column, so rows differ in every
    column; a CHECK over several columns keeps NULL where it asks (`nulled`). A new row
    (k = 3) and its parents' row 3 are what a write adds without breaking anything else.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.graph: dict[str, set[str]] = {t: set() for t in catalog.columns}
        self.references: set[tuple[str, str]] = set()
        for fk in catalog.foreign_keys:
            if fk.parent != fk.table:
                self.graph[fk.table].add(fk.parent)
            self.references.update((fk.table, c) for c in fk.columns)
        self.order = list(TopologicalSorter(self.graph).static_order())
        self.nulled: dict[str, tuple[str, ...]] = {}

    def row(self, table: str, k: int) -> dict[str, Any]:
        out = {c: self._value(table, c, k) for c in self.catalog.columns[table]}
        return {**out, **dict.fromkeys(self.nulled.get(table, ()))}

    def _value(self, table: str, column: str, k: int) -> Any:
        if (table, column) in self.references:
            return k
        for check in self.catalog.checks:
            if check.table == table and check.columns == {column} and check.values:
                return sorted(check.values)[0]
        return k if (table, column) in self.catalog.integers else f"v{k}"

    def ancestors(self, table: str) -> list[str]:
        seen: set[str] = set()
        todo = list(self.graph[table])
        while todo:
            t = todo.pop()
            if t not in seen:
                seen.add(t)
                todo += self.graph[t]
        return [t for t in self.order if t in seen]

    def fresh(self, table: str) -> list[Statement]:
        """Row 3 of every table a new row of `table` hangs on."""
        return [_insert(t, self.row(t, 3)) for t in self.ancestors(table)]

    def build(self, db: Engine, *, choose: bool) -> None:
        """Store rows 1 and 2 of every table; `choose`: find which columns a CHECK over
        several wants NULL (on the first engine; the second gets the same rows)."""
        for table in self.order:
            if choose:
                self.nulled[table] = self._nulls(db, table)
            with db.write():
                for k in (1, 2):
                    db.execute(*_insert(table, self.row(table, k)))

    def _nulls(self, db: Engine, table: str) -> tuple[str, ...]:
        checked = sorted(
            {c for check in self.catalog.checks if check.table == table for c in check.columns}
        )
        for size in range(len(checked) + 1):
            for nulls in itertools.combinations(checked, size):
                self.nulled[table] = nulls
                if attempt(db, [_insert(table, self.row(table, 1))], "SELECT 1")[0] == "stored":
                    return nulls
        raise AssertionError(f"no row of {table} is accepted")


def _insert(table: str, row: dict[str, Any]) -> Statement:
    names = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    return f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(row.values())


def _where(row: dict[str, Any]) -> Statement:
    kept = {c: v for c, v in row.items() if v is not None}
    return " AND ".join(f'"{c}" = ?' for c in kept), list(kept.values())


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):  # numeric on the server; SQLite's number
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class _Undo(Exception):
    """Raised inside a write to roll it back, carrying what was read before."""


def attempt(db: Engine, statements: list[Statement], look: str) -> tuple[str, Any]:
    """Run the statements in one transaction, rolled back: ('stored', the rows `look`
    then reads) or ('refused', what the refusal says)."""
    try:
        with db.write():
            for sql, params in statements:
                db.execute(sql, params)
            rows = [tuple(_plain(v) for v in r) for r in db.execute(look).fetchall()]
            raise _Undo(sorted(rows, key=lambda r: [(v is None, str(v)) for v in r]))
    except _Undo as undo:
        return ("stored", undo.args[0])
    except Exception as exc:  # the driver's refusal, on either engine
        return ("refused", _said(str(exc)))


def _said(message: str) -> str:
    """A refusal as crmcli passes it on: SQLite's words on both engines
    (crmcli.postgres.translate). A CHECK is named by its expression on SQLite and by
    its constraint's name on a server: only that it was a CHECK is compared."""
    first = message.splitlines()[0] if message else ""
    return "CHECK constraint failed" if first.startswith("CHECK constraint failed") else first


def cases(
    world: World, tables: set[str] | None = None
) -> Iterator[tuple[str, str, list[Statement]]]:
    """(what is tried, the table read after, the statements) for every rule of the
    world's catalog (both engines' together), on `tables` (all by default)."""
    cat = world.catalog
    wanted = set(cat.columns) if tables is None else tables

    def new(table: str, row: dict[str, Any]) -> list[Statement]:
        return [*world.fresh(table), _insert(table, row)]

    for table in (t for t in world.order if t in wanted):
        third = world.row(table, 3)
        yield f"{table}: a new row", table, new(table, third)
        required = {c for (t, c) in cat.not_null - cat.defaulted if t == table}
        yield (
            f"{table}: a new row of its required columns only",
            table,
            new(table, {c: v for c, v in third.items() if c in required}),
        )
        where, params = _where(world.row(table, 1))
        yield f"{table}: row 1 deleted", table, [(f'DELETE FROM "{table}" WHERE {where}', params)]
        for column in cat.columns[table]:
            change = (
                f'UPDATE "{table}" SET "{column}" = ? WHERE {where}',
                [third[column], *params],
            )
            yield f"{table}.{column} of row 1 changed", table, [*world.fresh(table), change]
    for table, column in sorted(cat.not_null - cat.numbered):
        # A row's number is not tried with NULL: SQLite takes NULL there as "the next
        # number" (a rowid), a server's identity refuses it. crmcli never writes one: a
        # new row leaves its id out (Engine.insert), and both engines number it alike.
        if table in wanted:
            yield f"{table}.{column} NULL", table, new(table, {**world.row(table, 3), column: None})
    for key in sorted(cat.unique, key=str):
        if key.table not in wanted:
            continue
        first, third = world.row(key.table, 1), world.row(key.table, 3)
        again = {**third, **{c: first[c] for c in key.columns}}
        yield f"{key.table} {key.columns} taken again", key.table, new(key.table, again)
        for column in key.columns:  # NULL is no value: two NULLs never collide
            if "id" in third and column != "id":
                blank = {**third, column: None}
                other = {c: v for c, v in blank.items() if c != "id"}
                yield (
                    f"{key.table} {key.columns} with {column} NULL twice",
                    key.table,
                    [*new(key.table, blank), _insert(key.table, other)],
                )
    for check in sorted(cat.checks, key=str):
        if check.table not in wanted:
            continue
        third = world.row(check.table, 3)
        pools = []
        for column in sorted(check.columns):
            pool = [None, third[column], *sorted(check.values)]
            if check.values:
                pool.append("not-a-listed-value")
            pools.append([(column, v) for v in dict.fromkeys(pool)])
        for combo in itertools.product(*pools):
            row = {**third, **dict(combo)}
            yield f"{check.table} CHECK {dict(combo)}", check.table, new(check.table, row)
    for fk in sorted(cat.foreign_keys, key=str):
        if fk.table not in wanted and fk.parent not in wanted:
            continue
        orphan = {**world.row(fk.table, 3), **dict.fromkeys(fk.columns, 999)}
        yield f"{fk.table} {fk.columns} naming no {fk.parent}", fk.table, new(fk.table, orphan)
        where, params = _where(world.row(fk.parent, 1))
        yield (
            f"{fk.parent} row 1 deleted under {fk.table} {fk.columns}",
            fk.table,
            [(f'DELETE FROM "{fk.parent}" WHERE {where}', params)],
        )


class Pair(NamedTuple):
    sqlite: Engine
    postgresql: Engine
    catalogs: tuple[Catalog, Catalog]
    world: World


def _union(a: Catalog, b: Catalog) -> Catalog:
    return Catalog(a.columns, *(x | y for x, y in zip(a[1:], b[1:], strict=True)))


@contextmanager
def both(sqlite_path: Any, pg_url: str) -> Iterator[Pair]:
    """A new SQLite file and the server database, migrated, with the world on each."""
    lite, server = open_db(sqlite_path), open_db(pg_url)
    try:
        catalogs = sqlite_catalog(lite), postgresql_catalog(server)
        world = World(_union(*catalogs))
        world.build(lite, choose=True)
        world.build(server, choose=False)
        yield Pair(lite, server, catalogs, world)
    finally:
        lite.close()
        server.close()


def mismatches(pair: Pair, tables: set[str] | None = None) -> tuple[int, list[str]]:
    """How many writes were tried, and those whose outcome differs between the engines."""
    tried, out = 0, []
    for what, table, statements in cases(pair.world, tables):
        look = f'SELECT * FROM "{table}"'
        on_sqlite = attempt(pair.sqlite, statements, look)
        on_server = attempt(pair.postgresql, statements, look)
        tried += 1
        if on_sqlite != on_server:
            out.append(f"{what}:\n  SQLite:     {on_sqlite}\n  PostgreSQL: {on_server}")
    return tried, out


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with (
        pg_server.server().database() as url,
        both(tmp_path_factory.mktemp("both") / "shop.db", url) as made,
    ):
        yield made


# --- the tests ---


def test_the_same_rules_in_both_catalogs(pair: Pair) -> None:
    sqlite, postgresql = pair.catalogs
    assert set(sqlite.columns) == set(postgresql.columns)
    assert len(sqlite.checks) >= 10 and len(sqlite.foreign_keys) >= 15  # read, not missed
    assert ("complaint_events", "DELETE") in sqlite.guarded
    assert _differences(sqlite, postgresql) == []


def test_every_rule_refuses_and_keeps_the_same_writes_on_both_engines(pair: Pair) -> None:
    tried, different = mismatches(pair)
    assert tried > 400
    assert different == [], f"{len(different)} of {tried} writes differ:\n" + "\n".join(different)


def test_a_rule_on_one_engine_only_is_found(tmp_path, pg_url: str) -> None:
    """Both tests above fail when a rule is on one engine only: here the server loses a
    CHECK, a NOT NULL and the complaint history's guard (as a migration forgetting one
    would leave it)."""
    with both(tmp_path / "shop.db", pg_url) as pair:
        pair.postgresql.execute("ALTER TABLE complaints DROP CONSTRAINT complaints_severity_check")
        pair.postgresql.execute("ALTER TABLE followups ALTER COLUMN note DROP NOT NULL")
        pair.postgresql.execute("DROP TRIGGER complaint_events_append_only ON complaint_events")
        found = _differences(pair.catalogs[0], postgresql_catalog(pair.postgresql))
        assert (
            sorted(found)
            == [
                "check on SQLite only: Check(table='complaints', columns=frozenset({'severity'}),"
                " values=frozenset({'high', 'low', 'normal'}))",
                "not null on SQLite only: ('followups', 'note')",
                "refusing trigger on SQLite only: ('complaint_events', 'DELETE')",
                "refusing trigger on SQLite only: ('complaint_events', 'UPDATE')",
            ]
            or found
        )
        _, different = mismatches(pair, {"complaints", "followups", "complaint_events"})
        said = "\n".join(different)
        assert "complaints CHECK {'severity': 'not-a-listed-value'}" in said
        assert "followups.note NULL" in said
        assert "complaint_events: row 1 deleted" in said


# --- an old database, upgraded, is a new one ---

# Where a database may have stopped: the first PostgreSQL schema (the released
# migrations, a server's baseline), the first migration with a PostgreSQL form, the
# server's byte order (m126), its ids (m128), its case-blind match (m132), and the last
# migration before the newest. Each database gets rows in every table it has then (the
# migrations that move data have some to move), is brought up to date, and must then
# have exactly the schema of a database made new today: every table, column (type,
# NOT NULL, default, identity, collation, order), index, constraint, trigger, function,
# aggregate, collation, extension and sequence.
STOPS = [
    "m111_prospects",
    "m116_search_by_digits_and_tag",
    "m126_postgresql_byte_order",
    "m128_ids_as_sqlite_numbers",
    "m132_case_blind_as_sqlite",
]

_HERE = "current_schema()::regnamespace"
_NOT_AN_EXTENSIONS = (
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = {}.oid AND e.deptype = 'e')"
)
PG_SCHEMA_QUERIES = {
    "columns": "SELECT c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod),"
    " a.attnotnull, a.attidentity, coalesce(pg_get_expr(d.adbin, d.adrelid), ''),"
    " coalesce(o.collname, '') FROM pg_class c JOIN pg_attribute a"
    "  ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
    " LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum"
    " LEFT JOIN pg_collation o ON o.oid = a.attcollation"
    f" WHERE c.relnamespace = {_HERE} AND c.relkind IN ('r', 'v', 'm', 'p', 'f')"
    f" AND {_NOT_AN_EXTENSIONS.format('c')} ORDER BY c.relname, a.attnum",
    "indexes": "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
    f" JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = {_HERE} ORDER BY 1",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
    f" FROM pg_constraint WHERE connamespace = {_HERE} ORDER BY 1, 2",
    "triggers": "SELECT pg_get_triggerdef(t.oid), t.tgenabled FROM pg_trigger t"
    f" JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = {_HERE}"
    " AND NOT t.tgisinternal ORDER BY 1",
    "functions": "SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prokind,"
    " pg_get_function_result(p.oid), p.prosrc, p.provolatile, p.proparallel, p.proisstrict,"
    " coalesce(a.aggtransfn::text, ''), coalesce(a.agginitval, '')"
    " FROM pg_proc p LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid"
    f" WHERE p.pronamespace = {_HERE} AND {_NOT_AN_EXTENSIONS.format('p')} ORDER BY 1, 2",
    "collations": "SELECT collname, collprovider, collisdeterministic FROM pg_collation"
    f" WHERE collnamespace = {_HERE} ORDER BY 1",
    "extensions": "SELECT extname, extversion FROM pg_extension ORDER BY 1",
    "sequences": "SELECT sequencename, data_type, start_value, increment_by, max_value, cycle"
    " FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1",
}


def pg_schema(db: Engine) -> dict[str, list[tuple[Any, ...]]]:
    conn = db.conn  # type: ignore[attr-defined]
    return {what: conn.execute(sql).fetchall() for what, sql in PG_SCHEMA_QUERIES.items()}


def sqlite_schema(db: Engine) -> dict[str, list[tuple[Any, ...]]]:
    conn = db.conn  # type: ignore[attr-defined]
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        " WHERE name <> 'sqlite_sequence' ORDER BY type, name"
    ).fetchall()
    return {"sqlite_master": rows}


def _schema_of(db: Engine) -> dict[str, list[tuple[Any, ...]]]:
    return pg_schema(db) if db.name == "postgresql" else sqlite_schema(db)


def _catalog_of(db: Engine) -> Catalog:
    return postgresql_catalog(db) if db.name == "postgresql" else sqlite_catalog(db)


def _counts(db: Engine, tables: list[str]) -> dict[str, int]:
    return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _schema_differences(old: dict[str, list[Any]], new: dict[str, list[Any]]) -> list[str]:
    out = []
    for what in new:
        a, b = set(old[what]), set(new[what])
        out += [f"{what}, upgraded only: {x}" for x in sorted(a - b, key=str)]
        out += [f"{what}, new only: {x}" for x in sorted(b - a, key=str)]
        if not out and old[what] != new[what]:
            out.append(f"{what}: the same, in another order")
    return out


@contextmanager
def _database(engine: str, tmp_path: Any, name: str) -> Iterator[str]:
    """A new database of the engine, for this test only: its path or URL."""
    if engine == "postgresql":
        with pg_server.server().database() as url:
            yield url
    else:
        yield str(tmp_path / f"{name}.db")


@pytest.mark.parametrize("stop", STOPS)
def test_a_database_made_at_an_old_migration_upgrades_to_a_new_ones_schema(
    engine: str, stop: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _database(engine, tmp_path, "new") as new, _database(engine, tmp_path, "old") as old:
        fresh = open_db(new)
        try:
            expected = _schema_of(fresh)
        finally:
            fresh.close()
        monkeypatch.setattr(migrations, "_names", names()[: names().index(stop) + 1])
        db = open_db(old)
        try:
            assert db.applied_migrations() == migrations.names()
            world = World(_catalog_of(db))
            world.build(db, choose=True)
            before = _counts(db, world.order)
        finally:
            db.close()
        monkeypatch.undo()
        db = open_db(old)
        try:
            assert db.applied_migrations() == names()
            assert _schema_differences(_schema_of(db), expected) == []
            after = _counts(db, world.order)
            # Every row kept (a key SQLite took as NULL is the one thing m135 leaves out:
            # the world gives every key a value).
            assert after == before
        finally:
            db.close()


def test_an_upgrade_that_differs_from_a_new_database_is_found(
    engine: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison above fails when an upgrade misses what a new database has: here a
    migration's index, dropped after the upgrade (as a form that forgot it would)."""
    with _database(engine, tmp_path, "new") as new, _database(engine, tmp_path, "old") as old:
        fresh, upgraded = open_db(new), open_db(old)
        try:
            upgraded.execute("DROP INDEX visit_plans_customer")
            found = _schema_differences(_schema_of(upgraded), _schema_of(fresh))
            assert len(found) == 1 and "visit_plans_customer" in found[0], found
        finally:
            fresh.close()
            upgraded.close()


# --- money: exact on both engines ---


def test_money_is_exact_on_both_engines(cli, db_path, tmp_path) -> None:
    """Many cents, refunds and amounts past a float's 2**53: the stored sum, the
    customer's page and a classification give the exact total, on either engine."""
    lines = ["customer,date,amount,order"]
    lines += [f"C1,2026-01-{1 + n % 28:02d},0.01,A{n}" for n in range(2000)]
    lines += [f"C1,2026-02-{1 + n % 28:02d},-0.03,R{n}" for n in range(500)]
    lines += [f"C1,2026-03-0{n + 1},999999999999.999999,B{n}" for n in range(3)]
    lines += ["C1,2026-03-09,0.000001,C0"]
    (tmp_path / "buys.csv").write_text("\n".join(lines) + "\n")
    cli("customers", "add", "--code", "C1", "--name", "Kim")
    cli("purchases", "import", str(tmp_path / "buys.csv"))
    exact = 2000 * 10_000 - 500 * 30_000 + 3 * 999_999_999_999_999_999 + 1
    assert exact > 2**53 and float(exact) != exact  # a float sum would be off
    db = open_db(db_path)
    try:
        total = db.execute("SELECT sum(amount_micros) FROM purchases").fetchone()[0]
        assert total == exact and int(total) == exact
        kinds = db.execute(
            "SELECT count(*) FROM purchases WHERE amount_micros < 0 AND amount_micros = -30000"
        ).fetchone()[0]
        assert kinds == 500
    finally:
        db.close()
    page = cli("customers", "show", "C1", "--format", "json").stdout
    assert "3000000000004.999998" in page.replace(",", "")
    listed = cli("purchases", "list", "C1", "--format", "csv").stdout
    assert listed.count("-0.03") == 500 and listed.count("999999999999.999999") == 3
    run = cli("tiers", "classify", "--as-of", "2026-12-01", "--format", "csv").stdout
    assert "3000000000004.999998" in run.replace(",", "")


def test_money_is_held_in_whole_micro_units_on_both_engines(pair: Pair) -> None:
    """Every amount is an integer count of micro-units: 64-bit on the server (a 32-bit
    one would stop at 2,147 in a currency), never a float; quantities exact decimals."""
    server = pair.postgresql.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
        " AND (column_name LIKE '%micros' OR column_name = 'quantity') ORDER BY 1, 2"
    ).fetchall()
    on_sqlite = {
        (table, column): decl
        for table in pair.catalogs[0].columns
        for _, column, decl, *_ in pair.sqlite.execute(f'PRAGMA table_info("{table}")')
    }
    assert len(server) >= 8
    for table, column, data_type in server:
        sqlite_type = on_sqlite[(table, column)]
        if column == "quantity":
            assert (data_type, sqlite_type) == ("numeric", "NUMERIC"), (table, column)
        else:
            assert (data_type, sqlite_type) == ("bigint", "INTEGER"), (table, column)


# How each engine finds text inside a name or number: SQLite's FTS5 tables (their own
# shadow tables, left out of the catalog above), PostgreSQL's pg_trgm and tsvector indexes.
SEARCH_INDEXES = {
    "sqlite": set(),
    "postgresql": {
        "customers_search_trigram",
        "customers_search_words",
        "customer_phones_digits_trigram",
    },
}


def test_the_same_indexes_on_both_engines(pair: Pair) -> None:
    """An index a migration makes on one engine is made on the other too (the same
    name, on the same table): a query the index serves is not a full scan on the other.
    Keys' own indexes (primary keys, UNIQUE) are compared as rules above."""
    on_sqlite = {
        (name, table)
        for name, table in pair.sqlite.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"
            " AND name NOT LIKE 'sqlite_autoindex_%'"
        )
        if table in pair.catalogs[0].columns  # crmcli's tables, not sqlite-utils' own
    }
    on_server = {
        (name, table)
        for name, table in pair.postgresql.execute(
            "SELECT i.relname, t.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relnamespace = current_schema()::regnamespace AND t.relname <> ?"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [MARKER],
        )
    }
    assert len(on_sqlite) > 30
    assert {n for n, _ in on_sqlite - on_server} == SEARCH_INDEXES["sqlite"]
    assert {n for n, _ in on_server - on_sqlite} == SEARCH_INDEXES["postgresql"]
