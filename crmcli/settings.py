"""Settings stored in the database, each with a default, a description and a check.

Every setting is declared once, in the `SETTINGS` table below, grouped by feature;
`get` always returns a value (the stored one or the default), `set_value` validates
before it writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from crmcli import benefits, dates, i18n, locales, text
from crmcli.errors import InvalidValue, NotFound
from crmcli.i18n import M_, N_
from crmcli.money import CURRENCIES, minor_units

if TYPE_CHECKING:  # sqlite-utils costs ~60 ms to import: only real work pays it
    from crmcli.engines import Engine


class Setting(NamedTuple):
    """One setting. `check` returns an error message or None; it holds the setting's range.

    `check` runs at `config set` and again when a stored value is read (an old database
    may hold a value set before the range existed). `read_check`, when given, replaces it
    on reads: for a check too costly for every run (importing the holidays package).
    """

    key: str
    default: str
    help: str
    check: Callable[[str], str | None] | None = None
    read_check: Callable[[str], str | None] | None = None


class BrokenSetting(InvalidValue):
    """A stored setting outside its range (set before the range existed): say how to fix it."""

    def __init__(self, key: str, value: str, error: str, default: str) -> None:
        self.key = key
        super().__init__(
            M_(
                "setting {key} is {value!r} but {error}; fix it with `crmcli config set {key} "
                "VALUE` or `crmcli config unset {key}` (default {default!r})"
            ).format(key=key, value=value[:60], error=error, default=default)
        )


class Choice:
    """A setting's check for a fixed set of values; `options` is that set, so the code
    that acts on the value (tiers' rules) reads its choices from the setting itself."""

    def __init__(self, *options: str) -> None:
        self.options = options

    def __call__(self, value: str) -> str | None:
        if value in self.options:
            return None
        shown = ", ".join(o or '""' for o in self.options)  # an empty choice said as ""
        return M_("must be one of: {options}").format(options=shown)


def choices(key: str) -> tuple[str, ...]:
    """The values setting `key` may take (a `Choice` setting)."""
    check = SETTINGS[key].check
    if not isinstance(check, Choice):
        raise TypeError(f"{key} is not a choice")
    return check.options


def _pattern(regex: str, what: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if re.fullmatch(regex, value) else M_("must be {what}").format(what=what)

    return check


def _region(value: str) -> str | None:
    import phonenumbers

    ok = value.upper() in phonenumbers.SUPPORTED_REGIONS
    return None if ok else M_("must be a two-letter region code such as KR, JP, US, AM")


def _timezone(value: str) -> str | None:
    if value == "":
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return M_("must be an IANA time zone such as Asia/Seoul, or empty for the system's")
    return None


def _locale(value: str) -> str | None:
    return locales.check_setting(value)


def _span(
    longest: str, *, units: str = "dwmy", shortest: str = "", empty: bool = True, other: str = ""
) -> Callable[[str], str | None]:
    """A span such as 3d or 1m, from `shortest` to `longest` (both included), or empty;
    `other`: the one word the setting takes besides (said in the refusal, checked by it)."""
    top = dates.span_days(dates.parse_span(longest))
    bottom = dates.span_days(dates.parse_span(shortest)) if shortest else 0
    names = {"d": "3d", "w": "2w", "m": "6m", "y": "1y"}
    example = ", ".join(names[u] for u in units)
    # One sentence each: its "or" is said in the reader's language with the rest.
    what = (
        M_("must be a span such as {examples}, from {shortest} to {longest}, or {word}")
        if other
        else M_("must be a span such as {examples}, from {shortest} to {longest}, or empty")
        if empty
        else M_("must be a span such as {examples}, from {shortest} to {longest}")
    ).format(examples=example, shortest=shortest or "0d", longest=longest, word=other)

    def check(value: str) -> str | None:
        if value == "":
            return None if empty else what
        if not re.fullmatch(rf"(\d+\s*[{units}{units.upper()}])+", value):
            return what
        try:
            length = dates.span_days(dates.parse_span(value))
        except InvalidValue:
            return what
        return None if bottom <= length <= top else what

    return check


def _whole(lowest: int, highest: int, *, empty: bool = False) -> Callable[[str], str | None]:
    """A whole number from `lowest` to `highest` (or empty, when allowed)."""
    what = (
        M_("must be a whole number from {lowest} to {highest}, or empty")
        if empty
        else M_("must be a whole number from {lowest} to {highest}")
    ).format(lowest=lowest, highest=highest)

    def check(value: str) -> str | None:
        if value == "" and empty:
            return None
        if not re.fullmatch(r"\d{1,9}", value) or not lowest <= int(value) <= highest:
            return what
        return None

    return check


def _number(lowest: str, highest: str) -> Callable[[str], str | None]:
    """A decimal number from `lowest` to `highest` (no NaN, no infinity, no exponent)."""
    from decimal import Decimal

    def check(value: str) -> str | None:
        ok = re.fullmatch(r"\d{1,6}(\.\d{1,6})?", value)
        if not ok or not Decimal(lowest) <= Decimal(value) <= Decimal(highest):
            return M_("must be a number from {lowest} to {highest}").format(
                lowest=lowest, highest=highest
            )
        return None

    return check


def _amount(value: str) -> str | None:
    """A plain amount of money, 0 to a trillion (no grouping, no sign)."""
    if not re.fullmatch(r"\d{1,13}(\.\d{1,6})?", value) or float(value) > 1e12:
        return M_("must be an amount from 0 to 1000000000000, e.g. 10000 or 9.99")
    return None


def _countries(value: str) -> str | None:
    """Country codes the holidays package knows (checked at `config set`)."""
    error = _country_codes(value)
    if error:
        return error
    import holidays

    known = set(holidays.list_supported_countries())
    unknown = [c for c in _codes(value) if c not in known]
    if unknown:
        return M_("names {codes}, which the holidays package does not know").format(
            codes=", ".join(unknown)
        )
    return None


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.split(",") if c.strip()]


_country_codes = _pattern(
    r"[A-Za-z]{2}(\s*,\s*[A-Za-z]{2})*|", M_("two-letter country codes, comma-separated")
)


def _language(value: str) -> str | None:
    """A language the holidays package names holidays in (checked at `config set`)."""
    error = _language_tag(value)
    if error:
        return error
    import holidays

    known = {lang for langs in holidays.list_localized_countries().values() for lang in langs}
    if value not in known and value not in {k.split("_")[0] for k in known}:
        return M_("must be a language the holidays package names holidays in (ko, en_US, ja…)")
    return None


_language_tag = _pattern(
    r"[a-z]{2,3}(_[A-Z]{2})?", M_("a language such as ko, en_US, ja, zh_CN, hy")
)


def _currency(value: str) -> str | None:
    return None if value in CURRENCIES else M_("must be an ISO 4217 currency code such as KRW, USD")


_SHOP_TEXT = _pattern(r"[^\n]{0,200}", M_("one line of at most 200 characters"))
_PERCENT = _pattern(r"(100(\.0+)?|\d{1,2}(\.\d+)?)", M_("a percentage between 0 and 100"))
_CADENCE = _span("10y", shortest="1d")  # a visit more often than daily is no cadence
_DEADLINE = _span("1y")
_LEAD = _span("90d", units="dw", empty=False)
_GREET_RULE = _pattern(
    r"((all|tier:[ABC]|tag:[^,]+)(\s*,\s*(all|tier:[ABC]|tag:[^,]+))*)?",
    M_("all, tier:A, tag:NAME…, comma-separated, or empty"),
)
_WINDOW_SPAN = _span("100y", shortest="1d", empty=False, other="all")


def _window(value: str) -> str | None:
    return None if value.lower() == "all" else _WINDOW_SPAN(value)


def _benefit(value: str) -> str | None:
    return benefits.problem(value)


_HOLIDAY_NAMES = _pattern(
    r"[^,:]*(:[^,]*)?(,[^,:]*(:[^,]*)?)*",
    M_("holiday names, comma-separated, each as Name or CC:Name"),
)


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting("shop.name", "", N_("The shop's name, used in greetings ({shop})."), _SHOP_TEXT),
        Setting(
            "ui.language",
            "",
            N_(
                "Language crmcli speaks (help, messages, tables) when LANGUAGE, LC_ALL, "
                "LC_MESSAGES and LANG name none: ko, ja, zh_Hans, zh_Hant, hy, en; empty = English."
            ),
            Choice("", "en", *i18n.LANGUAGES),
        ),
        Setting(
            "phone.region",
            "KR",
            N_("Region assumed for phone numbers written without a country code."),
            _region,
        ),
        Setting(
            "locale.default",
            "",
            N_(
                "The shop's locale, for customers nothing else tells about (ko, ja, zh_Hans, "
                "zh_Hant, hy, ru, en…); empty = the language of phone.region."
            ),
            _locale,
        ),
        Setting("currency", "KRW", N_("Currency code (ISO 4217), for display."), _currency),
        Setting(
            "currency.minor_units",
            "",
            N_("Digits after the decimal point when showing money; empty = the currency's own."),
            _whole(0, 6, empty=True),  # amounts are stored in millionths
        ),
        Setting("timezone", "", N_("IANA time zone for 'today'; empty = the system's."), _timezone),
        Setting(
            "holidays.country",
            "KR",
            N_(
                "Countries whose public holidays are greeting days, comma-separated (KR,CN,JP,AM…)."
            ),
            _countries,
            _country_codes,
        ),
        Setting(
            "holidays.language",
            "ko",
            N_("Language for holiday names (ko, en_US, ja, zh_CN, hy…)."),
            _language,
            _language_tag,
        ),
        Setting(
            "birthday.feb29",
            "feb28",
            N_("Where a 29 February birthday falls in a common year."),
            Choice("feb28", "mar1"),
        ),
        Setting(
            "staff.default",
            "",
            N_("Staff name recorded when --by is not given; empty = $USER."),
            _SHOP_TEXT,
        ),
        # --- import and export ---------------------------------------------------------
        # --- tiers -----------------------------------------------------------------------
        Setting("tiers.cadence.A", "1m", N_("How often to visit or call an A customer."), _CADENCE),
        Setting("tiers.cadence.B", "3m", N_("How often to visit or call a B customer."), _CADENCE),
        Setting(
            "tiers.cadence.C", "12m", N_("How often to call a C customer; empty = never."), _CADENCE
        ),
        Setting(
            "tiers.rule",
            "pareto",
            N_("Rule for `tiers classify`."),
            Choice("pareto", "top-share", "growth"),
        ),
        Setting(
            "tiers.window",
            "12m",
            N_(
                "Purchases counted by `tiers classify`: a span back from --as-of (12m, 24m…) "
                "or all."
            ),
            _window,
        ),
        Setting(
            "tiers.pareto.a",
            "80",
            N_("pareto: A while the customers above hold < this percentage of revenue."),
            _PERCENT,
        ),
        Setting(
            "tiers.pareto.b",
            "95",
            N_("pareto: B while the customers above hold < this percentage of revenue."),
            _PERCENT,
        ),
        Setting(
            "tiers.top_share.a",
            "20",
            N_("top-share: the top this percentage of spenders are A."),
            _PERCENT,
        ),
        Setting(
            "tiers.top_share.b",
            "30",
            N_("top-share: the next this percentage of spenders are B."),
            _PERCENT,
        ),
        Setting(
            "tiers.growth.top",
            "20",
            N_("growth: the top this % by the last 12 months' sales are A."),
            _PERCENT,
        ),
        Setting(
            "tiers.growth.rate",
            "10",
            N_(
                "growth: B when yearly sales grew by at least this percentage in each of the"
                " last two years."
            ),
            _PERCENT,
        ),
        Setting(
            "tiers.at_risk.k",
            "2",
            N_(
                "at-risk: days since the last purchase exceed k times the customer's usual "
                "interval."
            ),
            _number("0.1", "100"),
        ),
        *(
            Setting(
                f"tiers.benefits.{tier}",
                "",
                N_(
                    "What a customer of this tier gets: free text, or parts separated by ; such as "
                    "discount=10%; gift=TEXT; terms=30 days (see the README); empty = nothing."
                ),
                _benefit,
            )
            for tier in "ABC"
        ),
        Setting(
            "attitude.loyal_visits",
            "3",
            N_("Suggested attitude: purchase days needed (and not overdue) to suggest 'loyal'."),
            _whole(1, 10_000),
        ),
        Setting(
            "attitude.early_days",
            "30",
            N_(
                "Early adopters: a purchase within this many days of an item's launch is early"
                " (0 = on the launch day only)."
            ),
            _whole(0, 3660),
        ),
        Setting(
            "attitude.early_launches",
            "2",
            N_("Early adopters: launches bought early needed to suggest an early adopter."),
            _whole(1, 1000),
        ),
        # --- complaints ------------------------------------------------------------------
        Setting(
            "complaints.deadline.apologized",
            "1d",
            N_("Apologise within this long of receiving a complaint; empty = no deadline."),
            _DEADLINE,
        ),
        Setting(
            "complaints.deadline.cause-found",
            "2d",
            N_("Find the cause within this long of receiving a complaint; empty = no deadline."),
            _DEADLINE,
        ),
        Setting(
            "complaints.deadline.resolved",
            "3d",
            N_("Resolve within this long of receiving a complaint; empty = no deadline."),
            _DEADLINE,
        ),
        Setting(
            "complaints.deadline.followed-up",
            "7d",
            N_("Follow up this long after resolving a complaint; empty = no deadline."),
            _DEADLINE,
        ),
        Setting(
            "complaints.deadline.closed",
            "3d",
            N_("Close (record the lesson) within this long of the follow-up; empty = no deadline."),
            _DEADLINE,
        ),
        # --- agenda, greetings, follow-ups -----------------------------------------------
        Setting(
            "agenda.lead.birthday",
            "3d",
            N_("How long before a birthday it is due (a card must arrive in time)."),
            _LEAD,
        ),
        Setting("agenda.lead.anniversary", "3d", N_("How long before an anniversary."), _LEAD),
        Setting(
            "agenda.lead.family-birthday",
            "3d",
            N_("How long before a relative's birthday the customer is greeted for."),
            _LEAD,
        ),
        Setting("agenda.lead.holiday", "3d", N_("How long before a public holiday."), _LEAD),
        Setting("agenda.lead.after-sale", "0d", N_("How long before an after-sale check."), _LEAD),
        Setting(
            "agenda.lead.thanks",
            "1d",
            N_("How long after a purchase to thank the customer (0d = the same day)."),
            _LEAD,
        ),
        Setting(
            "thanks.enabled",
            "yes",
            N_("Thank customers after each order (yes or no)."),
            Choice("yes", "no"),
        ),
        Setting(
            "thanks.min_amount",
            "0",
            N_("No thanks is due for an order worth less than this (in the shop's currency)."),
            _amount,
        ),
        Setting("agenda.lead.prospect", "0d", N_("How long before a prospect's call."), _LEAD),
        Setting(
            "prospects.first_call",
            "2d",
            N_("Call a prospect added by hand within this long of adding them."),
            _span("90d", units="dw", empty=False),
        ),
        Setting(
            "prospects.cadence",
            "2w",
            N_("Then call a prospect again this long after the last contact, until they buy."),
            _span("366d", units="dw", empty=False),
        ),
        Setting(
            "holidays.greet.prospects",
            "no",
            N_("Greet prospects (no purchase yet) on holidays too (yes or no)."),
            Choice("yes", "no"),
        ),
        Setting("agenda.lead.visit", "0d", N_("How long before a visit falls due."), _LEAD),
        Setting("agenda.lead.followup", "0d", N_("How long before a promised call-back."), _LEAD),
        Setting(
            "agenda.visits_per_day",
            "20",
            N_("At most this many tier visits a day (A first, most overdue first); empty = all."),
            _whole(0, 100_000, empty=True),
        ),
        Setting(
            "agenda.lead.complaint", "0d", N_("How long before a complaint's deadline."), _LEAD
        ),
        Setting(
            "aftersale.days",
            "7",
            N_("Days after delivery (else the purchase date) to check the product works."),
            _whole(0, 3660),
        ),
        Setting(
            "holidays.greet",
            "tag:vip,tier:A",
            N_(
                "Whom to greet on public holidays: all, tier:A, tag:NAME…, comma-separated; "
                "empty = nobody."
            ),
            _GREET_RULE,
        ),
        Setting(
            "holidays.greet.add",
            "",
            N_(
                "Holidays greeted besides the default list, by name, comma-separated"
                " (Children's Day, KR:어린이날, RU:International Women's Day)."
            ),
            _HOLIDAY_NAMES,
        ),
        Setting(
            "holidays.greet.skip",
            "",
            N_(
                "Holidays of the default list not greeted, by name or id, comma-separated"
                " (christmas, KR:신정)."
            ),
            _HOLIDAY_NAMES,
        ),
        Setting(
            "agenda.greeting_grace",
            "2d",
            N_(
                "How long after its day an unsent greeting stays on the agenda (0d = its day only)."
            ),
            _span("31d", units="dw", empty=False),
        ),
        Setting(
            "agenda.aftersale_keep",
            "30d",
            N_("How long an after-sale check not done stays on the agenda; empty = until done."),
            _span("3660d", units="dw"),
        ),
        Setting(
            "lunar.calendar",
            "korean",
            N_("Lunar calendar for customers not written in Chinese (korean or chinese)."),
            Choice("korean", "chinese"),
        ),
        # --- reliability and privacy -----------------------------------------------------
    ]
}


def _definition(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise NotFound(
            M_("no setting called {key!r}; `crmcli config list` shows them all").format(key=key)
        ) from None


def get(db: Engine, key: str) -> str:
    """The setting's value; BrokenSetting when a stored value is outside its range."""
    definition = _definition(key)
    value = _stored(db).get(key)
    if value is None:
        return definition.default
    error = _read_problem(key, value)
    if error:
        raise BrokenSetting(key, value, error, definition.default)
    return value


def _stored(db: Engine) -> dict[str, str]:
    """Every stored setting, read at once (a command reads a dozen; a server is a round
    trip each): a handful of rows, kept by the engine until it next writes."""

    def read() -> dict[str, str]:
        if not db.has_table("settings"):
            return {}
        return dict(db.execute("SELECT key, value FROM settings").fetchall())

    return db.remembered("settings", read)


def get_raw(db: Engine, key: str) -> str:
    """The stored value as it is, even out of range (for `config get` and `config list`)."""
    definition = _definition(key)
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return definition.default if row is None else row[0]


@lru_cache(maxsize=256)
def _read_problem(key: str, value: object) -> str | None:
    # Reads happen on every run; the value rarely changes: check each (key, value) once.
    definition = SETTINGS[key]
    if not isinstance(value, str):
        return "is not text"
    if text.problem(value):
        return text.problem(value)
    check = definition.read_check or definition.check
    return check(value) if check is not None else None


def validate(key: str, value: str, *, what: str | None = None) -> str:
    """`value` checked against `key`'s range (for an option that overrides a setting)."""
    definition = _definition(key)
    error = text.problem(value) or (definition.check(value) if definition.check else None)
    if error:
        raise InvalidValue(
            M_("{key}: {error} (got {value!r})").format(
                key=what or key, error=error, value=value[:60]
            )
        )
    return value


def set_value(db: Engine, key: str, value: str) -> None:
    """Store a setting, checked.

    Only the setting: customers' stored phones and locales follow `phone.region` and
    `locale.default`, and `customers.set_setting` changes those with them (`config set`).
    """
    value = validate(key, value.strip())
    with db.write():
        db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )


def unset(db: Engine, key: str) -> None:
    """Return a setting to its default (only the setting, as `set_value`)."""
    _definition(key)
    with db.write():
        db.execute("DELETE FROM settings WHERE key = ?", [key])


def all_values(db: Engine) -> list[tuple[str, str, bool, str]]:
    """(key, value, is_default, help) for every known setting, sorted by key."""
    stored = dict(db.execute("SELECT key, value FROM settings").fetchall())
    return [
        (key, stored.get(key, s.default), key not in stored, s.help)
        for key, s in sorted(SETTINGS.items())
    ]


def display_places(db: Engine) -> int:
    """Decimal places to show money in: `currency.minor_units`, else the currency's own."""
    return minor_units(get(db, "currency"), get(db, "currency.minor_units"))


def get_int(db: Engine, key: str) -> int:
    value = get(db, key)
    try:
        return int(value)
    except ValueError:
        raise InvalidValue(
            M_("setting {key} must be a whole number, not {value!r}").format(key=key, value=value)
        ) from None
