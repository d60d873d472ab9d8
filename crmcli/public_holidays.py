"""Public holidays worth a greeting, from the `holidays` package, named in the shop's language.

The package is imported here only, when a holiday is asked for (it costs start-up time).
Substitute days and working-day swaps are left out; of a holiday spread over several days
(설날 전날, 설날, 설날 다음날) only the main day is kept: a day is dropped when the name
of the day next to it is part of its own name, or when it continues yesterday's holiday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

# Which country's holidays a customer keeps, by the language they are greeted in.
LOCALE_COUNTRY = {"ko": "KR", "zh": "CN", "ja": "JP", "hy": "AM", "ru": "RU", "en": "US"}


@dataclass(frozen=True)
class Holiday:
    day: date
    country: str
    name: str


def countries(setting: str) -> list[str]:
    """'KR, cn' → ['KR', 'CN']."""
    return [c.strip().upper() for c in setting.split(",") if c.strip()]


def raw(country: str, years: list[int], *, language: str) -> dict[date, str]:
    """The package's own list: day → name (several names joined by '; ')."""
    return dict(_raw(country, tuple(years), language))


@lru_cache(maxsize=64)
def _raw(country: str, years: tuple[int, ...], language: str) -> dict[date, str]:
    import holidays

    try:
        found = holidays.country_holidays(
            country, years=list(years), language=language, observed=False
        )
    except NotImplementedError:
        from crmcli.errors import InvalidValue

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


def between(start: date, end: date, *, country_list: list[str], language: str) -> list[Holiday]:
    """The greeting days from `start` to `end` (both included), per country."""
    if start > end:
        return []
    years = list(range(start.year, end.year + 1))
    out = []
    for country in country_list:
        # One day either side, to see whether a holiday continues or leads into another.
        named = raw(country, sorted({*years, start.year - 1, end.year + 1}), language=language)
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


def name_for(holiday: Holiday, *, locale: str, fallback: str) -> str:
    """The holiday's name in the customer's language when the package has it.

    Else in English for a customer who does not share the shop's language, else in
    the shop's language (`holidays.language`).
    """
    import holidays

    supported = holidays.country_holidays(holiday.country).supported_languages
    wanted = [lang for lang in supported if lang.split("_")[0] == locale]
    if not wanted and fallback.split("_")[0] != locale and "en_US" in supported:
        wanted = ["en_US"]
    if not wanted:
        return holiday.name
    named = raw(holiday.country, [holiday.day.year], language=wanted[0])
    return named.get(holiday.day, holiday.name)
