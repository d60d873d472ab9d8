"""Every source of agenda items, one per kind, in one place: what each finds, and the
key that names an item of it (`due done KEY`, `agenda_done.parse` reads it back).

| kind            | source                  | key                                           |
| ---             | ---                     | ---                                           |
| birthday        | `birthday_items`        | birthday:CUSTOMER:DAY                         |
| anniversary     | `anniversary_items`     | anniversary:CUSTOMER:LABEL:DAY (`first-purchase`) |
| holiday         | `holiday_items`         | holiday:CUSTOMER:COUNTRY:DAY                  |
| after-sale      | `after_sale_items`      | after-sale:CUSTOMER:BASE-DAY:ORDER            |
| thanks          | `thanks_items`          | thanks:CUSTOMER:ORDER (`#LINE` for a lone line) |
| prospect        | `prospect_items`        | prospect:CUSTOMER:DAY                         |
| visit           | `visit_items`           | visit:CUSTOMER:DAY                            |
| followup        | `followup_items`        | followup:FOLLOW-UP                            |
| complaint       | `complaint_items`       | complaint:COMPLAINT:NEXT-STAGE                |
| family-birthday | `family_birthday_items` | family-birthday:CUSTOMER:RELATION:DAY         |

Each source finds its events by index, never by loading every customer: birthdays by
the month-day index (lunar ones by converting each day of the window to its lunar
month-day), anniversaries and first purchases, public holidays for the customers the
`holidays.greet` rule selects, after-sale checks and thanks by the purchase-date index,
tier visits tier by tier, promised call-backs and overdue complaint stages. A source
takes the event days of a `Window` and yields `Item`s; `crmcli.agenda` merges them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import dates, locales, names, prospects, settings, yearly
from crmcli.engines import batched
from crmcli.i18n import N_
from crmcli.lazy import lazy_import
from crmcli.lunar import CALENDARS, Calendar, LunarWindow, calendar_for
from crmcli.recurrence import describe

if TYPE_CHECKING:
    from crmcli.engines import Engine

# The rules only some kinds read, imported when such a kind runs (`crmcli.lazy`): a
# `due --kind birthday` loads no complaint stages, public holidays, tiers, visit plans
# or relations (84M of its 566M instructions at 10k, BENCHMARKS "due --kind birthday…").
complaint_stages = lazy_import("crmcli.complaints")
public_holidays = lazy_import("crmcli.public_holidays")
relations = lazy_import("crmcli.relations")
tiers = lazy_import("crmcli.tiers")
visit_plans = lazy_import("crmcli.visits")

# Why an item is due: the words of `due`'s `why`, in English (scripts read it in CSV
# and JSON); a terminal says them in the user's language (crmcli.cli.i18n rewords a why
# by the template that made it: keep every template here, each written once).
WHY_ON = N_("{what} on {day}")
WHY_TURNS = N_("{what} on {day}, turns {years}")
WHY_YEARS = N_("{what} on {day}, {years} years")
WHY_COUNTRY = N_("{what} on {day} ({country})")
WHY_BIRTHDAY = N_("birthday")
WHY_LUNAR = N_("lunar birthday ({day})")
WHY_LEAP = N_("lunar birthday (leap {day})")
WHY_ANNIVERSARY = N_("{label} anniversary")
WHY_LUNAR_ANNIVERSARY = N_("{label} anniversary (lunar)")
WHY_FIRST_PURCHASE = (
    N_("{years} year since the first purchase ({day})"),
    N_("{years} years since the first purchase ({day})"),
)
# after_sale_sql writes these in SQL: `items` is the purchase's items, or WHY_PURCHASE.
WHY_AFTER_SALE = (
    N_("after-sale check: {items} (delivered {day})"),
    N_("after-sale check: {items} (bought {day})"),
)
WHY_PURCHASE = N_("the purchase")
WHY_THANKS = N_("thank for the {purchase}: {items} (bought {day})")
WHY_THANKS_BARE = N_("thank for the {purchase} (bought {day})")
WHY_ORDER = N_("order {order}")
WHY_A_PURCHASE = N_("purchase")
WHY_PROSPECT_AGAIN = N_("prospect: call again (last contact {day}, no purchase yet)")
WHY_PROSPECT_FIRST = N_("prospect: first call (added {day}, no purchase yet)")
WHY_VISIT = N_("planned visit (every {every}, {since}) — goal: {goal}")
WHY_LAST_CONTACT = N_("last contact {day}")
WHY_NO_CONTACT = N_("no contact logged; since {day}")
WHY_TIER_VISIT = N_("tier {tier} visit/call ({since})")
WHY_FROM = N_("from {day}")
WHY_FOLLOWUP = (
    N_("follow-up #{id}: {note}"),
    N_("follow-up #{id}: {note} (promised for {day}, snoozed)"),
    N_("follow-up #{id}: {note} [repeats {rule}]"),
    N_("follow-up #{id}: {note} (promised for {day}, snoozed) [repeats {rule}]"),
)
WHY_COMPLAINT = N_("complaint #{id} ({severity}): {summary} — at {stage}; {next} was due {day}")
WHY_FAMILY = N_("birthday of their {relation} {name} on {day}")
WHY_FAMILY_TURNS = N_("birthday of their {relation} {name} on {day}, turns {years}")
# The placeholders whose values a template above made too (the others hold the shop's
# own words: names, notes, items; only a fixed label among them is said again).
WHY_NESTED = frozenset({"what", "why", "since", "purchase", "rule"})
# The placeholders whose values are one word (a date, a count, an id): a why is read
# back by its template unambiguously with them (`…, turns 56 (overdue since …)`).
WHY_WORDS = frozenset({"day", "late", "years", "id", "country", "every", "tier"})
WHY = (
    *(WHY_ON, WHY_TURNS, WHY_YEARS, WHY_COUNTRY, WHY_BIRTHDAY, WHY_LUNAR, WHY_LEAP),
    *(WHY_ANNIVERSARY, WHY_LUNAR_ANNIVERSARY, *WHY_FIRST_PURCHASE, *WHY_AFTER_SALE),
    *(WHY_PURCHASE, WHY_THANKS, WHY_THANKS_BARE, WHY_ORDER, WHY_A_PURCHASE),
    *(WHY_PROSPECT_AGAIN, WHY_PROSPECT_FIRST, WHY_VISIT, WHY_LAST_CONTACT, WHY_FROM),
    *(WHY_NO_CONTACT, WHY_TIER_VISIT),
    *(*WHY_FOLLOWUP, WHY_COMPLAINT, WHY_FAMILY, WHY_FAMILY_TURNS),
)

# Agenda records are named tuples: immutable like frozen dataclasses, and made several
# times faster (an agenda at a million customers holds hundreds of thousands of them).
_NO_DETAIL: Mapping[str, Any] = MappingProxyType({})


class Item(NamedTuple):
    """One thing to do for one customer."""

    kind: str
    customer_id: int
    on: date  # the event itself: the birthday, the promised day…
    why: str
    owner: str | None = None
    day: date | None = None  # when to act: `on` less the lead time, in the contact window
    moved_from: date | None = None
    key: str = ""  # stable identity, for calendars
    detail: Mapping[str, Any] = _NO_DETAIL  # what a greeting's template may use
    late_from: date | None = None  # overdue: it was due that day, and is shown today


class Window(NamedTuple):
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
            return "1 = 1"
        # `contact_days IS NOT NULL` is the partial index customers_contact_days.
        plus = "+" if by_date else ""
        return f"{plus}{id_expr} IN (SELECT id FROM customers WHERE contact_days IS NOT NULL)"


_REACHABLE = "do_not_contact = 0 AND archived_at IS NULL AND forgotten_at IS NULL"


def _in(values: Iterable[str]) -> tuple[str, list[str]]:
    vals = sorted(set(values))
    return ",".join("?" * len(vals)), vals


def _years(born: str, on: date) -> int | None:
    year = dates.year_of(born)
    return None if year is None else on.year - year


def _yearly_dates(
    db: Engine,
    window: Window,
    *,
    table: str,
    column: str,
    lunar_column: str,
    extra_columns: str,
    where: str,
    solar: bool = True,
) -> Iterator[tuple[Any, ...]]:
    """(row…, occurrence) for each yearly date of `table` falling between the window's events.

    Solar dates are found by their month-day; lunar ones by the lunar month-days of the
    window's days (in both calendars), then converted exactly, customer by customer.
    `solar=False`: the lunar ones only.
    """
    start, end = window.first_event, window.last_event
    if solar:
        feb29 = settings.get(db, "birthday.feb29")
        days = list(yearly.days(start, end))
        found = {md for d in days for md in yearly.month_days_on(d, feb29=feb29)}
        marks, params = _in(found)
        sql = (
            f"SELECT {column}, {extra_columns} FROM {table}"
            f" WHERE {db.month_day(column)} IN ({marks}) AND {lunar_column} = 0 AND {where}"
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
        f" WHERE {db.month_day(column)} IN ({marks}) AND {lunar_column} != 0 AND {where}"
    )
    for row in db.execute(sql, params):
        month, day = dates.month_day(row[0])
        locale, name, leap = row[-3], row[-2], row[-1]
        window_ = windows[calendar_for(locale or names.default_locale(name), default)]
        for on in window_.occurrences(month, day, leap=bool(leap)):
            yield (*row, on)


def birthday_items(db: Engine, window: Window, *, solar: bool = True) -> Iterator[Item]:
    """Birthdays in the window (`solar=False`: the lunar ones only)."""
    rows = _yearly_dates(
        db,
        window,
        table="customers",
        column="birthday",
        lunar_column="birthday_lunar",
        extra_columns="id, birthday_lunar, locale, name, birthday_leap",
        where=f"{_REACHABLE} AND {window.customers('id')}",
        solar=solar,
    )
    for born, cid, lunar, _locale, _name, leap, on in rows:
        years = _years(born, on)
        what = (WHY_LEAP if leap else WHY_LUNAR).format(day=born[-5:]) if lunar else WHY_BIRTHDAY
        why = (WHY_TURNS if years else WHY_ON).format(what=what, day=on.isoformat(), years=years)
        yield Item("birthday", cid, on, why, key=f"birthday:{cid}:{on}", detail={"years": years})


def lunar_birthday_items(db: Engine, window: Window) -> Iterator[Item]:
    return birthday_items(db, window, solar=False)


def solar_birthday_sql(db: Engine, window: Window) -> tuple[str, list[Any]]:
    """The solar birthdays of `birthday_items` as SQL: (customer_id, on_day, why, key).

    Each day of the window with the stored month-days celebrated on it (29 February on
    its stand-in day in a common year), joined to the birthday index: a million-customer
    shop has tens of thousands of birthdays a week, and none becomes a Python object.
    """
    feb29 = settings.get(db, "birthday.feb29")
    pairs = [
        (md, on.isoformat())
        for on in yearly.days(window.first_event, window.last_event)
        for md in yearly.month_days_on(on, feb29=feb29)
    ]
    values = ", ".join("(?, ?)" for _ in pairs) or "(NULL, NULL)"
    # The age from the years of the two days ('--MM-DD' has none); "turns 0" is left out.
    years = "(CAST(substr(w.on_day, 1, 4) AS INTEGER) - CAST(substr(c.birthday, 1, 4) AS INTEGER))"
    sql = f"""WITH w(md, on_day) AS (VALUES {values})
        SELECT c.id AS customer_id, w.on_day AS on_day,
               'birthday on ' || w.on_day || CASE
                 WHEN substr(c.birthday, 1, 2) = '--' OR {years} = 0 THEN ''
                 ELSE ', turns ' || {years} END AS why,
               'birthday:' || c.id || ':' || w.on_day AS key
          FROM w JOIN customers c ON {db.month_day("c.birthday")} = w.md
         WHERE c.birthday_lunar = 0 AND {_REACHABLE}
           AND {window.customers("c.id")}"""
    return sql, [v for pair in pairs for v in pair]


def anniversary_items(db: Engine, window: Window) -> Iterator[Item]:
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
        what = (WHY_LUNAR_ANNIVERSARY if lunar else WHY_ANNIVERSARY).format(label=label)
        why = (WHY_YEARS if years else WHY_ON).format(what=what, day=on.isoformat(), years=years)
        key = f"anniversary:{cid}:{label}:{on}"
        yield Item("anniversary", cid, on, why, key=key, detail={"years": years, "label": label})
    yield from first_purchase_items(db, window)


def first_purchase_items(db: Engine, window: Window) -> Iterator[Item]:
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
    for batch in batched(sorted(wanted), 500):
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
            why = WHY_FIRST_PURCHASE[years > 1].format(years=years, day=day)
            yield Item(
                "anniversary",
                cid,
                on,
                why,
                key=f"anniversary:{cid}:first-purchase:{on}",
                detail={"years": years, "label": "first purchase"},
            )


def holiday_items(db: Engine, window: Window) -> Iterator[Item]:
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
            many = len(country_list) > 1
            why = (WHY_COUNTRY if many else WHY_ON).format(
                what=h.name, day=h.day.isoformat(), country=h.country
            )
            yield Item(
                "holiday",
                cid,
                h.day,
                why,
                key=f"holiday:{cid}:{h.country}:{h.day}",
                detail={"holiday": h},
            )


def _greeted(db: Engine, rule: list[str]) -> tuple[str, list[Any]]:
    """An SQL condition on `customers c` for those a `holidays.greet` rule selects."""
    if "all" in rule:
        return "1 = 1", []
    ors: list[str] = []
    params: list[Any] = []
    tags = [r[4:] for r in rule if r.startswith("tag:")]
    if tags:
        marks, values = _in(tags)
        ors.append(f"c.id IN (SELECT customer_id FROM customer_tags WHERE tag IN ({marks}))")
        params += values
    for tier in sorted({r[5:] for r in rule if r.startswith("tier:")}):
        sql, values = tiers.members_sql(db, tier)
        ors.append(f"c.id IN ({sql})")
        params += values
    return f"({' OR '.join(ors) or '0'})", params


def after_sale_items(db: Engine, window: Window) -> Iterator[Item]:
    """A check N days after each order's delivery (or purchase, if never delivered)."""
    sql, params = after_sale_sql(db, window)
    for cid, on, why, key in db.execute(sql, params):
        yield Item("after-sale", cid, date.fromisoformat(on), why, key=key)


def after_sale_sql(db: Engine, window: Window) -> tuple[str, list[Any]]:
    """`after_sale_items` as SQL: (customer_id, on_day, why, key), one row per item.

    The agenda inserts these rows as they are (a million-customer shop has a hundred
    thousand checks open; none becomes a Python object before it is listed).
    """
    n = settings.get_int(db, "aftersale.days")
    days = timedelta(days=n)
    # `delivery_date || ''` (SQLite's `+delivery_date`, which PostgreSQL does not read):
    # most lines have no delivery date, so that index must not be used
    # for IS NULL (it would walk most of the table); the date index finds the few days.
    lo, hi = (window.first_event - days).isoformat(), (window.last_event - days).isoformat()
    # An anonymous sale (no customer) has nobody to check on.
    only = "customer_id IS NOT NULL AND " + window.customers("customer_id")
    # An order's items in the order its lines were recorded (each branch reads a day's
    # lines by id), the same on both engines.
    items = db.joined_firsts("item", "id")
    sql = f"""SELECT customer_id, date(base, '+{n} days') AS on_day,
                 'after-sale check: ' || coalesce(nullif({items}, ''),
                 'the purchase') || ' ('
                 || CASE WHEN max(delivered) = 1 THEN 'delivered' ELSE 'bought' END
                 || ' ' || base || ')' AS why,
                 'after-sale:' || customer_id || ':' || base || ':' || o AS key
            FROM (
             SELECT customer_id, delivery_date AS base, item, 1 AS delivered,
                    coalesce(order_id, date) AS o, id FROM purchases
              WHERE delivery_date BETWEEN ? AND ? AND amount_micros > 0 AND {only}
             UNION ALL
             SELECT customer_id, date, item, 0, coalesce(order_id, date), id FROM purchases
              WHERE date BETWEEN ? AND ? AND delivery_date || '' IS NULL AND amount_micros > 0
                AND {only}) AS sold
           GROUP BY customer_id, base, o"""
    return sql, [lo, hi, lo, hi]


def thanks_items(db: Engine, window: Window) -> Iterator[Item]:
    """A thank-you for each order (all its lines; a line without an order id is an order
    of its own) worth at least `thanks.min_amount`, to the customer who placed it.

    The window is of purchase days: an imported history of old orders lies before it
    (the grace period ends it), so only the last few days' orders are thanked.
    """
    found = _thanked_orders(db, window)
    if found is None:
        return
    sql, params = found
    for cid, day, order, what, total, has_id in db.execute(sql, params):
        label = WHY_ORDER.format(order=order) if has_id else WHY_A_PURCHASE
        why = (WHY_THANKS if what else WHY_THANKS_BARE).format(purchase=label, items=what, day=day)
        yield Item(
            "thanks",
            cid,
            date.fromisoformat(day),
            why,
            key=f"thanks:{cid}:{order}",
            detail={"items": what or "—", "order": order if has_id else "", "total": total},
        )


def thanks_sql(db: Engine, window: Window) -> tuple[str, list[Any]] | None:
    """`thanks_items` as SQL: (customer_id, on_day, why, key), one row per order; None
    when thanks are off. A million-customer shop thanks tens of thousands of orders a
    week: none becomes a Python object before it is listed (WHY_THANKS, in SQL)."""
    found = _thanked_orders(db, window)
    if found is None:
        return None
    sql, params = found
    return (
        f"""SELECT customer_id, on_day,
                   'thank for the ' || CASE WHEN has_id = 1 THEN 'order ' || o
                   ELSE 'purchase' END || CASE WHEN what IS NULL THEN '' ELSE ': ' || what END
                   || ' (bought ' || on_day || ')' AS why,
                   'thanks:' || customer_id || ':' || o AS key
              FROM ({sql}) AS orders""",
        params,
    )


def _thanked_orders(db: Engine, window: Window) -> tuple[str, list[Any]] | None:
    """The orders to thank for, as SQL: (customer_id, on_day, o, what, total, has_id);
    `o` names the order (its id, else `#LINE`), `what` its items in the order their
    lines were recorded, each once (NULL for none). None when thanks are off."""
    if settings.get(db, "thanks.enabled") != "yes":
        return None
    least = money_micros(settings.get(db, "thanks.min_amount"))
    only = "customer_id IS NOT NULL AND " + window.customers("customer_id")
    # Each item once, in the order its lines were recorded (read in that order):
    # `joined_firsts` joins with a bare comma, so each item carries the space of ", "
    # in front of it, and the first one's is cut off.
    what = db.joined_firsts("' ' || nullif(item, '')", "id")
    return (
        f"""SELECT customer_id, min(date) AS on_day, coalesce(order_id, '#' || id) AS o,
                   substr({what}, 2) AS what, sum(amount_micros) AS total,
                   max(CASE WHEN order_id IS NOT NULL THEN 1 ELSE 0 END) AS has_id
              FROM (SELECT customer_id, date, order_id, id, item, amount_micros FROM purchases
                     WHERE date BETWEEN ? AND ? AND {only} ORDER BY id) AS lines
             GROUP BY customer_id, o
            HAVING sum(amount_micros) > 0 AND sum(amount_micros) >= ?""",
        [window.first_event.isoformat(), window.last_event.isoformat(), least],
    )


def money_micros(text: str) -> int:
    """A setting's plain decimal amount (`thanks.min_amount`) in micros."""
    from decimal import Decimal

    return int(Decimal(text or "0") * 1_000_000)


def prospect_items(db: Engine, window: Window) -> Iterator[Item]:
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
            why = WHY_PROSPECT_AGAIN.format(day=contacted)
        else:
            on = date.fromisoformat(since) + first
            why = WHY_PROSPECT_FIRST.format(day=since)
        if on > window.last_event:
            continue
        yield Item("prospect", cid, on, why, key=f"prospect:{cid}:{on}")


def visit_items(db: Engine, window: Window) -> Iterator[Item]:
    """Customers whose visit plan or tier cadence has run out since the last contact (or
    purchase); a plan (`crmcli visits plan`) overrides the tier's cadence."""
    yield from _planned_visit_items(db, window)
    for tier, span in _cadences(db):
        yield from _tier_visit_items(db, window, tier, span)


def best_visit_items(
    db: Engine, window: Window, *, size: int, counts: dict[str, int] | None = None
) -> list[Item]:
    """The `size` visits `visits` would rank first (tier A before B before C, then the
    earliest day, then the customer id), reading only the tiers that can supply them.

    A million-customer shop has hundreds of thousands of overdue visits and shows a
    few dozen a day: tier A alone usually fills the list, so B and C are not read.
    `counts["visits"]`, when asked for, is how many visits are due in all (the other
    tiers are then counted in SQL, not read).
    """
    planned = list(_planned_visit_items(db, window))
    ranks = tiers.current_tiers(db, [i.customer_id for i in planned])
    # A planned customer without a tier ranks as C, as a tier visit of C would.
    found = [((ranks.get(i.customer_id, "C"), i.on, i.customer_id), i) for i in planned]
    total = len(found)
    for tier, span in _cadences(db):
        better = sum(1 for (rank, _, _), _ in found if rank < tier)
        if better >= size:  # nothing of this tier (or after it) can make the list
            if counts is None:
                break
            total += _tier_visit_count(db, window, tier, span)
            continue
        if counts is not None:  # every one is counted: read them all
            items = _tier_visit_items(db, window, tier, span)
        else:
            items = _tier_visit_items(db, window, tier, span, first=size - better)
        for item in items:
            found.append(((tier, item.on, item.customer_id), item))
            total += 1
    if counts is not None:
        counts["visits"] = total
    return [item for _, item in heapq.nsmallest(size, found, key=lambda f: f[0])]


def _planned_visit_items(db: Engine, window: Window) -> Iterator[Item]:
    """Visits of the plans in force (`crmcli visits plan`) due by the window's end."""
    for cid, nxt in visit_plans.next_visits(db).items():
        if nxt.on <= window.last_event:
            p = nxt.plan
            if nxt.last_contact:
                since = WHY_LAST_CONTACT.format(day=nxt.last_contact)
            else:
                since = WHY_FROM.format(day=p.from_day)
            why = WHY_VISIT.format(every=p.every, since=since, goal=p.goal)
            detail = {"goal": p.goal, "plan_id": p.id}
            yield Item("visit", cid, nxt.on, why, key=f"visit:{cid}:{nxt.on}", detail=detail)


def _cadences(db: Engine) -> list[tuple[str, Any]]:
    """(tier, span) for each tier with a visit cadence (`tiers.cadence.*`), A first."""
    if _unclassified(db):
        return []
    spans = [(tier, tiers.cadence(db, tier)) for tier in tiers.TIERS]
    return [(tier, span) for tier, span in spans if span]


def _unclassified(db: Engine) -> bool:
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


def _tier_visit_sql(db: Engine, tier: str) -> tuple[str, list[Any]]:
    """The reachable customers of `tier` without a plan in force, with the day their
    visit clock started (last contact, else last purchase, else the day added)."""
    members, params = tiers.members_sql(db, tier)
    # MATERIALIZED: each customer's last contact and purchase are looked up once, not
    # again for the outer filter on `since`. The members are joined as they are read
    # (not `c.id IN (…)`: a list of a hundred thousand ids built first, at 1M customers).
    # `timed`: a step of its own, as PostgreSQL's WHERE cannot name `since` in the list
    # that makes it.
    return (
        f"""WITH clock AS MATERIALIZED (
              SELECT c.id, substr(c.created_at, 1, 10) AS created,
                     (SELECT max(at) FROM contacts k
                       WHERE k.customer_id = c.id AND {visit_plans.CLOCK_CONTACTS}) AS contacted,
                     (SELECT max(date) FROM purchases p WHERE p.customer_id = c.id) AS bought
                FROM ({members}) AS m JOIN customers c ON c.id = m.id
               WHERE {_REACHABLE} AND c.id NOT IN
                     (SELECT customer_id FROM visit_plans WHERE cancelled_at IS NULL)),
            timed AS (SELECT id, coalesce(substr(contacted, 1, 10), bought, created) AS since,
                             contacted IS NOT NULL AS contacted FROM clock)
            SELECT id, since, contacted FROM timed""",
        params,
    )


def _tier_visit_items(
    db: Engine, window: Window, tier: str, span: Any, *, first: int | None = None
) -> Iterator[Item]:
    """The visits of `tier` due by the window's end: its cadence ran out since the clock.

    `first`: only the `first` that come first by (day, customer), and any that tie
    with the last of them on its day; a hundred thousand due visits stay in SQLite.
    """
    sql, params = _tier_visit_sql(db, tier)
    latest = _latest_start(window.last_event, span).isoformat()
    if first is None:
        rows: Iterable[Any] = db.execute(f"{sql} WHERE since <= ?", [*params, latest])
    else:
        rows = _first_by_day(
            db.execute(f"{sql} WHERE since <= ? ORDER BY since, id", [*params, latest]),
            first,
            span,
        )
    next_visit: dict[str, date] = {}  # many customers share a last day: add the span once
    whys: dict[tuple[str, bool], str] = {}  # and their why: formatting is made once a day
    for cid, since, contacted in rows:
        on = next_visit.get(since)
        if on is None:
            on = next_visit[since] = date.fromisoformat(since) + span
        why = whys.get((since, contacted))
        if why is None:
            last = (WHY_LAST_CONTACT if contacted else WHY_NO_CONTACT).format(day=since)
            why = whys[since, contacted] = WHY_TIER_VISIT.format(tier=tier, since=last)
        yield Item("visit", cid, on, why, key=f"visit:{cid}:{on}")


def _first_by_day(rows: Any, first: int, span: Any) -> list[Any]:
    """The first `first` of (id, since, …) rows sorted by since, and every row after
    them whose visit falls on the same day as the last one's: days a month apart can
    end on the same day (31 and 30 January + 1 month), and the customer id decides
    between them. The rest is never read out of SQLite."""
    taken: list[Any] = []
    upto: str | None = None
    try:
        for row in rows:
            if upto is not None and row[1] > upto:
                break
            taken.append(row)
            if upto is None and len(taken) == first:
                upto = _latest_start(date.fromisoformat(row[1]) + span, span).isoformat()
    finally:
        rows.close()
    return taken


def _tier_visit_count(db: Engine, window: Window, tier: str, span: Any) -> int:
    sql, params = _tier_visit_sql(db, tier)
    latest = _latest_start(window.last_event, span).isoformat()
    return int(
        db.execute(
            f"SELECT count(*) FROM ({sql} WHERE since <= ?) AS due", [*params, latest]
        ).fetchone()[0]
    )


def followup_items(db: Engine, window: Window) -> Iterator[Item]:
    rows = db.execute(
        "SELECT id, customer_id, due_on, snoozed_until, note, owner, rrule FROM followups"
        " WHERE status = 'open' AND due_on <= ?",
        [window.last_event.isoformat()],
    )
    for fid, cid, due_on, snoozed, note, owner, rule in rows:
        on = date.fromisoformat(snoozed or due_on)
        if on > window.last_event:
            continue
        said = WHY_FOLLOWUP[bool(snoozed) + 2 * bool(rule)]
        # The rule in words (`every 2 weeks, on Monday`), said in the language on a terminal.
        why = said.format(id=fid, note=note, day=due_on, rule=rule and describe(rule))
        yield Item("followup", cid, on, why, owner=owner, key=f"followup:{fid}")


def complaint_items(db: Engine, window: Window) -> Iterator[Item]:
    """Complaint stages past their deadline (`crmcli.complaints` sets the deadlines)."""
    # Most days no complaint is open: skip reading tiers and deadlines then.
    if not db.execute("SELECT 1 FROM complaints WHERE stage != 'closed' LIMIT 1").fetchone():
        return

    for o in complaint_stages.overdue(db, as_of=window.last_event):
        why = WHY_COMPLAINT.format(
            id=o.complaint_id,
            severity=o.severity,
            summary=o.summary,
            stage=o.stage,
            next=o.next_stage,
            day=o.due_on.isoformat(),
        )
        key = f"complaint:{o.complaint_id}:{o.next_stage}"
        yield Item("complaint", o.customer_id, o.due_on, why, key=key)


def family_birthday_items(db: Engine, window: Window) -> Iterator[Item]:
    """The birthdays of people a customer asked to greet (`customers relate … --greet`).

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
            said = WHY_FAMILY_TURNS if years else WHY_FAMILY
            why = said.format(relation=relation, name=name, day=on.isoformat(), years=years)
            yield Item(
                "family-birthday",
                cid,
                on,
                why,
                key=f"family-birthday:{cid}:{rid}:{on}",
                detail={"years": years, "relative": name, "relation": relation},
            )


SOURCES: dict[str, Callable[[Engine, Window], Iterable[Item]]] = {
    "birthday": birthday_items,
    "anniversary": anniversary_items,
    "holiday": holiday_items,
    "after-sale": after_sale_items,
    "thanks": thanks_items,
    "prospect": prospect_items,
    "visit": visit_items,
    "followup": followup_items,
    "complaint": complaint_items,
    "family-birthday": family_birthday_items,
}


class SqlSource(NamedTuple):
    """A kind whose items the agenda can insert straight from SQL.

    `rows`: the (customer_id, on_day, why, key) query, the same rows the kind's source
    makes items of (None: the kind finds nothing, e.g. turned off); `rest`: the source
    of the kind's items that query leaves out;
    `detailed`: its items carry what greeting templates use (`Item.detail`), which only
    the kind's source gives, so greetings read that.
    """

    rows: Callable[[Engine, Window], tuple[str, list[Any]] | None]
    rest: Callable[[Engine, Window], Iterable[Item]] | None = None
    detailed: bool = False


SQL_SOURCES: dict[str, SqlSource] = {
    "after-sale": SqlSource(after_sale_sql),
    "birthday": SqlSource(solar_birthday_sql, lunar_birthday_items, detailed=True),
    "thanks": SqlSource(thanks_sql, detailed=True),
}

KINDS = tuple(SOURCES)
