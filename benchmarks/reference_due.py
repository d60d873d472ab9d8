"""The bare-Python reference for `crmcli due --kind birthday --kind followup`.

    python benchmarks/reference_due.py DB --as-of 2025-12-01 [--days 7]

The standard library (sqlite3, csv) and the two lunar calendar libraries crmcli uses
(korean-lunar-calendar, lunardate); nothing of crmcli. It lists what crmcli lists for
those two kinds, as a developer would write it by hand against crmcli's schema and
indexes (`substr(birthday, -5)`, `followups(status, due_on)`), and prints it as CSV
in crmcli's order: date, kind, ref, name, phone, why, owner, key — the columns of
`crmcli due --fields date,kind,ref,name,phone,why,owner,key` (crmcli's default
columns also say the salutation, which needs its name rules: left out here).

The rules it follows are crmcli's (README "Daily agenda"), read from the shop's
settings: a birthday is listed `agenda.lead.birthday` before its day and stays, as
overdue, until `agenda.greeting_grace` after it; lunar birthdays fall on their lunar
day of the customer's calendar (Chinese for a Chinese locale, Korean for a Korean
one, else `lunar.calendar`), day 30 on day 29 in a short month, a leap-month date in
the leap month when the year has one; 29 February in a common year on
`birthday.feb29`'s day; open follow-ups, snoozed ones on their new day, stay until
done. An item done or skipped (`contacts.item`), a greeting answered by a call since
it fell due, and a customer who is not to be contacted, archived or forgotten are
left out; a contact window (`contact_days`) moves an item to the next day the
customer takes calls. A customer without a stored locale is told by the letters of
the name, as crmcli tells it: Hangul is Korean; otherwise a simplified-only hanzi
(in GB2312, in neither CP932 nor Big5) Chinese, unless a Japanese-only kanji comes
first. A repeating follow-up's rule is written as stored (`[repeats FREQ=WEEKLY]`),
where crmcli says it in words.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import re
import sqlite3
import sys
from datetime import date, timedelta

REACHABLE = "c.do_not_contact = 0 AND c.archived_at IS NULL AND c.forgotten_at IS NULL"
PERSON = """coalesce(c.code, '#' || c.id), c.name, c.email, c.owner, c.contact_days,
       (SELECT raw FROM customer_phones p WHERE p.customer_id = c.id ORDER BY position LIMIT 1)"""
BIRTHDAYS = f"""
SELECT c.id, c.birthday, c.birthday_lunar, c.birthday_leap, c.locale, {PERSON}
FROM customers c
WHERE substr(c.birthday, -5) IN ({{marks}}) AND c.birthday_lunar {{lunar}} AND {REACHABLE}
  {{windowed}}
"""
FOLLOWUPS = f"""
SELECT f.id, f.customer_id, coalesce(f.snoozed_until, f.due_on), f.due_on, f.snoozed_until,
       f.note, f.rrule, f.owner, {PERSON}
FROM followups f JOIN customers c ON c.id = f.customer_id
WHERE f.status = 'open' AND f.due_on <= ? AND coalesce(f.snoozed_until, f.due_on) <= ?
  AND {REACHABLE}
"""
DEFAULTS = {
    "agenda.lead.birthday": "3d",
    "agenda.lead.followup": "0d",
    "agenda.greeting_grace": "2d",
    "birthday.feb29": "feb28",
    "lunar.calendar": "korean",
}
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
KOREAN_LAST_YEAR = 2049  # korean-lunar-calendar's last whole lunar year; then the Chinese tables


def days_of(span: str) -> int:
    """A lead or grace setting ('3d', '1w', '1w2d') in days."""
    return sum(
        int(n) * (7 if unit == "w" else 1) for n, unit in re.findall(r"(\d+)([dw])", span.lower())
    )


def each_day(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


# --- lunar dates -------------------------------------------------------------------


class Lunar:
    """Solar days to lunar (year, month, day, leap) and back, in one calendar."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._korean = None

    def korean(self):
        if self._korean is None:
            from korean_lunar_calendar import KoreanLunarCalendar

            self._korean = KoreanLunarCalendar()
        return self._korean

    def of(self, day: date) -> tuple[int, int, int, bool]:
        if self.name == "korean" and day.year <= KOREAN_LAST_YEAR + 1:
            cal = self.korean()
            cal.setSolarDate(day.year, day.month, day.day)
            if cal.lunarYear <= KOREAN_LAST_YEAR:
                return cal.lunarYear, cal.lunarMonth, cal.lunarDay, bool(cal.isIntercalation)
        from lunardate import LunarDate

        d = LunarDate.from_solar_date(day.year, day.month, day.day)
        return d.year, d.month, d.day, bool(d.is_leap_month)

    def has_leap_month(self, year: int, month: int) -> bool:
        if self.name == "korean" and year <= KOREAN_LAST_YEAR:
            cal = self.korean()
            if not cal.setLunarDate(year, month, 1, True):
                return False
            return self.of(date.fromisoformat(cal.SolarIsoFormat())) == (year, month, 1, True)
        from lunardate import LunarDate

        try:
            LunarDate(year, month, 1, True).to_solar_date()
        except ValueError:
            return False
        return True


class LunarDays:
    """The lunar dates of the days first..last (and the day after, which tells whether a
    29th ends its month); converted once, then counted: conversions are slow."""

    def __init__(self, lunar: Lunar, first: date, last: date) -> None:
        self.lunar, self.last = lunar, last
        self.days: dict[date, tuple[int, int, int, bool]] = {}
        day, found = first, lunar.of(first)
        while True:
            self.days[day] = found
            if day > last:
                break
            day += timedelta(days=1)
            y, m, d, leap = found
            found = (y, m, d + 1, leap) if d < 29 else lunar.of(day)
        self.thirtieth = {(y, m, leap) for y, m, d, leap in self.days.values() if d == 30}

    def month_days(self) -> set[str]:
        out = set()
        for day, (_, m, d, _) in self.days.items():
            if day <= self.last:
                out.add(f"{m:02d}-{d:02d}")
                if d == 29:
                    out.add(f"{m:02d}-30")
        return out

    def occurrences(self, month: int, day: int, leap: bool) -> list[date]:
        found = []
        for solar, (y, m, d, is_leap) in self.days.items():
            if solar > self.last or m != month:
                continue
            want = day if day < 30 or (y, m, is_leap) in self.thirtieth else 29
            if d != want or (is_leap and not leap):
                continue
            if leap and not is_leap and self.lunar.has_leap_month(y, month):
                continue
            found.append(solar)
        return found


def hanzi_form(char: str) -> str | None:
    """'ja' for a kanji only CP932 has, 'zh' for a hanzi only GB2312 has, else None."""
    found = []
    for encoding in ("cp932", "gb2312", "big5"):
        try:
            char.encode(encoding)
            found.append(encoding)
        except UnicodeEncodeError:
            pass
    return {("cp932",): "ja", ("gb2312",): "zh"}.get(tuple(found))


HANGUL = (("\uac00", "\ud7a3"), ("\u1100", "\u11ff"), ("\u3130", "\u318f"))
# Kana, Armenian and Cyrillic: a name with any is not told by its hanzi.
OTHER_SCRIPTS = (
    ("\u3040", "\u30ff"),
    ("\u31f0", "\u31ff"),
    ("\uff66", "\uff9f"),
    ("\u0531", "\u058f"),
    ("\ufb13", "\ufb17"),
    ("\u0400", "\u04ff"),
)
HANZI = (("\u3400", "\u4dbf"), ("\u4e00", "\u9fff"), ("\uf900", "\ufaff"))


def among(char: str, ranges: tuple[tuple[str, str], ...]) -> bool:
    return any(lo <= char <= hi for lo, hi in ranges)


def calendar_of(locale: str | None, name: str | None, default: str) -> str:
    """The lunar calendar a customer keeps: the stored locale's, else the name's."""
    language = (locale or "").split("_")[0]
    if not locale and name and not name.isascii():
        if any(among(ch, HANGUL) for ch in name):
            language = "ko"
        elif not any(among(ch, OTHER_SCRIPTS) for ch in name):
            forms = (hanzi_form(ch) for ch in name if among(ch, HANZI))
            language = next((f for f in forms if f), "")
    return {"zh": "chinese", "ko": "korean"}.get(language, default)


# --- the agenda ----------------------------------------------------------------------


def agenda(db: sqlite3.Connection, as_of: date, days: int) -> list[list[str]]:
    """The lines due from `as_of` over `days` days (1 = that day only), in crmcli's order."""
    stored = dict(db.execute("SELECT key, value FROM settings"))
    setting = {k: stored.get(k) or v for k, v in DEFAULTS.items()}
    lead = timedelta(days=days_of(setting["agenda.lead.birthday"]))
    grace = timedelta(days=days_of(setting["agenda.greeting_grace"]))
    followup_lead = timedelta(days=days_of(setting["agenda.lead.followup"]))
    today = as_of
    end = as_of + timedelta(days=days - 1)
    # Items as (kind, customer, event day, key, why, owner, person). Birthdays from
    # `grace` ago (still open, overdue) to the last day's lead ahead; with contact
    # windows in the shop, six days further back for their customers (a window moves a
    # day up to six days later).
    first, last = today - grace, end + lead
    windows = [(first, last, "")]
    if db.execute("SELECT 1 FROM customers WHERE contact_days IS NOT NULL LIMIT 1").fetchone():
        windows.append(
            (first - timedelta(days=6), first - timedelta(days=1), "AND c.contact_days IS NOT NULL")
        )
    found: dict[str, tuple] = {}
    for lo, hi, windowed in windows:
        for item in birthdays(db, lo, hi, windowed, setting):
            found.setdefault(item[3], item)
    for fid, cid, on, due_on, snoozed, note, rule, owner, *person in db.execute(
        FOLLOWUPS, [(end + followup_lead).isoformat()] * 2
    ):
        why = f"follow-up #{fid}: {note}"
        if snoozed:
            why += f" (promised for {due_on}, snoozed)"
        if rule:
            why += f" [repeats {rule}]"
        on_day = date.fromisoformat(on)
        found.setdefault(
            f"followup:{fid}", ("followup", cid, on_day, f"followup:{fid}", why, owner, person)
        )
    done = {k for (k,) in db.execute("SELECT item FROM contacts WHERE item IS NOT NULL")}
    calls: dict[int, list[str]] = {}  # customer → days of plain logged contacts
    for cid, day in db.execute(
        "SELECT customer_id, substr(at, 1, 10) FROM contacts WHERE item IS NULL AND at <= ?",
        [(end + timedelta(days=1)).isoformat()],
    ):
        calls.setdefault(cid, []).append(day)
    rows = []
    for kind, cid, on, key, why, owner, person in found.values():
        if key in done:
            continue
        due_day = on - (lead if kind == "birthday" else followup_lead)
        if kind == "birthday" and any(
            due_day.isoformat() <= d <= end.isoformat() for d in calls.get(cid, ())
        ):
            continue  # a call since it fell due was the greeting
        ref, name, email, customer_owner, contact_days, phone = person
        shown = due_day
        if contact_days:
            shown = next(
                (
                    due_day + timedelta(days=n)
                    for n in range(7)
                    if str((due_day + timedelta(days=n)).isoweekday()) in contact_days
                ),
                due_day,
            )
        if shown > end:
            continue
        if kind == "birthday" and shown < today and on < today - grace:
            continue  # its day has passed, and the grace period with it
        listed = max(shown, today)
        late = shown if shown < today else None
        if shown != due_day:
            allowed = ",".join(DAY_NAMES[int(d) - 1] for d in contact_days)
            why += f" (moved from {due_day}: takes calls {allowed})"
        if late:
            why += f" (overdue since {late})"
        shown_name = name if name and name.strip() else None
        if shown_name is None:
            reach = phone or email
            shown_name = f"(no name) {reach}" if reach else "(no name)"
        urgency = 1 if kind == "followup" else 5
        order = (listed > today, listed, urgency, on if kind == "birthday" else (late or listed))
        line = [
            listed.isoformat(),
            kind,
            ref,
            shown_name,
            phone,
            why,
            owner if owner is not None else customer_owner,
            key,
        ]
        rows.append((*order, name or "", key, line))
    rows.sort(key=lambda r: r[:6])
    return [r[-1] for r in rows]


def birthdays(db: sqlite3.Connection, first: date, last: date, windowed: str, setting: dict):
    """(kind, customer, event day, key, why, owner, person) of the birthdays first..last."""
    feb29 = (3, 1) if setting["birthday.feb29"] == "mar1" else (2, 28)
    when: dict[str, list[date]] = {}  # a stored month-day → the days it falls on
    for day in each_day(first, last):
        when.setdefault(f"{day.month:02d}-{day.day:02d}", []).append(day)
        if (day.month, day.day) == feb29 and not calendar.isleap(day.year):
            when.setdefault("02-29", []).append(day)
    sql = BIRTHDAYS.format(marks=",".join("?" * len(when)), lunar="= 0", windowed=windowed)
    for cid, born, _, _, _, *person in db.execute(sql, list(when)):
        for on in when[born[-5:]]:
            yield birthday(cid, born, on, "birthday", person)
    lunars = {name: LunarDays(Lunar(name), first, last) for name in ("korean", "chinese")}
    wanted = set().union(*(w.month_days() for w in lunars.values()))
    sql = BIRTHDAYS.format(marks=",".join("?" * len(wanted)), lunar="!= 0", windowed=windowed)
    for cid, born, _, leap, locale, *person in db.execute(sql, sorted(wanted)):
        days = lunars[calendar_of(locale, person[1], setting["lunar.calendar"])]
        for on in days.occurrences(int(born[-5:-3]), int(born[-2:]), bool(leap)):
            what = f"lunar birthday ({'leap ' if leap else ''}{born[-5:]})"
            yield birthday(cid, born, on, what, person)


def birthday(cid: int, born: str, on: date, what: str, person: list) -> tuple:
    years = None if born.startswith("--") else on.year - int(born[:4])
    why = f"{what} on {on}" + (f", turns {years}" if years else "")
    return ("birthday", cid, on, f"birthday:{cid}:{on}", why, None, person)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    parser.add_argument("--days", type=int, default=1)
    args = parser.parse_args(argv)
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    rows = agenda(db, args.as_of, args.days)
    if rows:  # nothing due: nothing printed, as crmcli
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("date", "kind", "ref", "name", "phone", "why", "owner", "key"))
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
