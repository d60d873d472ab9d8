"""A generated shop whose customers have every field set, for export/import round trips.

Names in five scripts (Hangul, Kanji, Hanzi, Armenian, Latin with accents), several
phones with labels (one written with a country code, one in another country), a lunar
birthday in a leap month, a birthday without a year, labelled and lunar anniversaries,
extra fields, a tier set by hand, a contact window, lost prospects with a reason, and
text that CSV must quote.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from sqlite_utils import Database

from crmcli import customers, prospects, tiers
from crmcli.db import open_db

# (name, locale, phones, email, extra country-specific bits)
PEOPLE = (
    ("김민준", "ko", [("010-1234-5678", "mobile"), ("02-555-0100", "work")]),
    ("山田 太郎", "ja", [("+81 90-1234-5678", "mobile"), ("03-1234-5678", "home")]),
    ("王小明", "zh", [("+86 138 0013 8000", "mobile")]),
    ("Անի Արմենի Պետրոսյան", "hy", [("+374 91 123456", "mobile")]),
    ("José Álvarez Núñez", "es", [("+34 612 345 678", None), ("010-9876-5432", "mobile")]),
    ("Zoë Brontë-Müller", "en", [("+44 20 7946 0958", "work")]),
)
# How each name is read (kana, pinyin, romanisation): name_reading
READINGS = ("gim minjun", "ヤマダ タロウ", "Wáng Xiǎomíng", "Ani Petrosyan", "ho-SEH", "ZOH-ee")
TAGS = ("vip", "단골", "常連", "big spender", "Ծանոթ")
OWNERS = ("수진", "Armen", "Ana María")


def seed(db: Database, *, count: int = 12, rng_seed: int = 13) -> list[int]:
    """Fill `db` with `count` customers, every field set; returns their ids."""
    rng = random.Random(rng_seed)
    ids = []
    for n in range(count):
        name, locale, numbers = PEOPLE[n % len(PEOPLE)]
        birthday = f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lunar = leap = False
        if n % 4 == 1:
            lunar, leap = True, n % 8 == 1  # a lunar birthday, some in a leap month
        if n % 4 == 2:
            birthday = f"--{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"  # no year
        cid = customers.add(
            db,
            name=name,
            code=f"S{n:04d}",
            phones_raw=[(raw, label) for raw, label in numbers],  # type: ignore[misc]
            tags=rng.sample(TAGS, 2),
            birthday=birthday,
            birthday_lunar=lunar,
            birthday_leap=leap,
            anniversaries=[("wedding", f"{rng.randint(1980, 2020)}-06-{rng.randint(1, 28):02d}")],
            contact_days="mon-fri" if n % 2 else "sat,sun",
            contact_hours="10:00-18:30",
            do_not_contact=n % 5 == 4,
            email=f"customer{n}@example.com",
            salutation="사장님" if n % 6 == 0 else None,
            gender="female" if n % 2 else "male",
            locale=locale,
            name_reading=READINGS[n % len(READINGS)],
            address=f'{n + 1} Main Street, Apt "{n}"\nSecond line, 市区町村',
            postcode=f"0{rng.randint(1000, 9999)}",
            company=f"Company {n}, Ltd.",
            occupation="designer; part-time",
            income_band="middle",
            notes=f'Likes oolong, "dark" roast;\nline two — {name}',
            owner=OWNERS[n % len(OWNERS)],
            attitude=("loyal", "brand-switching", "no-loyalty")[n % 3],
        )
        customers.set_date(db, cid, "first visit", f"--0{rng.randint(1, 9)}-1{n % 9}", lunar=True)
        db.execute(
            "UPDATE customers SET extra = ? WHERE id = ?",
            [f'{{"Loyalty card": "LC-{n:05d}", "紹介者": "{PEOPLE[(n + 1) % 6][0]}"}}', cid],
        )
        if n % 3 == 0:
            tiers.set_override(db, cid, tier="A", reason="orders for the whole office")
        if n % 4 == 3:  # a lost prospect, its reason text that CSV must quote
            reason = f'chose a cheaper shop, "{OWNERS[n % 3]}" said; call in spring'
            prospects.mark_lost(db, cid, reason=reason, on=date(2026, 3, n + 1))
        ids.append(cid)
    db.conn.commit()
    return ids


def seeded(path: Path, **kwargs: int) -> Path:
    """A database file at `path` holding the seeded shop."""
    db = open_db(str(path))
    try:
        seed(db, **kwargs)
    finally:
        db.close()
    return path
