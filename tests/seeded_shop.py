"""The seeded shops the tests build on, in one place, and the dump that says "unchanged".

- `kim`: one customer, Kim Minjun (K001), with what a test asks for beside him: the
  small shop of the hostile-value tests.
- `build` / `build_db`: a deterministic shop for rendering tests, made through the
  command line: long names in five scripts, every kind of record. Everything is dated
  (`--on`, `--as-of`), the time zone is UTC and staff are named, so the same commands
  print the same bytes on every run and machine.
- `seed` / `seeded`: a generated shop whose customers have every field set, made
  through the core, for export/import round trips. Names in five scripts (Hangul,
  Kanji, Hanzi, Armenian, Latin with accents), several phones with labels (one written
  with a country code, one in another country), a lunar birthday in a leap month, a
  birthday without a year, labelled and lunar anniversaries, extra fields, a tier set
  by hand, a contact window, lost prospects with a reason, and text that CSV must quote.
- `change`: a write behind crmcli's back (an old database's state), on either engine.
- `dump`: every row of every table, on either engine, to assert that a refusal wrote
  nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crmcli import customers, prospects, tiers
from crmcli.db import open_db
from crmcli.engines import Engine

# --- one customer --------------------------------------------------------------------


def kim(
    cli: Any,
    *,
    phone: str | None = None,
    birthday: str | None = None,
    purchase: bool = False,
    followup: bool = False,
    complaint: bool = False,
) -> Any:
    """Kim Minjun, code K001, through the command line; returns `cli`."""
    args = ["customers", "add", "--name", "Kim Minjun", "--code", "K001"]
    if phone:
        args += ["--phone", phone]
    if birthday:
        args += ["--birthday", birthday]
    cli(*args)
    if purchase:
        cli("purchases", "add", "K001", "--amount", "100", "--on", "2026-01-10")
    if followup:
        cli("followups", "add", "K001", "-m", "call", "--on", "2026-02-01")
    if complaint:
        cli("complaints", "open", "K001", "--summary", "late", "--on", "2026-02-01")
    return cli


# --- what "nothing changed" means ----------------------------------------------------


def change(where: Path | str, sql: str, rows: Iterable[Sequence[Any]] | None = None) -> None:
    """Write to a test's database behind crmcli's back, on either engine (an SQLite path
    or a PostgreSQL URL): a state no command makes any more (an old database's values, a
    day fixed by hand). One transaction; `rows` runs `sql` once per row."""
    db = open_db(str(where), migrate=False)
    try:
        with db.write():
            if rows is None:
                db.execute(sql)
            else:
                db.executemany(sql, list(rows))
    finally:
        db.close()


def dump(where: Path | str | Engine, *, skip: Iterable[str] = ()) -> list[str]:
    """Every row of every table, as `table (values…)` lines sorted, but the tables in
    `skip` (caches). One form on both engines (an SQLite path, a PostgreSQL URL or an
    open `Engine`): sorted in Python, so neither engine's row order nor its collation
    can make two equal databases look different."""
    db = where if isinstance(where, Engine) else open_db(str(where), migrate=False)
    try:
        return [
            line
            for table in db.tables()
            if table not in skip
            for line in sorted(
                f"{table} {tuple(row)!r}" for row in db.execute(f'SELECT * FROM "{table}"')
            )
        ]
    finally:
        if db is not where:
            db.close()


# --- the rendering shop (through the command line) -----------------------------------

AS_OF = "2026-03-20"

# Long names in Hangul, Japanese, Chinese, Armenian and Latin (plus Cyrillic), codes
# of a real shop's length: the widest identifying columns a table meets.
CUSTOMERS = [
    ("KR-2024-0001", "황보 서연 아름다운 하늘", "010-1234-5678", "seoyeon.hwangbo@example.kr"),
    ("KR-2024-0002", "김민준", "010-2345-6789", "minjun@example.kr"),
    ("JP-2024-0001", "長谷川 健太郎 ジョナサン", "090-1234-5678", "kentaro.hasegawa@example.jp"),
    ("CN-2024-0001", "欧阳 明月 诸葛 孔明", "+86 138 0013 8000", "mingyue@example.cn"),
    ("AM-2024-0001", "Անի Արմենի Պետրոսյան-Հովհաննիսյան", "+374 91 123456", "ani@example.am"),
    ("EU-2024-0001", "María-José Ľudmila Fernández Cruz", "+34 612 345 678", "mjfc@example.es"),
    ("RU-2024-0001", "Александра Сергеевна Петрова", "+7 912 345 67 89", "alex@example.ru"),
    ("KR-2024-0003", "이서연", "010-3456-7890", ""),
    ("KR-2024-0004", "김 민준", "010-2345-6789", ""),  # the same person twice: a dupe
]
NOTE = (
    "Prefers calls after 18:00; bought the espresso machine for her café, asks about "
    "descaling every visit. 커피 원두는 다크 로스트만, 토요일 오전 방문."
)


def build(cli: Any, tmp: Path) -> None:
    """Fill the database the `cli` fixture points at."""
    cli("config", "set", "timezone", "UTC")
    cli("config", "set", "staff.default", "지수")
    for i, (code, name, phone, email) in enumerate(CUSTOMERS):
        args = ["customers", "add", "--code", code, "--name", name, "--phone", phone]
        if email:
            args += ["--email", email]
        args += ["--birthday", f"19{70 + i}-03-{21 + i:02}", "--tag", "vip" if i < 3 else "단골"]
        args += ["--owner", "지수" if i % 2 else "Armen Hovhannisyan"]
        if i == 0:
            args += ["--notes", NOTE, "--company", "Sky Coffee, Ltd."]
        cli(*args)
    items = [
        ("Espresso machine, dual boiler", "Equipment", "12345678"),
        ("Beans, dark roast 1kg", "Coffee", "38000"),
        ("핸드드립 주전자", "Goods", "54000"),
        ("Grinder", "Equipment", "178000"),
    ]
    for i, (code, *_rest) in enumerate(CUSTOMERS):
        for j, (item, category, amount) in enumerate(items[: 1 + (len(CUSTOMERS) - i) % 4]):
            cli(
                "purchases", "add", code, "--amount", amount, "--item", item,
                "--category", category, "--on", f"2025-{1 + (i + j) % 12:02}-15",
                "--order", f"O-{i:02}{j:02}",
            )  # fmt: skip
    cli("tiers", "classify", "--as-of", "2025-12-31")
    cli("purchases", "add", "KR-2024-0003", "--amount", "99000000", "--on", "2026-02-01")
    cli("tiers", "classify", "--as-of", AS_OF)
    first = cli(
        "complaints", "open", "KR-2024-0001", "--summary",
        "Steam wand leaks after two weeks; the customer is upset, wants a replacement",
        "--channel", "phone", "--on", "2026-02-01", "--by", "지수",
    ).stdout.strip()  # fmt: skip
    cli("complaints", "advance", first, "--to", "apologized", "--on", "2026-02-02",
        "--note", "Called back and apologised; she was calmer but wants it fixed this week",
        "--by", "지수")  # fmt: skip
    cli("complaints", "advance", first, "--to", "cause-found", "--on", "2026-02-04",
        "--cause", "product-quality",
        "--detail", "a cracked gasket from the factory batch")  # fmt: skip
    cli("complaints", "advance", first, "--to", "resolved", "--on", "2026-02-06",
        "--resolution", "replaced the gasket on site", "--compensation", "gift",
        "--amount", "30000")  # fmt: skip
    cli("complaints", "open", "AM-2024-0001", "--summary", "Wrong size delivered",
        "--on", "2026-01-10", "--by", "Armen Hovhannisyan")  # fmt: skip
    cli("followups", "add", "KR-2024-0001", "--on", "2026-01-31", "--every", "1m",
        "--note", "Ask how the repaired machine works; offer the descaling kit")  # fmt: skip
    cli("followups", "add", "JP-2024-0001", "--on", "2026-03-22", "--note", "Call back")
    cli("contacts", "log", "CN-2024-0001", "--channel", "call", "--on", "2026-03-01",
        "--note", "Asked about the spring offer, will visit next week", "--by", "지수")  # fmt: skip
    csv = tmp / "walk-ins.csv"
    csv.write_text("code,name,phone\nWI-0001,Zoë Dupont-Lefèvre,+33 6 12 34 56 78\n", "utf-8")
    cli("customers", "import", str(csv))


def build_db(folder: Path, db: Path | str | None = None) -> Path | str:
    """The rendering shop in `folder`/shop.db (or in `db`, a PostgreSQL URL too), built
    once for a module's tests; `folder` holds the files its imports read."""
    from typer.testing import CliRunner

    from crmcli.cli import app

    db = folder / "shop.db" if db is None else db
    runner = CliRunner()

    def cli(*args: str):
        result = runner.invoke(app, ["--db", str(db), *args])
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
        return result

    build(cli, folder)
    return db


# --- the every-field shop (through the core) -----------------------------------------

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


def seeded(path: Path | str, **kwargs: int) -> Path | str:
    """The database at `path` (a file, or a PostgreSQL URL) holding the seeded shop."""
    db = open_db(str(path))
    try:
        seed(db, **kwargs)
    finally:
        db.close()
    return path
