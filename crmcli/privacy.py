"""Forgetting a customer: erase the person, keep the anonymous sales.

`forget` blanks every personal value a customer has — on their record, in their
phones, tags and dates, and in the free text of their purchases, complaints,
follow-ups and contacts — and keeps the amounts and dates of what they bought, so
totals and tier ranks stay right. `scrub` then makes sure the old bytes are gone
from the files too: `secure_delete` zeroes freed space, FTS segments are merged,
`VACUUM` rebuilds the file and a `TRUNCATE` checkpoint empties the WAL.

Erasing is deny-by-default on the customer row: every column not in
`KEPT_CUSTOMER_COLUMNS` is emptied, so a column added by a later migration is
erased until someone decides it is not personal.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from crmcli import customers, dates, relations
from crmcli.errors import CrmError
from crmcli.i18n import M_n

if TYPE_CHECKING:
    from crmcli.engines import Engine

# Customer columns that say nothing about the person: bookkeeping and categories.
KEPT_CUSTOMER_COLUMNS = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "archived_at",
        "forgotten_at",
        "owner",  # the staff member, not the customer
        "tier_override",
        "tier_override_at",
    }
)

# Tables that point at a customer, and what forgetting does to each. A table with a
# `customer_id` column that is in none of these makes `forget` refuse to run (and a
# test fail), so a new feature's table cannot keep personal data by accident.
# visit_plans: a plan's goal is free text about the person (its visit_results go with it).
ERASED_TABLES = (
    "customer_phones",
    "customer_tags",
    "customer_dates",
    "customer_relations",
    "visit_plans",
)
REDACTED_TABLES = ("purchases", "complaints", "followups", "contacts")
KEPT_TABLES = ("tier_assignments",)  # tiers, amounts and ranks: nothing personal

# Keys of a complaint event's `fields` that are categories or amounts, not what the
# person said: the complaint report adds up compensation by kind (the kind is the
# shop's own word for what it gave: gift, refund…).
KEPT_EVENT_FIELDS = frozenset({"cause", "compensation", "amount_micros"})

# Free-text columns blanked in the tables kept for their numbers and dates. NOT NULL
# columns get '' (a complaint's summary, a follow-up's note).
_REDACT = {
    "purchases": ("note",),
    "complaints": ("summary", "cause_detail", "resolution", "lesson"),
    "followups": ("note", "done_note"),
    "contacts": ("note",),
}


class Forgotten(NamedTuple):
    """What `forget` did: counts erased and kept, and whether the files are clean."""

    customer_id: int
    erased: dict[str, int]
    kept_purchases: int
    kept_total_micros: int
    files_clean: bool = False
    warnings: Sequence[str] = ()


def tables_pointing_at_customers(db: Engine) -> set[str]:
    """Every table with a `customer_id` column (as the schema has them now)."""
    return {t for t in db.tables() if any(c.name == "customer_id" for c in db.columns(t))}


def unhandled_tables(db: Engine) -> set[str]:
    """Tables that hold customer data `forget` does not know how to treat."""
    known = {*ERASED_TABLES, *REDACTED_TABLES, *KEPT_TABLES}
    return tables_pointing_at_customers(db) - known


def forget(db: Engine, customer_id: int, *, compact: bool = True) -> Forgotten:
    """Erase a customer's personal data, keep their anonymous purchases; see the module doc.

    Running it again on a forgotten customer is harmless, and finishes a `scrub` that
    another process's open read kept from completing.
    """
    unknown = unhandled_tables(db)
    if unknown:
        raise CrmError(
            M_n(
                "cannot forget safely: table {tables} holds customer data that crmcli.privacy "
                "does not know; nothing was changed",
                "cannot forget safely: tables {tables} hold customer data that crmcli.privacy "
                "does not know; nothing was changed",
                len(unknown),
                tables=", ".join(sorted(unknown)),
            )
        )
    # Freed pages and cells are overwritten with zeros, not just unlinked.
    db.secure_delete()
    with db.write():
        # Held to the end: an edit in flight commits first, and what names the person
        # is read as it left it (a till's new name is a mention to blank too).
        db.execute(f"SELECT id FROM customers WHERE id = ?{db.locks_rows}", [customer_id])
        customers.get(db, customer_id)  # NotFound for a wrong id
        erased: dict[str, int] = {}
        now = dates.now_utc()
        marks = identifying_marks(db, customer_id)  # read before the row is emptied
        _erase_customer_row(db, customer_id, now)
        child_ids = {
            table: [
                r[0]
                for r in db.execute(
                    f"SELECT id FROM {table} WHERE customer_id = ?", [customer_id]
                ).fetchall()
            ]
            for table in (*ERASED_TABLES, *REDACTED_TABLES)
            if table != "customer_tags"  # WITHOUT ROWID, and never in import_changes
        }
        for table in ERASED_TABLES:
            cur = db.execute(f"DELETE FROM {table} WHERE customer_id = ?", [customer_id])
            erased[table] = cur.rowcount
        for table in REDACTED_TABLES:
            columns = _REDACT[table]
            sets = ", ".join(f"{c} = {_blank(db, table, c)}" for c in columns)
            cur = db.execute(f"UPDATE {table} SET {sets} WHERE customer_id = ?", [customer_id])
            erased[table] = cur.rowcount
        db.execute(
            "UPDATE followups SET status = 'cancelled' WHERE customer_id = ? AND status = 'open'",
            [customer_id],
        )
        # Relations naming them from another customer's side (a non-customer's name and
        # birthday on their own side went with ERASED_TABLES).

        erased["customer_relations"] += relations.forget(db, customer_id)
        erased["complaint_events"] = _redact_complaint_events(db, customer_id)
        # Snapshots of merged records and import undo data are copies of the person.
        cur = db.execute(
            "DELETE FROM customer_merges WHERE kept_id = ? OR merged_id = ?",
            [customer_id, customer_id],
        )
        erased["customer_merges"] = cur.rowcount
        erased["import_changes"] = _forget_import_changes(db, customer_id, child_ids)
        erased.update(_blank_mentions(db, customer_id, marks))
        db.compact_search_indexes()  # no deleted term left in an index's old pages
        kept = db.execute(
            "SELECT count(*), coalesce(sum(amount_micros), 0) FROM purchases WHERE customer_id = ?",
            [customer_id],
        ).fetchone()
    result = Forgotten(
        customer_id=customer_id,
        erased=erased,
        kept_purchases=int(kept[0]),
        kept_total_micros=int(kept[1]),
    )
    if not compact:
        return result
    clean, warnings = scrub(db)
    return result._replace(files_clean=clean, warnings=warnings)


def _redact_complaint_events(db: Engine, customer_id: int) -> int:
    """Blank what was said; keep the stage history and the fields the report adds up.

    Migration m050 lets the append-only trigger allow exactly this for a forgotten
    customer: note and skip reason emptied, keys only removed from `fields`.
    """
    done = 0
    for event_id, note, fields, skip in db.execute(
        "SELECT id, note, fields, skip_reason FROM complaint_events"
        " WHERE complaint_id IN (SELECT id FROM complaints WHERE customer_id = ?)",
        [customer_id],
    ).fetchall():
        try:
            old = json.loads(fields) if fields else None
        except ValueError:
            old = None
        kept = (
            {k: v for k, v in old.items() if k in KEPT_EVENT_FIELDS}
            if isinstance(old, dict)
            else None
        )
        new = json.dumps(kept, ensure_ascii=False) if kept else None
        if note is None and skip is None and (new == fields or (new is None and fields is None)):
            continue
        if new is not None and kept == old:
            new = fields  # unchanged text: the trigger compares values, keep them identical
        db.execute(
            "UPDATE complaint_events SET note = NULL, skip_reason = NULL, fields = ? WHERE id = ?",
            [new, event_id],
        )
        done += 1
    return done


# --- kept text that may still name the person ------------------------------------------------
#
# Some text is kept on purpose because it is the shop's, not the person's: a purchase's
# item and category, a complaint's compensation kind, the name of an imported file.
# But a shop writes "Gift box for Xanthippe", and a phone shares a contact as
# "Xanthippe Wolfeschlegel.vcf". Such text is blanked when it mentions the person.

_IDENTIFYING = ("name", "family_name", "given_name", "patronymic", "code", "email")
_WORD = re.compile(r"[\W_]+")
FORGOTTEN_FILE = "(name erased)"


class Marks(NamedTuple):
    """What would identify a person in a piece of text (all folded)."""

    words: frozenset[str]  # whole words: a given name, a family name, a code
    phrases: frozenset[str]  # found anywhere: the full name without spaces, an e-mail
    digits: frozenset[str]  # phone numbers, found among the digits of a text

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases or self.digits)

    def found_in(self, text: str | None) -> bool:
        if not text:
            return False
        folded = _fold(text)
        words = set(_WORD.split(folded))
        if self.words & words:
            return True
        compact = _WORD.sub("", folded)
        if any(p in compact or p in folded for p in self.phrases):
            return True
        digits = re.sub(r"\D", "", folded)
        return any(d in digits for d in self.digits)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _dense(word: str) -> bool:
    """Scripts where one character is a syllable or a word (Hangul, kana, CJK)."""
    return any(unicodedata.name(c, "").startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA"))
               for c in word)  # fmt: skip


def identifying_marks(db: Engine, customer_id: int) -> Marks:
    """The person's names, code, e-mail and phone numbers, as `Marks`."""
    columns = {c.name for c in db.columns("customers")}
    wanted = [c for c in (*_IDENTIFYING, "name_reading") if c in columns]
    row = db.execute(
        f"SELECT {', '.join(wanted)} FROM customers WHERE id = ?", [customer_id]
    ).fetchone()
    words: set[str] = set()
    phrases: set[str] = set()
    for column, value in zip(wanted, row or (), strict=False):
        if not value:
            continue
        folded = _fold(str(value))
        if column == "email":
            phrases.add(folded)
            local = folded.split("@")[0]
            if len(local) >= 4:
                phrases.add(local)
            continue
        compact = _WORD.sub("", folded)
        if len(compact) >= (2 if _dense(compact) else 4):
            phrases.add(compact)
        for word in _WORD.split(folded):
            # Short words ("Li", "Ann") are whole words only; a syllable alone is not enough.
            if len(word) >= (2 if _dense(word) else 3):
                words.add(word)
    digits = set()
    for raw, e164 in db.execute(
        "SELECT raw, e164 FROM customer_phones WHERE customer_id = ?", [customer_id]
    ).fetchall():
        for number in (raw, e164):
            only = re.sub(r"\D", "", number or "")
            if len(only) >= 7:
                digits.add(only)
    return Marks(frozenset(words), frozenset(phrases), frozenset(digits))


def _blank_mentions(db: Engine, customer_id: int, marks: Marks) -> dict[str, int]:
    """Blank kept text that names the person: items, categories, compensation, file names."""
    counts = {"purchase_texts": 0, "compensation_kinds": 0, "import_file_names": 0}
    if not marks:
        return counts
    for pid, item, category in db.execute(
        "SELECT id, item, category FROM purchases WHERE customer_id = ?", [customer_id]
    ).fetchall():
        new_item = None if marks.found_in(item) else item
        new_category = None if marks.found_in(category) else category
        if (new_item, new_category) != (item, category):
            db.execute(
                "UPDATE purchases SET item = ?, category = ? WHERE id = ?",
                [new_item, new_category, pid],
            )
            counts["purchase_texts"] += 1
    for cid, kind in db.execute(
        "SELECT id, compensation FROM complaints WHERE customer_id = ?", [customer_id]
    ).fetchall():
        if marks.found_in(kind):
            db.execute("UPDATE complaints SET compensation = NULL WHERE id = ?", [cid])
            counts["compensation_kinds"] += 1
    for event_id, fields in db.execute(
        "SELECT id, fields FROM complaint_events WHERE fields IS NOT NULL"
        " AND complaint_id IN (SELECT id FROM complaints WHERE customer_id = ?)",
        [customer_id],
    ).fetchall():
        try:
            data = json.loads(fields)
        except ValueError:
            continue
        if isinstance(data, dict) and marks.found_in(str(data.get("compensation") or "")):
            # The trigger (m050) lets forgetting remove a key, never rewrite one.
            del data["compensation"]
            db.execute(
                "UPDATE complaint_events SET note = NULL, skip_reason = NULL, fields = ?"
                " WHERE id = ?",
                [json.dumps(data, ensure_ascii=False) if data else None, event_id],
            )
    # Any import's file, not only those that touched the record: an undone import or
    # one merged away can still carry the name.
    for import_id, file_name in db.execute("SELECT id, file_name FROM imports").fetchall():
        if marks.found_in(Path(file_name).stem):
            suffix = Path(file_name).suffix if len(Path(file_name).suffix) <= 6 else ""
            db.execute(
                "UPDATE imports SET file_name = ?, sha256 = '' WHERE id = ?",
                [f"{FORGOTTEN_FILE}{suffix}", import_id],
            )
            counts["import_file_names"] += 1
    return counts


def _erase_customer_row(db: Engine, customer_id: int, now: str) -> None:
    assignments: list[str] = []
    for name, notnull, default in db.columns("customers"):
        if name in KEPT_CUSTOMER_COLUMNS:
            continue
        if name == "do_not_contact":
            assignments.append("do_not_contact = 1")  # nobody greets a forgotten person
        elif notnull:
            if default is None:
                raise AssertionError(f"customers.{name} is NOT NULL without a default")
            assignments.append(f'"{name}" = {default}')  # the schema's own literal
        else:
            assignments.append(f'"{name}" = NULL')
    db.execute(
        f"UPDATE customers SET {', '.join(assignments)}, updated_at = ?, "
        "forgotten_at = coalesce(forgotten_at, ?) WHERE id = ?",
        [now, now, customer_id],
    )


def _blank(db: Engine, table: str, column: str) -> str:
    not_null = {c.name: c.not_null for c in db.columns(table)}
    return "''" if not_null.get(column) else "NULL"


def _forget_import_changes(db: Engine, customer_id: int, child_ids: dict[str, list[int]]) -> int:
    """Drop undo records (with their JSON copies of rows) about this customer."""
    total = db.execute(
        "DELETE FROM import_changes WHERE table_name = 'customers' AND row_id = ?",
        [customer_id],
    ).rowcount
    for table, ids in child_ids.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            total += db.execute(
                f"DELETE FROM import_changes WHERE table_name = ? AND row_id IN ({marks})",
                [table, *chunk],
            ).rowcount
    return total


def scrub(db: Engine) -> tuple[bool, list[str]]:
    """Make erased rows unrecoverable as far as the engine can (SQLite: rebuild the file
    and empty the WAL; a server: VACUUM the tables); True when nothing is left."""
    warnings = db.erase(
        [
            "customers",
            *ERASED_TABLES,
            *REDACTED_TABLES,
            "complaint_events",
            "customer_merges",
            "import_changes",
        ]
    )
    return not warnings, warnings
