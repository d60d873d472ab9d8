"""A seeded messy customers file, and the whole outcome of importing it, for the tests
that hold the customers import to the same rows, refusals and rejects whatever path it
takes (tests/test_import_customers_same.py).

The rows are what real lists hold: the same customer twice (once with more values, once
with other ones), families sharing a number, e-mails in other cases, names alone, numbers
in every way of writing them, bad e-mails, dates and control characters, rows with
nothing to know a customer by, notes over several lines, columns with no field.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from pathlib import Path
from typing import Any

HEADERS = [
    "code", "name", "phone", "mobile", "email", "birthday", "tags", "owner", "memo",
    "contact days", "company", "vip since",
]  # fmt: skip

_NAMES = [
    "김민준", "이서연", "박지훈", "최수아", "정우진", "Mary Smith", "John O'Brien", "José Núñez",
    "Anna Petrosyan", "Ivan Petrov", "山田太郎", "佐藤 花子", "王伟", "李娜", "Lee", "Kim Minjun",
    "Nguyễn Văn An", "Ａｂｃ Ｄｅｆ", "Ali", "Ōta Ken",
]  # fmt: skip
_DOMAINS = ["example.com", "Example.KR", "mail.example.jp", "EXAMPLE.org"]
# E-mails whose capitals are not ASCII: SQLite's NOCASE leaves them as they are.
_WIDE = ["ΣΟΦΙΑ", "Ÿves", "ÇA", "İlker", "STRAẞE", "Ōta"]
_TAGS = ["vip", "VIP", "online", "단골", "常客", "staff", "wholesale"]
_OWNERS = ["", "", "박성민", "Ani", "李娜", "Mr Lee"]


def _phone(rng: random.Random) -> str:
    n = rng.randrange(10_000_000, 99_999_999)
    forms = [
        f"010-{n // 10_000:04d}-{n % 10_000:04d}",
        f"010{n:08d}",
        f"+82 10 {n // 10_000:04d} {n % 10_000:04d}",
        f"82-10-{n // 10_000:04d}-{n % 10_000:04d}",
        f"+81 90-{n // 10_000:04d}-{n % 10_000:04d}",
        f"+1 (415) 555-{n % 10_000:04d}",
        f"(02) {n // 10_000 % 1000:03d}-{n % 10_000:04d}",
        "０１０-"
        + f"{n // 10_000:04d}-{n % 10_000:04d}".translate(
            str.maketrans("0123456789", "０１２３４５６７８９")
        ),
        f"tel:+82-10-{n // 10_000:04d}-{n % 10_000:04d}",
        f"010 {n // 10_000:04d} {n % 10_000:04d} ext. 12",
    ]
    return rng.choice(forms)


def _birthday(rng: random.Random) -> str:
    y, m, d = rng.randrange(1940, 2010), rng.randrange(1, 13), rng.randrange(1, 29)
    return rng.choice(
        [
            f"{y}-{m:02d}-{d:02d}",
            f"{y}/{m}/{d}",
            f"{y}.{m:02d}.{d:02d}",
            f"--{m:02d}-{d:02d}",
            f"{m:02d}/{d:02d}/{y}",
            "",
            "",
        ]
    )


def rows(n: int, *, seed: int, codes: list[str] | None = None) -> list[list[str]]:
    """`n` messy rows; `codes`: some shop codes to name again (a second file)."""
    rng = random.Random(f"messy-{seed}")
    out: list[list[str]] = []
    for i in range(n):
        roll = rng.random()
        if out and roll < 0.12:  # the same customer again: more values, or other ones
            row = list(rng.choice(out))
            if rng.random() < 0.5:
                row[3] = row[3] or _phone(rng)
                row[6] = ";".join(filter(None, [row[6], rng.choice(_TAGS)]))
            else:
                row[5] = _birthday(rng)
                row[7] = rng.choice(_OWNERS)
            if rng.random() < 0.3 and row[4].isascii():
                row[4] = row[4].upper()
            out.append(row)
            continue
        code = f"M{seed}{i:05d}" if rng.random() < 0.6 else ""
        if codes and rng.random() < 0.3:
            code = rng.choice(codes)
        name = rng.choice(_NAMES)
        if rng.random() < 0.05:
            name = ""
        phone = _phone(rng) if rng.random() < 0.75 else ""
        if out and rng.random() < 0.06:  # a family: someone else's number
            phone = rng.choice(out)[2]
        email = ""
        if rng.random() < 0.6:
            email = f"u{seed}.{i}@{rng.choice(_DOMAINS)}"
            if rng.random() < 0.15:  # capitals beyond ASCII: given again only as written
                email = f"{rng.choice(_WIDE)}{i}@{rng.choice(_DOMAINS)}"
            if out and rng.random() < 0.05:
                email = rng.choice(out)[4]
                email = email.swapcase() if email.isascii() else email
        row = [
            code,
            name,
            phone,
            _phone(rng) if rng.random() < 0.15 else "",
            email,
            _birthday(rng),
            ";".join(rng.sample(_TAGS, rng.choice((0, 0, 1, 2)))),
            rng.choice(_OWNERS),
            rng.choice(["", "", "likes tea", "line one\nline two", "カード払い"]),
            rng.choice(["", "", "", "Mon-Fri", "weekends"]),
            rng.choice(["", "", "ACME", "삼성"]),
            rng.choice(["", "", "2019"]),
        ]
        bad = rng.random()
        if bad < 0.03:
            row[4] = "not-an-email"
        elif bad < 0.05:
            row[5] = "1990-13-45"
        elif bad < 0.06:
            row[1] = "Bad\x1b[31mName"
        elif bad < 0.07:
            row[:3] = ["", "", ""]
            row[3:5] = ["", ""]  # nothing to know them by
        elif bad < 0.08:
            row[9] = "someday"
        elif bad < 0.09 and out:  # a shop code repeated with another name
            row[0] = next((r[0] for r in reversed(out) if r[0]), row[0])
        out.append(row)
    return out


def write(path: Path, table: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(table)
    return path


_TIMES = {"created_at", "updated_at", "started_at", "finished_at"}


def _no_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_times(v) for k, v in value.items() if k not in _TIMES}
    if isinstance(value, list):
        return [_no_times(v) for v in value]
    return value


def _digest(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def outcome(db: Any, result: Any = None, error: Any = None) -> dict[str, Any]:
    """Everything an import leaves: rows of every customer table (times left out), the
    journal, the counts, notes and problems, the rejects file."""
    out: dict[str, Any] = {}
    for table, order in (
        ("customers", "id"),
        ("customer_phones", "customer_id, position"),
        ("customer_tags", "customer_id, tag"),
        ("customer_dates", "customer_id, label"),
        ("import_changes", "import_id, id"),  # the order they were written
        ("imports", "id"),
    ):
        cursor = db.execute(f"SELECT * FROM {table} ORDER BY {order}")
        names = [d[0] for d in cursor.description]
        rows_ = []
        for row in cursor.fetchall():
            item = dict(zip(names, row, strict=True))
            item.pop("id", None) if table in ("customer_phones", "import_changes") else None
            for key in ("before", "after", "options"):
                if isinstance(item.get(key), str):
                    item[key] = _no_times(json.loads(item[key]))
            for key in ("before", "after"):  # whole records: their digest is enough to compare
                if key in item:
                    item[key] = _digest(item[key])
            if table == "imports":
                item = {k: v for k, v in item.items() if k not in ("file_name", "sha256")}
            rows_.append(_no_times({k: v for k, v in item.items() if v is not None}))
        out[table] = rows_
    if result is not None:
        c = result.counts
        out["counts"] = [c.added, c.updated, c.unchanged, c.rejected, c.merged]
        out["notes"] = list(result.notes)
        out["problems"] = [[p.line, p.field, str(p)] for p in result.problems]
        out["rejects"] = (
            result.rejects.read_text(encoding="utf-8") if result.rejects is not None else None
        )
    if error is not None:
        out["refused"] = [str(error), *[[p.line, p.field, str(p)] for p in error.problems]]
    return out
