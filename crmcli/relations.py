"""The people around a customer: family, colleagues, who referred whom (seed 004).

A relation is read from the customer's side: `relate(REF, OTHER, kind="child")` says
OTHER is REF's child, so OTHER's page shows REF as their parent. `referred-by` says
REF came on OTHER's word (OTHER's page: `referred`, and a count of those referred).
OTHER is another customer, or someone who is not a customer: a name and an optional
birthday, which `greet` puts on the customer's agenda (a `family-birthday` item,
`agenda.family_birthdays`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import dates, text
from crmcli.errors import InvalidValue, NotFound, UsageError
from crmcli.i18n import M_

if TYPE_CHECKING:
    from crmcli.engines import Engine

# kind → the same relation read from the other side.
INVERSE = {
    "spouse": "spouse",
    "child": "parent",
    "parent": "child",
    "sibling": "sibling",
    "colleague": "colleague",
    "referred-by": "referred",
    "referred": "referred-by",
}
KINDS = tuple(INVERSE)
LABELS = {"referred-by": "referred by", "referred": "referred"}


def kind_of(value: str) -> str:
    """A relation kind as typed (case and `_`/space forgiven), or InvalidValue."""
    kind = value.strip().lower().replace("_", "-").replace(" ", "-")
    if kind not in INVERSE:
        raise InvalidValue(
            M_("a relation is one of {choices}, not {value}").format(
                choices=", ".join(KINDS), value=repr(value)
            )
        )
    return kind


class Related(NamedTuple):
    """One person around a customer, seen from that customer's page."""

    relation_id: int
    kind: str  # what the person is to the customer
    customer_id: int | None  # the person, when a customer
    code: str | None
    name: str
    birthday: str | None
    greet: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "relation_id": self.relation_id,
            "kind": self.kind,
            "customer_id": self.customer_id,
            "code": self.code,
            "name": self.name,
            "birthday": self.birthday,
            "greet": self.greet,
        }


def relate(
    db: Engine,
    customer_id: int,
    *,
    kind: str,
    other_id: int | None = None,
    name: str | None = None,
    birthday: str | None = None,
    greet: bool | None = None,
) -> tuple[int, bool]:
    """Record that the other is `kind` to the customer; (relation id, True if new).

    Relating the same two people the same way again (from either side) updates the
    existing relation (its birthday; whether to greet, unless `greet` is None) instead
    of adding a second.
    """
    kind = kind_of(kind)
    if (other_id is None) == (name is None):
        raise UsageError(M_("name the other person: a customer (OTHER) or --name NAME, not both"))
    if other_id is not None and birthday is not None:
        raise UsageError(
            M_("--birthday is for someone who is not a customer (edit the customer's)")
        )
    if other_id == customer_id:
        raise InvalidValue(M_("a customer cannot be related to themselves"))
    clean_name = None
    if name is not None:
        clean_name = " ".join(text.check(name, field="a name").split())
        if not clean_name:
            raise InvalidValue(M_("--name needs a name"))
    day = dates.parse_day(birthday) if birthday else None
    with db.write():
        # Both people's rows are this transaction's until it ends (on a server), taken
        # in id order: two tills relating the same pair (either way round) at once
        # take turns, so the second finds the first's relation and updates it.
        both = sorted({customer_id, other_id or customer_id})
        db.execute(
            f"SELECT id FROM customers WHERE id IN ({db.json_values()}) ORDER BY id{db.locks_rows}",
            [json.dumps(both)],
        ).fetchall()
        _code_and_name(db, customer_id)
        if other_id is not None:
            _code_and_name(db, other_id)
        found = _same(db, customer_id, kind, other_id, clean_name)
        if found is not None:
            sets: list[str] = ["id = id"]
            params: list[Any] = []
            if greet is not None:
                sets.append("greet = ?")
                params.append(int(greet))
            if day is not None:
                sets.append("other_birthday = ?")
                params.append(day)
            db.execute(
                f"UPDATE customer_relations SET {', '.join(sets)} WHERE id = ?", [*params, found]
            )
            return found, False
        new_id = db.insert(
            "customer_relations",
            {
                "customer_id": customer_id,
                "kind": kind,
                "other_id": other_id,
                "other_name": clean_name,
                "other_birthday": day,
                "greet": int(bool(greet)),
                "created_at": dates.now_utc(),
            },
        )
        return new_id, True


def _same(
    db: Engine, customer_id: int, kind: str, other_id: int | None, name: str | None
) -> int | None:
    if other_id is None:
        named = _named(db, customer_id, name or "", kind)
        return named[0] if named else None
    row = db.execute(
        "SELECT id FROM customer_relations WHERE (customer_id = ? AND kind = ? AND"
        " other_id = ?) OR (customer_id = ? AND kind = ? AND other_id = ?)",
        [customer_id, kind, other_id, other_id, INVERSE[kind], customer_id],
    ).fetchone()
    return None if row is None else int(row[0])


def _named(db: Engine, customer_id: int, name: str, kind: str | None) -> list[int]:
    """The customer's relations to someone not a customer called `name`, in any case.

    Case is folded here, not by SQL's lower(): SQLite's folds only A-Z, PostgreSQL's
    every letter, so "Émile" and "émile" (or Armenian, Cyrillic, Greek names) would be
    one person on a server and two in a file."""
    wanted = name.casefold()
    rows = db.execute(
        "SELECT id, kind, other_name FROM customer_relations"
        " WHERE customer_id = ? AND other_id IS NULL ORDER BY id",
        [customer_id],
    )
    return [
        int(rid)
        for rid, their_kind, other in rows
        if (kind is None or their_kind == kind) and (other or "").casefold() == wanted
    ]


def unrelate(
    db: Engine,
    customer_id: int,
    *,
    other_id: int | None = None,
    name: str | None = None,
    kind: str | None = None,
) -> int:
    """Remove the relations between the customer and the other (of `kind`); how many."""
    if (other_id is None) == (name is None):
        raise UsageError(M_("name the other person: a customer (OTHER) or --name NAME, not both"))
    wanted = kind_of(kind) if kind else None
    with db.write():
        if other_id is None:
            ids = _named(db, customer_id, " ".join((name or "").split()), wanted)
            sql = f"DELETE FROM customer_relations WHERE id IN ({db.json_values()})"
            params: list[Any] = [json.dumps(ids)]
        else:
            sql = (
                "DELETE FROM customer_relations WHERE ((customer_id = ? AND other_id = ?"
                + (" AND kind = ?" if wanted else "")
                + ") OR (customer_id = ? AND other_id = ?"
                + (" AND kind = ?" if wanted else "")
                + "))"
            )
            params = [customer_id, other_id, *([wanted] if wanted else [])]
            params += [other_id, customer_id, *([INVERSE[wanted]] if wanted else [])]
        removed = db.execute(sql, params).rowcount
    if not removed:
        raise NotFound(M_("no such relation; `crmcli customers show REF` lists them"))
    return int(removed)


_AROUND = """
SELECT r.id, r.kind, o.id, o.code, coalesce(o.name, r.other_name),
       coalesce(o.birthday, r.other_birthday), r.greet, 1 AS mine
FROM customer_relations r LEFT JOIN customers o ON o.id = r.other_id
WHERE r.customer_id = :id
UNION ALL
SELECT r.id, r.kind, c.id, c.code, c.name, c.birthday, 0, 0
FROM customer_relations r JOIN customers c ON c.id = r.customer_id
WHERE r.other_id = :id
ORDER BY 1
"""


def around(db: Engine, customer_id: int) -> list[Related]:
    """Everyone related to the customer, each as what they are to the customer."""
    return [
        Related(
            relation_id=rid,
            kind=kind if mine else INVERSE[kind],
            customer_id=other,
            code=code,
            name=name or "",
            birthday=birthday,
            greet=bool(greet),
        )
        for rid, kind, other, code, name, birthday, greet, mine in db.execute(
            _AROUND, {"id": customer_id}
        )
    ]


def referred_count(db: Engine, customer_id: int) -> int:
    """How many customers came on this customer's word."""
    return int(
        db.execute(
            "SELECT count(*) FROM customer_relations WHERE (other_id = :id AND kind ="
            " 'referred-by') OR (customer_id = :id AND kind = 'referred' AND other_id IS NOT"
            " NULL)",
            {"id": customer_id},
        ).fetchone()[0]
    )


LIST_FIELDS = (
    "relation_id",
    "code",
    "name",
    "kind",
    "other_code",
    "other_name",
    "other_birthday",
    "greet",
    "customer_id",
    "other_id",
)
LIST_DEFAULT = ("code", "name", "kind", "other_code", "other_name", "other_birthday", "greet")


def _code_and_name(db: Engine, customer_id: int) -> tuple[str | None, str | None]:
    """A customer's code and name; NotFound when there is no such customer.

    Read here rather than through `customers`: the agenda reads relations (their labels,
    relatives' birthdays) and a `due` run loads no customer-editing code."""
    row = db.execute("SELECT code, name FROM customers WHERE id = ?", [customer_id]).fetchone()
    if row is None:
        raise NotFound(M_("no customer #{id}").format(id=customer_id))
    return row[0], row[1]


def rows(db: Engine, customer_id: int | None = None) -> list[dict[str, Any]]:
    """Relations as stored (one row each), or everyone around one customer, from their side."""
    if customer_id is not None:
        code, name = _code_and_name(db, customer_id)
        return [
            {
                "relation_id": r.relation_id,
                "code": code,
                "name": name,
                "kind": r.kind,
                "other_code": r.code,
                "other_name": r.name,
                "other_birthday": r.birthday,
                "greet": r.greet,
                "customer_id": customer_id,
                "other_id": r.customer_id,
            }
            for r in around(db, customer_id)
        ]
    cursor = db.execute(
        """SELECT r.id, c.code, c.name, r.kind, o.code, coalesce(o.name, r.other_name),
                  coalesce(o.birthday, r.other_birthday), r.greet, c.id, o.id
           FROM customer_relations r JOIN customers c ON c.id = r.customer_id
           LEFT JOIN customers o ON o.id = r.other_id ORDER BY r.id"""
    )
    return [{**dict(zip(LIST_FIELDS, row, strict=True)), "greet": bool(row[7])} for row in cursor]


def forget(db: Engine, customer_id: int) -> int:
    """Erase every relation of a forgotten customer, from either side (inside `forget`)."""
    return int(
        db.execute(
            "DELETE FROM customer_relations WHERE customer_id = ? OR other_id = ?",
            [customer_id, customer_id],
        ).rowcount
    )


def merged(db: Engine, keep: int, other: int) -> None:
    """After a merge (inside it): relations naming `other` name `keep`; none with oneself."""
    db.execute("UPDATE customer_relations SET other_id = ? WHERE other_id = ?", [keep, other])
    db.execute("DELETE FROM customer_relations WHERE customer_id = other_id")
