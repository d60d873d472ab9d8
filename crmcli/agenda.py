"""The daily agenda: whom to call, greet or visit, and why — merged from every source.

Each kind of item has a source that finds its events by index (never by loading every
customer): birthdays by the month-day index (lunar ones by converting each day of the
window to its lunar month-day), anniversaries and first purchases, public holidays for
the customers the `holidays.greet` rule selects, after-sale checks, tier visits,
promised call-backs and overdue complaint stages.

An event is due `agenda.lead.<kind>` before it happens; a customer's contact window
moves it to the next day they take calls. Follow-ups, visits and complaints stay on
the agenda until dealt with; the other kinds show on their day only.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from typing import Any

from sqlite_utils import Database

from crmcli import complaints as complaint_stages
from crmcli import dates, locales, names, prospects, public_holidays, relations, settings, yearly
from crmcli import visits as visit_plans
from crmcli.contact_window import DAY_NAMES, next_allowed_day
from crmcli.db import write
from crmcli.errors import InvalidValue
from crmcli.lunar import CALENDARS, LUNAR_FIRST_DAY, Calendar, LunarWindow, calendar_for
from crmcli.tiers import TIERS, cadence, current_tiers, members_sql
from crmcli.visits import CLOCK_CONTACTS

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


@dataclass(frozen=True)
class Item:
    """One thing to do for one customer."""

    kind: str
    customer_id: int
    on: date  # the event itself: the birthday, the promised day…
    why: str
    owner: str | None = None
    day: date | None = None  # when to act: `on` less the lead time, in the contact window
    moved_from: date | None = None
    key: str = ""  # stable identity, for calendars
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    late_from: date | None = None  # overdue: it was due that day, and is shown today


@dataclass(frozen=True)
class Person:
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
        if self.name and self.name.strip():
            return self.name
        reach = self.phone or self.email
        return f"(no name) {reach}" if reach else "(no name)"

    def salutation(self, style: str = "formal") -> str:
        if self.salutation_override and style == "formal":
            return self.salutation_override
        return names.salutation(
            name=self.name,
            family=self.family_name,
            given=self.given_name,
            patronymic=self.patronymic,
            gender=self.gender,
            locale=self.locale_field,
            style=style,
        )


@dataclass(frozen=True)
class Entry:
    item: Item
    person: Person

    def row(self) -> dict[str, Any]:
        """The agenda line as printed (and every other field `--fields` may pick)."""
        i, p = self.item, self.person
        why = i.why
        if i.moved_from is not None:
            allowed = ",".join(DAY_NAMES[int(d) - 1] for d in p.contact_days or "")
            why += f" (moved from {i.moved_from.isoformat()}: takes calls {allowed})"
        if i.late_from is not None:
            why += f" (overdue since {i.late_from.isoformat()})"
        salutation = p.salutation()
        return {
            "date": i.day.isoformat() if i.day else None,
            "kind": i.kind,
            "ref": p.ref,
            "name": p.display_name,
            "salutation": salutation,
            "customer": salutation,  # the salutation, under its first name (scripts use it)
            "phone": p.phone,
            "why": why,
            "owner": i.owner if i.owner is not None else p.owner,
            "on": i.on.isoformat(),
            "code": p.code,
            "email": p.email,
            "customer_id": p.id,
            "key": i.key,
            "overdue_since": i.late_from.isoformat() if i.late_from else None,
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


@dataclass(frozen=True)
class Window:
    """The event days a source looks at.

    `windowed_only`: only customers with a contact window (for the days before the
    asked-for ones, whose items only a contact window can move into view).
    """

    first_event: date
    last_event: date
    windowed_only: bool = False

    def customers(self, id_expr: str, *, by_date: bool = True) -> str:
        """An SQL condition on a customer id column that honours `windowed_only`.

        `by_date`: keep SQLite on the date index (a few days' rows) rather than walking
        these customers' rows (the `+` hides the customer index from the planner).
        """
        if not self.windowed_only:
            return "1"
        # `contact_days IS NOT NULL` is the partial index customers_contact_days.
        plus = "+" if by_date else ""
        return f"{plus}{id_expr} IN (SELECT id FROM customers WHERE contact_days IS NOT NULL)"


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


def due(
    db: Database,
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
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InvalidValue(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    if sort not in SORTS:
        raise InvalidValue(f"unknown sort {sort!r}; choose from {', '.join(SORTS)}")
    if start - WINDOW_SLACK < LUNAR_FIRST_DAY:
        raise InvalidValue(f"the agenda starts in {LUNAR_FIRST_DAY.year + 1} at the earliest")
    today = max(today or start, start)
    chosen = [k for k in KINDS if not kinds or k in kinds]
    items: dict[str, Item] = {}  # by key: the look-back windows may find an item twice
    keeps: dict[str, timedelta | None] = {}
    any_windowed = bool(
        db.execute("SELECT 1 FROM customers WHERE contact_days IS NOT NULL LIMIT 1").fetchone()
    )
    for kind in chosen:
        try:
            lead_time = lead(db, kind)
            keeps[kind] = keep = kept_for(db, kind)
        except InvalidValue as broken:
            _left_out(kind, broken, warnings)
            continue
        source = SOURCES[kind]
        if kind == "visit" and visits_limit is not None and not owner and not tier:
            # A million-customer shop has hundreds of thousands of overdue visits; hold
            # only the best candidates (with room for contact-window moves).
            source = partial(best_visits, size=2 * visits_limit + 50, counts=counts)
        found: Iterable[Item] = (
            i
            for window in windows(kind, start, end, lead_time, any_windowed=any_windowed, keep=keep)
            for i in _guarded(kind, source, db, window, warnings)
        )
        for i in found:
            items.setdefault(i.key, _on_day(i, i.on - lead_time))
    handled = _handled(db, items)
    last_contact = _last_contacts(db, items, until=end)
    people = _people(db, {i.customer_id for i in items.values()})
    out = []
    for item in items.values():
        if item.key in handled:
            continue
        person = people.get(item.customer_id)
        if person is None:  # do not contact, archived or forgotten
            continue
        assert item.day is not None
        if item.kind in CLEARED_BY_CONTACT:
            contacted = last_contact.get(item.customer_id)
            if contacted is not None and contacted >= item.day.isoformat():
                continue  # a call since it fell due was the greeting, the check
        day = next_allowed_day(item.day, person.contact_days)
        if day != item.day:
            item = replace(item, day=day, moved_from=item.day)
        if day > end:
            continue
        if day < today:
            keep = keeps[item.kind]
            if (
                item.kind not in PERSISTENT
                and keep is not None
                and max(item.on + keep, day) < start
            ):
                continue  # its day has passed, and the grace period with it
            item = replace(item, day=today, late_from=day)
        if owner and (item.owner if item.owner is not None else person.owner) != owner:
            continue
        out.append(Entry(item, person))
    if tier:  # read for the customers still listed only
        tiers = _tiers_of(db, (e.item for e in out))
        out = [e for e in out if tiers.get(e.item.customer_id) == tier]
    out.sort(key=_by_date if sort == "date" else _by_urgency(today))
    return out


def _by_date(e: Entry) -> tuple[Any, ...]:
    """The plain order: the day each item fell due, then urgency."""
    i = e.item
    return (i.late_from or i.day, URGENCY[i.kind], e.person.name or "", i.key)


def _by_urgency(today: date) -> Callable[[Entry], tuple[Any, ...]]:
    """Today's and overdue items first, by urgency (within a kind, the longest waiting
    first; greetings by how near their day is); then the coming days by date."""

    def key(e: Entry) -> tuple[Any, ...]:
        i = e.item
        assert i.day is not None
        waiting = i.on if i.kind in GREETING_KINDS else (i.late_from or i.day)
        if i.day <= today:
            return (0, today, URGENCY[i.kind], waiting, e.person.name or "", i.key)
        return (1, i.day, URGENCY[i.kind], waiting, e.person.name or "", i.key)

    return key


def kept_for(db: Database, kind: str) -> timedelta | None:
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


def _handled(db: Database, items: dict[str, Item]) -> set[str]:
    """The keys among `items` already done, skipped or sent."""
    if not items:
        return set()
    rows = db.execute(
        "SELECT item FROM contacts WHERE item IN (SELECT value FROM json_each(?))",
        [json.dumps(list(items))],
    )
    return {r[0] for r in rows}


def _last_contacts(db: Database, items: dict[str, Item], *, until: date) -> dict[int, str]:
    """customer id → the day of their last logged contact (not an agenda record) up to
    `until`, for the customers with an item a contact deals with."""
    ids = {i.customer_id for i in items.values() if i.kind in CLEARED_BY_CONTACT}
    if not ids:
        return {}
    rows = db.execute(
        "SELECT customer_id, max(substr(at, 1, 10)) FROM contacts"
        " WHERE customer_id IN (SELECT value FROM json_each(?)) AND item IS NULL"
        " AND substr(at, 1, 10) <= ? GROUP BY customer_id",
        [json.dumps(sorted(ids)), until.isoformat()],
    )
    return {cid: day for cid, day in rows}


def _left_out(kind: str, broken: Exception, warnings: list[str] | None) -> None:
    """Record that `kind` is left out (its setting is broken), or raise without a list."""
    if warnings is None:
        raise broken
    message = f"{kind} items left out: {broken}"
    if message not in warnings:
        warnings.append(message)


def _guarded(
    kind: str,
    source: Callable[[Database, Window], Iterable[Item]],
    db: Database,
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
    db: Database, entries: list[Entry], *, per_day: int | None, days: int
) -> tuple[list[Entry], int]:
    """At most `per_day` visits a day: A before B before C, the most overdue first.

    A shop calls a handful of customers a day; on a freshly classified database
    thousands of visits fall due at once. Returns the entries kept and how many
    visits were held back (they come up again on the following days).
    """
    visits = [e for e in entries if e.item.kind == "visit"]
    if per_day is None or len(visits) <= per_day * days:
        return entries, 0
    tiers = _tiers_of(db, (e.item for e in visits))
    ranked = sorted(
        visits,
        key=lambda e: (
            tiers.get(e.item.customer_id, "C"),
            e.item.late_from or e.item.day,
            e.item.customer_id,
        ),
    )
    kept = {id(e) for e in ranked[: per_day * days]}
    return [e for e in entries if e.item.kind != "visit" or id(e) in kept], len(visits) - len(kept)


def _on_day(item: Item, day: date) -> Item:
    # dataclasses.replace, without its introspection (it runs for every item).
    return Item(
        item.kind, item.customer_id, item.on, item.why, item.owner, day, None, item.key, item.detail
    )


def lead(db: Database, kind: str) -> timedelta:
    """How long before its event an item of `kind` is due (negative: after it)."""
    span = dates.parse_span(settings.get(db, f"agenda.lead.{kind}"))
    days = timedelta(days=span.days)  # the setting allows days and weeks only
    return -days if kind in AFTER_KINDS else days


def _tiers_of(db: Database, items: Iterable[Item]) -> dict[int, str]:
    """customer id → current tier, for the customers of `items` only."""
    return current_tiers(db, {i.customer_id for i in items})


_PERSON_COLUMNS = (
    "id, code, name, family_name, given_name, patronymic, salutation, gender, locale, email,"
    " owner, contact_days,"
    " (SELECT raw FROM customer_phones p WHERE p.customer_id = c.id ORDER BY position LIMIT 1)"
)
_REACHABLE = "do_not_contact = 0 AND archived_at IS NULL AND forgotten_at IS NULL"


def _chunks(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for v in values:
        batch.append(v)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _people(db: Database, ids: set[int]) -> dict[int, Person]:
    """The reachable customers among `ids` (do-not-contact and archived ones are left out)."""
    if not ids:
        return {}
    rows = db.execute(
        f"SELECT {_PERSON_COLUMNS} FROM customers c"
        f" WHERE id IN (SELECT value FROM json_each(?)) AND {_REACHABLE}",
        [json.dumps(sorted(ids))],
    )
    return {row[0]: Person(*row) for row in rows}


# --- sources -----------------------------------------------------------------------------


def _in(values: Iterable[str]) -> tuple[str, list[str]]:
    vals = sorted(set(values))
    return ",".join("?" * len(vals)), vals


def _years(born: str, on: date) -> int | None:
    year = dates.year_of(born)
    return None if year is None else on.year - year


def _yearly_dates(
    db: Database,
    window: Window,
    *,
    table: str,
    column: str,
    lunar_column: str,
    extra_columns: str,
    where: str,
) -> Iterator[tuple[Any, ...]]:
    """(row…, occurrence) for each yearly date of `table` falling between the window's events.

    Solar dates are found by their month-day; lunar ones by the lunar month-days of the
    window's days (in both calendars), then converted exactly, customer by customer.
    """
    feb29 = settings.get(db, "birthday.feb29")
    start, end = window.first_event, window.last_event
    days = list(yearly.days(start, end))
    solar = {md for d in days for md in yearly.month_days_on(d, feb29=feb29)}
    marks, params = _in(solar)
    sql = (
        f"SELECT {column}, {extra_columns} FROM {table}"
        f" WHERE substr({column}, -5) IN ({marks}) AND {lunar_column} = 0 AND {where}"
    )
    for row in db.execute(sql, params):
        month, day = dates.month_day(row[0])
        for on in yearly.solar_occurrences(month, day, start, end, feb29=feb29):
            yield (*row, on)
    windows = {c: LunarWindow(start, end, c) for c in CALENDARS}
    lunar = set().union(*(w.month_days() for w in windows.values()))
    marks, params = _in(lunar)
    default: Calendar = settings.get(db, "lunar.calendar")  # type: ignore[assignment]
    sql = (
        f"SELECT {column}, {extra_columns} FROM {table}"
        f" WHERE substr({column}, -5) IN ({marks}) AND {lunar_column} != 0 AND {where}"
    )
    for row in db.execute(sql, params):
        month, day = dates.month_day(row[0])
        locale, name, leap = row[-3], row[-2], row[-1]
        window_ = windows[calendar_for(locale or names.default_locale(name), default)]
        for on in window_.occurrences(month, day, leap=bool(leap)):
            yield (*row, on)


def birthdays(db: Database, window: Window) -> Iterator[Item]:
    rows = _yearly_dates(
        db,
        window,
        table="customers",
        column="birthday",
        lunar_column="birthday_lunar",
        extra_columns="id, birthday_lunar, locale, name, birthday_leap",
        where=f"{_REACHABLE} AND {window.customers('id')}",
    )
    for born, cid, lunar, _locale, _name, leap, on in rows:
        years = _years(born, on)
        what = "lunar birthday" if lunar else "birthday"
        if lunar:
            what += f" ({'leap ' if leap else ''}{born[-5:]})"
        why = f"{what} on {on.isoformat()}" + (f", turns {years}" if years else "")
        yield Item("birthday", cid, on, why, key=f"birthday:{cid}:{on}", detail={"years": years})


def anniversaries(db: Database, window: Window) -> Iterator[Item]:
    rows = _yearly_dates(
        db,
        window,
        table="customer_dates d",
        column="d.date",
        lunar_column="d.lunar",
        extra_columns="d.customer_id, d.label, d.lunar,"
        " (SELECT locale FROM customers WHERE id = d.customer_id),"
        " (SELECT name FROM customers WHERE id = d.customer_id), 0",
        where=window.customers("d.customer_id"),
    )
    for since, cid, label, lunar, _locale, _name, _leap, on in rows:
        years = _years(since, on)
        if years is not None and years <= 0:
            continue  # the day itself is no anniversary
        what = f"{label} anniversary" + (" (lunar)" if lunar else "")
        why = f"{what} on {on.isoformat()}" + (f", {years} years" if years else "")
        key = f"anniversary:{cid}:{label}:{on}"
        yield Item("anniversary", cid, on, why, key=key, detail={"years": years, "label": label})
    yield from first_purchases(db, window)


def first_purchases(db: Database, window: Window) -> Iterator[Item]:
    """Yearly anniversaries of a customer's first purchase (by the purchase-date index)."""
    first = db.execute("SELECT min(date) FROM purchases").fetchone()[0]
    if not first:
        return
    feb29 = settings.get(db, "birthday.feb29")
    wanted: dict[str, date] = {}  # a stored purchase day → the anniversary it makes
    for on in yearly.days(window.first_event, window.last_event):
        for md in yearly.month_days_on(on, feb29=feb29):
            for year in range(int(first[:4]), on.year):
                if md == "02-29" and not yearly.is_leap(year):
                    continue
                wanted[f"{year}-{md}"] = on
    if not wanted:
        return
    for batch in _chunks(sorted(wanted)):
        marks = ",".join("?" * len(batch))
        rows = db.execute(
            f"SELECT DISTINCT p.customer_id, p.date FROM purchases p WHERE p.date IN ({marks})"
            " AND p.customer_id IS NOT NULL"  # an anonymous sale has nobody to greet
            f" AND {window.customers('p.customer_id', by_date=False)} AND NOT EXISTS (SELECT 1 FROM"
            " purchases q WHERE q.customer_id = p.customer_id AND q.date < p.date)",
            batch,
        )
        for cid, day in rows:
            on = wanted[day]
            years = on.year - int(day[:4])
            why = f"{years} year{'s' if years > 1 else ''} since the first purchase ({day})"
            yield Item(
                "anniversary",
                cid,
                on,
                why,
                key=f"anniversary:{cid}:first-purchase:{on}",
                detail={"years": years, "label": "first purchase"},
            )


def holidays(db: Database, window: Window) -> Iterator[Item]:
    """Each greeting holiday (`public_holidays.GREETING_HOLIDAYS`), for each customer the
    `holidays.greet` rule selects, in the country of the customer's language."""
    rule = [r.strip() for r in settings.get(db, "holidays.greet").split(",") if r.strip()]
    if not rule:
        return

    country_list = public_holidays.countries(settings.get(db, "holidays.country"))
    if not country_list:
        return
    # Most days are no holiday: look at the calendar before at the customers.
    found = public_holidays.between(
        window.first_event,
        window.last_event,
        country_list=country_list,
        language=settings.get(db, "holidays.language"),
        db=db,
        rules=public_holidays.rules_from(db),
    )
    if not found:
        return
    chosen, params = _greeted(db, rule)
    if settings.get(db, "holidays.greet.prospects") != "yes":
        # The article's "finished deals": holiday greetings go to those who have bought.
        chosen += " AND EXISTS (SELECT 1 FROM purchases p WHERE p.customer_id = c.id)"
    rows = db.execute(
        f"SELECT id, locale, name FROM customers c WHERE {chosen} AND {_REACHABLE}"
        f" AND {window.customers('id')}",
        params,
    )
    for cid, locale, name in rows:
        country = locales.country(locale or names.default_locale(name))
        home = country if country in country_list else country_list[0]
        for h in found:
            if h.country != home:
                continue
            why = f"{h.name} on {h.day.isoformat()}" + (
                f" ({h.country})" if len(country_list) > 1 else ""
            )
            yield Item(
                "holiday",
                cid,
                h.day,
                why,
                key=f"holiday:{cid}:{h.country}:{h.day}",
                detail={"holiday": h},
            )


def _greeted(db: Database, rule: list[str]) -> tuple[str, list[Any]]:
    """An SQL condition on `customers c` for those a `holidays.greet` rule selects."""
    if "all" in rule:
        return "1", []
    ors: list[str] = []
    params: list[Any] = []
    tags = [r[4:] for r in rule if r.startswith("tag:")]
    if tags:
        marks, values = _in(tags)
        ors.append(f"c.id IN (SELECT customer_id FROM customer_tags WHERE tag IN ({marks}))")
        params += values
    for tier in sorted({r[5:] for r in rule if r.startswith("tier:")}):
        sql, values = members_sql(db, tier)
        ors.append(f"c.id IN ({sql})")
        params += values
    return f"({' OR '.join(ors) or '0'})", params


def after_sales(db: Database, window: Window) -> Iterator[Item]:
    """A check N days after each order's delivery (or purchase, if never delivered)."""
    n = timedelta(days=settings.get_int(db, "aftersale.days"))
    # `+delivery_date`: most lines have no delivery date, so that index must not be used
    # for IS NULL (it would walk most of the table); the date index finds the few days.
    lo, hi = (window.first_event - n).isoformat(), (window.last_event - n).isoformat()
    # An anonymous sale (no customer) has nobody to check on.
    only = "customer_id IS NOT NULL AND " + window.customers("customer_id")
    rows = db.execute(
        f"""SELECT customer_id, base, group_concat(DISTINCT item), delivered, o FROM (
             SELECT customer_id, delivery_date AS base, item, 1 AS delivered,
                    coalesce(order_id, date) AS o FROM purchases
              WHERE delivery_date BETWEEN ? AND ? AND amount_micros > 0 AND {only}
             UNION ALL
             SELECT customer_id, date, item, 0, coalesce(order_id, date) FROM purchases
              WHERE date BETWEEN ? AND ? AND +delivery_date IS NULL AND amount_micros > 0
                AND {only})
           GROUP BY customer_id, base, o""",
        [lo, hi, lo, hi],
    )
    for cid, base, items, delivered, order in rows:
        on = date.fromisoformat(base) + n
        what = items or "the purchase"
        why = f"after-sale check: {what} ({'delivered' if delivered else 'bought'} {base})"
        yield Item("after-sale", cid, on, why, key=f"after-sale:{cid}:{base}:{order}")


def thanks(db: Database, window: Window) -> Iterator[Item]:
    """A thank-you for each order (all its lines; a line without an order id is an order
    of its own) worth at least `thanks.min_amount`, to the customer who placed it.

    The window is of purchase days: an imported history of old orders lies before it
    (the grace period ends it), so only the last few days' orders are thanked.
    """
    if settings.get(db, "thanks.enabled") != "yes":
        return
    least = money_micros(settings.get(db, "thanks.min_amount"))
    only = "customer_id IS NOT NULL AND " + window.customers("customer_id")
    rows = db.execute(
        f"""SELECT customer_id, min(date), coalesce(order_id, '#' || id) AS o,
                   json_group_array(DISTINCT item), sum(amount_micros), count(*),
                   max(order_id IS NOT NULL)
              FROM purchases
             WHERE date BETWEEN ? AND ? AND {only}
             GROUP BY customer_id, o
            HAVING sum(amount_micros) > 0 AND sum(amount_micros) >= ?""",
        [window.first_event.isoformat(), window.last_event.isoformat(), least],
    )
    for cid, day, order, items, total, _lines, has_id in rows:
        on = date.fromisoformat(day)
        what = ", ".join(i for i in json.loads(items) if i)
        label = f"order {order}" if has_id else "purchase"
        why = f"thank for the {label}" + (f": {what}" if what else "") + f" (bought {day})"
        yield Item(
            "thanks",
            cid,
            on,
            why,
            key=f"thanks:{cid}:{order}",
            detail={"items": what or "—", "order": order if has_id else "", "total": total},
        )


def prospect_calls(db: Database, window: Window) -> Iterator[Item]:
    """Calls to prospects (customers with no purchase yet, `crmcli.prospects`): first
    `prospects.first_call` after being added, then every `prospects.cadence` after the
    last contact (a skipped call restarts its cadence)."""
    first = timedelta(days=dates.parse_span(settings.get(db, "prospects.first_call")).days)
    every = timedelta(days=dates.parse_span(settings.get(db, "prospects.cadence")).days)
    rows = db.execute(
        f"""SELECT id, prospect_calls_from,
               (SELECT max(substr(at, 1, 10)) FROM contacts k WHERE k.customer_id = c.id
                 AND (k.outcome IS NOT 'skipped' OR k.item LIKE 'prospect:%'))
            FROM customers c
           WHERE prospect_calls_from IS NOT NULL AND lost_at IS NULL
             AND {prospects.NO_PURCHASE} AND {_REACHABLE}"""
    )
    for cid, since, contacted in rows:
        if contacted and contacted >= since:
            on = date.fromisoformat(contacted) + every
            why = f"prospect: call again (last contact {contacted}, no purchase yet)"
        else:
            on = date.fromisoformat(since) + first
            why = f"prospect: first call (added {since}, no purchase yet)"
        if on > window.last_event:
            continue
        yield Item("prospect", cid, on, why, key=f"prospect:{cid}:{on}")


def money_micros(text: str) -> int:
    """A setting's plain decimal amount (`thanks.min_amount`) in micros."""
    from decimal import Decimal

    return int(Decimal(text or "0") * 1_000_000)


def visits(db: Database, window: Window) -> Iterator[Item]:
    """Customers whose visit plan or tier cadence has run out since the last contact (or
    purchase); a plan (`crmcli visits plan`) overrides the tier's cadence."""
    yield from _planned_visits(db, window)
    for tier, span in _cadences(db):
        yield from _tier_visits(db, window, tier, span)


def best_visits(
    db: Database, window: Window, *, size: int, counts: dict[str, int] | None = None
) -> list[Item]:
    """The `size` visits `visits` would rank first (tier A before B before C, then the
    earliest day, then the customer id), reading only the tiers that can supply them.

    A million-customer shop has hundreds of thousands of overdue visits and shows a
    few dozen a day: tier A alone usually fills the list, so B and C are not read.
    `counts["visits"]`, when asked for, is how many visits are due in all (the other
    tiers are then counted in SQL, not read).
    """
    planned = list(_planned_visits(db, window))
    ranks = current_tiers(db, [i.customer_id for i in planned])
    # A planned customer without a tier ranks as C, as a tier visit of C would.
    found = [((ranks.get(i.customer_id, "C"), i.on, i.customer_id), i) for i in planned]
    total = len(found)
    for tier, span in _cadences(db):
        better = sum(1 for (rank, _, _), _ in found if rank < tier)
        if better >= size:  # nothing of this tier (or after it) can make the list
            if counts is None:
                break
            total += _tier_visits_count(db, window, tier, span)
            continue
        for item in _tier_visits(db, window, tier, span):
            found.append(((tier, item.on, item.customer_id), item))
            total += 1
    if counts is not None:
        counts["visits"] = total
    return [item for _, item in heapq.nsmallest(size, found, key=lambda f: f[0])]


def _planned_visits(db: Database, window: Window) -> Iterator[Item]:
    """Visits of the plans in force (`crmcli visits plan`) due by the window's end."""
    for cid, nxt in visit_plans.next_visits(db).items():
        if nxt.on <= window.last_event:
            p = nxt.plan
            since = f"last contact {nxt.last_contact}" if nxt.last_contact else f"from {p.from_day}"
            why = f"planned visit (every {p.every}, {since}) — goal: {p.goal}"
            detail = {"goal": p.goal, "plan_id": p.id}
            yield Item("visit", cid, nxt.on, why, key=f"visit:{cid}:{nxt.on}", detail=detail)


def _cadences(db: Database) -> list[tuple[str, Any]]:
    """(tier, span) for each tier with a visit cadence (`tiers.cadence.*`), A first."""
    if _unclassified(db):
        return []
    spans = [(tier, cadence(db, tier)) for tier in TIERS]
    return [(tier, span) for tier, span in spans if span]


def _unclassified(db: Database) -> bool:
    """Before any classification (or override) nobody has a tier: nothing to read."""
    return bool(
        db.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM tier_assignments)"
            " AND NOT EXISTS (SELECT 1 FROM customers WHERE tier_override IS NOT NULL)"
        ).fetchone()[0]
    )


def _latest_start(last: date, span: Any) -> date:
    """The last day a cadence can start on and still run out by `last`.

    Adding a span (days, weeks, months: a month end is kept in the shorter month) never
    moves an earlier day past a later one, so "since + span <= last" is "since <= this
    day": the database can filter on it with the day as a string.
    """
    day = last - span
    while day + span > last:
        day -= timedelta(days=1)
    while day + timedelta(days=1) + span <= last:
        day += timedelta(days=1)
    return day


def _tier_visit_sql(db: Database, tier: str) -> tuple[str, list[Any]]:
    """The reachable customers of `tier` without a plan in force, with the day their
    visit clock started (last contact, else last purchase, else the day added)."""
    members, params = members_sql(db, tier)
    # MATERIALIZED: each customer's last contact and purchase are looked up once, not
    # again for the outer filter on `since`.
    return (
        f"""WITH clock AS MATERIALIZED (
              SELECT c.id, substr(c.created_at, 1, 10) AS created,
                     (SELECT max(at) FROM contacts k
                       WHERE k.customer_id = c.id AND {CLOCK_CONTACTS}) AS contacted,
                     (SELECT max(date) FROM purchases p WHERE p.customer_id = c.id) AS bought
                FROM customers c
               WHERE c.id IN ({members}) AND {_REACHABLE} AND c.id NOT IN
                     (SELECT customer_id FROM visit_plans WHERE cancelled_at IS NULL))
            SELECT id, coalesce(substr(contacted, 1, 10), bought, created) AS since,
                   contacted IS NOT NULL FROM clock""",
        params,
    )


def _tier_visits(db: Database, window: Window, tier: str, span: Any) -> Iterator[Item]:
    """The visits of `tier` due by the window's end: its cadence ran out since the clock."""
    sql, params = _tier_visit_sql(db, tier)
    latest = _latest_start(window.last_event, span).isoformat()
    rows = db.execute(f"{sql} WHERE since <= ?", [*params, latest])
    next_visit: dict[str, date] = {}  # many customers share a last day: add the span once
    for cid, since, contacted in rows:
        on = next_visit.get(since)
        if on is None:
            on = next_visit[since] = date.fromisoformat(since) + span
        last = f"last contact {since}" if contacted else f"no contact logged; since {since}"
        yield Item("visit", cid, on, f"tier {tier} visit/call ({last})", key=f"visit:{cid}:{on}")


def _tier_visits_count(db: Database, window: Window, tier: str, span: Any) -> int:
    sql, params = _tier_visit_sql(db, tier)
    latest = _latest_start(window.last_event, span).isoformat()
    return int(
        db.execute(f"SELECT count(*) FROM ({sql} WHERE since <= ?)", [*params, latest]).fetchone()[
            0
        ]
    )


def followups(db: Database, window: Window) -> Iterator[Item]:
    rows = db.execute(
        "SELECT id, customer_id, due_on, snoozed_until, note, owner, rrule FROM followups"
        " WHERE status = 'open' AND due_on <= ?",
        [window.last_event.isoformat()],
    )
    for fid, cid, due_on, snoozed, note, owner, rule in rows:
        on = date.fromisoformat(snoozed or due_on)
        if on > window.last_event:
            continue
        why = f"follow-up #{fid}: {note}"
        if snoozed:
            why += f" (promised for {due_on}, snoozed)"
        if rule:
            why += f" [repeats {rule}]"
        yield Item("followup", cid, on, why, owner=owner, key=f"followup:{fid}")


def complaints(db: Database, window: Window) -> Iterator[Item]:
    """Complaint stages past their deadline (`crmcli.complaints` sets the deadlines)."""
    # Most days no complaint is open: skip reading tiers and deadlines then.
    if not db.execute("SELECT 1 FROM complaints WHERE stage != 'closed' LIMIT 1").fetchone():
        return

    for o in complaint_stages.overdue(db, as_of=window.last_event):
        why = (
            f"complaint #{o.complaint_id} ({o.severity}): {o.summary} — at {o.stage};"
            f" {o.next_stage} was due {o.due_on.isoformat()}"
        )
        key = f"complaint:{o.complaint_id}:{o.next_stage}"
        yield Item("complaint", o.customer_id, o.due_on, why, key=key)


def family_birthdays(db: Database, window: Window) -> Iterator[Item]:
    """Relatives' birthdays a customer is greeted for (`customers relate … --greet`).

    A relative who is not a customer brings their own birthday; one who is a customer
    their record's (solar only: a lunar one is greeted as that customer's own birthday).
    """
    feb29 = settings.get(db, "birthday.feb29")
    rows = db.execute(
        f"""SELECT r.id, r.customer_id, r.kind, coalesce(o.name, r.other_name),
                   coalesce(o.birthday, r.other_birthday)
            FROM customer_relations r JOIN customers c ON c.id = r.customer_id
            LEFT JOIN customers o ON o.id = r.other_id
            WHERE r.greet = 1 AND coalesce(o.birthday, r.other_birthday) IS NOT NULL
              AND coalesce(o.birthday_lunar, 0) = 0 AND coalesce(o.forgotten_at, '') = ''
              AND c.do_not_contact = 0 AND c.archived_at IS NULL AND c.forgotten_at IS NULL
              AND {window.customers("r.customer_id", by_date=False)}"""
    )
    for rid, cid, kind, name, born in rows:
        month, day = dates.month_day(born)
        for on in yearly.solar_occurrences(
            month, day, window.first_event, window.last_event, feb29=feb29
        ):
            year = dates.year_of(born)
            years = None if year is None else on.year - year
            relation = relations.LABELS.get(kind, kind)
            why = f"birthday of their {relation} {name} on {on.isoformat()}"
            why += f", turns {years}" if years else ""
            yield Item(
                "family-birthday",
                cid,
                on,
                why,
                key=f"family-birthday:{cid}:{rid}:{on}",
                detail={"years": years, "relative": name, "relation": relation},
            )


SOURCES: dict[str, Callable[[Database, Window], Iterable[Item]]] = {
    "birthday": birthdays,
    "anniversary": anniversaries,
    "holiday": holidays,
    "after-sale": after_sales,
    "thanks": thanks,
    "prospect": prospect_calls,
    "visit": visits,
    "followup": followups,
    "complaint": complaints,
    "family-birthday": family_birthdays,
}


# --- cron: what the last run reported ------------------------------------------------------


def catch_up_start(db: Database, *, today: date) -> date:
    """The first day not yet reported by a `--since-last-run` run (today if none was)."""
    row = db.execute("SELECT max(to_day) FROM agenda_runs").fetchone()
    if not row or not row[0]:
        return today
    start = date.fromisoformat(row[0]) + timedelta(days=1)
    return max(start, today - timedelta(days=CATCH_UP_DAYS - 1))


def record_run(db: Database, *, start: date, end: date, items: int) -> None:
    with write(db):
        db.execute(
            "INSERT INTO agenda_runs (run_at, from_day, to_day, items) VALUES (?, ?, ?, ?)",
            [dates.now_utc(), start.isoformat(), end.isoformat(), items],
        )


KINDS = tuple(SOURCES)
