"""Public holidays worth a greeting, from the `holidays` package, named in the shop's language.

The package is imported here only, when a holiday is asked for (it costs start-up time).
Substitute days and working-day swaps are left out; of a holiday spread over several days
(설날 전날, 설날, 설날 다음날) only the main day is kept: a day is dropped when the name
of the day next to it is part of its own name, or when it continues yesterday's holiday.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from sqlite_utils import Database

from crmcli.errors import InvalidValue


@dataclass(frozen=True)
class Holiday:
    day: date
    country: str
    name: str


def countries(setting: str) -> list[str]:
    """'KR, cn' → ['KR', 'CN']."""
    return [c.strip().upper() for c in setting.split(",") if c.strip()]


def raw(
    country: str, years: list[int], *, language: str, db: Database | None = None
) -> dict[date, str]:
    """The package's own list: day → name (several names joined by '; ').

    With `db`, each year's list is read from (and kept in) the table `holiday_cache`,
    so a daily run need not import the package at all.
    """
    out: dict[date, str] = {}
    for year in years:
        out.update(_year(country, year, language, db))
    return out


def _source() -> str:
    """Which install of the package: its location and time, found without importing it."""
    import os
    from importlib.util import find_spec

    spec = find_spec("holidays")
    origin = spec.origin if spec and spec.origin else ""
    try:
        return f"{origin}:{os.stat(origin).st_mtime_ns}"
    except OSError:
        return origin


def _year(country: str, year: int, language: str, db: Database | None) -> dict[date, str]:
    if db is None:
        return _package_year(country, year, language)
    source = _source()
    row = db.execute(
        "SELECT days FROM holiday_cache WHERE country = ? AND language = ? AND year = ?"
        " AND source = ?",
        [country, language, year, source],
    ).fetchone()
    if row is not None:
        return {date.fromisoformat(d): n for d, n in json.loads(row[0]).items()}
    days = _package_year(country, year, language)
    _keep(db, country, language, year, source, days)
    return days


def _keep(
    db: Database, country: str, language: str, year: int, source: str, days: dict[date, str]
) -> None:
    """Store a year's list if the database lets us at once; a cache never waits for a lock."""
    from crmcli.db import BUSY_TIMEOUT_MS

    conn = db.conn
    if conn.in_transaction:  # inside someone's write: leave it alone
        return
    text = json.dumps({d.isoformat(): n for d, n in days.items()}, ensure_ascii=False)
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT OR REPLACE INTO holiday_cache (country, language, year, source, days)"
            " VALUES (?, ?, ?, ?, ?)",
            [country, language, year, source, text],
        )
        conn.execute("COMMIT")
    except sqlite3.Error:  # read-only, busy or full: computed again next time
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@lru_cache(maxsize=64)
def _package_year(country: str, year: int, language: str) -> dict[date, str]:
    import holidays

    try:
        found = holidays.country_holidays(country, years=year, language=language, observed=False)
    except NotImplementedError:
        raise InvalidValue(
            f"the holidays package has no country {country!r} (setting holidays.country)"
        ) from None
    days = dict(found.items())
    # Working-day swaps ("Day off (substituted from …)") are no occasion for a greeting.
    if getattr(found, "has_substituted_holidays", False):
        prefix = found.tr(found.substituted_label).split("%")[0].strip()
        if prefix:
            days = {d: n for d, n in days.items() if not n.startswith(prefix)}
    return days


def between(
    start: date,
    end: date,
    *,
    country_list: list[str],
    language: str,
    db: Database | None = None,
) -> list[Holiday]:
    """The greeting days from `start` to `end` (both included), per country."""
    if start > end:
        return []
    years = list(range(start.year, end.year + 1))
    out = []
    for country in country_list:
        # One day either side, to see whether a holiday continues or leads into another.
        edges = {(start - timedelta(days=1)).year, (end + timedelta(days=1)).year}
        named = raw(country, sorted({*years, *edges}), language=language, db=db)
        for day, name in sorted(named.items()):
            if not start <= day <= end:
                continue
            before = named.get(day - timedelta(days=1))
            after = named.get(day + timedelta(days=1))
            if before == name:
                continue
            if any(other and other != name and other in name for other in (before, after)):
                continue
            out.append(Holiday(day, country, name))
    return out


def name_for(holiday: Holiday, *, locale: str, fallback: str, db: Database | None = None) -> str:
    """The holiday's name in the customer's language when the package has it.

    Else in English for a customer who does not share the shop's language, else in
    the shop's language (`holidays.language`).
    """
    import holidays

    from crmcli import locales

    supported = holidays.country_holidays(holiday.country).supported_languages
    # zh_Hant reads 春節 from zh_TW, zh_Hans 春节 from zh_CN; others their language's list.
    preferred = [lang for lang in locales.holiday_languages(locale) if lang in supported]
    language = locales.language(locale)
    wanted = preferred or [lang for lang in supported if lang.split("_")[0] == language]
    if not wanted and fallback.split("_")[0] != language and "en_US" in supported:
        wanted = ["en_US"]
    if not wanted:
        return holiday.name
    named = raw(holiday.country, [holiday.day.year], language=wanted[0], db=db)
    return named.get(holiday.day, holiday.name)
