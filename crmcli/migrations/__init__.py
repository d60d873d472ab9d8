"""The schema, as named migrations run in order (sqlite-utils' `Migrations`).

One file per migration in this package, `mNNN_what_it_does.py`, holding a
`migrate(db)` function; the file's name is the migration's name, which every database
records in `_sqlite_migrations` once it has run.

Order. The migrations in `RELEASED` went out before migrations ran in name order:
they run in the order listed there, because databases in the field have them
recorded so; that list is frozen. Every other migration runs after them in name
order. To add one, add a file numbered above every migration on main (the suite
checks that each new name sorts after all released ones): nothing else to register.
Beside `migrate(db)`, it carries `POSTGRESQL`, the same change as a PostgreSQL script
(see `crmcli/postgres_schema.py`; the suite checks every new migration has one).

A migration never changes once released, and carries the data it seeds as literals
rather than importing live feature code (the code moves on; what an old database
was given must not). Derived data that must match the live code is rebuilt after a
migration instead (`crmcli.db.REBUILDS`). `crmcli.db.apply_pending` runs them: this
package only says what they are, and imports nothing of crmcli.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # sqlite-utils loads only when a migration has to run
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

MIGRATION_SET = "crmcli"  # the `migration_set` of crmcli's rows in _sqlite_migrations

# Released before the name-order rule, in the order they have always run. Frozen:
# never add to, remove from or reorder this list.
RELEASED: tuple[str, ...] = (
    "m001_initial",
    "m040_greeting_templates",
    "m041_agenda_speed",
    "m050_forget_redacts_complaint_history",
    "m011_purchases_lean_indexes",
    "m095_search_words",
    "m075_anonymous_sales",
    "m076_import_changes_after",
    "m090_customer_locale_source",
    "m085_agenda_items_dealt_with",
    "m091_traditional_chinese_templates",
    "m080_phone_region",
    "m077_customers_name_index",
    "m100_item_launches",
    "m101_customer_relations",
    "m110_thanks_templates",
    "m070_name_reading",
    "m102_family_birthday_templates",
    "m115_visit_plans",
    "m111_prospects",
)

Step = Callable[["Database"], None]

# Modules of this package that are not migrations.
_HELPERS = {"__init__", "sql"}


def run_order(found: Iterable[str]) -> list[str]:
    """Migration names in the order they run: the released ones, then the rest by name."""
    return [*RELEASED, *sorted(set(found) - set(RELEASED))]


# The names come from the file list alone (one directory read, not pkgutil): every
# command checks them, and a migration's module is imported only when it has to run.
_names = run_order(
    file[:-3]
    for file in os.listdir(os.path.dirname(__file__))
    if file.endswith(".py") and file[:-3] not in _HELPERS
)
_appended: dict[str, Step] = {}


def names() -> list[str]:
    """Every migration's name, in the order they run."""
    return [*_names, *_appended]


def _step(name: str) -> Step:
    def step(db: Database) -> None:
        run = _appended.get(name) or import_module(f"{__name__}.{name}").migrate
        run(db)

    return step


def migration_set() -> Migrations:
    """crmcli's migrations as a sqlite-utils `Migrations` (each in its own transaction)."""
    from sqlite_utils.migrations import Migrations  # ~60 ms: paid only when one is pending

    out = Migrations(MIGRATION_SET)
    for name in names():
        out(name=name)(_step(name))
    return out


def applied_names(db: Any) -> list[str]:
    """The migrations this SQLite database has run, in the order it ran them.

    Read from sqlite-utils' `_sqlite_migrations` table (as its `Migrations.applied`
    does) by plain SQL: every command asks, and only a pending migration needs
    sqlite-utils itself. `db` is anything with `execute` (an engine, a `Database`).
    """
    table = "_sqlite_migrations"
    found = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    if db.execute(found, [table]).fetchone() is None:
        return []
    rows = db.execute(
        f"SELECT name FROM {table} WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET]
    )
    return [name for (name,) in rows]


def pending_names(db: Any) -> list[str]:
    """The migrations this database has yet to run, in the order they will run."""
    done = set(applied_names(db))
    return [name for name in names() if name not in done]


@contextmanager
def appended(name: str, step: Step) -> Iterator[None]:
    """Run `step` as a migration after every other while the block runs (tests: a
    migration that fails, or one slow enough to race)."""
    _appended[name] = step
    try:
        yield
    finally:
        del _appended[name]
