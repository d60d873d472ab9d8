"""The daily agenda: whom to call, greet or visit, and why — merged from every source.

Each kind of item has a source in `crmcli.agenda_sources` (all of them, with the key
each gives its items). This module merges what they find: in a temporary table, one
SQL query leaves out what was dealt with, moves items into contact windows, drops what
is past its grace period and sorts the rest, read line by line (`listed`).

An event is due `agenda.lead.<kind>` before it happens; a customer's contact window
moves it to the next day they take calls. Follow-ups, visits and complaints stay on
the agenda until dealt with; the other kinds show on their day only.
"""

from __future__ import annotations

import gc
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import dates, names, settings
from crmcli.agenda_sources import (
    _NO_DETAIL,
    KINDS,
    SOURCES,
    SQL_SOURCES,
    Item,
    Window,
    best_visit_items,
)
from crmcli.contact_window import DAY_NAMES
from crmcli.errors import InvalidValue
from crmcli.i18n import M_, N_, M_n
from crmcli.lazy import lazy_import
from crmcli.lunar import LUNAR_FIRST_DAY

if TYPE_CHECKING:
    from crmcli.engines import Cursor, Engine

# Tiers are read only for `--tier` and to rank visits (`crmcli.lazy`): an agenda of
# birthdays loads no tier rules.
tiers = lazy_import("crmcli.tiers")

__all__ = ["KINDS", "SOURCES", "Entry", "Item", "Person", "Window", "due", "listed"]

# What cannot wait comes first: an unhappy customer, a promise, a product that may not
# work, a greeting whose day is near; tier visits last (they can wait a day).
URGENCY = {
    kind: i
    for i, kind in enumerate(
        (
            "complaint",
            "followup",
            "after-sale",
            "thanks",
            "prospect",
            "birthday",
            "family-birthday",
            "anniversary",
            "holiday",
            "visit",
        )
    )
}
# Kinds that stay due, day after day, until done (their source finds every open one).
PERSISTENT = ("complaint", "followup", "visit", "prospect")
# A thank-you for an order is a greeting too: `greet` writes it, it has the greeting
# grace period, and a call since it fell due was the thanks.
GREETING_KINDS = ("birthday", "family-birthday", "anniversary", "holiday", "thanks")
# Kinds due *after* their event (`agenda.lead.thanks` after the purchase), not before.
AFTER_KINDS = ("thanks",)
# Kinds a plain logged contact (`contacts log`) deals with: the call was the greeting,
# the after-sale check. (Visits restart their clock from it; follow-ups and complaints
# are closed on their own.)
CLEARED_BY_CONTACT = (*GREETING_KINDS, "after-sale")
SORTS = ("urgency", "date")
# A contact window can push an item up to six days later: look that far back for events.
WINDOW_SLACK = timedelta(days=6)
# `--since-last-run` catches up at most this many missed days.
CATCH_UP_DAYS = 31


class Person(NamedTuple):
    """What the agenda shows and greets a customer with."""

    id: int
    code: str | None
    name: str | None
    family_name: str | None
    given_name: str | None
    patronymic: str | None
    salutation_override: str | None
    gender: str | None
    locale_field: str | None
    email: str | None
    owner: str | None
    contact_days: str | None
    phone: str | None

    @property
    def locale(self) -> str:
        """The customer's locale as stored (ko, ja, zh_Hant…); see `crmcli.locales`."""
        return self.locale_field or names.default_locale(self.name) or "en"

    @property
    def ref(self) -> str:
        """How the shop refers to the customer: the code, else `#id`."""
        return self.code or f"#{self.id}"

    @property
    def display_name(self) -> str:
        """The full name; a nameless customer by phone or e-mail, never blank."""
        return _display_name(self.name, self.phone, self.email)

    def salutation(self, style: str = "formal") -> str:
        if self.salutation_override and style == "formal":
            return self.salutation_override
        return _salutation(
            self.name,
            self.family_name,
            self.given_name,
            self.patronymic,
            self.gender,
            self.locale_field,
            style,
        )


def _display_name(name: str | None, phone: str | None, email: str | None) -> str:
    if name and name.strip():
        return name
    reach = phone or email
    return f"(no name) {reach}" if reach else "(no name)"


@lru_cache(maxsize=4096)
def _salutation(
    name: str | None,
    family: str | None,
    given: str | None,
    patronymic: str | None,
    gender: str | None,
    locale: str | None,
    style: str,
) -> str:
    """`names.salutation`, remembered: every line of the agenda asks for one, and many
    customers share a name (김민준…)."""
    return names.salutation(
        name=name,
        family=family,
        given=given,
        patronymic=patronymic,
        gender=gender,
        locale=locale,
        style=style,
    )


class Entry(NamedTuple):
    item: Item
    person: Person

    def row(self) -> dict[str, Any]:
        """The agenda line as printed (and every other field `--fields` may pick)."""
        i = self.item
        return _row(
            (
                i.key,
                i.kind,
                i.customer_id,
                i.on.isoformat(),
                i.why,
                i.owner,
                i.day.isoformat() if i.day else None,
                i.moved_from.isoformat() if i.moved_from else None,
                i.late_from.isoformat() if i.late_from else None,
                *self.person,
            )
        )


# What a line adds to its item's why (agenda_sources.WHY has the items' own words): the
# day it was moved to for the customer's contact window, how long it has waited. One
# template per combination, so a terminal can say each in the user's language.
WHY_LATER = (
    N_("{why} (moved from {day}: takes calls {days})"),
    N_("{why} (overdue since {late})"),
    N_("{why} (moved from {day}: takes calls {days}) (overdue since {late})"),
)


def _row(listed: Sequence[Any]) -> dict[str, Any]:
    """An agenda line from a row of the listing (`_Listing.rows`' columns: the item's
    fields, days as ISO text, then its customer's as in `Person`).

    Made straight from the row, without a `Person` (a million customers' agenda is a
    quarter of a million lines): what `Person` says, said the same way.
    """
    (key, kind, _, on, why, owner, day, moved_from, late_from,
     cid, code, name, family, given, patronymic, override, gender, locale, email,
     customer_owner, contact_days, phone) = listed  # fmt: skip
    if moved_from is not None or late_from is not None:
        allowed = ",".join(DAY_NAMES[int(d) - 1] for d in contact_days or "")
        said = WHY_LATER[(moved_from is not None) + 2 * (late_from is not None) - 1]
        why = said.format(why=why, day=moved_from, days=allowed, late=late_from)
    salutation = override or _salutation(name, family, given, patronymic, gender, locale, "formal")
    return {
        "date": day,
        "kind": kind,
        "ref": code or f"#{cid}",
        "name": _display_name(name, phone, email),
        "salutation": salutation,
        "customer": salutation,  # the salutation, under its first name (scripts use it)
        "phone": phone,
        "why": why,
        "owner": owner if owner is not None else customer_owner,
        "on": on,
        "code": code,
        "email": email,
        "customer_id": cid,
        "key": key,
        "overdue_since": late_from,
    }


FIELDS = (
    "date",
    "kind",
    "ref",
    "name",
    "salutation",
    "phone",
    "why",
    "owner",
    "on",
    "code",
    "email",
    "customer_id",
    "key",
    "overdue_since",
    "customer",
)
# Every line names its customer: the reference and the full name, besides the salutation.
DEFAULT_FIELDS = ("date", "kind", "ref", "name", "salutation", "phone", "why", "owner")
# JSON consumers always get these, whatever --fields picks: they join on them.
IDENTITY_FIELDS = ("customer_id", "code")


def windows(
    kind: str,
    start: date,
    end: date,
    lead_time: timedelta,
    *,
    any_windowed: bool = True,
    keep: timedelta | None = timedelta(0),
) -> list[Window]:
    """The event windows for items due from `start` to `end` of one kind.

    `keep`: how long after its event an item not dealt with stays (a greeting's grace
    period, an after-sale check's keeping time; None = for ever).
    """
    last = end + lead_time
    if kind in PERSISTENT:  # persistent kinds look at every open item
        return [Window(start + lead_time, last)]
    # Events from `keep` ago (still open, now overdue) to the last day's lead ahead.
    first = max(start - keep, _EARLIEST) if keep is not None else _EARLIEST
    found = [Window(first, last)]
    if any_windowed and keep is not None:
        # A contact window moves an item up to six days later: look that far further
        # back, but only at customers who have one, so the usual run reads its own days.
        found.append(Window(first - WINDOW_SLACK, first - timedelta(days=1), True))
    return found


# The first event day any source is asked about (lunar conversions start in 1900).
_EARLIEST = LUNAR_FIRST_DAY + WINDOW_SLACK + timedelta(days=1)


# --- the merge -------------------------------------------------------------------------


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while an agenda is built.

    An agenda at a million customers is a few hundred thousand small records, none of
    them in a reference cycle; the collector would walk all of them again every few
    hundred allocations (a quarter of the build's time). Reference counting still frees
    what is dropped; the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def due(
    db: Engine,
    *,
    start: date,
    end: date,
    kinds: Sequence[str] = (),
    owner: str | None = None,
    tier: str | None = None,
    visits_limit: int | None = None,
    counts: dict[str, int] | None = None,
    warnings: list[str] | None = None,
    sort: str = "urgency",
    today: date | None = None,
) -> list[Entry]:
    """What is due from `start` (today) to `end`, and what is overdue, in order.

    An item not dealt with (`due done` / `due skip`, `greet --mark-sent`, or for
    greetings and after-sale checks any contact logged since it fell due) stays: it
    is shown on `start`, marked overdue since its day. A greeting drops off
    `agenda.greeting_grace` after its day; an after-sale check after
    `agenda.aftersale_keep` (empty: never); follow-ups, complaints and visits stay.
    `sort`: "urgency" (today's and overdue items by urgency, then the coming days by
    date) or "date" (by the day each fell due).
    `today`: the day overdue items are shown on, when `start` is earlier (a cron run
    catching up missed days keeps their greetings past the grace period).
    `visits_limit`: keep only about that many visits, A first and the most overdue
    first, while reading them (memory stays flat; `cap_visits` makes the exact cut);
    `counts["visits"]` is then set to how many visits were due in all.
    `warnings`: a kind whose setting is broken (an old database) is left out with
    its reason added here, and the rest still comes; without the list it raises.
    """
    with _collector_paused():
        return list(
            listed(
                db,
                start=start,
                end=end,
                kinds=kinds,
                owner=owner,
                tier=tier,
                visits_limit=visits_limit,
                counts=counts,
                warnings=warnings,
                sort=sort,
                today=today,
            )
        )


def listed(
    db: Engine,
    *,
    start: date,
    end: date,
    kinds: Sequence[str] = (),
    owner: str | None = None,
    tier: str | None = None,
    visits_limit: int | None = None,
    counts: dict[str, int] | None = None,
    warnings: list[str] | None = None,
    sort: str = "urgency",
    today: date | None = None,
    visits_per_day: int | None = None,
    days: int = 1,
    details: bool = True,
    as_rows: bool = False,
) -> Iterator[Entry]:
    """`due`, line by line: what a million customers' agenda holds (a quarter of a
    million lines) is sorted and read in the database, never all in memory at once.

    Everything is found before this returns (settings read, warnings added, counts
    set); the lines come as the iterator is read. `visits_per_day`: make
    `cap_visits`' cut here, over `days` days; `counts["visits held"]` is then how many
    visits were held back (against `counts["visits"]` when that is counted).
    `details`: keep what greeting templates use (`Item.detail`); a listing needs none.
    `as_rows`: the lines as printed instead (`lines`).
    """
    found = _Found(db, details=details)
    try:
        today = _collect(
            db,
            found,
            start=start,
            end=end,
            kinds=kinds,
            owner=owner,
            tier=tier,
            visits_limit=visits_limit,
            counts=counts,
            warnings=warnings,
            sort=sort,
            today=today,
        )
        query = _Listing(
            db,
            found.table,
            start=start,
            end=end,
            today=today,
            owner=owner,
            tier=tier,
            keeps=found.keeps,
            windowed=found.windowed,
        )
        if visits_per_day is not None:
            query.cap_visits(per_day=visits_per_day, days=days, counts=counts)
        rows = query.rows(sort)
    except BaseException:
        found.drop()
        raise
    return found.lines(rows) if as_rows else found.entries(rows)  # type: ignore[return-value]


def lines(db: Engine, **options: Any) -> Iterator[dict[str, Any]]:
    """`listed`'s lines as printed (`Entry.row`), made straight from the listing's rows.

    What `crmcli due` prints: a million customers' agenda is a quarter of a million
    lines, and each skips its `Item` and parsed days (a third of the listing's time).
    """
    return listed(db, **options, as_rows=True)  # type: ignore[return-value]


def _collect(
    db: Engine,
    found: _Found,
    *,
    start: date,
    end: date,
    kinds: Sequence[str],
    owner: str | None,
    tier: str | None,
    visits_limit: int | None,
    counts: dict[str, int] | None,
    warnings: list[str] | None,
    sort: str,
    today: date | None,
) -> date:
    """Every source's items into `found`; returns the day overdue items are shown on."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InvalidValue(
            M_n(
                "unknown kind {kinds}; choose from {choices}",
                "unknown kinds {kinds}; choose from {choices}",
                len(unknown),
                kinds=", ".join(unknown),
                choices=", ".join(KINDS),
            )
        )
    if sort not in SORTS:
        raise InvalidValue(
            M_("unknown sort {sort}; choose from {choices}").format(
                sort=repr(sort), choices=", ".join(SORTS)
            )
        )
    if start - WINDOW_SLACK < LUNAR_FIRST_DAY:
        raise InvalidValue(
            M_("the agenda starts in {year} at the earliest").format(year=LUNAR_FIRST_DAY.year + 1)
        )
    chosen = [k for k in KINDS if not kinds or k in kinds]
    found.windowed = any_windowed = bool(
        db.execute("SELECT 1 FROM customers WHERE contact_days IS NOT NULL LIMIT 1").fetchone()
    )
    for kind in chosen:
        try:
            lead_time = lead(db, kind)
            found.keeps[kind] = keep = kept_for(db, kind)
        except InvalidValue as broken:
            _left_out(kind, broken, warnings)
            continue
        source = SOURCES[kind]
        if kind == "visit" and visits_limit is not None and not owner and not tier:
            # A million-customer shop has hundreds of thousands of overdue visits; hold
            # only the best candidates (with room for contact-window moves).
            source = partial(best_visit_items, size=2 * visits_limit + 50, counts=counts)
        in_sql = SQL_SOURCES.get(kind)
        if in_sql is not None and in_sql.detailed and found.details is not None:
            in_sql = None  # a greeting needs what only the kind's source gives
        for window in windows(kind, start, end, lead_time, any_windowed=any_windowed, keep=keep):
            if in_sql is None:
                found.add(_guarded(kind, source, db, window, warnings), lead_time)
                continue
            try:  # no Python object per item
                rows = in_sql.rows(db, window)
                if rows is not None:
                    found.add_sql(kind, *rows, lead_time)
            except InvalidValue as broken:
                _left_out(kind, broken, warnings)
                continue
            if in_sql.rest is not None:
                found.add(_guarded(kind, in_sql.rest, db, window, warnings), lead_time)
    return max(today or start, start)


class _Found:
    """The items the sources found, in a temporary table (the first found of a key is
    kept: the look-back windows may find an item twice)."""

    def __init__(self, db: Engine, *, details: bool) -> None:
        self.db = db
        self.keeps: dict[str, timedelta | None] = {}
        self.windowed = True  # some customer has a contact window (`_collect` looks)
        self.details: dict[str, Mapping[str, Any]] | None = {} if details else None
        # The found items (tens of MB at a million customers) and their sort stay in
        # SQLite's temporary store: give it room to do that without spilling to disk.
        db.set_cache_size(TEMP_CACHE_KIB, temp=True)
        # A name of its own: a listing still being read may be open on this connection.
        self.table = f"temp.agenda_found_{next(_LISTINGS)}"
        db.execute(
            f"CREATE TEMP TABLE {self.table.removeprefix('temp.')} (key TEXT PRIMARY KEY,"
            " kind TEXT, customer_id INTEGER, on_day TEXT, why TEXT, owner TEXT, due_day TEXT)"
            " WITHOUT ROWID"
        )

    def add(self, items: Iterable[Item], lead_time: timedelta) -> None:
        details = self.details
        batch: list[tuple[Any, ...]] = []
        for i in items:
            if details is not None and i.detail and i.key not in details:
                details[i.key] = i.detail
            on = i.on
            batch.append(
                (
                    i.key,
                    i.kind,
                    i.customer_id,
                    on.isoformat(),
                    i.why,
                    i.owner,
                    (on - lead_time).isoformat(),
                )
            )
            if len(batch) == _BATCH:
                self._insert(batch)
                batch = []
        self._insert(batch)

    def add_sql(self, kind: str, sql: str, params: list[Any], lead_time: timedelta) -> None:
        """A source's rows (customer_id, on_day, why, key) inserted as SQLite reads them."""
        self.db.execute(
            f"INSERT OR IGNORE INTO {self.table} SELECT key, ?, customer_id, on_day, why, NULL,"
            f" {self.db.plus_days('on_day', '?')} FROM ({sql}) AS source",
            [kind, -lead_time.days, *params],
        )

    def _insert(self, batch: list[tuple[Any, ...]]) -> None:
        # In batches, outside the sources' reading: a source may write its own cache
        # (public holidays), which it leaves alone inside someone's transaction. One
        # savepoint per batch: a statement of its own per row would be a transaction
        # of its own per row.
        if not batch:
            return
        with self.db.together():
            self.db.executemany(
                f"INSERT OR IGNORE INTO {self.table} VALUES (?, ?, ?, ?, ?, ?, ?)", batch
            )

    def entries(self, rows: Cursor) -> Iterator[Entry]:
        """The listing's rows as entries; the table goes when the last is read (or the
        reader stops: `crmcli due | head`)."""
        details = self.details or {}
        days: dict[str | None, date | None] = {None: None}

        def day(text: str | None) -> date | None:
            found = days.get(text, _NO_DAY)
            if found is _NO_DAY:
                found = days[text] = date.fromisoformat(text)  # type: ignore[arg-type]
            return found  # type: ignore[return-value]

        try:
            for key, kind, cid, on, why, owner, shown, moved_from, late_from, *person in rows:
                item = Item(
                    kind,
                    cid,
                    day(on),  # type: ignore[arg-type]
                    why,
                    owner,
                    day(shown),
                    day(moved_from),
                    key,
                    details.get(key, _NO_DETAIL),
                    day(late_from),
                )
                yield Entry(item, Person(*person))
        finally:
            rows.close()  # a table being read cannot be dropped
            self.drop()

    def lines(self, rows: Cursor) -> Iterator[dict[str, Any]]:
        """The listing's rows as printed lines (`entries`, then `Entry.row`)."""
        try:
            yield from map(_row, rows)
        finally:
            rows.close()
            self.drop()

    def drop(self) -> None:
        # At exit the connection may be gone already, and the temporary table with it.
        with suppress(self.db.Error):
            self.db.execute(f"DROP TABLE IF EXISTS {self.table}")


_NO_DAY = date.min  # a marker: no ISO day is ever read as this
TEMP_CACHE_KIB = 32 * 1024
_BATCH = 5000  # items written to the temporary table at a time
_LISTINGS = itertools.count(1)


class _Listing:
    """The found items as listed: not dealt with, in the contact window, not past their
    grace period, for this owner or tier; in order."""

    def __init__(
        self,
        db: Engine,
        table: str,
        *,
        start: date,
        end: date,
        today: date,
        owner: str | None,
        tier: str | None,
        keeps: dict[str, timedelta | None],
        windowed: bool = True,
    ) -> None:
        self.db = db
        self.table = table
        self.windowed = windowed
        # Tell the planner how many items were found. It knows nothing of a new
        # temporary table and takes it for a million rows; on an analyzed database it
        # then filters every customer (a Bloom filter over the whole table) to join a
        # few thousand items: half of the listing's time at 100k customers.
        db.execute(f"ANALYZE {table}")
        self.params: dict[str, Any] = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "today": today.isoformat(),
            "owner": owner or None,
        }
        self.where = ""
        if tier:
            members, values = tiers.members_sql(db, tier)
            # The listing's parameters are named: name the members' query's too.
            parts = members.split("?")
            for n, value in enumerate(values):
                self.params[f"tier{n}"] = value
                parts[n] += f":tier{n}"
            self.where += f" AND customer_id IN ({''.join(parts)})"
        # An item is gone once its event plus the kind's keeping time is before `start`:
        # on_day + keep < start ⟺ on_day < start - keep, a day worked out here once per
        # kind (as date text, compared as stored) instead of date arithmetic on each of
        # a quarter of a million lines (a tenth of the listing at a million customers).
        kept = " ".join(
            f"WHEN {_quoted(kind)} THEN {_quoted((start - keep).isoformat())}"
            for kind, keep in keeps.items()
            if keep is not None and kind not in PERSISTENT
        )
        # '' when the kind is kept for ever: no day is before it.
        self.kept_from = f"coalesce(CASE kind {kept} END, '')" if kept else "''"

    def cap_visits(self, *, per_day: int, days: int, counts: dict[str, int] | None) -> None:
        """`cap_visits`' cut: at most `per_day` visits a day, A first, the most overdue
        first (the visits listed are few: `best_visits` read them)."""
        rows = self.db.execute(
            self._sql("key, customer_id, coalesce(late_from, day)", " AND kind = 'visit'"),
            self.params,
        ).fetchall()
        held = 0
        if len(rows) > per_day * days:
            ranks = tiers.current_tiers(self.db, {cid for _, cid, _ in rows})
            rows.sort(key=lambda r: (ranks.get(r[1], "C"), r[2], r[1]))
            kept = [key for key, _, _ in rows[: per_day * days]]
            held = len(rows) - len(kept)
            self.params["kept_visits"] = json.dumps(kept)
            self.where += (
                " AND (kind != 'visit' OR key IN"
                f" ({self.db.json_values(':kept_visits', integers=False)}))"
            )
        if counts is not None:
            kept_count = len(rows) - held
            counts["visits held"] = counts["visits"] - kept_count if "visits" in counts else held

    def rows(self, sort: str) -> Cursor:
        urgency = " ".join(f"WHEN {_quoted(k)} THEN {n}" for k, n in URGENCY.items())
        urgency = f"CASE kind {urgency} END"
        if sort == "date":
            order = f"coalesce(late_from, day), {urgency}, coalesce(name, ''), key"
        else:
            # Today's and overdue first (by urgency; greetings by how near their day,
            # the rest the longest waiting first), then the coming days by date.
            greetings = ", ".join(_quoted(k) for k in GREETING_KINDS)
            order = (
                "day > :today, max(day, :today), "
                f"{urgency}, CASE WHEN kind IN ({greetings}) THEN on_day"
                " ELSE coalesce(late_from, day) END, coalesce(name, ''), key"
            )
        columns = "key, kind, customer_id, on_day, why, item_owner, day, moved_from, late_from, "
        columns += ", ".join(c for c in _PERSON_FIELDS)
        return self.db.execute(self._sql(columns, "") + f" ORDER BY {order}", self.params)

    def _sql(self, columns: str, where: str) -> str:
        cleared = ", ".join(_quoted(k) for k in CLEARED_BY_CONTACT)
        person = ", ".join(
            f"{sql} AS {name}" for sql, name in zip(_PERSON_SQL, _PERSON_FIELDS, strict=True)
        )
        # A contact window moves a day to the next one the customer takes calls on
        # (`contact_window.next_allowed_day`): ISO weekday digits in `contact_days`.
        # With no contact window in the shop every day stays: the test is left out (it is
        # written out wherever the day is used, seven times on each of 200k lines at 1M).
        db = self.db
        moved_day = db.plus_days("t.due_day", "n")
        moved = f"""CASE WHEN coalesce(c.contact_days, '') = '' THEN t.due_day ELSE coalesce(
              (SELECT {moved_day} FROM offsets
                WHERE instr(c.contact_days, {db.iso_weekday(moved_day)}) > 0
                ORDER BY n LIMIT 1), t.due_day) END"""
        if not self.windowed:
            moved = "t.due_day"
        return f"""
            WITH offsets(n) AS (VALUES (0), (1), (2), (3), (4), (5), (6)),
            placed AS (
              SELECT t.key, t.kind, t.customer_id, t.on_day, t.why, t.owner AS item_owner,
                     t.due_day, {moved} AS shown, {person}
                FROM {self.table} t JOIN customers c ON c.id = t.customer_id
               WHERE c.do_not_contact = 0 AND c.archived_at IS NULL AND c.forgotten_at IS NULL
                 -- done, skipped or sent
                 AND NOT EXISTS (SELECT 1 FROM contacts h WHERE h.item = t.key)
                 -- a call since it fell due was the greeting, the check
                 AND NOT (t.kind IN ({cleared}) AND EXISTS (
                       SELECT 1 FROM contacts k WHERE k.customer_id = t.customer_id
                          AND k.item IS NULL AND substr(k.at, 1, 10) >= t.due_day
                          AND substr(k.at, 1, 10) <= :end))),
            listed AS (
              SELECT *, max(shown, :today) AS day,
                     CASE WHEN shown < :today THEN shown END AS late_from,
                     CASE WHEN shown != due_day THEN due_day END AS moved_from
                FROM placed
               WHERE shown <= :end
                 -- its day has passed, and the grace period with it
                 AND NOT (shown < :today AND shown < :start
                          AND on_day < {self.kept_from})
                 AND (CAST(:owner AS TEXT) IS NULL OR coalesce(item_owner, owner) = :owner))
            SELECT {columns} FROM listed WHERE 1 = 1 {self.where}{where}"""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def kept_for(db: Engine, kind: str) -> timedelta | None:
    """How long after its event an item not dealt with stays; None: until dealt with."""
    if kind in AFTER_KINDS:  # the grace period counts from the day it fell due
        grace = dates.parse_span(settings.get(db, "agenda.greeting_grace")).days
        return timedelta(days=grace) - lead(db, kind)
    if kind in GREETING_KINDS:
        return timedelta(days=dates.parse_span(settings.get(db, "agenda.greeting_grace")).days)
    if kind == "after-sale":
        text = settings.get(db, "agenda.aftersale_keep").strip()
        return timedelta(days=dates.parse_span(text).days) if text else None
    return None


def _left_out(kind: str, broken: Exception, warnings: list[str] | None) -> None:
    """Record that `kind` is left out (its setting is broken), or raise without a list."""
    if warnings is None:
        raise broken
    message = f"{kind} items left out: {broken}"
    if message not in warnings:
        warnings.append(message)


def _guarded(
    kind: str,
    source: Callable[[Engine, Window], Iterable[Item]],
    db: Engine,
    window: Window,
    warnings: list[str] | None,
) -> Iterator[Item]:
    """A source's items; a broken setting costs only this source (sources read their
    settings before their first item, so nothing half-read is kept)."""
    try:
        yield from source(db, window)
    except InvalidValue as broken:
        _left_out(kind, broken, warnings)


def cap_visits(
    db: Engine, entries: list[Entry], *, per_day: int | None, days: int
) -> tuple[list[Entry], int]:
    """At most `per_day` visits a day: A before B before C, the most overdue first.

    A shop calls a handful of customers a day; on a freshly classified database
    thousands of visits fall due at once. Returns the entries kept and how many
    visits were held back (they come up again on the following days).
    """
    visits = [e for e in entries if e.item.kind == "visit"]
    if per_day is None or len(visits) <= per_day * days:
        return entries, 0
    ranks = _tiers_of(db, (e.item for e in visits))
    ranked = sorted(
        visits,
        key=lambda e: (
            ranks.get(e.item.customer_id, "C"),
            e.item.late_from or e.item.day,
            e.item.customer_id,
        ),
    )
    kept = {id(e) for e in ranked[: per_day * days]}
    return [e for e in entries if e.item.kind != "visit" or id(e) in kept], len(visits) - len(kept)


def lead(db: Engine, kind: str) -> timedelta:
    """How long before its event an item of `kind` is due (negative: after it)."""
    span = dates.parse_span(settings.get(db, f"agenda.lead.{kind}"))
    days = timedelta(days=span.days)  # the setting allows days and weeks only
    return -days if kind in AFTER_KINDS else days


def _tiers_of(db: Engine, items: Iterable[Item]) -> dict[int, str]:
    """customer id → current tier, for the customers of `items` only."""
    return tiers.current_tiers(db, {i.customer_id for i in items})


# A `Person`'s columns, and their names in the listing's SQL.
_PERSON_SQL = (
    *(f"c.{name}" for name in ("id", "code", "name", "family_name", "given_name")),
    *(f"c.{name}" for name in ("patronymic", "salutation", "gender", "locale", "email")),
    "c.owner",
    "c.contact_days",
    "(SELECT raw FROM customer_phones p WHERE p.customer_id = c.id ORDER BY position LIMIT 1)",
)
_PERSON_FIELDS = (
    *("person_id", "code", "name", "family_name", "given_name", "patronymic", "salutation"),
    *("gender", "locale", "email", "owner", "contact_days", "phone"),
)


# --- cron: what the last run reported ------------------------------------------------------


def catch_up_start(db: Engine, *, today: date) -> date:
    """The first day not yet reported by a `--since-last-run` run (today if none was)."""
    row = db.execute("SELECT max(to_day) FROM agenda_runs").fetchone()
    if not row or not row[0]:
        return today
    start = date.fromisoformat(row[0]) + timedelta(days=1)
    return max(start, today - timedelta(days=CATCH_UP_DAYS - 1))


def record_run(db: Engine, *, start: date, end: date, items: int) -> None:
    with db.write():
        db.execute(
            "INSERT INTO agenda_runs (run_at, from_day, to_day, items) VALUES (?, ?, ?, ?)",
            [dates.now_utc(), start.isoformat(), end.isoformat(), items],
        )
