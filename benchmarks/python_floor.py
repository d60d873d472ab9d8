"""The Python floor of `customers import`: the cheapest import into crmcli's own tables
that still does what no honest import can leave out. Not a target: the floor under one.

`sql_floor` (run.py) shows what crmcli's schema costs with no program at all: the
`sqlite3` shell reading the file and filling the tables in SQL. This adds what any
Python program pays on top of it, with nothing of crmcli's own:

- the interpreter's start-up with `sqlite3` and `csv` (no typer, rich, phonenumbers);
- reading the file with the csv module (UTF-8 and the benchmark's columns known:
  no sniffing of code page, delimiter or layout);
- per row, the checks a customer import cannot drop: control characters in any cell,
  the 1,000-byte limit of indexed text, an e-mail's shape, a birthday that is a real day
  (with or without a year), a phone with digits, a row with something to know it by,
  and a repeat of a code, number or e-mail within the file (counted: a real import then
  looks the customer up);
- the values the schema holds: digits and an international form of each number, the
  tags split and de-duplicated, a search document of crmcli's usual length;
- the rows written with `executemany` in one transaction (ids given, so phones and tags
  go in batches too), one undo record a customer, the three search indexes filled once
  in rowid order with their triggers set aside, as crmcli's bulk import does.

Every short cut is in the floor's favour, so crmcli cannot beat it while keeping its
checks: the international form of a number is '+' and its digits, or Korea's code and
the number without its trunk zero (crmcli reads each number by its country's rules);
no locale, name parts or reading are inferred; the undo record holds no digest; a
repeat is only counted, never merged.

    python benchmarks/python_floor.py SHOP.db customers.csv

SHOP.db is an empty shop made by `crmcli db migrate`; prints the rows stored.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import sys
from datetime import date, datetime, timezone

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
NON_DIGITS = re.compile(r"\D")
INDEXED_BYTES = 1_000  # crmcli's limit on indexed one-line text (code, name, e-mail…)
SEARCH_INDEXES = (  # (FTS5 table, its column, the content table)
    ("customers_fts", "search_key", "customers"),
    ("customers_words", "search_key", "customers"),
    ("customer_phones_fts", "digits", "customer_phones"),
)


class Refused(Exception):
    """A row the floor refuses, as crmcli would (it names file, line and field)."""


def indexed(value: str, field: str, line: int) -> str:
    # Four bytes at most a character: only a long value can be over the limit.
    if len(value) * 4 > INDEXED_BYTES and len(value.encode()) > INDEXED_BYTES:
        raise Refused(f"line {line}: {field} is over {INDEXED_BYTES} bytes")
    return value


def birthday(value: str, line: int) -> str | None:
    if not value:
        return None
    try:
        if value.startswith("--"):  # no year: a day of a leap year
            date.fromisoformat("2000" + value[1:])
        else:
            date.fromisoformat(value)
    except ValueError:
        raise Refused(f"line {line}: birthday {value!r} is not a day") from None
    return value


def international(raw: str, digits: str) -> str:
    return "+" + digits if raw.startswith("+") else "+82" + digits.removeprefix("0")


def load(db_path: str, csv_path: str) -> int:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")  # crmcli's own settings (WAL is the file's)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    customers, phones, tags = [], [], []
    seen: set[str] = set()
    repeats = 0
    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        at = {name: i for i, name in enumerate(header)}
        code_i, name_i, phone_i, email_i = at["code"], at["name"], at["phone"], at["email"]
        birthday_i, lunar_i, tags_i, owner_i = (
            at["birthday"],
            at["birthday_lunar"],
            at["tags"],
            at["owner"],
        )
        for line, cells in enumerate(reader, start=2):
            if CONTROL.search("".join(cells)):
                raise Refused(f"line {line}: a control character")
            cells = [c.strip() for c in cells]
            code = indexed(cells[code_i], "code", line) or None
            name = indexed(cells[name_i], "name", line) or None
            email = indexed(cells[email_i], "email", line) or None
            owner = indexed(cells[owner_i], "owner", line) or None
            raw = indexed(cells[phone_i], "phone", line)
            if email and not EMAIL.fullmatch(email):
                raise Refused(f"line {line}: email {email!r} is not an e-mail address")
            if not (code or name or raw or email):
                raise Refused(f"line {line}: nothing to know this customer by")
            cid = len(customers) + 1
            keys = [code, email.lower() if email else None]
            if raw:
                digits = NON_DIGITS.sub("", raw)
                if not digits:
                    raise Refused(f"line {line}: phone {raw!r} has no digits")
                e164 = international(raw, digits)
                phones.append((cid, raw, e164, digits))
                keys.append(e164)
            for key in keys:
                if key:
                    if key in seen:
                        repeats += 1
                    seen.add(key)
            for tag in dict.fromkeys(t.strip() for t in cells[tags_i].split(";")):
                if tag:
                    tags.append((cid, tag))
            folded = (name or "").lower()
            document = " | ".join(
                part
                for part in (
                    folded,
                    folded.replace(" ", ""),
                    folded[1:],
                    folded[2:],
                    (code or "").lower(),
                    (email or "").lower(),
                )
                if part
            )
            customers.append(
                (
                    cid,
                    code,
                    name,
                    email,
                    birthday(cells[birthday_i], line),
                    int(bool(cells[lunar_i])),
                    owner,
                    document,
                    now,
                    now,
                )
            )
    conn.execute("BEGIN")
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        " AND tbl_name IN ('customers', 'customer_phones')"
        " AND (name LIKE '%\\_fts\\_%' ESCAPE '\\' OR name LIKE '%\\_words\\_%' ESCAPE '\\')"
    ).fetchall()
    for name, _sql in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute(
        "INSERT INTO imports (id, kind, file_name, sha256, started_at)"
        " VALUES (1, 'customers', ?, '', ?)",
        [csv_path, now],
    )
    conn.executemany(
        "INSERT INTO customers (id, code, name, email, birthday, birthday_lunar, owner,"
        " search_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        customers,
    )
    conn.executemany(
        "INSERT INTO customer_phones (customer_id, raw, e164, digits) VALUES (?, ?, ?, ?)",
        phones,
    )
    conn.executemany("INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)", tags)
    conn.executemany(
        "INSERT INTO import_changes (import_id, table_name, row_id, action, after)"
        " VALUES (1, 'customers', ?, 'insert', '{}')",
        ((row[0],) for row in customers),
    )
    for fts, column, table in SEARCH_INDEXES:  # in rowid order, as crmcli fills them
        conn.execute(f"INSERT INTO {fts}({fts}) VALUES('delete-all')")
        conn.execute(
            f"INSERT INTO {fts}(rowid, {column}) SELECT id, {column} FROM {table} ORDER BY id"
        )
    for _name, sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    print(f"{len(customers)} customers, {len(phones)} phones, {len(tags)} tags, {repeats} repeats")
    return len(customers)


if __name__ == "__main__":
    try:
        load(sys.argv[1], sys.argv[2])
    except Refused as refused:
        sys.exit(f"{sys.argv[2]}: {refused}")
