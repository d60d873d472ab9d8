"""A customer's whole page: profile, purchases, tier, complaints, follow-ups, contacts.

Each section is a plain value; `customers show` renders it. Features add to their
own section function here.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from crmcli import complaints, customers, purchases
from crmcli.contact_window import describe
from crmcli.money import to_decimal

RECENT = 10


def build(db: Database, customer_id: int) -> dict[str, Any]:
    customer = customers.get(db, customer_id)
    return {
        "profile": profile(customer),
        "purchases": purchase_section(db, customer_id),
        "tier": tier_section(db, customer),
        "complaints": complaint_section(db, customer_id),
        "followups": followup_section(db, customer_id),
        "contacts": contact_section(db, customer_id),
    }


def profile(customer: customers.Customer) -> dict[str, Any]:
    f = customer.fields
    out: dict[str, Any] = {
        "id": customer.id,
        "code": f["code"],
        "name": f["name"],
        "family_name": f["family_name"],
        "given_name": f["given_name"],
        "patronymic": f["patronymic"],
        "salutation": customer.salutation,
        "gender": f["gender"],
        "phones": [p.raw + (f" ({p.label})" if p.label else "") for p in customer.phones],
        "email": f["email"],
        "birthday": f["birthday"],
        "birthday_lunar": bool(f["birthday_lunar"]),
        "anniversaries": {
            d.label: d.date + (" (lunar)" if d.lunar else "") for d in customer.dates
        },
        "address": f["address"],
        "postcode": f["postcode"],
        "company": f["company"],
        "occupation": f["occupation"],
        "income_band": f["income_band"],
        "tags": list(customer.tags),
        "owner": f["owner"],
        "attitude": f["attitude"],
        "contact_window": describe(f["contact_days"], f["contact_from"], f["contact_until"])
        or None,
        "do_not_contact": bool(f["do_not_contact"]),
        "notes": f["notes"],
        "extra": dict(customer.extra),
        "created_at": f["created_at"],
        "updated_at": f["updated_at"],
        "archived_at": f["archived_at"],
    }
    return out


def purchase_section(db: Database, customer_id: int) -> dict[str, Any]:
    t = purchases.totals(db, customer_id)
    recent = []
    for i, row in enumerate(purchases.rows(db, customer_id=customer_id)):
        if i >= RECENT:
            break
        recent.append(
            {
                "date": row["date"],
                "amount": to_decimal(row["amount_micros"]),
                "item": row["item"],
                "order_id": row["order_id"],
            }
        )
    return {
        "count": t["count"],
        "total": to_decimal(t["total_micros"]),
        "first": t["first"],
        "last": t["last"],
        "recent": recent,
    }


def tier_section(db: Database, customer: customers.Customer) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT a.tier, r.as_of, r.rule FROM tier_assignments a JOIN tier_runs r ON r.id = a.run_id"
        " WHERE a.customer_id = ? ORDER BY a.run_id DESC LIMIT 1",
        [customer.id],
    ).fetchone()
    override = customer.fields["tier_override"]
    if row is None and not override:
        return None
    return {
        "tier": override or row[0],
        "override": bool(override),
        "override_reason": customer.fields["tier_override_reason"],
        "classified": {"tier": row[0], "as_of": row[1], "rule": row[2]} if row else None,
    }


def _dicts(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r, strict=True)) for r in cursor]


def complaint_section(db: Database, customer_id: int) -> list[dict[str, Any]]:
    """Their complaints, open ones first: stage, what is due next and by when."""
    fields = (
        "id",
        "opened_on",
        "stage",
        "severity",
        "summary",
        "next_stage",
        "due_on",
        "days_overdue",
        "cause",
        "lesson",
    )
    return [{f: r[f] for f in fields} for r in complaints.for_customer(db, customer_id)]


def followup_section(db: Database, customer_id: int) -> list[dict[str, Any]]:
    return _dicts(
        db,
        "SELECT id, due_on, status, note, rrule FROM followups"
        " WHERE customer_id = ? AND status = 'open' ORDER BY due_on",
        [customer_id],
    )


def contact_section(db: Database, customer_id: int) -> list[dict[str, Any]]:
    return _dicts(
        db,
        "SELECT at, channel, note, by FROM contacts WHERE customer_id = ? ORDER BY at DESC LIMIT ?",
        [customer_id, RECENT],
    )
