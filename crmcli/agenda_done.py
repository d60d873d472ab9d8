"""Dealing with agenda items: `due done`, `due skip`, `greet --mark-sent`.

Every item has a stable key (`birthday:12:2026-03-14`, `followup:7`…). Dealing with
one writes a contact naming that key (table `contacts`, columns `item` and
`outcome`), so the item never comes back and the customer's page tells what was
done. A follow-up marked done is closed (a recurring one opens its next occurrence);
a skipped one is cancelled. A complaint moves on only through its stages.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from crmcli import contacts, followups
from crmcli.errors import Conflict, InvalidValue, NotFound
from crmcli.i18n import M_

if TYPE_CHECKING:
    from crmcli.engines import Engine

OUTCOMES = contacts.OUTCOMES


class Key(NamedTuple):
    """An agenda key, read: its kind, customer and what it stands for."""

    key: str
    kind: str
    customer_id: int
    what: str  # "birthday 2026-03-14", "follow-up #7"…
    followup_id: int | None = None


def parse(db: Engine, key: str) -> Key:
    """Read a key as `due --fields key` prints it; NotFound/InvalidValue when it is not one."""
    text = key.strip()
    parts = text.split(":")
    kind = parts[0]
    bad = InvalidValue(
        M_("{key} is not an agenda key (`crmcli due --fields key,why` shows them)").format(
            key=repr(key)
        )
    )
    try:
        if kind == "followup" and len(parts) == 2:
            f = followups.get(db, int(parts[1]))
            return Key(text, kind, f.customer_id, f"follow-up #{f.id}", followup_id=f.id)
        if kind == "complaint" and len(parts) == 3:
            row = db.execute(
                "SELECT customer_id FROM complaints WHERE id = ?", [int(parts[1])]
            ).fetchone()
            if row is None:
                raise NotFound(
                    M_("no complaint #{id} (key {key})").format(id=parts[1], key=repr(key))
                )
            return Key(text, kind, row[0], f"complaint #{parts[1]} {parts[2]}")
        if len(parts) < 3:
            raise bad
        customer_id = int(parts[1])
        if kind == "birthday" and len(parts) == 3:
            what = f"birthday {date.fromisoformat(parts[2])}"
        elif kind == "anniversary" and len(parts) >= 4:
            what = f"{':'.join(parts[2:-1])} anniversary {date.fromisoformat(parts[-1])}"
        elif kind == "holiday" and len(parts) == 4:
            what = f"holiday {date.fromisoformat(parts[3])} ({parts[2]})"
        elif kind == "after-sale" and len(parts) >= 4:
            what = f"after-sale check ({date.fromisoformat(parts[2])})"
        elif kind == "family-birthday" and len(parts) == 4:
            what = f"family birthday {date.fromisoformat(parts[3])} (relation #{int(parts[2])})"
        elif kind == "thanks" and len(parts) >= 3:
            order = ":".join(parts[2:])  # an order id may hold colons; `#N`: a lone line
            what = (
                f"thanks for purchase {order}"
                if order.startswith("#")
                else (f"thanks for order {order}")
            )
        elif kind == "prospect" and len(parts) == 3:
            what = f"prospect call due {date.fromisoformat(parts[2])}"
        elif kind == "visit" and len(parts) == 3:
            what = f"visit due {date.fromisoformat(parts[2])}"
        else:
            raise bad
    except ValueError:
        raise bad from None
    exists = db.execute(
        "SELECT 1 FROM customers WHERE id = ? AND forgotten_at IS NULL", [customer_id]
    ).fetchone()
    if not exists:
        raise NotFound(M_("no customer #{id} (key {key})").format(id=customer_id, key=repr(key)))
    return Key(text, kind, customer_id, what)


def dealt_with(db: Engine, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """key → (outcome, day) for the keys already done, skipped or sent."""
    if not keys:
        return {}
    rows = db.execute(
        "SELECT item, outcome, substr(at, 1, 10) FROM contacts"
        f" WHERE item IN ({db.json_values(integers=False)}) ORDER BY at",
        [json.dumps(sorted(set(keys)))],
    )
    return {item: (outcome, day) for item, outcome, day in rows}


def record(
    db: Engine,
    keys: Sequence[str],
    *,
    outcome: str,
    note: str | None = None,
    by: str | None = None,
    channel: str | None = None,
    at: str | None = None,
    notes: dict[str, str] | None = None,
) -> list[Key]:
    """Record each item as `outcome` (done, skipped, sent): all of them, or none.

    `notes`: a note per key (the message `greet` sent), else `note` for all.
    """
    if outcome not in OUTCOMES:
        raise InvalidValue(
            M_("outcome must be one of: {choices}").format(choices=", ".join(OUTCOMES))
        )
    if not keys:
        raise InvalidValue(M_("name at least one key (`crmcli due --fields key,why` shows them)"))
    parsed = [parse(db, k) for k in dict.fromkeys(keys)]
    if outcome == "done":
        complaints = [k.key for k in parsed if k.kind == "complaint"]
        if complaints:
            raise InvalidValue(
                M_(
                    "{keys}: a complaint moves on through its stages; use `crmcli complaints "
                    "advance ID --to STAGE` (or `due skip`)"
                ).format(keys=", ".join(complaints))
            )
    default_channel = "message" if outcome == "sent" else "other"
    with db.write():
        # Read inside the write, each key held to its end: two tills marking one item
        # at once record it once, the second told it is dealt with.
        db.lock_keys(*(f"contacts.item:{k.key}" for k in parsed))
        already = dealt_with(db, [k.key for k in parsed])
        if already:
            said = ", ".join(
                M_("{key} ({outcome} on {day})").format(key=k, outcome=o, day=d)
                for k, (o, d) in already.items()
            )
            raise Conflict(M_("already dealt with: {keys}").format(keys=said))
        for k in parsed:
            if k.followup_id is not None:
                if outcome == "skipped":
                    followups.cancel(db, k.followup_id)
                else:
                    followups.done(db, k.followup_id, note=note)
            text = (notes or {}).get(k.key) or note
            contacts.log(
                db,
                customer_id=k.customer_id,
                channel=channel or default_channel,
                note=f"{outcome}: {k.what}" + (f" — {text}" if text else ""),
                by=by,
                at=at,
                item=k.key,
                outcome=outcome,
            )
    return parsed
