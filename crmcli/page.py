"""A customer's whole page: profile, purchases, tier, complaints, follow-ups, contacts.

Each section is a plain value; `customers show` renders it. Features add to their
own section function here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from crmcli import (
    buying,
    complaints,
    customers,
    dates,
    locales,
    prospects,
    purchases,
    relations,
    settings,
    tiers,
    visits,
)
from crmcli.contact_window import describe
from crmcli.money import to_decimal

if TYPE_CHECKING:
    from collections.abc import Collection

    from crmcli.engines import Engine

RECENT = 10
HISTORY = 6  # tier runs shown on the page; `tiers history` has them all
TOP = 5


def build(db: Engine, customer_id: int, *, as_of: date | None = None) -> dict[str, Any]:
    """The page; `as_of` (default today) is the day the attitude, early buying and a
    complaint's lateness are judged on."""
    customer = customers.get(db, customer_id)
    day = as_of or dates.today(settings.get(db, "timezone"))
    # customer / prospect (no purchase yet) / lost prospect, with its reason
    status = {"status": prospects.describe(db, customer_id)}
    their = buying.bought(db, customer_id, limit=TOP)  # one pass for totals and top
    return {
        "profile": {**profile(customer), **status},
        "purchases": purchase_section(db, customer_id, their),
        "tier": tier_section(db, customer, as_of=day, items=their.items),
        "top": top_section(db, customer_id, their),
        "relations": relation_section(db, customer_id),
        "visits": visits.record(db, customer_id),
        "complaints": complaint_section(db, customer_id, as_of=day),
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
        "name_reading": f["name_reading"],
        "salutation": customer.salutation,
        "gender": f["gender"],
        "locale": f["locale"],
        "locale_why": locales.describe(
            locales.Guess(f["locale"] or "", f.get("locale_source") or locales.DEFAULT)
        )
        if f["locale"]
        else None,
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


def purchase_section(
    db: Engine, customer_id: int, their: buying.Bought | None = None
) -> dict[str, Any]:
    """Totals and the latest lines; `their` is the one pass over the lines (`build`
    shares it with the top lists), made here when not given."""
    their = their or buying.bought(db, customer_id, limit=TOP)
    recent = [
        {
            "date": row["date"],
            "amount": to_decimal(row["amount_micros"]),
            "item": row["item"],
            "order_id": row["order_id"],
        }
        for row in purchases.rows(db, customer_id=customer_id, limit=RECENT)
    ]
    return {
        "count": their.lines,
        "total": to_decimal(their.total_micros),
        "first": their.first,
        "last": their.last,
        "recent": recent,
    }


def tier_section(
    db: Engine,
    customer: customers.Customer,
    *,
    as_of: date | None = None,
    items: Collection[str] | None = None,
) -> dict[str, Any] | None:
    """Current tier (override first), the runs that classified them, and their attitude
    (`items`: every item on their lines, when `build` has read them)."""
    history = tiers.history(db, customer.id)
    f = customer.fields
    override = f["tier_override"]
    today = as_of or dates.today(settings.get(db, "timezone"))
    hint = buying.suggest_attitude(db, customer.id, as_of=today, items=items)
    attitude = {
        "set": f["attitude"],
        "suggested": hint.suggested,
        "why": hint.why,
        "early_adopter": hint.early_adopter,
        "bought_early": list(hint.early),
    }
    if not history and not override:
        return {
            "tier": None,
            "benefit": None,
            "override": False,
            "attitude": attitude,
            "history": [],
        }
    latest = history[0] if history else None
    tier = override or latest["tier"]  # type: ignore[index]
    benefit = tiers.benefit_of(db, tier)
    return {
        "tier": tier,
        "benefit": benefit.as_dict() if benefit else None,
        "override": bool(override),
        "override_reason": f["tier_override_reason"],
        "override_at": f["tier_override_at"],
        "classified": {
            "tier": latest["tier"],
            "as_of": latest["as_of"],
            "rule": latest["rule"],
            "rank": latest["rank"],
            "of": latest["of"],
            "spend": to_decimal(latest["spend_micros"]),
            "reason": latest["reason"],
            "above_pct": _pct(tiers.share_above(db, latest["run"], customer.id)),
        }
        if latest
        else None,
        "history": [
            {"run": h["run"], "as_of": h["as_of"], "rule": h["rule"], "tier": h["tier"]}
            for h in history[:HISTORY]
        ],
        "attitude": attitude,
    }


def _pct(share: Fraction | None) -> Decimal | None:
    if share is None:
        return None
    return (Decimal(share.numerator * 100) / Decimal(share.denominator)).quantize(Decimal("0.1"))


def top_section(
    db: Engine, customer_id: int, their: buying.Bought | None = None
) -> dict[str, list[dict[str, Any]]]:
    """What the customer buys most, by item and by category (net spend)."""
    their = their or buying.bought(db, customer_id, limit=TOP)
    return {
        by: [
            {"name": r["name"], "lines": r["lines"], "spent": to_decimal(r["spent_micros"])}
            for r in rows
        ]
        for by, rows in their.top.items()
    }


def _dicts(db: Engine, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r, strict=True)) for r in cursor]


def complaint_section(db: Engine, customer_id: int, *, as_of: date) -> list[dict[str, Any]]:
    """Their complaints, open ones first: stage, what is due next and by when (late as of
    `as_of`)."""
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
    return [
        {f: r[f] for f in fields} for r in complaints.for_customer(db, customer_id, as_of=as_of)
    ]


def followup_section(db: Engine, customer_id: int) -> list[dict[str, Any]]:
    return _dicts(
        db,
        "SELECT id, coalesce(snoozed_until, due_on) AS due_on, status, note, rrule, owner"
        " FROM followups WHERE customer_id = ? AND status = 'open' ORDER BY 2, id",
        [customer_id],
    )


def contact_section(db: Engine, customer_id: int) -> list[dict[str, Any]]:
    return _dicts(
        db,
        "SELECT at, channel, note, by FROM contacts WHERE customer_id = ? ORDER BY at DESC LIMIT ?",
        [customer_id, RECENT],
    )


def relation_section(db: Engine, customer_id: int) -> dict[str, Any]:
    """The people around the customer (each as what they are to them), and how many
    customers came on their word."""
    return {
        "people": [r.as_dict() for r in relations.around(db, customer_id)],
        "referred": relations.referred_count(db, customer_id),
    }
