"""Deterministic benchmark data: customers and purchases as CSV, streamed.

    python benchmarks/generate.py --customers 100000 --purchases 1000000 --out DIR

writes DIR/customers.csv and DIR/purchases.csv. The same seed always gives the
same bytes. Memory stays constant whatever the size: rows are written as they are
drawn, and which customers buy most is a formula (a power law over a fixed
permutation of the customers), not a table.

Customers carry names in Hangul, Kanji, Chinese, Armenian (given + patronymic +
family) and Latin script; phones in local and international forms (leading zeros
kept); birthdays that are sometimes lunar, sometimes without a year (`--MM-DD`),
sometimes 29 February. Purchases are skewed the way shops see it (Zipf's law):
about a fifth of the customers place three quarters to four fifths of the orders,
the biggest buyer a few per cent, and amounts are log-normal. Orders have 1-4 lines; about 2 % are
returns (negative amounts, order ids starting with `C`); dates span three years.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

# Column names and values as in crmcli's own example files (crmcli/examples/*.csv):
# `birthday_lunar` is "lunar" or empty, tags are separated by ";".
CUSTOMER_COLUMNS = (
    "code",
    "name",
    "phone",
    "email",
    "birthday",
    "birthday_lunar",
    "tags",
    "owner",
)
PURCHASE_COLUMNS = (
    "customer",
    "date",
    "order_id",
    "line_id",
    "amount",
    "quantity",
    "item",
    "category",
)

# Bump when the rows written change: run.py regenerates its cached data on a new version.
DATA_VERSION = 2
FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2025, 12, 31)
# Buyers follow Zipf's law: the customer of rank r places orders in proportion to
# r^-ZIPF. With 0.9 the top fifth of the customers places ~75-80 % of the orders
# (10k-1m customers) and the single biggest buyer 2-5 %, as in real shop data.
ZIPF = 0.9

HANGUL_FAMILY = (
    "김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서",
    "신", "권", "황", "안", "송", "류", "홍", "남궁", "제갈", "선우",
)  # fmt: skip
HANGUL_GIVEN = (
    "민준", "서연", "지우", "서윤", "도윤", "하은", "예준", "지호", "수아", "시우", "지민",
    "유진", "현우", "은서", "건우", "민서", "주원", "채원", "준서", "다은", "영수", "정희",
    "미경", "성호",
)  # fmt: skip
JAPANESE_FAMILY = (
    "山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤", "吉田",
    "山本", "松本", "井上", "木村",
)  # fmt: skip
JAPANESE_GIVEN = (
    "太郎", "花子", "翔太", "陽菜", "大輔", "美咲", "健一", "優子", "蓮", "結衣", "直樹",
    "恵", "拓也", "さくら", "陽子",
)  # fmt: skip
CHINESE_FAMILY = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马",
    "朱", "胡", "欧阳", "司马", "诸葛",
)  # fmt: skip
CHINESE_GIVEN = (
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
    "杰", "娟", "涛", "明", "超", "秀兰", "霞", "志强", "建华",
)  # fmt: skip
# Armenian: given name, father's name in the genitive (the patronymic), family name.
ARMENIAN_MEN = {
    "Արմեն": "Արմենի",
    "Տիգրան": "Տիգրանի",
    "Դավիթ": "Դավթի",
    "Հայկ": "Հայկի",
    "Արամ": "Արամի",
    "Վարդան": "Վարդանի",
    "Գևորգ": "Գևորգի",
    "Սարգիս": "Սարգսի",
}
ARMENIAN_WOMEN = (
    "Անի", "Մարիամ", "Նարե", "Լիլիթ", "Անահիտ", "Սոնա", "Գայանե",
    "Արմինե",
)  # fmt: skip
ARMENIAN_FAMILY = (
    "Պետրոսյան", "Հովհաննիսյան", "Սարգսյան", "Գրիգորյան",
    "Խաչատրյան", "Հարությունյան", "Կարապետյան", "Մկրտչյան",
)  # fmt: skip
# The same people as a Russian-style record would write them (Ani Armenovna Petrosyan).
ARMENIAN_LATIN = {
    "Armen": ("Armenovich", "Armenovna"),
    "Tigran": ("Tigranovich", "Tigranovna"),
    "David": ("Davidovich", "Davidovna"),
    "Aram": ("Aramovich", "Aramovna"),
    "Vardan": ("Vardanovich", "Vardanovna"),
}
ARMENIAN_LATIN_GIVEN = ("Ani", "Mariam", "Lilit", "Tigran", "Davit", "Hayk", "Gevorg", "Narek")
ARMENIAN_LATIN_FAMILY = ("Petrosyan", "Hovhannisyan", "Sargsyan", "Grigoryan", "Khachatryan")
LATIN_GIVEN = (
    "John", "Mary", "James", "Emma", "Olivia", "Liam", "Sophie",
    "Lucas", "Anna", "Marco", "Chloé", "Jürgen", "Zoë",
)  # fmt: skip
LATIN_FAMILY = (
    "Smith", "Müller", "García", "Rossi", "Dubois", "Nowak",
    "Johansson", "O'Brien", "Jones", "Silva", "Novák",
)  # fmt: skip

SCRIPTS = (  # (script, share of customers)
    ("hangul", 0.35),
    ("kanji", 0.15),
    ("chinese", 0.15),
    ("armenian", 0.15),
    ("latin", 0.20),
)
TAGS = ("vip", "wholesale", "newsletter", "단골", "常客", "online", "walk-in", "staff")
OWNERS = ("김지영", "박성민", "山田花子", "Ani", "Marco", "李娜")
DOMAINS = ("example.com", "example.co.kr", "example.jp", "example.cn", "example.am")
CATEGORIES = {
    "clothing": ("셔츠", "ワンピース", "外套", "Jacket", "Շապիկ"),
    "shoes": ("운동화", "革靴", "凉鞋", "Boots"),
    "bags": ("가방", "バッグ", "钱包", "Backpack"),
    "electronics": ("이어폰", "充電器", "手机壳", "Speaker"),
    "cosmetics": ("스킨", "化粧水", "口红", "Serum"),
    "food": ("김치", "お茶", "月饼", "Coffee", "Գաթա"),
    "home": ("이불", "食器", "台灯", "Candle"),
}
ITEMS = tuple(
    (f"{word} {n:03d}", category)
    for category, words in CATEGORIES.items()
    for word in words
    for n in range(1, 61)
)


def _pick_script(rng: random.Random) -> str:
    u = rng.random()
    for script, share in SCRIPTS:
        if u < share:
            return script
        u -= share
    return SCRIPTS[-1][0]


def _name(rng: random.Random, script: str) -> str:
    choice = rng.choice
    if script == "hangul":
        return choice(HANGUL_FAMILY) + choice(HANGUL_GIVEN)
    if script == "kanji":
        sep = " " if rng.random() < 0.6 else ""
        return choice(JAPANESE_FAMILY) + sep + choice(JAPANESE_GIVEN)
    if script == "chinese":
        return choice(CHINESE_FAMILY) + choice(CHINESE_GIVEN)
    if script == "armenian":
        if rng.random() < 0.3:  # written in Latin letters, Russian-style patronymic
            father = choice(tuple(ARMENIAN_LATIN))
            given = choice(ARMENIAN_LATIN_GIVEN)
            female = given in ("Ani", "Mariam", "Lilit")
            patronymic = ARMENIAN_LATIN[father][1 if female else 0]
            return f"{given} {patronymic} {choice(ARMENIAN_LATIN_FAMILY)}"
        given = choice((*ARMENIAN_MEN, *ARMENIAN_WOMEN))
        patronymic = ARMENIAN_MEN[choice(tuple(ARMENIAN_MEN))]
        return f"{given} {patronymic} {choice(ARMENIAN_FAMILY)}"
    return f"{choice(LATIN_GIVEN)} {choice(LATIN_FAMILY)}"


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10**n)).zfill(n)


def _phone(rng: random.Random, script: str) -> str:
    if rng.random() < 0.05:
        return ""
    if script == "hangul":
        if rng.random() < 0.9:
            return f"010-{_digits(rng, 4)}-{_digits(rng, 4)}"
        return f"02-{_digits(rng, 3)}-{_digits(rng, 4)}"
    if script == "kanji":
        return f"+81 90-{_digits(rng, 4)}-{_digits(rng, 4)}"
    if script == "chinese":
        return f"+86 138 {_digits(rng, 4)} {_digits(rng, 4)}"
    if script == "armenian":
        return f"+374 91 {_digits(rng, 6)}"
    return rng.choice(
        (
            f"+1 (415) 555-{_digits(rng, 4)}",
            f"+44 20 7946 {_digits(rng, 4)}",
            f"+49 30 {_digits(rng, 7)}",
        )
    )


def _birthday(rng: random.Random, script: str) -> tuple[str, str]:
    """(birthday, birthday_lunar) — empty, full date, `--MM-DD`, 29 February, or lunar."""
    u = rng.random()
    if u < 0.10:
        return "", ""
    if u < 0.105:  # born on 29 February of a leap year
        return f"{rng.choice(range(1952, 2005, 4))}-02-29", ""
    year = rng.randrange(1940, 2008)
    if script in ("hangul", "chinese") and rng.random() < 0.3:
        # Lunar months have 29 or 30 days; day 30 appears, as real records have it
        # (but not in month 2, which a solar date check would refuse).
        month = rng.randrange(1, 13)
        return f"{year}-{month:02d}-{rng.randrange(1, 29 if month == 2 else 31):02d}", "lunar"
    day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    if u < 0.18:  # a birthday someone gave without the year
        return f"--{day.month:02d}-{day.day:02d}", ""
    return day.isoformat(), ""


def customers(n: int, *, seed: int = 7) -> Iterator[tuple[str, ...]]:
    """`n` customer rows (CUSTOMER_COLUMNS order), the same for the same seed."""
    rng = random.Random(f"customers-{seed}")
    for i in range(n):
        script = _pick_script(rng)
        name = _name(rng, script)
        email = ""
        if rng.random() < 0.7:
            email = f"c{i + 1}.{rng.randrange(1000)}@{rng.choice(DOMAINS)}"
        birthday, lunar = _birthday(rng, script)
        tags = ";".join(sorted(rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2, 3)))))
        owner = rng.choice(OWNERS) if rng.random() < 0.8 else ""
        yield (code(i), name, _phone(rng, script), email, birthday, lunar, tags, owner)


def code(index: int) -> str:
    """The shop code of the customer at 0-based `index`."""
    return f"C{index + 1:07d}"


def _buyer(u: float, n: int, step: int, offset: int) -> int:
    """A customer index drawn from Zipf's law, scattered by a fixed permutation.

    Inverse of the continuous CDF F(x) = (x^a - 1) / ((n+1)^a - 1) on [1, n+1),
    a = 1 - ZIPF: rank r = floor(x) - 1 gets the mass of [r+1, r+2), as Zipf's does.
    """
    a = 1.0 - ZIPF
    x = (1.0 + u * ((n + 1) ** a - 1.0)) ** (1.0 / a)
    rank = min(int(x) - 1, n - 1)
    return (rank * step + offset) % n


def _coprime_step(n: int) -> int:
    step = int(n * 0.618034) | 1
    while math.gcd(step, n) != 1:
        step += 2
    return step


def _amount(rng: random.Random, quantity: int) -> str:
    unit = math.exp(rng.gauss(3.3, 0.9))  # median ~27 per unit, a long tail
    if rng.random() < 0.05:  # Superstore-style four-decimal totals, kept exact
        return f"{unit * quantity:.4f}"
    return f"{unit * quantity:.2f}"


def purchases(n_lines: int, n_customers: int, *, seed: int = 7) -> Iterator[tuple[str, ...]]:
    """`n_lines` purchase lines (PURCHASE_COLUMNS order), in date order, skewed by customer."""
    rng = random.Random(f"purchases-{seed}")
    step, offset = _coprime_step(n_customers), n_customers // 3
    days = (LAST_DAY - FIRST_DAY).days + 1
    orders = max(1, round(n_lines / 2.5))  # 1-4 lines per order: 2.5 on average
    written = order_no = 0
    while written < n_lines:
        order_no += 1
        day = FIRST_DAY + timedelta(days=min(days - 1, order_no * days // orders))
        customer = code(_buyer(rng.random(), n_customers, step, offset))
        returned = rng.random() < 0.02
        order_id = f"{'C' if returned else 'O'}{order_no:09d}"
        for line in range(1, min(rng.randrange(1, 5), n_lines - written) + 1):
            item, category = ITEMS[min(int(len(ITEMS) * rng.random() ** 2), len(ITEMS) - 1)]
            quantity = rng.choice((1, 1, 1, 2, 2, 3, 5))
            amount = _amount(rng, quantity)
            if returned:
                amount, quantity = "-" + amount, -quantity
            yield (
                customer,
                day.isoformat(),
                order_id,
                f"{order_id}-{line}",
                amount,
                str(quantity),
                item,
                category,
            )
            written += 1


def write_csv(path: Path, header: tuple[str, ...], rows: Iterator[tuple[str, ...]]) -> int:
    """Write rows to `path` (UTF-8, no BOM), batching writes; returns the row count."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        batch: list[tuple[str, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 10_000:
                writer.writerows(batch)
                count += len(batch)
                batch.clear()
        writer.writerows(batch)
        count += len(batch)
    return count


def generate(out: Path, *, n_customers: int, n_purchases: int, seed: int = 7) -> None:
    """Write `out`/customers.csv and `out`/purchases.csv."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "customers.csv", CUSTOMER_COLUMNS, customers(n_customers, seed=seed))
    write_csv(
        out / "purchases.csv",
        PURCHASE_COLUMNS,
        purchases(n_purchases, n_customers, seed=seed),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--purchases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="Directory for the CSV files.")
    args = parser.parse_args(argv)
    if args.customers < 1 or args.purchases < 0:
        parser.error("--customers must be at least 1 and --purchases at least 0")
    generate(args.out, n_customers=args.customers, n_purchases=args.purchases, seed=args.seed)
    print(f"wrote {args.out}/customers.csv and {args.out}/purchases.csv", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
