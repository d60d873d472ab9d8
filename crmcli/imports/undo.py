"""`imports undo`: take an import back without silently taking later work with it.

An import records, for each customer it changed, the record before and after (for a
customer it added, a digest of it as added). Undo compares those with the record now:
whatever changed since the import (a field, a phone, a tag, a date edited by hand;
follow-ups, contacts or purchases added to a customer the import brought in) is
listed, and the undo refused unless `force`. Even then it takes back only what the
import did: a field the import never touched keeps its later value, a phone or tag
added by hand stays. A purchase a complaint refers to is kept (and said) unless
`force`; a customer with complaints is never deleted (their history is append-only).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crmcli import customers, dates
from crmcli.errors import Conflict, NotFound
from crmcli.i18n import M_, M_n, clauses, said, said_n

if TYPE_CHECKING:
    from crmcli.engines import Engine

# Columns that change on their own or follow from the others: not a person's edit.
NOT_COMPARED = _NOT_COMPARED = frozenset({"id", "created_at", "updated_at", "search_key"})
CHILDREN = ("phones", "tags", "dates")
SHOWN = 15  # changes listed in a refusal; the rest counted


@dataclass
class UndoResult:
    added: int = 0  # rows the import added, removed
    updated: int = 0  # records it changed, put back
    kept: list[str] = field(default_factory=list)  # what was kept, and why
    overwritten: list[str] = field(default_factory=list)  # later work undone under force


def states(db: Engine, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Customers as undo compares them: their fields (non-empty), phones, tags and dates.

    One query, each customer's phones, tags and dates gathered beside its row: on a server
    an import's updated row costs one round trip for it, not four. Tags and dates are put
    in order here rather than by the engine: a server's collation would order 'VIP' and
    'online' otherwise than SQLite's (and than `added_state`).
    """
    wanted = json.dumps(sorted(set(ids)))
    out: dict[int, dict[str, Any]] = {}
    cursor = db.execute(_states_sql(db), [wanted])
    columns = [d[0] for d in cursor.description]
    for row in cursor:
        values = dict(zip(columns, row, strict=True))
        state: dict[str, Any] = {part: json.loads(values.pop(f"state_{part}")) for part in CHILDREN}
        state["fields"] = {
            k: v for k, v in values.items() if k not in _NOT_COMPARED and v not in (None, "")
        }
        state["tags"].sort()
        state["dates"].sort()
        out[values["id"]] = state
    return out


def _states_sql(db: Engine) -> str:
    children = (
        ("phones", ("raw", "e164", "digits", "label"), "customer_phones", "position"),
        ("tags", ("tag",), "customer_tags", "tag"),
        ("dates", ("label", "date", "lunar"), "customer_dates", "label"),
    )
    gathered = []
    for part, columns, table, order in children:
        value = db.json_tuple(*columns) if len(columns) > 1 else columns[0]
        gathered.append(
            f"(SELECT {db.json_list(value)} FROM (SELECT {', '.join(columns)} FROM {table} x"
            f" WHERE x.customer_id = c.id ORDER BY {order}) AS gathered_{part}) AS state_{part}"
        )
    return f"SELECT c.*, {', '.join(gathered)} FROM customers c WHERE c.id IN ({db.json_values()})"


def added_state(
    values: Mapping[str, Any],
    phones: Iterable[Sequence[Any]],
    tags: Iterable[str],
    dates: Iterable[Sequence[Any]],
) -> dict[str, Any]:
    """A customer just inserted, as `states` would read it back: from the row's `values`
    (every column the insert gives), its phone rows (position, label, raw, e164, digits,
    region), tags and dates (label, date, lunar). A big import digests each customer it
    adds without reading it back; tests/test_import_undo.py compares the two."""
    return {
        "fields": {
            k: v for k, v in values.items() if k not in _NOT_COMPARED and v not in (None, "")
        },
        "phones": [[p[2], p[3], p[4], p[1]] for p in sorted(phones, key=lambda p: p[0])],
        "tags": sorted(tags),
        "dates": sorted([label, day, int(lunar)] for label, day, lunar in dates),
    }


def _h(value: Any) -> str:
    # Values are text, numbers or lists of them, whose repr is stable; CRC-32 is enough to
    # notice an edit (this is no defence against forgery) and cheap over a big import.
    return format(zlib.crc32(repr(value).encode()), "08x")


def digest(state: Mapping[str, Any]) -> dict[str, Any]:
    """A customer as an import added it, in a few bytes: a hash per field and per list."""
    crc = zlib.crc32  # `_h`, inline: a big import digests ~15 values a customer
    return {
        "fields": {k: f"{crc(repr(v).encode()):08x}" for k, v in state["fields"].items()},
        **{part: _h(state[part]) for part in CHILDREN},
    }


def _changed_since_digest(stored: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """What differs between a digest taken at the import and the record now."""
    then = stored["fields"]
    fields = now["fields"]
    out = sorted(
        k for k in {*then, *fields} if then.get(k) != (_h(fields[k]) if k in fields else None)
    )
    return out + [part for part in CHILDREN if stored.get(part) != _h(now[part])]


def _name(state: Mapping[str, Any] | None, customer_id: int) -> str:
    fields = (state or {}).get("fields", {})
    name = fields.get("name") or fields.get("code")
    if not name:
        return said("customer #{id} (no name)", id=customer_id)
    return said("customer #{id} ({name})", id=customer_id, name=name)


@dataclass
class _Plan:
    """What undo would do, and the later work it meets."""

    later: list[str] = field(default_factory=list)  # refused unless force
    said: list[str] = field(default_factory=list)  # kept, told either way
    restore: list[tuple[int, dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]] = field(
        default_factory=list
    )  # (id, before, after, now)
    delete_customers: list[int] = field(default_factory=list)
    keep_purchases: list[int] = field(default_factory=list)


def undo(db: Engine, import_id: int, *, force: bool = False) -> UndoResult:
    """Put back what an import changed; refuse, listing it, if later work would be lost."""
    with db.write():
        # An import still running commits first (its changes are then seen, and an undo
        # they depend on refused); a second undo of the same import waits, then finds it
        # undone; the customers the import brought in or changed are held, so a till's
        # edit or purchase meanwhile is seen below, or waits and finds them put back.
        db.take_turn("imports")
        row = db.execute(
            f"SELECT kind, undone_at, finished_at FROM imports WHERE id = ?{db.locks_rows}",
            [import_id],
        ).fetchone()
        if row is None:
            raise NotFound(M_("no import #{id}").format(id=import_id))
        if row[1]:
            raise Conflict(
                M_("import #{id} was already undone on {at}").format(id=import_id, at=row[1])
            )
        _refuse_if_a_later_import_depends(db, import_id)
        db.execute(
            "SELECT id FROM customers WHERE id IN (SELECT row_id FROM import_changes"
            f" WHERE import_id = ? AND table_name = 'customers') ORDER BY id{db.locks_rows}",
            [import_id],
        ).fetchall()
        plan = _plan(db, import_id, finished=row[2] or "", force=force)
        if plan.later and not force:
            shown = [f"  {line}" for line in plan.later[:SHOWN]]
            if len(plan.later) > SHOWN:
                shown.append("  " + M_("… and {n} more").format(n=len(plan.later) - SHOWN))
            raise Conflict(
                "\n".join(
                    [
                        M_n(
                            "import #{id} was not undone: {n} thing changed since it; undo "
                            "would lose or overwrite it. Look at it, then `crmcli imports "
                            "undo {id} --force` to undo anyway (it takes back only what the "
                            "import did; a value edited on top of the import's goes back to "
                            "the earlier one):",
                            "import #{id} was not undone: {n} things changed since it; undo "
                            "would lose or overwrite them. Look at them, then `crmcli imports "
                            "undo {id} --force` to undo anyway (it takes back only what the "
                            "import did; a value edited on top of the import's goes back to "
                            "the earlier one):",
                            len(plan.later),
                            id=import_id,
                        ),
                        *shown,
                    ]
                )
            )
        result = UndoResult(kept=list(plan.said), overwritten=list(plan.later))
        for cid, before, after, now in plan.restore:
            _restore_customer(db, cid, before, after, now, force=force)
            result.updated += 1
        for table, row_id, before in db.execute(
            "SELECT table_name, row_id, before FROM import_changes"
            " WHERE import_id = ? AND action = 'update' AND table_name != 'customers'",
            [import_id],
        ).fetchall():
            fields = json.loads(before)
            assignments = ", ".join(f'"{k}" = ?' for k in fields)
            db.execute(
                f'UPDATE "{table}" SET {assignments} WHERE id = ?', [*fields.values(), row_id]
            )
            result.updated += 1
        keep = json.dumps(plan.keep_purchases)
        cur = db.execute(
            f"DELETE FROM purchases WHERE import_id = ? AND id NOT IN ({db.json_values()})",
            [import_id, keep],
        )
        result.added += max(cur.rowcount, 0)
        if plan.keep_purchases:  # kept, but no longer this (undone) import's
            db.execute(
                f"UPDATE purchases SET import_id = NULL WHERE id IN ({db.json_values()})",
                [keep],
            )
        for cid in plan.delete_customers:
            db.execute("DELETE FROM customers WHERE id = ?", [cid])
            result.added += 1
        db.execute("UPDATE imports SET undone_at = ? WHERE id = ?", [dates.now_utc(), import_id])
    return result


def _refuse_if_a_later_import_depends(db: Engine, import_id: int) -> None:
    later = db.execute(
        "SELECT min(l.import_id) FROM import_changes l JOIN import_changes c"
        " ON c.table_name = l.table_name AND c.row_id = l.row_id"
        " JOIN imports i ON i.id = l.import_id"
        " WHERE c.import_id = ? AND l.import_id > ? AND i.undone_at IS NULL",
        [import_id, import_id],
    ).fetchone()[0]
    if later is None:
        later = db.execute(
            "SELECT min(p.import_id) FROM purchases p JOIN import_changes c"
            " ON c.table_name = 'customers' AND c.row_id = p.customer_id"
            " AND c.action = 'insert'"
            " JOIN imports i ON i.id = p.import_id"
            " WHERE c.import_id = ? AND p.import_id > ? AND i.undone_at IS NULL",
            [import_id, import_id],
        ).fetchone()[0]
    if later is not None:
        raise Conflict(
            M_("import #{later} changed what import #{id} brought in; undo #{later} first").format(
                later=later, id=import_id
            )
        )


def _plan(db: Engine, import_id: int, *, finished: str, force: bool) -> _Plan:
    plan = _Plan()
    # A customer two rows of the file updated has two records: the first one's before,
    # the last one's after.
    changes: dict[int, tuple[str, str | None, str | None]] = {}
    for cid, action, before_text, after_text in db.execute(
        "SELECT row_id, action, before, after FROM import_changes"
        " WHERE import_id = ? AND table_name = 'customers' ORDER BY id",
        [import_id],
    ):
        first = changes.get(cid)
        changes[cid] = (action, first[1] if first else before_text, after_text)
    now = states(db, changes)
    for cid, (action, before_text, after_text) in changes.items():
        state = now.get(cid)
        after = json.loads(after_text) if after_text else None
        if action == "update":
            before = json.loads(before_text or "{}")
            if state is None:
                plan.said.append(
                    said(
                        "{customer}: deleted or merged since; not restored",
                        customer=_name(after, cid),
                    )
                )
                continue
            plan.later += _edits_on_update(cid, before, after, state, finished, db)
            plan.restore.append((cid, before, after, state))
            continue
        if state is None:
            continue  # deleted (or forgotten and dropped) since: nothing to take back
        _plan_added_customer(db, import_id, cid, after, state, plan)
    # Lines the import added (a line it only updated is put back, never removed).
    refs = db.execute(
        "SELECT c.id, c.purchase_id FROM complaints c JOIN purchases p ON p.id = c.purchase_id"
        " WHERE p.import_id = ? AND p.id NOT IN (SELECT row_id FROM import_changes"
        " WHERE import_id = ? AND table_name = 'purchases' AND action = 'update')"
        " ORDER BY c.id",
        [import_id, import_id],
    ).fetchall()
    for complaint, purchase in refs:
        if force:
            plan.later.append(
                said(
                    "purchase #{purchase}: complaint #{complaint} refers to it; removed, the "
                    "complaint stays without it",
                    purchase=purchase,
                    complaint=complaint,
                )
            )
        else:
            plan.keep_purchases.append(purchase)
            plan.said.append(
                said(
                    "purchase #{purchase} kept: complaint #{complaint} refers to it "
                    "(--force removes it too)",
                    purchase=purchase,
                    complaint=complaint,
                )
            )
    return plan


def _edits_on_update(
    cid: int,
    before: Mapping[str, Any],
    after: Mapping[str, Any] | None,
    now: Mapping[str, Any],
    finished: str,
    db: Engine,
) -> list[str]:
    """The hand edits made to a customer since the import updated it."""
    if after is None:  # an import recorded before undo kept the after-state
        updated = db.execute("SELECT updated_at FROM customers WHERE id = ?", [cid]).fetchone()[0]
        if updated and finished and updated > finished:
            name = _name(now, cid)
            return [
                said(
                    "{customer}: edited on {day}, after the import", customer=name, day=updated[:10]
                )
            ]
        return []
    fields_then, fields_now = after["fields"], now["fields"]
    edited = sorted(
        k for k in {*fields_then, *fields_now} if fields_then.get(k) != fields_now.get(k)
    )
    edited += [part for part in CHILDREN if after[part] != now[part]]
    if not edited:
        return []
    clash = [k for k in edited if k not in CHILDREN and _import_changed(k, before, after)]
    lists = [k for k in edited if k in CHILDREN and _import_changed(k, before, after)]
    # Each clause a sentence of the catalogs (`said`): a screen says the line translated.
    parts = []
    if clash:
        parts.append(said("undo puts back the earlier {fields}", fields=tuple(clash)))
    if lists:
        parts.append(said("undo removes only the {lists} the import added", lists=tuple(lists)))
    kept = [k for k in edited if k not in clash and k not in lists]
    if kept:
        parts.append(said("{fields} kept as edited", fields=tuple(kept)))
    return [
        said(
            "{customer}: {fields} changed since the import ({consequences})",
            customer=_name(now, cid),
            fields=tuple(edited),
            consequences=clauses(parts),
        )
    ]


def _import_changed(key: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    if key in CHILDREN:
        return _as_list(before.get(key), key) != _as_list(after[key], key)
    return _blank(before.get(key)) != after["fields"].get(key)


def _blank(value: Any) -> Any:
    return None if value in (None, "") else value


def _as_list(value: Any, part: str) -> list[Any]:
    """A list compared as `states` orders it: phones by position, tags and dates sorted."""
    items = list(value or [])
    return items if part == "phones" else sorted(items)


def _plan_added_customer(
    db: Engine,
    import_id: int,
    cid: int,
    after: Mapping[str, Any] | None,
    now: Mapping[str, Any],
    plan: _Plan,
) -> None:
    name = _name(now, cid)
    complaints = db.execute("SELECT count(*) FROM complaints WHERE customer_id = ?", [cid])
    if complaints.fetchone()[0]:
        plan.said.append(
            said(
                "{customer} kept: it has complaints, whose history is never deleted", customer=name
            )
        )
        return
    work = []
    count = "SELECT count(*) FROM {} WHERE customer_id = ?"
    n = db.execute(count.format("followups"), [cid]).fetchone()[0]
    if n:
        work.append(said_n("{n} follow-up", "{n} follow-ups", n))
    n = db.execute(count.format("contacts"), [cid]).fetchone()[0]
    if n:
        work.append(said_n("{n} contact logged", "{n} contacts logged", n))
    n = db.execute(
        "SELECT count(*) FROM purchases WHERE customer_id = ? AND import_id IS NOT ?",
        [cid, import_id],
    ).fetchone()[0]
    if n:
        work.append(said_n("{n} purchase added by hand", "{n} purchases added by hand", n))
    if after and "digest" in after:
        changed = _changed_since_digest(after["digest"], now)
        if changed:
            work.insert(0, said("{fields} changed", fields=tuple(changed)))
    if work:
        added = said(
            "{customer}, added by the import: {work} since; undo deletes it",
            customer=name,
            work=clauses(work),
        )
        plan.later.append(added)
    plan.delete_customers.append(cid)


def _restore_customer(
    db: Engine,
    cid: int,
    before: dict[str, Any],
    after: dict[str, Any] | None,
    now: dict[str, Any],
    *,
    force: bool,
) -> None:
    """Take back what the import changed on a customer, and only that."""
    if after is None:  # no after-state kept: put the whole record back, as before
        _restore_whole(db, cid, before)
        return
    fields = {}
    for key in {*after["fields"], *(k for k in before if k not in CHILDREN)}:
        if key in _NOT_COMPARED or not _import_changed(key, before, after):
            continue
        if now["fields"].get(key) == after["fields"].get(key) or force:
            fields[key] = before.get(key)
    if fields:
        assignments = ", ".join(f'"{k}" = ?' for k in fields)
        db.execute(f"UPDATE customers SET {assignments} WHERE id = ?", [*fields.values(), cid])
    before_phones = {p[0] for p in before.get("phones", [])}
    removed_phone = False
    for raw, *_rest in after["phones"]:
        if raw not in before_phones:  # the import added it: it goes, hand-added ones stay
            db.execute("DELETE FROM customer_phones WHERE customer_id = ? AND raw = ?", [cid, raw])
            removed_phone = True
    before_tags = set(before.get("tags", []))
    for tag in after["tags"]:
        if tag not in before_tags:
            db.execute("DELETE FROM customer_tags WHERE customer_id = ? AND tag = ?", [cid, tag])
    before_dates = {d[0]: d for d in before.get("dates", [])}
    now_dates = {d[0]: d for d in now["dates"]}
    for label, day, lunar in after["dates"]:
        old = before_dates.get(label)
        if old == [label, day, lunar]:
            continue
        if now_dates.get(label) != [label, day, lunar] and not force:
            continue  # edited since: the later date stays
        db.execute("DELETE FROM customer_dates WHERE customer_id = ? AND label = ?", [cid, label])
        if old:
            db.execute(
                "INSERT INTO customer_dates (customer_id, label, date, lunar) VALUES (?, ?, ?, ?)",
                [cid, *old],
            )
    if removed_phone:  # the ones left close ranks (on a server a statement a phone)
        _renumber_phones(db, cid)
    db.execute("UPDATE customers SET updated_at = ? WHERE id = ?", [dates.now_utc(), cid])
    _refresh_search_key(db, cid)


def _renumber_phones(db: Engine, cid: int) -> None:
    ids = [r[0] for r in db.execute(
        "SELECT id FROM customer_phones WHERE customer_id = ? ORDER BY position", [cid]
    )]  # fmt: skip
    for position, phone_id in enumerate(ids):
        db.execute("UPDATE customer_phones SET position = ? WHERE id = ?", [position, phone_id])


def _refresh_search_key(db: Engine, cid: int) -> None:
    row = customers.get(db, cid)
    db.execute(
        "UPDATE customers SET search_key = ? WHERE id = ?",
        [customers._search_key(row.fields), cid],
    )


def _restore_whole(db: Engine, cid: int, before: dict[str, Any]) -> None:
    fields = {k: v for k, v in before.items() if k not in CHILDREN}
    if fields:
        assignments = ", ".join(f'"{k}" = ?' for k in fields)
        db.execute(f"UPDATE customers SET {assignments} WHERE id = ?", [*fields.values(), cid])
    if "phones" in before:
        db.execute("DELETE FROM customer_phones WHERE customer_id = ?", [cid])
        for position, (raw, e164, digits, label) in enumerate(before["phones"]):
            db.execute(
                "INSERT INTO customer_phones (customer_id, position, label, raw, e164, digits)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [cid, position, label, raw, e164, digits],
            )
    if "tags" in before:
        db.execute("DELETE FROM customer_tags WHERE customer_id = ?", [cid])
        for tag in before["tags"]:
            db.execute("INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)", [cid, tag])
    if "dates" in before:
        db.execute("DELETE FROM customer_dates WHERE customer_id = ?", [cid])
        for label, day, lunar in before["dates"]:
            db.execute(
                "INSERT INTO customer_dates (customer_id, label, date, lunar) VALUES (?, ?, ?, ?)",
                [cid, label, day, lunar],
            )
