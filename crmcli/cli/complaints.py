"""`crmcli complaints …`: open, advance, reopen, list, show and report on complaints.

A stage's rules are crmcli/complaints.py's `STAGE_TABLE`; the options' help is built
from it. The core's refusals name fields; the root handler (cli/__init__.py) says them
as these options (`option_for`: `skip_reason` → `--skip-reason`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer

from crmcli import complaints, customers
from crmcli.cli import option_for as flag
from crmcli.cli.env import Env, get_env
from crmcli.cli.output import (
    Format,
    FormatOption,
    emit,
    fields_option,
    pick_fields,
    print_json,
    resolve_format,
)
from crmcli.dates import iso_date
from crmcli.i18n import N_, _, ngettext, said
from crmcli.money import format_amount, parse_amount, to_decimal
from crmcli.settings import display_places

app = typer.Typer(
    help="Complaints, handled stage by stage: received → apologized → cause-found → resolved "
    "→ followed-up → closed.",
    no_args_is_help=True,
)

Id = Annotated[int, typer.Argument(help="The complaint's number (complaints list shows it).")]
By = Annotated[
    str | None,
    typer.Option("--by", help="Staff member doing this; default: setting staff.default or $USER."),
]
On = Annotated[
    str | None,
    typer.Option("--on", help="When it happened, YYYY-MM-DD (default: now)."),
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Today's date for deadlines, YYYY-MM-DD.")
]
Since = Annotated[
    str | None, typer.Option("--since", help="Only complaints received on or after YYYY-MM-DD.")
]


@contextmanager
def _reopen_hint(complaint_id: int) -> Iterator[None]:
    """A closed complaint asked to move on: say the command that reopens it."""
    try:
        yield
    except complaints.ClosedComplaint as exc:
        hint = f"complaints reopen {complaint_id} --reason …"
        raise complaints.ClosedComplaint(f"{exc} ({hint})") from None


def _field_help(field: str) -> str:
    """An `advance` option's help, from the Stage table: its stage and what it holds."""
    stage = complaints.STAGE[complaints.OWNER[field]]
    what = said(stage.describe(field))  # the Stage table's words, said in the language too
    if field in stage.required:
        return said("{stage} (required): {what}.", stage=stage.name, what=what)
    return said("{stage} (optional): {what}.", stage=stage.name, what=what)


def _to_help() -> str:
    """`--to`'s help, from the Stage table: each stage and the options it needs."""
    named = []
    for stage in complaints.STAGE_TABLE[1:]:
        needs = ", ".join(flag(f) for f in stage.required)
        named.append(
            said("{stage} (needs {options})", stage=stage.name, options=needs)
            if needs
            else stage.name
        )
    return said("The stage reached: {stages}.", stages=tuple(named))


def _note_help() -> str:
    # One stage needs a note (the follow-up: the contact made); unpacking says if that changes.
    [needed] = [s for s in complaints.STAGE_TABLE if complaints.NOTE in s.required]
    what = said(needed.required[complaints.NOTE])
    return said(
        "What was done, at any stage; required for {stage}: {what}.",
        stage=needed.name,
        what=what,
    )


def _on(value: str | None) -> date | None:
    return iso_date(value, what="--on") if value else None


def _by(env: Env, by: str | None) -> str | None:
    return by or env.user or None


@app.command("open")
def open_(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Customer code, id, phone or e-mail.")],
    summary: Annotated[
        str, typer.Option("--summary", "-s", help="What the customer said, in a line.")
    ],
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel",
            help=said(
                "How it came in: {channels}, or any word.",
                channels=", ".join(complaints.CHANNELS),
            ),
        ),
    ] = None,
    severity: Annotated[
        str,
        typer.Option(
            "--severity",
            help=said("One of {choices}.", choices=", ".join(complaints.SEVERITIES)),
        ),
    ] = "normal",
    purchase: Annotated[
        int | None, typer.Option("--purchase", help="The purchase it is about (its id).")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="More detail, as heard.")] = None,
    on: On = None,
    by: By = None,
) -> None:
    """Record a complaint as received; prints its id."""
    env = get_env(ctx)
    db = env.db
    customer_id = customers.resolve(db, ref)
    complaint_id = complaints.open_complaint(
        db,
        customer_id=customer_id,
        summary=summary,
        channel=channel,
        severity=severity,
        purchase_id=purchase,
        note=note,
        on=_on(on),
        by=_by(env, by),
    )
    print(complaint_id, file=env.stdout)
    said = _(
        "complaint #{id} received from customer #{customer}; "
        "next: apologise (complaints advance {id} --to apologized)"
    )
    env.say(said.format(id=complaint_id, customer=customer_id))


@app.command("advance")
def advance(
    ctx: typer.Context,
    complaint_id: Id,
    to: Annotated[str, typer.Option("--to", help=_to_help())],
    note: Annotated[str | None, typer.Option("--note", "-n", help=_note_help())] = None,
    cause: Annotated[str | None, typer.Option("--cause", help=_field_help("cause"))] = None,
    detail: Annotated[str | None, typer.Option("--detail", help=_field_help("detail"))] = None,
    resolution: Annotated[
        str | None, typer.Option("--resolution", help=_field_help("resolution"))
    ] = None,
    compensation: Annotated[
        str | None, typer.Option("--compensation", help=_field_help("compensation"))
    ] = None,
    amount: Annotated[str | None, typer.Option("--amount", help=_field_help("amount"))] = None,
    lesson: Annotated[str | None, typer.Option("--lesson", help=_field_help("lesson"))] = None,
    skip_reason: Annotated[
        str | None,
        typer.Option("--skip-reason", help="Why stages in between are skipped (required then)."),
    ] = None,
    expect: Annotated[
        str | None,
        typer.Option("--from", help="Only if the complaint is still at this stage."),
    ] = None,
    on: On = None,
    by: By = None,
) -> None:
    """Move a complaint to its next stage, with the fields that stage needs."""
    env = get_env(ctx)
    with _reopen_hint(complaint_id):
        event = complaints.advance(
            env.db,
            complaint_id,
            to=to,
            note=note,
            cause=cause,
            detail=detail,
            resolution=resolution,
            compensation=compensation,
            amount_micros=parse_amount(amount) if amount is not None else None,
            lesson=lesson,
            skip_reason=skip_reason,
            expect_stage=expect,
            on=_on(on),
            by=_by(env, by),
        )
    from crmcli.cli.i18n import shown_value

    moved = {
        "id": complaint_id,
        "before": shown_value("stage", event.from_stage),
        "after": shown_value("stage", event.to_stage),
    }
    if event.skip_reason:
        said = _("complaint #{id}: {before} → {after} (skipped: {reason})")
        env.say(said.format(**moved, reason=event.skip_reason))
    else:
        env.say(_("complaint #{id}: {before} → {after}").format(**moved))


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    complaint_id: Id,
    reason: Annotated[str, typer.Option("--reason", help="What the customer came back with.")],
    on: On = None,
    by: By = None,
) -> None:
    """Reopen a closed complaint: it goes back to `received` and the process starts over."""
    env = get_env(ctx)
    complaints.reopen(env.db, complaint_id, reason=reason, on=_on(on), by=_by(env, by))
    env.say(_("complaint #{id} reopened: back to received").format(id=complaint_id))


def _present(row: dict[str, Any]) -> dict[str, Any]:
    """A complaint's row for output: money as an amount (never micro-units)."""
    out = dict(row)
    micros = out.pop("compensation_micros", None)
    out["compensation_amount"] = None if micros is None else to_decimal(micros)
    if out.get("customer") is None:
        out["customer"] = str(row["customer_id"])  # the id is a valid REF too
    return out


@app.command("list")
def list_(
    ctx: typer.Context,
    open_only: Annotated[bool, typer.Option("--open", help="Only complaints not closed.")] = False,
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage",
            help=said(
                "Only at this stage ({stages}); repeatable.", stages=", ".join(complaints.STAGES)
            ),
        ),
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", "-c", help="Only this customer's (REF).")
    ] = None,
    cause: Annotated[
        str | None,
        typer.Option(
            "--cause",
            help=said("Only with this cause: {causes}.", causes=", ".join(complaints.CAUSES)),
        ),
    ] = None,
    overdue: Annotated[
        bool,
        typer.Option("--overdue", help="Only those whose next stage is due (by --as-of)."),
    ] = False,
    as_of: AsOf = None,
    since: Since = None,
    fmt: FormatOption = None,
    fields: fields_option(complaints.LIST_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """List complaints: A-tier customers first, then open before closed, most severe first."""
    env = get_env(ctx)
    db = env.read_db()
    today = env.today(as_of)
    found = complaints.rows(
        db,
        open_only=open_only,
        stages=stage or (),
        customer_id=customers.resolve(db, customer) if customer else None,
        cause=cause,
        since=iso_date(since, what="--since") if since else None,
        overdue_as_of=today if overdue else None,
        as_of=today,
    )
    default = list(complaints.DEFAULT_LIST_FIELDS)
    if overdue and "days_overdue" not in default:
        # How late each one is, by default when the list is of the late ones (README),
        # early enough to stay on a narrow terminal.
        default.insert(default.index("tier") + 1 if "tier" in default else 1, "days_overdue")
    chosen = pick_fields(fields, allowed=complaints.LIST_FIELDS, default=default)
    emit(
        env,
        (_present(r) for r in found),
        fields=chosen,
        fmt=fmt,
        money_places=display_places(db),
        empty=_("no complaints overdue match") if overdue else _("no complaints match"),
        # A narrow terminal keeps what each complaint is and where it stands.
        keep=("summary", "stage", "days_overdue", "due_on"),
        under={"customer": "customer_name"},
    )


_DETAIL_LABELS = {
    "customer": N_("Customer"),
    "summary": N_("Summary"),
    "channel": N_("Channel"),
    "severity": N_("Severity"),
    "purchase_id": N_("Purchase"),
    "stage": N_("Stage"),
    "opened_on": N_("Received"),
    "next": N_("Next"),
    "cause": N_("Cause"),
    "resolution": N_("Resolution"),
    "compensation": N_("Compensation"),
    "lesson": N_("Lesson"),
    "closed_on": N_("Closed"),
}
TIMELINE_FIELDS = ("at", "event", "stage", "after", "by", "note", "details")
REPORT_FIELDS = ("section", "key", "value")


def _details(row: dict[str, Any], places: int) -> dict[str, Any]:
    """The complaint's facts for its page, in the person's words."""
    from crmcli.cli.i18n import shown_value

    cause = row["cause"] and shown_value("cause", row["cause"])
    if cause and row["cause_detail"]:
        cause = f"{cause}: {row['cause_detail']}"
    paid = ""
    if row["compensation"]:
        paid = row["compensation"]
        if row["compensation_micros"] is not None:
            paid += " " + format_amount(row["compensation_micros"], places=places)
    nxt = ""
    if row["next_stage"]:
        step = {"stage": shown_value("stage", row["next_stage"]), "day": row["due_on"]}
        if row["days_overdue"]:
            n = row["days_overdue"]
            late = ngettext(
                "{stage}, due {day} ({n} day overdue)", "{stage}, due {day} ({n} days overdue)", n
            )
            nxt = late.format(**step, n=n)
        else:
            nxt = _("{stage}, due {day}").format(**step)
    name = row["customer_name"] or ""
    who = f"{row['customer'] or '#' + str(row['customer_id'])} {name}".strip()
    return {
        "customer": _("{customer} (tier {tier})").format(customer=who, tier=row["tier"])
        if row["tier"]
        else who,
        "summary": row["summary"],
        "channel": shown_value("channel", row["channel"]),
        "severity": shown_value("severity", row["severity"]),
        "purchase_id": row["purchase_id"] and f"#{row['purchase_id']}",
        "stage": _("{stage} since {day}").format(
            stage=shown_value("stage", row["stage"]), day=row["stage_since"]
        ),
        "opened_on": row["opened_on"],
        "next": nxt,
        "cause": cause,
        "resolution": row["resolution"],
        "compensation": paid,
        "lesson": row["lesson"],
        "closed_on": row["closed_on"],
    }


def _step_amount(step: dict[str, Any]) -> dict[str, Any]:
    """A timeline step for output: money as an amount (never micro-units)."""
    out = dict(step)
    micros = out.pop("amount_micros")
    out["amount"] = None if micros is None else to_decimal(micros)
    return out


def _step_details(step: dict[str, Any], places: int, *, person: bool = False) -> str:
    """A step's fields in a line: in the person's language on a page, English in CSV."""
    from crmcli.cli.i18n import shown_value

    said = _ if person else str
    parts = []
    if step["skip_reason"]:
        parts.append(said(N_("skipped: {reason}")).format(reason=step["skip_reason"]))
    if step["cause"]:
        cause = shown_value("cause", step["cause"]) if person else step["cause"]
        if step["detail"]:
            cause = f"{cause} ({step['detail']})"
        parts.append(said(N_("cause: {cause}")).format(cause=cause))
    if step["resolution"]:
        parts.append(said(N_("resolution: {text}")).format(text=step["resolution"]))
    if step["compensation"]:
        amount = step["amount_micros"]
        value = f" {format_amount(amount, places=places)}" if amount is not None else ""
        paid = f"{step['compensation']}{value}"
        parts.append(said(N_("compensation: {text}")).format(text=paid))
    if step["lesson"]:
        parts.append(said(N_("lesson: {text}")).format(text=step["lesson"]))
    return "; ".join(parts)


@app.command("show")
def show(
    ctx: typer.Context,
    complaint_id: Id,
    as_of: AsOf = None,
    fmt: FormatOption = None,
    fields: fields_option(TIMELINE_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """A complaint and its timeline, with the time taken between stages.

    As CSV/TSV, or with --fields, the timeline's events as rows.
    """
    env = get_env(ctx)
    db = env.read_db()
    complaint = complaints.get(db, complaint_id)
    [row] = complaints.rows(db, complaint_id=complaint_id, as_of=env.today(as_of))
    steps = complaints.timeline(complaint)
    places = display_places(db)
    zone = complaints.local_zone(db)
    chosen = resolve_format(env, fmt)
    picked = pick_fields(fields, allowed=TIMELINE_FIELDS, default=TIMELINE_FIELDS)
    if chosen in (Format.json, Format.jsonl) and fields is None:
        data = {
            "complaint": _present(row),
            "timeline": [_step_amount(s) for s in steps],
        }
        indent = 2 if chosen is Format.json else None
        print_json(env, data, indent=indent)
        return
    shown = [
        {
            **s,
            "at": complaints.local_time(s["at"], zone) if chosen is Format.table else s["at"],
            "details": _step_details(s, places, person=chosen is Format.table),
        }
        for s in steps
    ]
    if chosen is not Format.table or fields is not None:
        emit(env, shown, fields=picked, fmt=chosen, identify=("at",))
        return
    from crmcli.cli.page import render_complaint_page

    details = [(_(_DETAIL_LABELS[k]), str(v)) for k, v in _details(row, places).items() if v]
    render_complaint_page(env, complaint_id, details, shown)


@app.command("report")
def report(
    ctx: typer.Context,
    since: Since = None,
    grep: Annotated[
        str | None, typer.Option("--grep", "-g", help="Only lessons containing this text.")
    ] = None,
    fmt: FormatOption = None,
    fields: fields_option(REPORT_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """Counts by cause and stage, time to resolve, compensation, repeat complainers, lessons."""
    env = get_env(ctx)
    db = env.read_db()
    r = complaints.report(db, since=iso_date(since, what="--since") if since else None, grep=grep)
    chosen = resolve_format(env, fmt)
    places = display_places(db)
    picked = pick_fields(fields, allowed=REPORT_FIELDS, default=REPORT_FIELDS)
    if chosen is Format.json and fields is None:
        print_json(env, _report_dict(r), indent=2)
    elif chosen is Format.table and fields is None:
        _report_table(env, r, places)
    else:
        emit(env, _report_rows(r), fields=picked, fmt=chosen, identify=("section", "key"))


def _report_dict(r: complaints.Report) -> dict[str, Any]:
    return {
        "since": r.since.isoformat() if r.since else None,
        "total": r.total,
        "open": r.open,
        "by_cause": r.by_cause,
        "by_stage": r.by_stage,
        "resolved": r.resolved,
        "median_days_to_resolve": r.median_days_to_resolve,
        "p90_days_to_resolve": r.p90_days_to_resolve,
        "compensation_total": to_decimal(r.compensation_micros),
        "compensation_by_kind": {
            k: {"count": n, "total": to_decimal(m)} for k, (n, m) in r.compensation_by_kind.items()
        },
        "repeat_complainers": r.repeat_complainers,
        "lessons": r.lessons,
    }


def _report_rows(r: complaints.Report) -> Any:
    """The report in long form (section, key, value): one table a spreadsheet can pivot."""
    yield {"section": "total", "key": "complaints", "value": r.total}
    yield {"section": "total", "key": "open", "value": r.open}
    for k, v in r.by_cause.items():
        yield {"section": "by_cause", "key": k, "value": v}
    for k, v in r.by_stage.items():
        yield {"section": "by_stage", "key": k, "value": v}
    yield {"section": "time_to_resolve", "key": "resolved", "value": r.resolved}
    yield {"section": "time_to_resolve", "key": "median_days", "value": r.median_days_to_resolve}
    yield {"section": "time_to_resolve", "key": "p90_days", "value": r.p90_days_to_resolve}
    yield {"section": "compensation", "key": "total", "value": to_decimal(r.compensation_micros)}
    for k, (n, m) in r.compensation_by_kind.items():
        yield {"section": "compensation", "key": f"{k} ({n})", "value": to_decimal(m)}
    for x in r.repeat_complainers:
        who = f"{x['customer'] or '#' + str(x['customer_id'])} {x['customer_name'] or ''}".strip()
        yield {"section": "repeat_complainers", "key": who, "value": x["complaints"]}
    for x in r.lessons:
        yield {
            "section": "lessons",
            "key": f"#{x['complaint_id']} {x['closed_on']}",
            "value": x["lesson"],
        }


def _report_table(env: Env, r: complaints.Report, places: int) -> None:
    """The report as a page: counts, time to resolve, compensation, repeaters, lessons."""
    from crmcli.cli.page import Page, quoted

    page = Page(env)
    counted = {"total": r.total, "open": r.open, "day": r.since}
    if r.since:
        page.heading(
            _("Complaints since {day}: {total} ({open} open)").format(**counted), first=True
        )
    else:
        page.heading(_("Complaints: {total} ({open} open)").format(**counted), first=True)
    causes, stages = list(r.by_cause.items()), list(r.by_stage.items())
    counts = [
        {
            "cause": causes[i][0] if i < len(causes) else "",
            "n": causes[i][1] if i < len(causes) else None,
            "stage": stages[i][0] if i < len(stages) else "",
            "n ": stages[i][1] if i < len(stages) else None,
        }
        for i in range(max(len(causes), len(stages)))
    ]
    page.rows(
        counts, ("cause", "n", "stage", "n "), identify=("cause", "stage"), numbers=("n", "n ")
    )
    page.text("")
    if r.resolved:
        said = _("Time to resolve ({n} resolved): median {median} days, 90th percentile {p90} days")
        page.text(
            said.format(n=r.resolved, median=r.median_days_to_resolve, p90=r.p90_days_to_resolve)
        )
    else:
        page.text(_("Time to resolve: none resolved yet"))
    kinds = ", ".join(
        f"{quoted(k)} ×{n} {format_amount(m, places=places)}"
        for k, (n, m) in r.compensation_by_kind.items()
    )
    total = format_amount(r.compensation_micros, places=places)
    page.text(_("Compensation: {total}").format(total=total) + (f" ({kinds})" if kinds else ""))
    page.heading(_("Repeat complainers"))
    if r.repeat_complainers:
        emit(
            env,
            r.repeat_complainers,
            fields=("customer", "customer_name", "tier", "complaints"),
            fmt=Format.table,
        )
    else:
        page.text(_("none"), dim=True)
    page.heading(_("Lessons"))
    if r.lessons:
        emit(
            env,
            r.lessons,
            fields=("complaint_id", "closed_on", "customer_name", "cause", "lesson"),
            fmt=Format.table,
        )
    else:
        page.text(_("none"), dim=True)
