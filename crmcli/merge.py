"""Duplicate customers: find likely pairs, and merge two records into one, losing nothing.

Names are compared after NFKC folding with Hangul decomposed into its letters (so
김민준 and 김민중 differ by one letter, not one syllable), word order ignored; a
shared phone number or e-mail is a duplicate whatever the names say.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import customers, dates, names, relations, visits
from crmcli.errors import InvalidValue
from crmcli.i18n import M_
from crmcli.text import nocase

if TYPE_CHECKING:
    from crmcli.engines import Engine

DEFAULT_THRESHOLD = 90


class Dupe(NamedTuple):
    a: int
    b: int
    reason: str  # 'phone', 'email' or 'name'
    score: int  # 100 for a shared phone or e-mail

    def row(self, labels: dict[int, str]) -> dict[str, Any]:
        return {
            "a": self.a,
            "a_name": labels.get(self.a, ""),
            "b": self.b,
            "b_name": labels.get(self.b, ""),
            "reason": self.reason,
            "score": self.score,
        }


DUPE_FIELDS = ("a", "a_name", "b", "b_name", "reason", "score")


def name_key(name: str) -> str:
    """NFKC-folded, Hangul syllables decomposed into jamo (NFD), spaces kept for tokens."""
    return unicodedata.normalize("NFD", names.fold(name))


def find(db: Engine, *, threshold: int = DEFAULT_THRESHOLD) -> Iterator[Dupe]:
    """Likely duplicates: a shared phone or e-mail, then names at least `threshold` alike."""
    from rapidfuzz import fuzz, process

    if not 0 < threshold <= 100:
        raise InvalidValue(M_("the similarity threshold is a number from 1 to 100"))
    seen: set[tuple[int, int]] = set()
    shared = (
        ("phone", "SELECT customer_id, coalesce(e164, digits) FROM customer_phones"
                  " WHERE digits != ''"),
        ("email", "SELECT id, email FROM customers WHERE email IS NOT NULL"),
    )  # fmt: skip
    live = {r[0] for r in db.execute("SELECT id FROM customers WHERE forgotten_at IS NULL")}
    for reason, sql in shared:
        groups: dict[str, set[int]] = defaultdict(set)
        for cid, value in db.execute(sql):
            if cid in live:
                # E-mails are the same as a reference finds them (nocase_equal), on any engine.
                groups[nocase(value) if reason == "email" else value].add(cid)
        for ids in groups.values():
            ordered = sorted(ids)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    if (a, b) not in seen:
                        seen.add((a, b))
                        yield Dupe(a, b, reason, 100)
    # Names: compared within blocks sharing the first letter of their alphabetically first
    # word, so a big shop is not n².
    blocks: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for cid, name in db.execute(
        "SELECT id, name FROM customers WHERE name IS NOT NULL AND forgotten_at IS NULL"
    ):
        key = name_key(name)
        if key:
            blocks[min(key.split())[:1]].append((cid, key))  # word order ignored, as in scoring
    for block in blocks.values():
        if len(block) < 2:
            continue
        keys = [k for _, k in block]
        for i, (a, key) in enumerate(block):
            later = keys[i + 1 :]
            for _match, score, j in process.extract(
                key, later, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=None
            ):
                b = block[i + 1 + j][0]
                pair = (min(a, b), max(a, b))
                if pair not in seen:
                    seen.add(pair)
                    yield Dupe(pair[0], pair[1], "name", int(score))


class MergeResult(NamedTuple):
    kept: int
    merged: int
    moved: dict[str, int]  # table → rows moved
    merge_id: int


# Fields copied from the merged record where the kept one has none.
_FILL = (
    "code", "name", "family_name", "given_name", "patronymic", "salutation", "gender",
    "locale", "email", "birthday", "birthday_lunar", "birthday_leap", "address", "postcode",
    "company", "occupation", "income_band", "owner", "attitude", "contact_days",
    "contact_from", "contact_until",
)  # fmt: skip


def _tables_referencing_customers(db: Engine) -> list[str]:
    """Every table with a customer_id foreign key (so tables added later move too)."""
    return [t for t in db.tables() if ("customer_id", "customers") in db.references(t)]


def _not_held(db: Engine, table: str) -> str:
    """`AND NOT EXISTS …`: the row's unique key with the kept customer (the third `?`)
    is not taken already (SQLite's UPDATE OR IGNORE, which PostgreSQL has not)."""
    keys = [k for k in db.unique_keys(table) if "customer_id" in k]
    if not keys:
        return ""
    held = " OR ".join(
        "(" + " AND ".join(f"dup.{c} = {table}.{c}" for c in key if c != "customer_id") + ")"
        if len(key) > 1
        else "(1 = 1)"
        for key in keys
    )
    return f" AND NOT EXISTS (SELECT 1 FROM {table} AS dup WHERE dup.customer_id = ? AND ({held}))"


def merge(db: Engine, keep: int, other: int) -> MergeResult:
    """Merge customer `other` into `keep`: move every purchase, complaint, follow-up…"""
    if keep == other:
        raise InvalidValue(M_("a customer cannot be merged with itself"))
    with db.write():
        # Both held to the end, in id order (two merges never wait for each other): a
        # till adding a purchase for OTHER meanwhile either comes first and is moved
        # with the rest, or waits and finds OTHER gone, instead of being erased by the
        # cascade; a second merge of OTHER finds it gone too.
        db.execute(
            f"SELECT id FROM customers WHERE id IN (?, ?) ORDER BY id{db.locks_rows}",
            sorted([keep, other]),
        ).fetchall()
        kept = customers.get(db, keep)
        gone = customers.get(db, other)
        snapshot = {
            "fields": dict(gone.fields),
            "phones": [[p.raw, p.e164, p.label] for p in gone.phones],
            "tags": list(gone.tags),
            "dates": [[d.label, d.date, d.lunar] for d in gone.dates],
        }
        changes: dict[str, Any] = {}
        for key in _FILL:
            if kept.fields.get(key) in (None, "", 0) and gone.fields.get(key) not in (None, ""):
                changes[key] = gone.fields[key]
        if gone["notes"] and gone["notes"] != kept["notes"]:
            changes["notes"] = "\n".join(n for n in (kept["notes"], gone["notes"]) if n)
        extra = {**gone.extra, **kept.extra}
        if gone["code"] and kept["code"] and gone["code"] != kept["code"]:
            extra["merged code"] = gone["code"]
        if "code" in changes:
            db.execute("UPDATE customers SET code = NULL WHERE id = ?", [other])
        moved: dict[str, int] = {}
        # Phones and labelled dates: keep the kept record's own, add what it lacks.
        have = {p.e164 or p.raw for p in kept.phones}
        position = len(kept.phones)
        for row in db.execute(
            "SELECT id, raw, e164 FROM customer_phones WHERE customer_id = ? ORDER BY position",
            [other],
        ).fetchall():
            if (row[2] or row[1]) in have:
                continue
            db.execute(
                "UPDATE customer_phones SET customer_id = ?, position = ? WHERE id = ?",
                [keep, position, row[0]],
            )
            position += 1
            moved["customer_phones"] = moved.get("customer_phones", 0) + 1
        labels = {d.label: d.date for d in kept.dates}
        for d in gone.dates:
            if d.label in labels and labels[d.label] != d.date:
                extra[f"merged {d.label}"] = d.date
        cur = db.execute(
            "UPDATE customer_dates SET customer_id = ? WHERE customer_id = ? AND label NOT IN"
            " (SELECT label FROM customer_dates WHERE customer_id = ?)",
            [keep, other, keep],
        )
        moved["customer_dates"] = cur.rowcount

        visits.merged(db, keep, other)  # one plan in force: the kept customer's
        for table in _tables_referencing_customers(db):
            if table in ("customer_phones", "customer_dates"):
                continue
            # A tag or tier assignment the kept customer already has stays single: a row
            # whose unique key the kept customer holds stays behind (and goes with OTHER).
            held = _not_held(db, table)
            cur = db.execute(
                f"UPDATE {table} SET customer_id = ? WHERE customer_id = ?{held}",
                [keep, other, *([keep] if held else [])],
            )
            if cur.rowcount:
                moved[table] = cur.rowcount

        relations.merged(db, keep, other)  # before the row goes: its relations would cascade
        if extra != dict(kept.extra):
            changes["extra"] = json.dumps(extra, ensure_ascii=False)
        now = dates.now_utc()
        merge_id = db.insert(
            "customer_merges",
            {
                "kept_id": keep,
                "merged_id": other,
                "at": now,
                "snapshot": json.dumps(snapshot, ensure_ascii=False, default=str),
            },
        )
        db.execute("DELETE FROM customers WHERE id = ?", [other])
        if changes:
            merged_fields = {**kept.fields, **changes}
            changes["search_key"] = customers._search_key(merged_fields)
            changes["updated_at"] = now
            assignments = ", ".join(f"{k} = ?" for k in changes)
            db.execute(
                f"UPDATE customers SET {assignments} WHERE id = ?", [*changes.values(), keep]
            )
    return MergeResult(kept=keep, merged=other, moved=moved, merge_id=merge_id)
