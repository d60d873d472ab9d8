"""Holidays worth a greeting: a curated table per country, dated by the `holidays` package.

The package knows every public holiday, memorial and mourning days included; a shop
greets only a few of them. `GREETING_HOLIDAYS` picks, per country, the festivals a
shop wishes its customers well for, each with the package's (English) names of all
its days, its eve included, and the one day it is greeted on. The settings
`holidays.greet.add` and `holidays.greet.skip` change the list by name.

The package is imported here only, when a holiday is asked for (it costs start-up time).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from crmcli import locales, settings
from crmcli.errors import DatabaseError, InvalidValue
from crmcli.i18n import M_

if TYPE_CHECKING:
    from crmcli.engines import Engine

# Days of one festival closer than this belong to the same occurrence (Russia's New
# Year holidays run over eight days with Christmas in between); no festival comes
# back sooner than a year.
_SAME_FESTIVAL = timedelta(days=7)


class Festival(NamedTuple):
    """One greeting occasion: all its days (the package's English names), greeted once."""

    id: str  # stable, for settings and keys: "seollal"
    local: str  # its greeting name in the country's own language (설날, お正月, Новый год)
    days: tuple[str, ...]  # the package's en_US names of its days, eve and after-days included
    main: str  # the day greeted: the first day so named in each occurrence

    def matches(self, names: Iterable[str]) -> bool:
        wanted = {_fold(d) for d in self.days}
        return any(_fold(n) in wanted for n in names)


def _f(id: str, local: str, main: str, *others: str) -> Festival:
    return Festival(id, local, (main, *others), main)


# The festivals a shop greets its customers for, by country. Never a memorial or
# mourning day (현충일, Tomb-Sweeping Day, Remembrance days, Memorial Day), nor a
# political or working day (Constitution Day, Labor Day, elections).
GREETING_HOLIDAYS: dict[str, tuple[Festival, ...]] = {
    "KR": (
        _f("new-year", "신정", "New Year's Day"),
        _f(
            "seollal",
            "설날",
            "Korean New Year",
            "The day preceding Korean New Year",
            "The second day of Korean New Year",
        ),
        _f("chuseok", "추석", "Chuseok", "The day preceding Chuseok", "The second day of Chuseok"),
        _f("christmas", "성탄절", "Christmas Day"),
    ),
    "CN": (
        _f("new-year", "元旦", "New Year's Day"),
        _f(
            "spring-festival",
            "春节",
            "Chinese New Year (Spring Festival)",
            "Chinese New Year's Eve",
            "Chinese New Year",
        ),
        _f("dragon-boat", "端午节", "Dragon Boat Festival"),
        _f("mid-autumn", "中秋节", "Mid-Autumn Festival"),
        _f("national-day", "国庆节", "National Day"),
    ),
    "TW": (
        _f("new-year", "元旦", "Founding Day of the Republic of China"),
        _f("spring-festival", "春節", "Chinese New Year", "Chinese New Year's Eve"),
        _f("dragon-boat", "端午節", "Dragon Boat Festival"),
        _f("mid-autumn", "中秋節", "Mid-Autumn Festival"),
    ),
    "JP": (_f("new-year", "お正月", "New Year's Day"),),
    "AM": (
        _f("new-year", "Նոր տարի", "New Year's Day", "New Year's Eve"),
        _f("christmas", "Սուրբ Ծնունդ", "Christmas and Epiphany"),
    ),
    "RU": (
        _f("new-year", "Новый год", "New Year Holidays", "New Year's Day"),
        _f("christmas", "Рождество Христово", "Christmas Day"),
    ),
    "US": (
        _f("new-year", "New Year's Day", "New Year's Day"),
        _f("independence-day", "Independence Day", "Independence Day"),
        _f("thanksgiving", "Thanksgiving", "Thanksgiving Day", "Day After Thanksgiving"),
        _f("christmas", "Christmas", "Christmas Day", "Christmas Eve"),
    ),
    "GB": (
        _f("new-year", "New Year's Day", "New Year's Day"),
        _f("christmas", "Christmas", "Christmas Day", "Christmas Eve", "Boxing Day"),
    ),
}
# The language a country's own names (Festival.local) are written in.
COUNTRY_LANGUAGE = {
    "KR": "ko", "CN": "zh", "TW": "zh", "JP": "ja", "AM": "hy", "RU": "ru", "US": "en", "GB": "en",
}  # fmt: skip
# Any other country: New Year and Christmas, where the package names them in English.
OTHER_COUNTRIES = (
    _f("new-year", "New Year's Day", "New Year's Day", "New Year's Eve"),
    _f("christmas", "Christmas", "Christmas Day", "Christmas Eve"),
)


class Holiday(NamedTuple):
    day: date
    country: str
    name: str
    festival: str = ""  # the Festival id ("seollal"), or the added name


class GreetRules(NamedTuple):
    """The settings `holidays.greet.add` / `.skip`: (country or None, name) pairs."""

    add: tuple[tuple[str | None, str], ...] = ()
    skip: tuple[tuple[str | None, str], ...] = ()

    def added(self, country: str) -> list[str]:
        return [n for c, n in self.add if c in (None, country)]

    def skipped(self, country: str) -> set[str]:
        return {_fold(n) for c, n in self.skip if c in (None, country)}


NO_RULES = GreetRules()  # the settings' defaults: greet the curated festivals as they are

Names = tuple[tuple[str | None, str], ...]


def parse_names(text: str, *, key: str = "holidays.greet.add") -> Names:
    """'Children's Day, JP:Coming of Age Day' → ((None, "Children's Day"), ('JP', …))."""
    out: list[tuple[str | None, str]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        country, sep, name = part.partition(":")
        if sep and len(country.strip()) == 2 and country.strip().isalpha():
            out.append((country.strip().upper(), name.strip()))
        else:
            out.append((None, part))
        if not out[-1][1]:
            raise InvalidValue(
                M_("{key}: {value} names no holiday (write CC:Name or Name)").format(
                    key=key, value=repr(part)
                )
            )
    return tuple(out)


def rules_from(db: Engine) -> GreetRules:
    """The add/skip settings of this database."""
    return GreetRules(
        add=parse_names(settings.get(db, "holidays.greet.add"), key="holidays.greet.add"),
        skip=parse_names(settings.get(db, "holidays.greet.skip"), key="holidays.greet.skip"),
    )


def _fold(name: str) -> str:
    return " ".join(name.replace("\u2019", "'").casefold().split())


def festivals(country: str, rules: GreetRules = NO_RULES) -> list[Festival]:
    """The festivals greeted in `country`: the curated list, less skipped, plus added names."""
    skipped = rules.skipped(country)
    base = GREETING_HOLIDAYS.get(country.upper(), OTHER_COUNTRIES)
    kept = [
        f for f in base if not skipped & {_fold(f.id), _fold(f.local), *(_fold(d) for d in f.days)}
    ]
    # An added holiday is named as the package names it in each language.
    kept += [Festival(_fold(n), "", (n,), n) for n in rules.added(country)]
    return kept


def countries(setting: str) -> list[str]:
    """'KR, cn' → ['KR', 'CN']."""
    return [c.strip().upper() for c in setting.split(",") if c.strip()]


def raw(
    country: str, years: list[int], *, language: str, db: Engine | None = None
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


def _year(country: str, year: int, language: str, db: Engine | None) -> dict[date, str]:
    if db is None:
        return _package_year(country, year, language)
    source = _source()
    kept = _cached(db, source).get((country, language, year))
    if kept is not None:
        return {date.fromisoformat(d): n for d, n in json.loads(kept).items()}
    days = _package_year(country, year, language)
    _keep(db, country, language, year, source, days)
    return days


def _cached(db: Engine, source: str) -> dict[tuple[str, str, int], str]:
    """Every list the cache holds from this install of the package, read at once (a
    morning's run asks for a dozen: countries × languages × years), until it changes."""

    def read() -> dict[tuple[str, str, int], str]:
        rows = db.execute(
            "SELECT country, language, year, days FROM holiday_cache WHERE source = ?", [source]
        )
        return {(c, lang, y): days for c, lang, y, days in rows}

    return db.remembered(f"holiday_cache {source}", read)


def _keep(
    db: Engine, country: str, language: str, year: int, source: str, days: dict[date, str]
) -> None:
    """Store a year's list if the database lets us at once; a cache never waits for a lock."""
    if db.in_transaction:  # inside someone's write: leave it alone
        return
    text = json.dumps({d.isoformat(): n for d, n in days.items()}, ensure_ascii=False)
    try:
        with db.write(wait=False):
            row = {"country": country, "language": language, "year": year}
            db.upsert("holiday_cache", {**row, "source": source, "days": text}, key=list(row))
    except (db.Error, DatabaseError):  # read-only, busy or full: computed again next time
        pass


@lru_cache(maxsize=64)
def _package_year(country: str, year: int, language: str) -> dict[date, str]:
    import holidays

    try:
        found = holidays.country_holidays(country, years=year, language=language, observed=False)
    except NotImplementedError:
        raise InvalidValue(
            M_(
                "the holidays package has no country {country}; fix it with "
                "`crmcli config set holidays.country CODE` (KR, JP, US…)"
            ).format(country=repr(country))
        ) from None
    days = dict(found.items())
    # Working-day swaps ("Day off (substituted from …)") are no occasion for a greeting.
    if getattr(found, "has_substituted_holidays", False):
        prefix = found.tr(found.substituted_label).split("%")[0].strip()
        if prefix:
            days = {d: n for d, n in days.items() if not n.startswith(prefix)}
    return days


def _parts(names: str | None) -> list[str]:
    return [n.strip() for n in (names or "").split(";") if n.strip()]


def greeting_holidays(
    country: str,
    year: int,
    *,
    rules: GreetRules = NO_RULES,
    language: str = "en_US",
    db: Engine | None = None,
) -> list[Holiday]:
    """The days of `year` a shop greets its customers of `country` on, one per festival.

    Each festival's days (its eve, its after-days, even across New Year) make one
    occurrence, greeted on its main day; the name is in `language` when the package
    has it. The function that `due`, `greet` and a customer's locale all go through.
    """
    country = country.upper()
    years = [year - 1, year, year + 1]
    english = raw(country, years, language="en_US", db=db)
    local = english if language == "en_US" else raw(country, years, language=language, db=db)
    out = []
    for festival in festivals(country, rules):
        days = sorted(d for d in english if festival.matches(_names(english, local, d)))
        for group in _occurrences(days):
            main = Festival(festival.id, festival.local, (festival.main,), festival.main)
            day = next((d for d in group if main.matches(_names(english, local, d))), group[0])
            if day.year != year:
                continue
            name = _display(festival, country, language, _name_on(english, local, day, festival))
            out.append(Holiday(day, country, name, festival.id))
    return sorted(out, key=lambda h: h.day)


def _occurrences(days: list[date]) -> list[list[date]]:
    """Days of one festival grouped into occurrences (closer than a week: the same one)."""
    groups: list[list[date]] = []
    for d in days:
        if groups and d - groups[-1][-1] < _SAME_FESTIVAL:
            groups[-1].append(d)
        else:
            groups.append([d])
    return groups


def _names(english: dict[date, str], local: dict[date, str], day: date) -> list[str]:
    """Every name the day has, in English and in the local language."""
    return [*_parts(english.get(day)), *_parts(local.get(day))]


def _name_on(english: dict[date, str], local: dict[date, str], day: date, f: Festival) -> str:
    """The festival's name on its day, in the local language (one part of 'A; B')."""
    en, loc = _parts(english.get(day)), _parts(local.get(day))
    for i, name in enumerate(en):
        if f.matches([name]) and len(loc) == len(en):
            return loc[i]
    for name in loc:
        if f.matches([name]):
            return name
    return loc[0] if loc else f.local


def _display(festival: Festival, country: str, language: str, package_name: str) -> str:
    """The curated name in the country's own language (성탄절, not 기독탄신일), else the
    package's."""
    if festival.local and COUNTRY_LANGUAGE.get(country) == language.split("_")[0]:
        return festival.local
    return package_name


def between(
    start: date,
    end: date,
    *,
    country_list: list[str],
    language: str,
    db: Engine | None = None,
    rules: GreetRules = NO_RULES,
) -> list[Holiday]:
    """The greeting days from `start` to `end` (both included), per country."""
    if start > end:
        return []
    return [
        h
        for country in country_list
        for year in range(start.year, end.year + 1)
        for h in greeting_holidays(country, year, rules=rules, language=language, db=db)
        if start <= h.day <= end
    ]


def name_for(holiday: Holiday, *, locale: str, fallback: str, db: Engine | None = None) -> str:
    """The holiday's name in the customer's language when the package has it.

    Else in English for a customer who does not share the shop's language, else in
    the shop's language (`holidays.language`).
    """
    festival = next(
        (f for f in festivals(holiday.country) if f.id == holiday.festival),
        Festival(holiday.festival, "", (holiday.name,), holiday.name),
    )

    language = locales.language(locale)  # the customer's locale may carry a script: zh_Hant
    if festival.local and COUNTRY_LANGUAGE.get(holiday.country) == language:
        return festival.local
    supported = _languages(holiday.country)
    # zh_Hant reads 春節 from zh_TW, zh_Hans 春节 from zh_CN; others their language's list.
    wanted = [lang for lang in locales.holiday_languages(locale) if lang in supported]
    wanted = wanted or [lang for lang in supported if lang.split("_")[0] == language]
    if not wanted and fallback.split("_")[0] != language and "en_US" in supported:
        wanted = ["en_US"]
    if not wanted:
        return holiday.name
    years = [holiday.day.year]
    english = raw(holiday.country, years, language="en_US", db=db)
    named = raw(holiday.country, years, language=wanted[0], db=db)
    found = _name_on(english, named, holiday.day, festival)
    return found if named.get(holiday.day) else holiday.name


@lru_cache(maxsize=64)
def _languages(country: str) -> tuple[str, ...]:
    import holidays

    return tuple(holidays.country_holidays(country).supported_languages)
