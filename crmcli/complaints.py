"""Complaints, handled through six fixed stages, each step kept in an append-only history.

received → apologized → cause-found → resolved → followed-up → closed. Each stage's
rules are one record of `STAGE_TABLE` below: the fields it requires (with the reason
asked when one is missing), the fields it may take, where its deadline counts from.
A stage is reached by `advance`, which asks for the fields that stage needs and
refuses to skip a stage unless told why. Refusals name fields (`errors.Named`); the
CLI says them as its options. A closed complaint can be reopened: it goes back to
`received`, because the customer is complaining again and the whole process (listen,
apologise, find the cause, which may not be the one found before) starts over.

Every change happens under the write lock and re-reads the complaint's stage inside
the transaction, so two people advancing the same complaint at once cannot both win.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from dateutil.relativedelta import relativedelta

from crmcli import dates, settings, tiers
from crmcli.errors import (
    Conflict,
    FieldUsageError,
    FieldValueError,
    InvalidValue,
    Named,
    NotFound,
)
from crmcli.i18n import M_, N_, _, said
from crmcli.text import check  # no control characters in what is recorded

if TYPE_CHECKING:
    from crmcli.engines import Engine

CAUSES = ("expectation", "product-quality", "staff-service", "other")
SEVERITIES = ("low", "normal", "high")
CHANNELS = ("store", "phone", "online", "email", "sns", "visit", "other")  # suggestions only

UNKNOWN_CAUSE = "(not recorded)"  # the report's bucket for complaints with no cause yet
_NONE: Mapping[str, str] = MappingProxyType({})  # a stage's fields when it has none


class Stage(NamedTuple):
    """One stage of a complaint and every rule about it: the one place a reader looks."""

    name: str
    step: str  # what is done to reach it (domain.md §3), for help
    # The fields reaching it requires, each with the reason shown when it is missing.
    required: Mapping[str, str] = _NONE
    # The fields it may also record, each with what it holds.
    optional: Mapping[str, str] = _NONE
    # The stage whose start its deadline counts from (`complaints.deadline.NAME`);
    # None: no deadline (the first stage).
    deadline_from: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field this stage records, required first."""
        return (*self.required, *self.optional)

    def describe(self, name: str) -> str:
        """What one of its fields holds."""
        return self.required.get(name) or self.optional[name]


# The stages, in order. Every step may carry a `note`; the fields below are the
# stage's own. The customer's clock starts at receipt for the first three steps;
# the follow-up counts from the resolution, closing from the follow-up.
STAGE_TABLE = (
    Stage("received", "listen and record what the customer said"),
    Stage("apologized", "apologise and calm the customer", deadline_from="received"),
    Stage(
        "cause-found",
        "ask carefully to find the root cause",
        required={
            # The causes are CAUSES (written out: a message of the catalogs is a literal).
            "cause": N_("the root cause (expectation, product-quality, staff-service, other)"),
            "detail": N_("what exactly went wrong"),
        },
        deadline_from="received",
    ),
    Stage(
        "resolved",
        "resolve it with a concrete solution",
        required={"resolution": N_("the concrete solution given")},
        optional={
            "compensation": N_(
                "what was given: gift, repair, replacement, refund, delivery, installation,"
                " discount… any word"
            ),
            "amount": N_("the compensation's value, exact"),
        },
        deadline_from="received",
    ),
    Stage(
        "followed-up",
        "contact the customer again after the resolution",
        required={"note": N_("the contact made after the resolution")},
        deadline_from="resolved",
    ),
    Stage(
        "closed",
        "record the case and the lesson",
        required={"lesson": N_("the lesson to learn from the case")},
        deadline_from="followed-up",
    ),
)
STAGE = {s.name: s for s in STAGE_TABLE}
STAGES = tuple(STAGE)
NOTE = "note"  # every step's free note: stored with the step, not a stage's own field
# The stage a field belongs to (a field of a skipped stage is welcome with the skip).
OWNER = {f: s.name for s in STAGE_TABLE for f in s.fields if f != NOTE}
# A step's fields are stored under these keys (the amount in micro-units, exact).
STORED_AS = {"amount": "amount_micros"}


class ClosedComplaint(Conflict):
    """A closed complaint asked to move on: it must be reopened first."""


class Overdue(NamedTuple):
    """An open complaint whose next stage is due (on or before the day asked about)."""

    complaint_id: int
    customer_id: int
    stage: str
    next_stage: str
    due_on: date
    days_overdue: int
    summary: str
    severity: str


class Event(NamedTuple):
    """One transition in a complaint's history."""

    id: int
    complaint_id: int
    at: str
    by: str | None
    from_stage: str | None
    to_stage: str
    note: str | None
    fields: Mapping[str, Any]
    skip_reason: str | None

    @property
    def kind(self) -> str:
        if self.from_stage is None:
            return "opened"
        if self.from_stage == "closed" and self.to_stage == "received":
            return "reopened"
        return "skipped to" if self.skip_reason else "advanced"


class Complaint(NamedTuple):
    """A complaint as stored, with its history."""

    id: int
    customer_id: int
    purchase_id: int | None
    summary: str
    channel: str | None
    severity: str
    stage: str
    stage_since: str
    cause: str | None
    cause_detail: str | None
    resolution: str | None
    compensation: str | None
    compensation_micros: int | None
    lesson: str | None
    opened_at: str
    closed_at: str | None
    version: int
    events: tuple[Event, ...] = ()


# --- time -------------------------------------------------------------------------------


def local_zone(db: Engine) -> tzinfo | None:
    """The `timezone` setting as a tzinfo; None means the system's."""
    name = settings.get(db, "timezone")
    if not name:
        return None
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def local_day(at: str, zone: tzinfo | None) -> date:
    """The shop's calendar day of a stored timestamp."""
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:  # written without an offset: already local
        return moment.date()
    return moment.astimezone(zone).date()


def local_time(at: str, zone: tzinfo | None) -> str:
    """A stored timestamp as the shop's wall-clock time, to the minute."""
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _event_time(db: Engine, on: date | None, after: str | None) -> str:
    """Now, or the start of day `on` (shop time), never before the previous event."""
    zone = local_zone(db)
    if on is None:
        stamp = dates.now_utc()
    else:
        today = dates.today(settings.get(db, "timezone"))
        if on > today:
            said = _("{on} {day} is in the future; record what has happened")
            raise FieldValueError.said(said, on=Named("on"), day=on)
        start = datetime.combine(on, time(0, 0))
        stamp = _stamp(start.replace(tzinfo=zone) if zone else start.astimezone())
    if after is not None and datetime.fromisoformat(stamp) < datetime.fromisoformat(after):
        if on is not None and local_day(after, zone) == on:
            return after  # same day as the previous step: keep the order
        raise InvalidValue(
            M_("{when} is before the complaint's last step ({last})").format(
                when=on or stamp, last=local_day(after, zone)
            )
        )
    return stamp


# --- settings ---------------------------------------------------------------------------


def deadline(db: Engine, stage: str) -> relativedelta | None:
    """How long after its starting point `stage` should be reached; None = no deadline."""
    value = settings.get(db, f"complaints.deadline.{stage}")
    return dates.parse_span(value) if value else None


# --- reading ----------------------------------------------------------------------------

_COLUMNS = (
    "id, customer_id, purchase_id, summary, channel, severity, stage, stage_since, cause,"
    " cause_detail, resolution, compensation, compensation_micros, lesson, opened_at,"
    " closed_at, version"
)


def _event(row: Sequence[Any]) -> Event:
    return Event(
        id=row[0],
        complaint_id=row[1],
        at=row[2],
        by=row[3],
        from_stage=row[4],
        to_stage=row[5],
        note=row[6],
        fields=json.loads(row[7]) if row[7] else {},
        skip_reason=row[8],
    )


def events(db: Engine, complaint_id: int) -> list[Event]:
    """A complaint's history, oldest first."""
    return [
        _event(r)
        for r in db.execute(
            "SELECT id, complaint_id, at, by, from_stage, to_stage, note, fields, skip_reason"
            " FROM complaint_events WHERE complaint_id = ? ORDER BY id",
            [complaint_id],
        )
    ]


def get(db: Engine, complaint_id: int) -> Complaint:
    cursor = db.execute(f"SELECT {_COLUMNS} FROM complaints WHERE id = ?", [complaint_id])
    row = cursor.fetchone()
    if row is None:
        raise NotFound(_("no complaint #{id}").format(id=complaint_id))
    values = dict(zip([d[0] for d in cursor.description], row, strict=True))
    return Complaint(**values, events=tuple(events(db, complaint_id)))


# --- writing ----------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return check(text, field="the complaint's text", multiline=True) or None


def open_complaint(
    db: Engine,
    *,
    customer_id: int,
    summary: str,
    by: str | None,
    channel: str | None = None,
    severity: str = "normal",
    purchase_id: int | None = None,
    note: str | None = None,
    on: date | None = None,
) -> int:
    """Record a complaint as received; returns its id."""
    summary_text = _clean(summary)
    if not summary_text:
        said = _("a complaint needs a {summary}: what the customer said")
        raise FieldValueError.said(said, summary=Named("summary"))
    if severity not in SEVERITIES:
        raise _not_one_of("severity", SEVERITIES, severity)
    with db.write():
        # Both kept until the complaint is stored (see `purchases.add`).
        customer = f"SELECT 1 FROM customers WHERE id = ?{db.keeps_rows}"
        if not db.execute(customer, [customer_id]).fetchone():
            raise NotFound(_("no customer #{id}").format(id=customer_id))
        if purchase_id is not None:
            owner = db.execute(
                f"SELECT customer_id FROM purchases WHERE id = ?{db.keeps_rows}", [purchase_id]
            ).fetchone()
            if owner is None:
                raise NotFound(_("no purchase #{id}").format(id=purchase_id))
            if owner[0] is None:  # a walk-in sale: nobody's, so no one's complaint can own it
                raise InvalidValue(
                    M_("purchase #{id} is an anonymous sale, of no customer").format(id=purchase_id)
                )
            if owner[0] != customer_id:
                raise InvalidValue(
                    M_("purchase #{id} belongs to customer #{owner}, not #{customer}").format(
                        id=purchase_id, owner=owner[0], customer=customer_id
                    )
                )
        at = _event_time(db, on, None)
        complaint_id = db.insert(
            "complaints",
            {
                "customer_id": customer_id,
                "purchase_id": purchase_id,
                "summary": summary_text,
                "channel": _clean(channel),
                "severity": severity,
                "stage": "received",
                "stage_since": at,
                "opened_at": at,
            },
        )
        _record(db, complaint_id, at=at, by=by, from_stage=None, to_stage="received", note=note)
    return complaint_id


def _record(
    db: Engine,
    complaint_id: int,
    *,
    at: str,
    by: str | None,
    from_stage: str | None,
    to_stage: str,
    note: str | None,
    fields: Mapping[str, Any] | None = None,
    skip_reason: str | None = None,
) -> None:
    db.execute(
        "INSERT INTO complaint_events (complaint_id, at, by, from_stage, to_stage, note, fields,"
        " skip_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            complaint_id,
            at,
            _clean(by),
            from_stage,
            to_stage,
            _clean(note),
            json.dumps(dict(fields), ensure_ascii=False) if fields else None,
            _clean(skip_reason),
        ],
    )


def _current(db: Engine, complaint_id: int) -> tuple[str, int, str]:
    # Locked until the write ends: a second `advance` of the complaint on a server waits
    # here, then reads the stage the first one left, and says so as on SQLite.
    row = db.execute(
        f"SELECT stage, version, stage_since FROM complaints WHERE id = ?{db.locks_rows}",
        [complaint_id],
    ).fetchone()
    if row is None:
        raise NotFound(_("no complaint #{id}").format(id=complaint_id))
    return row[0], row[1], row[2]


def _last_step(db: Engine, complaint_id: int) -> str:
    row = db.execute(
        "SELECT by, at FROM complaint_events WHERE complaint_id = ? ORDER BY id DESC LIMIT 1",
        [complaint_id],
    ).fetchone()
    return f"{row[1][:10]}" + (f" by {row[0]}" if row[0] else "") if row else ""


def check_transition(
    current: str, to: str, *, skip_reason: str | None, name: str = "the complaint", last: str = ""
) -> list[str]:
    """The stages `to` skips over; raises when the move from `current` is not allowed."""
    if to not in STAGES:
        raise _not_one_of("to", STAGES, to)
    here, there = STAGES.index(current), STAGES.index(to)
    if current == "closed":
        raise ClosedComplaint(M_("{name} is closed; reopen it first").format(name=name))
    if there == here:
        if last:
            said = M_("{name} is already at stage {to} (changed {last}); nothing changed")
        else:
            said = M_("{name} is already at stage {to}; nothing changed")
        raise Conflict(said.format(name=name, to=to, last=last))
    if there < here:
        raise Conflict(
            M_(
                "{name} is at stage {current}, past {to}; stages only move forward (next is {next})"
            ).format(name=name, current=current, to=to, next=STAGES[here + 1])
        )
    skipped = list(STAGES[here + 1 : there])
    if skipped and not _clean(skip_reason):
        said = _("going from {current} to {to} skips {skipped}; give {skip_reason} to say why")
        raise FieldUsageError.said(
            said,
            current=current,
            to=to,
            skipped=", ".join(skipped),
            skip_reason=Named("skip_reason"),
        )
    if not skipped and _clean(skip_reason):
        said = _("{current} → {to} skips no stage; leave out {skip_reason}")
        raise FieldUsageError.said(said, current=current, to=to, skip_reason=Named("skip_reason"))
    return skipped


def advance(
    db: Engine,
    complaint_id: int,
    *,
    to: str,
    by: str | None,
    note: str | None = None,
    cause: str | None = None,
    detail: str | None = None,
    resolution: str | None = None,
    compensation: str | None = None,
    amount_micros: int | None = None,
    lesson: str | None = None,
    skip_reason: str | None = None,
    expect_stage: str | None = None,
    on: date | None = None,
) -> Event:
    """Move a complaint to stage `to`, with the fields that stage needs; returns the event."""
    given: dict[str, Any] = {
        "cause": _clean(cause),
        "detail": _clean(detail),
        "resolution": _clean(resolution),
        "compensation": (_clean(compensation) or "").lower() or None,
        "amount": amount_micros,
        "lesson": _clean(lesson),
    }
    with db.write():
        # Read inside the lock: whoever wrote first has already moved the stage on.
        current, version, since = _current(db, complaint_id)
        name = M_("complaint #{id}").format(id=complaint_id)
        if expect_stage is not None and current != expect_stage:
            raise Conflict(
                M_(
                    "{name} is now at stage {current} (changed {last}), not {expected}; "
                    "nothing changed"
                ).format(
                    name=name,
                    current=current,
                    last=_last_step(db, complaint_id),
                    expected=expect_stage,
                )
            )
        skipped = check_transition(
            current, to, skip_reason=skip_reason, name=name, last=_last_step(db, complaint_id)
        )
        fields = _stage_fields(to, skipped, given, note=_clean(note))
        at = _event_time(db, on, since)
        _apply(db, complaint_id, to=to, fields=fields, at=at, version=version)
        _record(
            db,
            complaint_id,
            at=at,
            by=by,
            from_stage=current,
            to_stage=to,
            note=note,
            fields=fields,
            skip_reason=skip_reason,
        )
        last = db.execute(
            "SELECT id, complaint_id, at, by, from_stage, to_stage, note, fields, skip_reason"
            " FROM complaint_events WHERE complaint_id = ? ORDER BY id DESC LIMIT 1",
            [complaint_id],
        ).fetchone()
    return _event(last)


def _stage_fields(
    to: str, skipped: Sequence[str], given: Mapping[str, Any], *, note: str | None
) -> dict[str, Any]:
    """The fields recorded for this step, by stored key: every required one, no stray one."""
    allowed = {f for stage in (*skipped, to) for f in STAGE[stage].fields}
    stray = [k for k, v in given.items() if v is not None and k not in allowed]
    if stray:
        belong: list[str | Named] = []
        for k in stray:
            said = _("{field} belongs to stage {stage}")
            belong += [
                "; " if belong else "",
                *FieldUsageError.said(said, field=Named(k), stage=OWNER[k]).parts,
            ]
        if skipped:
            said = _("{fields}, not to {to} (or the skipped {skipped})")
        else:
            said = _("{fields}, not to {to}")
        raise FieldUsageError.said(said, fields=belong, to=to, skipped=", ".join(skipped))
    values = {**given, NOTE: note}
    required = STAGE[to].required
    missing = [k for k in required if not values.get(k)]
    if missing:
        needs: list[str | Named] = []
        for k in missing:
            needs += ["; " if needs else "", Named(k), f" ({_(required[k])})"]
        raise FieldUsageError.said(_("stage {stage} needs {fields}"), stage=to, fields=needs)
    if given["cause"] is not None and given["cause"] not in CAUSES:
        raise _not_one_of("cause", CAUSES, given["cause"])
    if given["amount"] is not None:
        if given["compensation"] is None:
            said = _("{amount} is the value of a {compensation}; give its kind too")
            raise FieldUsageError.said(
                said, amount=Named("amount"), compensation=Named("compensation")
            )
        if given["amount"] < 0:
            raise FieldValueError.said(_("{amount} cannot be negative"), amount=Named("amount"))
    return {STORED_AS.get(k, k): v for k, v in given.items() if v is not None}


def _not_one_of(name: str, choices: Sequence[str], value: str) -> FieldValueError:
    said = _("{field} must be one of {choices}, not {value}")
    return FieldValueError.said(
        said, field=Named(name), choices=", ".join(choices), value=repr(value)
    )


def _apply(
    db: Engine, complaint_id: int, *, to: str, fields: Mapping[str, Any], at: str, version: int
) -> None:
    sets = ["stage = ?", "stage_since = ?", "version = version + 1"]
    params: list[Any] = [to, at]
    if "cause" in fields or to == "cause-found":
        sets += ["cause = ?", "cause_detail = ?"]
        params += [fields.get("cause"), fields.get("detail")]
    if "resolution" in fields or to == "resolved":
        sets += ["resolution = ?", "compensation = ?", "compensation_micros = ?"]
        params += [
            fields.get("resolution"),
            fields.get("compensation"),
            fields.get("amount_micros"),
        ]
    if to == "closed":
        sets += ["lesson = ?", "closed_at = ?"]
        params += [fields["lesson"], at]
    cursor = db.execute(
        f"UPDATE complaints SET {', '.join(sets)} WHERE id = ? AND version = ?",
        [*params, complaint_id, version],
    )
    if cursor.rowcount != 1:  # cannot happen under the write lock; refuse rather than guess
        raise Conflict(
            M_("complaint #{id} changed meanwhile; nothing changed").format(id=complaint_id)
        )


def reopen(
    db: Engine,
    complaint_id: int,
    *,
    reason: str,
    by: str | None,
    on: date | None = None,
) -> Event:
    """Bring a closed complaint back to `received`: the process starts over."""
    why = _clean(reason)
    if not why:
        said = _("reopening needs {reason}: what the customer came back with")
        raise FieldUsageError.said(said, reason=Named("reason"))
    with db.write():
        current, version, since = _current(db, complaint_id)
        if current != "closed":
            raise Conflict(
                M_(
                    "complaint #{id} is at stage {current}, not closed; only a closed complaint "
                    "can be reopened"
                ).format(id=complaint_id, current=current)
            )
        at = _event_time(db, on, since)
        cursor = db.execute(
            "UPDATE complaints SET stage = 'received', stage_since = ?, closed_at = NULL,"
            " version = version + 1 WHERE id = ? AND version = ?",
            [at, complaint_id, version],
        )
        if cursor.rowcount != 1:
            raise Conflict(
                M_("complaint #{id} changed meanwhile; nothing changed").format(id=complaint_id)
            )
        _record(db, complaint_id, at=at, by=by, from_stage="closed", to_stage="received", note=why)
    return events(db, complaint_id)[-1]


# --- deadlines --------------------------------------------------------------------------


Span: TypeAlias = "relativedelta | timedelta"


def deadlines(db: Engine) -> dict[str, Span | None]:
    """Every stage's deadline, read once per listing (plain days as a faster timedelta)."""
    out: dict[str, Span | None] = {}
    for stage in STAGE_TABLE:
        if stage.deadline_from is None:
            continue
        span = deadline(db, stage.name)
        if span is not None and not (span.months or span.years):
            out[stage.name] = timedelta(days=span.days)  # parse_span folds weeks into days
        else:
            out[stage.name] = span
    return out


def _due(
    spans: Mapping[str, Span | None],
    stage: str,
    since_day: date,
    received_day: date,
) -> tuple[str, date] | None:
    """(next stage, the day it is due) for an open complaint; None when it has no deadline."""
    if stage == "closed":
        return None
    nxt = STAGES[STAGES.index(stage) + 1]
    span = spans[nxt]
    if span is None:
        return None
    # Counted from receipt, or from the start of the stage before it (resolved,
    # followed-up): the stage the complaint is at now.
    start = received_day if STAGE[nxt].deadline_from == "received" else since_day
    return nxt, start + span


_OPEN_SQL = (
    "SELECT c.id, c.customer_id, c.stage, c.stage_since, c.summary, c.severity,"
    " (SELECT max(e.at) FROM complaint_events e"
    "   WHERE e.complaint_id = c.id AND e.to_stage = 'received') AS received_at"
    " FROM complaints c WHERE c.stage != 'closed'"
)


def overdue(db: Engine, *, as_of: date) -> list[Overdue]:
    """Open complaints whose next stage is due on or before `as_of` (0 days = due that day).

    A-tier customers first, then the longest overdue, then the most severe.
    """
    zone = local_zone(db)
    spans = deadlines(db)
    open_rows = db.execute(_OPEN_SQL).fetchall()
    tier_of = tiers.current_tiers(db, {row[1] for row in open_rows})
    found = []
    for cid, customer_id, stage, since, summary, severity, received_at in open_rows:
        since_day = local_day(since, zone)
        received_at = received_at or since
        received_day = since_day if received_at == since else local_day(received_at, zone)
        due = _due(spans, stage, since_day, received_day)
        if due is None or due[1] > as_of:
            continue
        found.append(
            Overdue(
                complaint_id=cid,
                customer_id=customer_id,
                stage=stage,
                next_stage=due[0],
                due_on=due[1],
                days_overdue=(as_of - due[1]).days,
                summary=summary,
                severity=severity,
            )
        )
    found.sort(
        key=lambda o: (
            _tier_rank(tier_of.get(o.customer_id)),
            -o.days_overdue,
            -SEVERITIES.index(o.severity),
            o.complaint_id,
        )
    )
    return found


def _tier_rank(tier: str | None) -> int:
    return tiers.TIERS.index(tier) if tier in tiers.TIERS else len(tiers.TIERS)


# --- listing ----------------------------------------------------------------------------

LIST_FIELDS = (
    "id",
    "customer_id",
    "customer",
    "customer_name",
    "tier",
    "opened_on",
    "channel",
    "severity",
    "stage",
    "stage_since",
    "next_stage",
    "due_on",
    "days_overdue",
    "cause",
    "cause_detail",
    "resolution",
    "compensation",
    "compensation_amount",
    "lesson",
    "summary",
    "purchase_id",
    "closed_on",
)
DEFAULT_LIST_FIELDS = (
    "id",
    "customer",
    "customer_name",
    "tier",
    "opened_on",
    "severity",
    "stage",
    "due_on",
    "summary",
)

_LIST_SQL = """
SELECT c.id, c.customer_id, cu.code AS customer, cu.name AS customer_name, c.opened_at,
       c.channel, c.severity, c.stage, c.stage_since, c.cause, c.cause_detail, c.resolution,
       c.compensation, c.compensation_micros, c.lesson, c.summary, c.purchase_id, c.closed_at,
       (SELECT max(e.at) FROM complaint_events e
         WHERE e.complaint_id = c.id AND e.to_stage = 'received') AS received_at
FROM complaints c JOIN customers cu ON cu.id = c.customer_id
"""


def rows(
    db: Engine,
    *,
    open_only: bool = False,
    stages: Iterable[str] = (),
    customer_id: int | None = None,
    complaint_id: int | None = None,
    cause: str | None = None,
    since: date | None = None,
    overdue_as_of: date | None = None,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """Complaints as flat rows (LIST_FIELDS): A-tier customers first, open before closed.

    `overdue_as_of` keeps only those whose next stage is due by that day; `as_of` (or
    it) fills `days_overdue`. Amounts are micro-units in `compensation_micros`.
    """
    where: list[str] = ["1 = 1"]  # true on both engines (PostgreSQL wants a boolean, not 1)
    params: list[Any] = []
    wanted = list(stages)
    for s in wanted:
        if s not in STAGES:
            raise _not_one_of("stage", STAGES, s)
    if wanted:
        where.append(f"c.stage IN ({', '.join('?' for _ in wanted)})")
        params += wanted
    if open_only or overdue_as_of is not None:
        where.append("c.stage != 'closed'")
    if customer_id is not None:
        where.append("c.customer_id = ?")
        params.append(customer_id)
    if complaint_id is not None:
        where.append("c.id = ?")
        params.append(complaint_id)
    if cause is not None:
        if cause not in CAUSES:
            raise _not_one_of("cause", CAUSES, cause)
        where.append("c.cause = ?")
        params.append(cause)
    zone = local_zone(db)
    spans = deadlines(db)
    cursor = db.execute(f"{_LIST_SQL} WHERE {' AND '.join(where)}", params)
    columns = [d[0] for d in cursor.description]
    listed = cursor.fetchall()
    # The tiers of these complaints' customers only: one customer's page stays fast
    # however many customers the shop has.
    customer_at = columns.index("customer_id")
    tier_of = tiers.current_tiers(db, {raw[customer_at] for raw in listed})
    today = overdue_as_of or as_of
    out = []
    for raw in listed:
        r = dict(zip(columns, raw, strict=True))
        opened_on = local_day(r["opened_at"], zone)
        if since is not None and opened_on < since:
            continue
        since_day = local_day(r["stage_since"], zone)
        received_at = r["received_at"] or r["opened_at"]
        # Usually the receipt is the opening (no reopening): reuse the day computed above.
        received_day = opened_on if received_at == r["opened_at"] else local_day(received_at, zone)
        due = _due(spans, r["stage"], since_day, received_day)
        if overdue_as_of is not None and (due is None or due[1] > overdue_as_of):
            continue
        r.update(
            tier=tier_of.get(r["customer_id"]),
            opened_on=opened_on.isoformat(),
            stage_since=since_day.isoformat(),
            next_stage=due[0] if due else None,
            due_on=due[1].isoformat() if due else None,
            days_overdue=(today - due[1]).days if due and today and due[1] <= today else None,
            closed_on=local_day(r["closed_at"], zone).isoformat() if r["closed_at"] else None,
        )
        out.append(r)
    out.sort(
        key=lambda r: (
            _tier_rank(r["tier"]),
            r["stage"] == "closed",
            -SEVERITIES.index(r["severity"]),
            r["opened_at"],
            r["id"],
        )
    )
    return out


# --- timeline and report ----------------------------------------------------------------


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def duration_text(seconds: float) -> str:
    """'3d 4h', '5h 10m', '12m', '0m': the time between two steps, at a glance.

    English (CSV and JSON keep it), each form `said`: the page says `3일 4시간`, `3日4時間`.
    """
    minutes = int(seconds // 60)
    d, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    if d:
        return said("{d}d {h}h", d=d, h=h) if h else said("{d}d", d=d)
    if h:
        return said("{h}h {m}m", h=h, m=m) if m else said("{h}h", h=h)
    return said("{m}m", m=m)


def timeline(complaint: Complaint) -> list[dict[str, Any]]:
    """The history as rows, each with the time since the previous step."""
    out = []
    previous: str | None = None
    for e in complaint.events:
        amount = e.fields.get("amount_micros")
        out.append(
            {
                "complaint_id": e.complaint_id,
                "at": e.at,
                "event": e.kind,
                "from_stage": e.from_stage,
                "stage": e.to_stage,
                "after": duration_text(seconds_between(previous, e.at)) if previous else "",
                "by": e.by,
                "note": e.note,
                "skip_reason": e.skip_reason,
                "cause": e.fields.get("cause"),
                "detail": e.fields.get("detail"),
                "resolution": e.fields.get("resolution"),
                "compensation": e.fields.get("compensation"),
                "amount_micros": amount,
                "lesson": e.fields.get("lesson"),
            }
        )
        previous = e.at
    return out


class Report(NamedTuple):
    """What the complaints of a period teach: counts, speed, cost, repeats, lessons."""

    since: date | None
    total: int
    open: int
    by_cause: dict[str, int]
    by_stage: dict[str, int]
    resolved: int
    median_days_to_resolve: Decimal | None
    p90_days_to_resolve: Decimal | None
    compensation_micros: int
    compensation_by_kind: dict[str, tuple[int, int]]  # kind → (count, micros)
    repeat_complainers: list[dict[str, Any]]
    lessons: list[dict[str, Any]]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of them at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _days(seconds: float) -> Decimal:
    return (Decimal(str(seconds)) / Decimal(86400)).quantize(Decimal("0.1"))


def report(
    db: Engine, *, since: date | None = None, grep: str | None = None, repeat_at: int = 2
) -> Report:
    """Counts by cause and stage, time to resolve, compensation, repeat complainers, lessons.

    Time to resolve runs from receipt to the first resolution. Compensation adds up
    every resolution's amount (a reopened complaint may have paid twice).
    """
    import statistics  # here: `due` loads this module and never reports (it brings random)

    zone = local_zone(db)
    chosen = rows(db, since=since)
    ids = [r["id"] for r in chosen]
    by_cause = {c: 0 for c in CAUSES}
    by_cause[UNKNOWN_CAUSE] = 0
    by_stage = {s: 0 for s in STAGES}
    for r in chosen:
        by_cause[r["cause"] or UNKNOWN_CAUSE] += 1
        by_stage[r["stage"]] += 1
    to_resolve: list[float] = []
    paid = 0
    by_kind: dict[str, tuple[int, int]] = {}
    lessons = []
    needle = grep.casefold() if grep else None
    info = {r["id"]: r for r in chosen}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        marks = ", ".join("?" for _ in chunk)
        first_resolved: dict[int, str] = {}
        for cid, at, to_stage, fields_json in db.execute(
            "SELECT complaint_id, at, to_stage, fields FROM complaint_events"
            f" WHERE complaint_id IN ({marks}) AND to_stage IN ('resolved', 'closed')"
            " ORDER BY id",
            chunk,
        ):
            fields = json.loads(fields_json) if fields_json else {}
            if to_stage == "resolved":
                first_resolved.setdefault(cid, at)
                if fields.get("compensation") or fields.get("amount_micros"):
                    # A kind that named a forgotten customer was removed: the amount counts.
                    kind = fields.get("compensation") or "(erased)"
                    amount = int(fields.get("amount_micros") or 0)
                    n, total = by_kind.get(kind, (0, 0))
                    by_kind[kind] = (n + 1, total + amount)
                    paid += amount
            elif fields.get("lesson") and (needle is None or needle in fields["lesson"].casefold()):
                r = info[cid]
                lessons.append(
                    {
                        "complaint_id": cid,
                        "customer": r["customer"] or f"#{r['customer_id']}",
                        "customer_name": r["customer_name"],
                        "closed_on": local_day(at, zone).isoformat(),
                        "cause": r["cause"],
                        "lesson": fields["lesson"],
                    }
                )
        for cid, at in first_resolved.items():
            to_resolve.append(max(0.0, seconds_between(info[cid]["opened_at"], at)))
    counts: dict[int, int] = {}
    for r in chosen:
        counts[r["customer_id"]] = counts.get(r["customer_id"], 0) + 1
    repeat = []
    first_row: dict[int, dict[str, Any]] = {}
    for r in chosen:
        first_row.setdefault(r["customer_id"], r)
    for customer_id, n in counts.items():
        if n >= repeat_at:
            r = first_row[customer_id]
            repeat.append(
                {
                    "customer_id": customer_id,
                    "customer": r["customer"],
                    "customer_name": r["customer_name"],
                    "tier": r["tier"],
                    "complaints": n,
                }
            )
    repeat.sort(key=lambda x: (_tier_rank(x["tier"]), -x["complaints"], x["customer_id"]))
    lessons.sort(key=lambda x: (x["closed_on"], x["complaint_id"]), reverse=True)
    return Report(
        since=since,
        total=len(chosen),
        open=sum(1 for r in chosen if r["stage"] != "closed"),
        by_cause=by_cause,
        by_stage=by_stage,
        resolved=len(to_resolve),
        median_days_to_resolve=_days(statistics.median(to_resolve)) if to_resolve else None,
        p90_days_to_resolve=_days(percentile(to_resolve, 0.9)) if to_resolve else None,
        compensation_micros=paid,
        compensation_by_kind=dict(sorted(by_kind.items())),
        repeat_complainers=repeat,
        lessons=lessons,
    )


def for_customer(db: Engine, customer_id: int, *, as_of: date) -> list[dict[str, Any]]:
    """One customer's complaints for their page, judged late on `as_of`: open ones first,
    newest first."""
    found = rows(db, customer_id=customer_id, as_of=as_of)
    # rows() puts open before closed; within each, the newest first reads best on a page.
    found.sort(key=lambda r: r["opened_at"], reverse=True)
    found.sort(key=lambda r: r["stage"] == "closed")
    return found
