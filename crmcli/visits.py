"""Visit plans with a goal (seed 004: "plan yearly, quarterly and monthly visits per
customer, with a goal for each").

A plan gives one customer their own cadence (`--every 3m`), over their tier's
`tiers.cadence.*`, and the goal of the visits. Its first visit is due on its `from`
day; after that, like the tier cadence, each contact logged restarts the clock (the
next visit is due `every` after the last contact). A visit logged with
`contacts log REF --visit --outcome met|not-met` keeps the goal it had and whether it
was met: the plan's record on the customer's page.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import contacts, dates, text
from crmcli.errors import Conflict, InvalidValue, NotFound
from crmcli.i18n import M_, _

if TYPE_CHECKING:
    from crmcli.engines import Engine

# The bounds of a plan's span: those of the tier cadence settings (`tiers.cadence.*`):
# more often than daily is no cadence, and ten years is the longest a setting allows.
SHORTEST = "1d"
LONGEST = "10y"
OUTCOMES = ("met", "not-met")
GOAL_LIMIT = 500  # characters: a goal is a line on the agenda, not a report
# The contacts that restart a visit clock: any, except an agenda item skipped (a skipped
# visit does restart it: the shop chose to let that one go). The tier cadence reads the
# same rule (`crmcli.agenda_sources.visit_items`).
CLOCK_CONTACTS = "(k.outcome IS NOT 'skipped' OR k.item LIKE 'visit:%')"


class Plan(NamedTuple):
    """One visit plan."""

    id: int
    customer_id: int
    every: str
    goal: str
    from_day: date
    created_at: str
    cancelled_at: str | None

    @property
    def active(self) -> bool:
        return self.cancelled_at is None


_COLUMNS = "id, customer_id, every, goal, from_day, created_at, cancelled_at"


def _plan(row: Any) -> Plan:
    pid, cid, every, goal, from_day, created, cancelled = row
    return Plan(pid, cid, every, goal, date.fromisoformat(from_day), created, cancelled)


def check_every(value: str) -> str:
    """A plan's span, normalised (`3M ` → `3m`); InvalidValue outside 1d..10y."""
    span = value.strip().lower().replace(" ", "")
    what = M_("--every must be a span such as 2w, 3m or 1y, from {shortest} to {longest}").format(
        shortest=SHORTEST, longest=LONGEST
    )
    try:
        length = dates.span_days(dates.parse_span(span, what="--every"))
    except InvalidValue as bad:
        raise InvalidValue(f"{what}: {bad}") from None
    top = dates.span_days(dates.parse_span(LONGEST))
    if not dates.span_days(dates.parse_span(SHORTEST)) <= length <= top:
        raise InvalidValue(M_("{what} (got {value})").format(what=what, value=dates.shown(value)))
    return span


def check_goal(value: str) -> str:
    goal = text.check(value, field="--goal").strip()
    if not goal:
        raise InvalidValue(M_("--goal cannot be empty: say what the visits are for"))
    if len(goal) > GOAL_LIMIT:
        raise InvalidValue(M_("--goal is too long: at most {n} characters").format(n=GOAL_LIMIT))
    return goal


def plan(
    db: Engine, *, customer_id: int, every: str, goal: str, from_day: date
) -> tuple[Plan, Plan | None]:
    """Plan visits for a customer; returns the plan and the one it replaced, if any."""
    every = check_every(every)
    goal = check_goal(goal)
    dates.in_range(from_day, what="--from")
    # The visit after the first must still be a date crmcli handles.
    dates.shift(from_day, dates.parse_span(every), what=f"--every {every}")
    now = dates.now_utc()
    with db.write():
        # One plan in force a customer: their row held to the end, a second plan made at
        # the same moment replaces this one instead of standing beside it.
        db.execute(f"SELECT id FROM customers WHERE id = ?{db.locks_rows}", [customer_id])
        replaced = active(db, customer_id)
        if replaced is not None:
            db.execute("UPDATE visit_plans SET cancelled_at = ? WHERE id = ?", [now, replaced.id])
        plan_id = db.insert(
            "visit_plans",
            {
                "customer_id": customer_id,
                "every": every,
                "goal": goal,
                "from_day": from_day.isoformat(),
                "created_at": now,
            },
        )
    return get(db, plan_id), replaced


def get(db: Engine, plan_id: int) -> Plan:
    row = db.execute(f"SELECT {_COLUMNS} FROM visit_plans WHERE id = ?", [plan_id]).fetchone()
    if row is None:
        raise NotFound(_("no visit plan #{id}").format(id=plan_id))
    return _plan(row)


def active(db: Engine, customer_id: int) -> Plan | None:
    """The customer's plan in force, if any."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM visit_plans WHERE customer_id = ? AND cancelled_at IS NULL",
        [customer_id],
    ).fetchone()
    return _plan(row) if row else None


def cancel(db: Engine, plan_id: int) -> Plan:
    """Cancel a plan: the customer's tier cadence applies again."""
    with db.write():
        db.execute(f"SELECT id FROM visit_plans WHERE id = ?{db.locks_rows}", [plan_id])
        found = get(db, plan_id)
        if not found.active:
            raise Conflict(
                M_("visit plan #{id} was already cancelled on {at}").format(
                    id=plan_id, at=found.cancelled_at
                )
            )
        db.execute(
            "UPDATE visit_plans SET cancelled_at = ? WHERE id = ?", [dates.now_utc(), plan_id]
        )
    return get(db, plan_id)


def merged(db: Engine, keep: int, other: int) -> None:
    """Before `other` is merged into `keep`: a customer has one plan in force, so the
    merged one's is cancelled when the kept one has its own (its record moves over)."""
    if active(db, keep) is not None:
        db.execute(
            "UPDATE visit_plans SET cancelled_at = ? WHERE customer_id = ?"
            " AND cancelled_at IS NULL",
            [dates.now_utc(), other],
        )


class Next(NamedTuple):
    """When a plan's next visit is due, and the contact that set the clock (if any)."""

    plan: Plan
    on: date
    last_contact: str | None


def next_visits(db: Engine, customer_ids: list[int] | None = None) -> dict[int, Next]:
    """customer id → the next visit of their active plan (every plan, without ids)."""
    where = "p.cancelled_at IS NULL"
    params: list[Any] = []
    if customer_ids is not None:
        where += f" AND p.customer_id IN ({db.json_values()})"
        params.append(json.dumps(sorted(customer_ids)))
    rows = db.execute(
        f"""SELECT {", ".join("p." + c.strip() for c in _COLUMNS.split(","))},
               (SELECT max(substr(k.at, 1, 10)) FROM contacts k
                 WHERE k.customer_id = p.customer_id AND substr(k.at, 1, 10) >= p.from_day
                   AND {CLOCK_CONTACTS})
            FROM visit_plans p WHERE {where}""",
        params,
    )
    out: dict[int, Next] = {}
    for *row, contacted in rows:
        p = _plan(row)
        if contacted:
            on = dates.shift(
                date.fromisoformat(contacted), dates.parse_span(p.every), what="a planned visit"
            )
        else:
            on = p.from_day
        out[p.customer_id] = Next(p, on, contacted)
    return out


def log_visit(
    db: Engine,
    *,
    customer_id: int,
    outcome: str | None = None,
    note: str | None = None,
    by: str | None = None,
    at: datetime | str | None = None,
) -> int:
    """Log a visit; with a plan in force, keep its goal and whether it was met.

    Returns the contact's id. `outcome` (met, not-met) needs a plan: it says whether
    that plan's goal was met.
    """
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidValue(
            M_("--outcome must be one of: {choices} (got {value})").format(
                choices=", ".join(OUTCOMES), value=repr(outcome)
            )
        )
    with db.write():
        # The plan read stays in force until the visit is logged against it (a plan
        # made or cancelled meanwhile locks the customer's row, see `plan`).
        db.execute(f"SELECT id FROM customers WHERE id = ?{db.keeps_rows}", [customer_id])
        found = active(db, customer_id)
        if found is None and outcome is not None:
            raise InvalidValue(
                M_(
                    "--outcome says whether a visit plan's goal was met, and this customer has"
                    " no plan (`crmcli visits plan REF --every 3m --goal TEXT`)"
                )
            )
        contact_id = contacts.log(
            db, customer_id=customer_id, channel="visit", note=note, by=by, at=at
        )
        if found is not None:
            met = None if outcome is None else int(outcome == "met")  # 0/1: an INTEGER column
            db.execute(
                "INSERT INTO visit_results (contact_id, plan_id, goal, met) VALUES (?, ?, ?, ?)",
                [contact_id, found.id, found.goal, met],
            )
    return contact_id


FIELDS = (
    "id",
    "ref",
    "customer",
    "every",
    "goal",
    "from",
    "next",
    "status",
    "visits",
    "met",
    "created_at",
    "cancelled_at",
    "customer_id",
    "code",
)
DEFAULT_FIELDS = ("id", "ref", "customer", "every", "goal", "next", "visits", "met")


def rows(
    db: Engine, *, customer_id: int | None = None, include_cancelled: bool = False
) -> list[dict[str, Any]]:
    """The plans (in force only, unless `include_cancelled`), by next visit."""
    where = ["1 = 1"]  # true on both engines (PostgreSQL wants a boolean, not 1)
    params: list[Any] = []
    if customer_id is not None:
        where.append("p.customer_id = ?")
        params.append(customer_id)
    if not include_cancelled:
        where.append("p.cancelled_at IS NULL")
    cursor = db.execute(
        f"""SELECT {", ".join("p." + c.strip() for c in _COLUMNS.split(","))}, c.code, c.name,
               (SELECT count(*) FROM visit_results r WHERE r.plan_id = p.id),
               (SELECT count(*) FROM visit_results r WHERE r.plan_id = p.id AND r.met = 1)
            FROM visit_plans p JOIN customers c ON c.id = p.customer_id
           WHERE c.forgotten_at IS NULL AND {" AND ".join(where)}""",
        params,
    )
    found = [(_plan(r[:7]), *r[7:]) for r in cursor]
    nexts = next_visits(db, [p.customer_id for p, *_ in found if p.active])
    out = []
    for p, code, name, visits_made, met in found:
        nxt = nexts.get(p.customer_id) if p.active else None
        out.append(
            {
                "id": p.id,
                "ref": code or f"#{p.customer_id}",
                "customer": name,
                "every": p.every,
                "goal": p.goal,
                "from": p.from_day.isoformat(),
                "next": nxt.on.isoformat() if nxt and nxt.plan.id == p.id else None,
                "status": "active" if p.active else "cancelled",
                "visits": visits_made,
                "met": met,
                "created_at": p.created_at,
                "cancelled_at": p.cancelled_at,
                "customer_id": p.customer_id,
                "code": code,
            }
        )
    out.sort(key=lambda r: (r["next"] is None, r["next"] or "", r["id"]))
    return out


def record(db: Engine, customer_id: int) -> dict[str, Any]:
    """A customer's plan in force and their record: visits made under plans, goals met."""
    nxt = next_visits(db, [customer_id]).get(customer_id)
    results = [
        {"on": on, "goal": goal, "met": None if met is None else bool(met), "note": note}
        for on, goal, met, note in db.execute(
            # From the customer's plans to their visits, then each visit's contact:
            # CROSS JOIN keeps that order (SQLite started from every contact logged).
            "SELECT substr(k.at, 1, 10), r.goal, r.met, k.note FROM visit_plans p"
            " CROSS JOIN visit_results r ON r.plan_id = p.id"
            " CROSS JOIN contacts k ON k.id = r.contact_id"
            " WHERE p.customer_id = ? ORDER BY k.at DESC, k.id DESC",
            [customer_id],
        )
    ]
    plan_now = None
    if nxt is not None:
        p = nxt.plan
        plan_now = {
            "id": p.id,
            "every": p.every,
            "goal": p.goal,
            "from": p.from_day.isoformat(),
            "next": nxt.on.isoformat(),
        }
    return {
        "plan": plan_now,
        "visits": len(results),
        "goals_met": sum(1 for r in results if r["met"]),
        "recent": results[:10],
    }
