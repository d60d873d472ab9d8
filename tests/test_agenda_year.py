"""A year of mornings on a generated shop (issue 12): every line names its customer, no
memorial day is greeted, and no festival is greeted twice."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from crmcli import public_holidays

COUNTRIES = ("KR", "CN", "TW", "JP", "AM", "US", "GB", "RU")
MOURNING = re.compile(r"memorial|remembrance|tomb|mourning|genocide|fallen|victims", re.I)
NAMES = {
    "ko": ["김민준", "이서연", "박지호", "최유나"],
    "ja": ["山田 太郎", "上原優", "佐藤 花子"],
    "zh": ["王小明", "李娜"],
    "hy": ["Անի Պետրոսյան", "Արամ Սարգսյան"],
    "ru": ["Иван Петров", "Ольга Смирнова"],
    "en": ["Bruce Wayne", "Bruce Banner", "Leap Person", "Harry Olson", "Harry Olson"],
}


@pytest.fixture
def shop(cli):
    """About sixty customers in six languages (some without a name), greeted on holidays,
    with purchases, promises and complaints spread over the year."""
    rng = random.Random(2026)
    cli("config", "set", "holidays.country", ",".join(COUNTRIES))
    cli("config", "set", "holidays.greet", "all")
    cli("config", "set", "shop.name", "Bean")
    n = 0
    for locale, names in NAMES.items():
        for name in names * 2:
            n += 1
            args = ["customers", "add", "--code", f"C{n:03d}", "--locale", locale,
                    "--phone", f"010-{rng.randint(1000, 9999)}-{n:04d}",
                    "--birthday", f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-"
                    f"{rng.randint(1, 28):02d}"]  # fmt: skip
            if n % 7:  # every seventh is known by code and phone only
                args += ["--name", name]
            cli(*args)
    for _ in range(40):
        ref = f"C{rng.randint(1, n):03d}"
        day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 360))
        cli("purchases", "add", ref, "--amount", str(rng.randint(10, 900)), "--on",
            day.isoformat(), "--item", "Kettle")  # fmt: skip
    for _ in range(10):
        day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 360))
        cli("followups", "add", f"C{rng.randint(1, n):03d}", "--on", day.isoformat(),
            "--note", "call back")  # fmt: skip
    cli("tiers", "classify", "--as-of", "2026-12-31", "--window", "all")
    return cli


def _jsonl(result):
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_year_of_mornings(shop):
    festival_of = {
        (h.country, h.day): h.festival
        for c in COUNTRIES
        for y in (2026, 2027)
        for h in public_holidays.greeting_holidays(c, y)
    }
    greeted: Counter[tuple[int, str, int, str]] = Counter()
    lines = 0
    day = date(2026, 1, 1)
    while day.year == 2026:
        rows = _jsonl(shop("due", "--as-of", day.isoformat(), "--format", "jsonl",
                           "--fields", "date,kind,ref,name,salutation,on,key"))  # fmt: skip
        for r in rows:
            assert r["ref"] and r["name"] and r["salutation"], r
            assert r["customer_id"] is not None
            lines += 1
        # The owner sends what `greet` writes, every morning, and marks it sent.
        sent = _jsonl(shop("greet", "--as-of", day.isoformat(), "--format", "jsonl",
                           "--fields", "ref,name,message,key", "--mark-sent"))  # fmt: skip
        for r in sent:
            assert r["name"] and r["message"] and ", !" not in r["message"], r
            kind, cid, *rest = r["key"].split(":")
            if kind != "holiday":
                continue
            country, on = rest[0], date.fromisoformat(rest[1])
            english = public_holidays.raw(country, [on.year], language="en_US")
            assert not MOURNING.search(english[on]), (r, english[on])
            greeted[(int(cid), country, on.year, festival_of[(country, on)])] += 1
        day += timedelta(days=1)
    assert lines > 300 and {k[1] for k in greeted} == set(COUNTRIES) - {"GB", "TW"}
    twice = {k: v for k, v in greeted.items() if v > 1}
    assert twice == {}
    # Every customer was greeted for each of their country's festivals of 2026 at most once,
    # and Korean customers for exactly the four Korean ones.
    korean = {k[3] for k in greeted if k[1] == "KR" and k[2] == 2026}
    assert korean == {"new-year", "seollal", "chuseok", "christmas"}
