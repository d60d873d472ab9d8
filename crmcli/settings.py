"""Settings stored in the database, each with a default, a description and a check.

Later features register their keys in `SETTINGS`; `get` always returns a value
(the stored one or the default), `set` validates before it writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmcli.errors import InvalidValue, NotFound

if TYPE_CHECKING:  # sqlite-utils costs ~60 ms to import: only real work pays it
    from sqlite_utils import Database


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    help: str
    check: Callable[[str], str | None] | None = None  # returns an error message, or None
    # Runs in the same transaction when the value changes (old, new); returns what it
    # did, for the user, or None.
    on_change: Callable[[Database, str, str], str | None] | None = None


def _choice(*options: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in options else f"must be one of: {', '.join(options)}"

    return check


def _pattern(regex: str, what: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if re.fullmatch(regex, value) else f"must be {what}"

    return check


def _region(value: str) -> str | None:
    import phonenumbers

    ok = value.upper() in phonenumbers.SUPPORTED_REGIONS
    return None if ok else "must be a two-letter region code such as KR, JP, US, AM"


def _timezone(value: str) -> str | None:
    if value == "":
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be an IANA time zone such as Asia/Seoul, or empty for the system's"
    return None


_SPAN = _pattern(r"(\d+\s*[dwmyDWMY])*", "a span such as 2w, 1m, 3m, 1y, or empty")
_NUMBER = _pattern(r"\d+(\.\d+)?", "a number")
_DAYS = _pattern(r"\d+", "a whole number of days")
_PERCENT = _pattern(r"(100(\.0+)?|\d{1,2}(\.\d+)?)", "a percentage between 0 and 100")
_LEAD = _pattern(r"\d+\s*[dwDW]", "a number of days or weeks such as 0d, 3d, 1w")
_GREET_RULE = _pattern(
    r"((all|tier:[ABC]|tag:[^,]+)(\s*,\s*(all|tier:[ABC]|tag:[^,]+))*)?",
    "all, tier:A, tag:NAME…, comma-separated, or empty",
)
_HOLIDAY_NAMES = _pattern(
    r"[^,:]*(:[^,]*)?(,[^,:]*(:[^,]*)?)*", "holiday names, comma-separated, each as Name or CC:Name"
)


def _renormalise_phones(db: Database, old: str, new: str) -> str | None:
    """A new phone.region reads again the numbers stored without a country code."""
    from crmcli.customers import renormalise_phones

    changed = renormalise_phones(db, old, new)
    return f"re-normalised {changed} phone number{'' if changed == 1 else 's'}"


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting("shop.name", "", "The shop's name, used in greetings ({shop})."),
        Setting(
            "phone.region",
            "KR",
            "Region assumed for phone numbers written without a country code.",
            _region,
            on_change=_renormalise_phones,
        ),
        Setting(
            "currency", "KRW", "Currency code, for display.", _pattern(r"[A-Z]{3}", "ISO 4217")
        ),
        Setting(
            "currency.minor_units",
            "",
            "Digits after the decimal point when showing money; empty = the currency's own.",
            _pattern(r"\d?", "a digit, or empty"),
        ),
        Setting("timezone", "", "IANA time zone for 'today'; empty = the system's.", _timezone),
        Setting(
            "holidays.country",
            "KR",
            "Countries whose public holidays are greeting days, comma-separated (KR,CN,JP,AM…).",
            _pattern(r"[A-Za-z]{2}(\s*,\s*[A-Za-z]{2})*|", "country codes, comma-separated"),
        ),
        Setting(
            "holidays.language",
            "ko",
            "Language for holiday names (ko, en_US, ja, zh_CN, hy…).",
        ),
        Setting(
            "birthday.feb29",
            "feb28",
            "Where a 29 February birthday falls in a common year.",
            _choice("feb28", "mar1"),
        ),
        Setting("staff.default", "", "Staff name recorded when --by is not given; empty = $USER."),
        # --- import and export ---------------------------------------------------------
        # --- tiers -----------------------------------------------------------------------
        Setting("tiers.cadence.A", "1m", "How often to visit or call an A customer.", _SPAN),
        Setting("tiers.cadence.B", "3m", "How often to visit or call a B customer.", _SPAN),
        Setting("tiers.cadence.C", "12m", "How often to call a C customer; empty = never.", _SPAN),
        Setting(
            "tiers.rule",
            "pareto",
            "Rule for `tiers classify`.",
            _choice("pareto", "top-share", "growth"),
        ),
        Setting(
            "tiers.window",
            "12m",
            "Purchases counted by `tiers classify`: a span back from --as-of (12m, 24m…) or all.",
            _pattern(r"all|(\d+\s*[dwmyDWMY])+", "a span such as 12m or 24m, or all"),
        ),
        Setting(
            "tiers.pareto.a",
            "80",
            "pareto: A while the customers above hold < this % of revenue.",
            _PERCENT,
        ),
        Setting(
            "tiers.pareto.b",
            "95",
            "pareto: B while the customers above hold < this % of revenue.",
            _PERCENT,
        ),
        Setting(
            "tiers.top_share.a", "20", "top-share: the top this % of spenders are A.", _PERCENT
        ),
        Setting(
            "tiers.top_share.b", "30", "top-share: the next this % of spenders are B.", _PERCENT
        ),
        Setting(
            "tiers.growth.top",
            "20",
            "growth: the top this % by the last 12 months' sales are A.",
            _PERCENT,
        ),
        Setting(
            "tiers.growth.rate",
            "10",
            "growth: B when yearly sales grew by at least this % in each of the last two years.",
            _PERCENT,
        ),
        Setting(
            "tiers.at_risk.k",
            "2",
            "at-risk: days since the last purchase exceed k times the customer's usual interval.",
            _NUMBER,
        ),
        Setting(
            "attitude.loyal_visits",
            "3",
            "Suggested attitude: purchase days needed (and not overdue) to suggest 'loyal'.",
            _DAYS,
        ),
        # --- complaints ------------------------------------------------------------------
        Setting(
            "complaints.deadline.apologized",
            "1d",
            "Apologise within this long of receiving a complaint; empty = no deadline.",
            _SPAN,
        ),
        Setting(
            "complaints.deadline.cause-found",
            "2d",
            "Find the cause within this long of receiving a complaint; empty = no deadline.",
            _SPAN,
        ),
        Setting(
            "complaints.deadline.resolved",
            "3d",
            "Resolve within this long of receiving a complaint; empty = no deadline.",
            _SPAN,
        ),
        Setting(
            "complaints.deadline.followed-up",
            "7d",
            "Follow up this long after resolving a complaint; empty = no deadline.",
            _SPAN,
        ),
        Setting(
            "complaints.deadline.closed",
            "3d",
            "Close (record the lesson) within this long of the follow-up; empty = no deadline.",
            _SPAN,
        ),
        # --- agenda, greetings, follow-ups -----------------------------------------------
        Setting(
            "agenda.lead.birthday",
            "3d",
            "How long before a birthday it is due (a card must arrive in time).",
            _LEAD,
        ),
        Setting("agenda.lead.anniversary", "3d", "How long before an anniversary.", _LEAD),
        Setting("agenda.lead.holiday", "3d", "How long before a public holiday.", _LEAD),
        Setting("agenda.lead.after-sale", "0d", "How long before an after-sale check.", _LEAD),
        Setting("agenda.lead.visit", "0d", "How long before a visit falls due.", _LEAD),
        Setting("agenda.lead.followup", "0d", "How long before a promised call-back.", _LEAD),
        Setting(
            "agenda.visits_per_day",
            "20",
            "At most this many tier visits a day (A first, most overdue first); empty = all.",
            _pattern(r"\d*", "a whole number, or empty"),
        ),
        Setting("agenda.lead.complaint", "0d", "How long before a complaint's deadline.", _LEAD),
        Setting(
            "aftersale.days",
            "7",
            "Days after delivery (else the purchase date) to check the product works.",
            _DAYS,
        ),
        Setting(
            "holidays.greet",
            "tag:vip,tier:A",
            "Whom to greet on public holidays: all, tier:A, tag:NAME…, comma-separated; "
            "empty = nobody.",
            _GREET_RULE,
        ),
        Setting(
            "holidays.greet.add",
            "",
            "Holidays greeted besides the default list, by name, comma-separated"
            " (Children's Day, KR:어린이날, RU:International Women's Day).",
            _HOLIDAY_NAMES,
        ),
        Setting(
            "holidays.greet.skip",
            "",
            "Holidays of the default list not greeted, by name or id, comma-separated"
            " (christmas, KR:신정).",
            _HOLIDAY_NAMES,
        ),
        Setting(
            "lunar.calendar",
            "korean",
            "Lunar calendar for customers not written in Chinese (korean or chinese).",
            _choice("korean", "chinese"),
        ),
        # --- reliability and privacy -----------------------------------------------------
    ]
}


def register(setting: Setting) -> None:
    """Add a feature's setting (call at import time of the feature's module)."""
    SETTINGS[setting.key] = setting


def _definition(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise NotFound(f"no setting called {key!r}; `crmcli config list` shows them all") from None


def get(db: Database, key: str) -> str:
    definition = _definition(key)
    if "settings" not in db.table_names():
        return definition.default
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return definition.default if row is None else row[0]


def set_value(db: Database, key: str, value: str) -> list[str]:
    """Store a setting (checked); returns what its change did to the data, for the user."""
    from crmcli.db import write

    definition = _definition(key)
    value = value.strip()
    if definition.check is not None:
        error = definition.check(value)
        if error:
            raise InvalidValue(f"{key}: {error} (got {value!r})")
    with write(db):  # the value and what hangs on it change together, or not at all
        old = get(db, key)
        db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
        return _changed(db, definition, old, value)


def unset(db: Database, key: str) -> list[str]:
    """Return a setting to its default; returns what the change did, as `set_value`."""
    from crmcli.db import write

    definition = _definition(key)
    with write(db):
        old = get(db, key)
        db.execute("DELETE FROM settings WHERE key = ?", [key])
        return _changed(db, definition, old, definition.default)


def _changed(db: Database, definition: Setting, old: str, new: str) -> list[str]:
    if definition.on_change is None or old == new:
        return []
    said = definition.on_change(db, old, new)
    return [said] if said else []


def all_values(db: Database) -> list[tuple[str, str, bool, str]]:
    """(key, value, is_default, help) for every known setting, sorted by key."""
    stored = dict(db.execute("SELECT key, value FROM settings").fetchall())
    return [
        (key, stored.get(key, s.default), key not in stored, s.help)
        for key, s in sorted(SETTINGS.items())
    ]


def get_int(db: Database, key: str) -> int:
    value = get(db, key)
    try:
        return int(value)
    except ValueError:
        raise InvalidValue(f"setting {key} must be a whole number, not {value!r}") from None
