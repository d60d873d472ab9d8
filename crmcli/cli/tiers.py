"""`crmcli tiers …`: classify customers A/B/C, report, see who moved, a customer's history."""

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Annotated, Any

import typer

from crmcli import tiers
from crmcli.cli import screen
from crmcli.cli.env import Env, get_env
from crmcli.cli.output import Format, FormatOption, console, emit, fields_option, pick_fields
from crmcli.cli.output import resolve_format as _resolve_format
from crmcli.engines import Engine
from crmcli.i18n import N_, _, ngettext
from crmcli.money import Money, format_amount, to_decimal
from crmcli.settings import display_places

app = typer.Typer(
    help="ABC tiers: rank customers by what they bring and watch them move.",
    no_args_is_help=True,
)

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Classify as of this day, YYYY-MM-DD (default today).")
]
RunOption = Annotated[
    int | None, typer.Option("--run", help="Which run (default: the latest; see `tiers runs`).")
]

SUMMARY_FIELDS = ("tier", "customers", "revenue", "share_pct", "average", "benefit")
# The benefit column is shown by default once some tier has a benefit (`tiers.benefits.A`).
SUMMARY_PLAIN = SUMMARY_FIELDS[:-1]
RUN_FIELDS = ("run", "as_of", "rule", "window", "customers", "revenue", "A", "B", "C", "created_at")
_TIER_STYLE = {"A": "green", "B": "yellow", "C": "blue"}


def percent(share: Fraction | None) -> Decimal | None:
    """A share as a percentage with two decimals, for display."""
    if share is None:
        return None
    value = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def _summary_default(db: Engine) -> tuple[str, ...]:
    return SUMMARY_FIELDS if tiers.all_benefits(db) else SUMMARY_PLAIN


def _summary_rows(
    summaries: list[tiers.TierSummary], places: int, db: Engine
) -> list[dict[str, Any]]:
    step = Decimal(1).scaleb(-places)
    offers = tiers.all_benefits(db)
    return [
        {
            "tier": s.tier,
            "customers": s.customers,
            "revenue": to_decimal(s.revenue_micros),
            "share_pct": percent(s.share),
            "average": None
            if s.average_micros is None
            else Money(to_decimal(s.average_micros).quantize(step, rounding=ROUND_HALF_EVEN)),
            "benefit": offers[s.tier].text if s.tier in offers else None,
        }
        for s in summaries
    ]


def describe(run: tiers.Run) -> str:
    params = ", ".join(f"{k}={v}" for k, v in run.params.items())
    said = _("run #{id}: {rule} ({params}) over {window} as of {as_of}, {n} customers")
    return said.format(
        id=run.id,
        rule=run.rule,
        params=params,
        window=run.window,
        as_of=run.as_of,
        n=run.customers,
    )


@app.command("classify")
def classify(
    ctx: typer.Context,
    rule: Annotated[
        str | None,
        typer.Option(
            "--rule", help="pareto, top-share or growth (default: the tiers.rule setting)."
        ),
    ] = None,
    window: Annotated[
        str | None,
        typer.Option("--window", help="12m, 24m, any span, or all (default: tiers.window)."),
    ] = None,
    as_of: AsOf = None,
    fmt: FormatOption = None,
    fields: fields_option(SUMMARY_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """Classify every customer A, B or C; the run is kept, so tiers have a history."""
    env = get_env(ctx)
    db = env.db
    # What the output needs is checked before the run is stored: a wrong --fields or a
    # broken currency setting must not leave a run behind.
    chosen = pick_fields(fields, allowed=SUMMARY_FIELDS, default=_summary_default(db))
    places = display_places(db)
    run = tiers.classify(db, rule=rule, window=window, as_of=env.today(as_of))
    env.say(describe(run))
    warning = tiers.empty_window(db, run)
    if warning:
        env.say(_("warning: {problem}").format(problem=warning))
    emit(
        env,
        _summary_rows(tiers.summary(run), places, db),
        fields=chosen,
        fmt=fmt,
        money_places=places,
    )


@app.command("runs")
def runs(
    ctx: typer.Context,
    fmt: FormatOption = None,
    fields: fields_option(RUN_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """List the classification runs, the latest as-of day first."""
    env = get_env(ctx)
    db = env.read_db()
    rows = (
        {
            "run": r.id,
            "as_of": r.as_of,
            "rule": r.rule,
            "window": r.window,
            "customers": r.customers,
            "revenue": to_decimal(r.revenue_micros),
            **r.counts,
            "created_at": r.created_at,
        }
        for r in tiers.runs(db)
    )
    chosen = pick_fields(fields, allowed=RUN_FIELDS, default=RUN_FIELDS)
    emit(env, rows, fields=chosen, fmt=fmt, money_places=display_places(db), identify=("run",))


@app.command("report")
def report(
    ctx: typer.Context,
    run: RunOption = None,
    fmt: FormatOption = None,
    width: Annotated[
        int | None,
        typer.Option(
            "--width", min=10, max=200, help="Chart width in columns (default: fits the terminal)."
        ),
    ] = None,
    fields: fields_option(SUMMARY_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """Per tier: customers, revenue, share and average spend; a Pareto chart on a terminal."""
    env = get_env(ctx)
    db = env.read_db()
    render_report(env, db, tiers.get_run(db, run), fmt=fmt, width=width, fields=fields)


def render_report(
    env: Env,
    db: Engine,
    run: tiers.Run,
    *,
    fmt: Format | None,
    width: int | None = None,
    fields: str | None = None,
) -> None:
    """The per-tier table, and on a terminal the run's header and its Pareto chart."""
    places = display_places(db)
    rows = _summary_rows(tiers.summary(run), places, db)
    chosen = pick_fields(fields, allowed=SUMMARY_FIELDS, default=_summary_default(db))
    if _resolve_format(env, fmt) is not Format.table or fields is not None:
        emit(env, rows, fields=chosen, fmt=fmt, money_places=places)
        return
    if width is None:  # the chart and its 7-column axis fit the screen, 50 at most
        width = max(10, min(50, screen.width(env.stdout) - 8))
    from crmcli.cli.page import Page

    page = Page(env)
    revenue = format_amount(run.revenue_micros, places=places)
    heading = _("{run}, revenue {revenue}").format(run=describe(run), revenue=revenue)
    page.heading(heading, first=True)
    headers = {"share_pct": N_("share %"), "average": N_("average spend")}
    emit(env, rows, fields=chosen, fmt=Format.table, headers=headers, money_places=places)
    overrides = db.execute(
        "SELECT count(*) FROM customers WHERE tier_override IS NOT NULL"
    ).fetchone()[0]
    if overrides:
        said = ngettext(
            "{n} customer has a tier set by hand (not counted above)",
            "{n} customers have a tier set by hand (not counted above)",
            overrides,
        )
        page.text(said.format(n=overrides), dim=True)
    out = console(env)
    curve = tiers.pareto_curve(db, run, points=width)
    if curve:
        out.print()
        out.print(pareto_chart(curve))


def pareto_chart(curve: list[tiers.CurvePoint], *, height: int = 10) -> Any:
    """Cumulative revenue share (up) against share of customers (across), one column per point.

    Each column is as tall as the revenue the top customers up to it hold, drawn with
    eighth blocks and coloured by the tier of the customer at that point.
    """
    from rich.text import Text

    blocks = " ▁▂▃▄▅▆▇█"
    text = Text()
    for row in range(height, 0, -1):
        label = {height: "100%", (height + 1) // 2: " 50%"}.get(row, "    ")
        text.append(f"{label} ┤" if label.strip() else "     │", style="dim")
        for point in curve:
            eighths = round(point.revenue_share * height * 8) - (row - 1) * 8
            char = blocks[max(0, min(8, eighths))]
            text.append(char, style=_TIER_STYLE[point.tier])
        text.append("\n")
    text.append("   0% └" + "─" * len(curve) + "\n", style="dim")
    axis = "0%".ljust(len(curve) // 2) + "50%"
    text.append("       " + axis.ljust(len(curve) - 3) + "100%\n", style="dim")
    # Short enough for a 60-column terminal: the chart is at most 50 wide plus its axis.
    text.append("       " + _("share of customers, biggest spenders first:"))
    for tier, style in _TIER_STYLE.items():
        text.append(f" ■ {tier}", style=style)
    return text


CHANGE_FIELDS = (
    "id",
    "code",
    "name",
    "from",
    "to",
    "change",
    "spend_before",
    "spend_after",
)
CHANGE_DEFAULT = ("code", "name", "from", "to", "change", "spend_before", "spend_after")


@app.command("changes")
def changes(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="A run id, or a date: the last run as of then (default: the run before).",
        ),
    ] = None,
    run: RunOption = None,
    fmt: FormatOption = None,
    fields: fields_option(CHANGE_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """Who moved between two runs: A customers who dropped first — the attention list."""
    env = get_env(ctx)
    db = env.read_db()
    newer = tiers.get_run(db, run)
    older = tiers.resolve_since(db, since, newer=newer)
    said = _("from run #{older} (as of {older_day}) to run #{newer} (as of {newer_day})")
    env.say(
        said.format(older=older.id, older_day=older.as_of, newer=newer.id, newer_day=newer.as_of)
    )
    rows = (
        {
            "id": m.customer_id,
            "code": m.code,
            "name": m.name,
            "from": m.before,
            "to": m.after,
            "change": m.kind,
            "spend_before": None
            if m.spend_before_micros is None
            else to_decimal(m.spend_before_micros),
            "spend_after": None
            if m.spend_after_micros is None
            else to_decimal(m.spend_after_micros),
        }
        for m in tiers.changes(db, older=older, newer=newer)
    )
    chosen = pick_fields(fields, allowed=CHANGE_FIELDS, default=CHANGE_DEFAULT)
    emit(
        env, rows, fields=chosen, fmt=fmt, money_places=display_places(db), empty=_("nobody moved")
    )


HISTORY_FIELDS = (
    "run",
    "as_of",
    "rule",
    "window",
    "tier",
    "rank",
    "of",
    "spend",
    "above_pct",
    "reason",
)


@app.command("history")
def history(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Customer code, id, phone number or e-mail.")],
    fmt: FormatOption = None,
    fields: fields_option(HISTORY_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """A customer's tier in every run, the latest as-of day first, and any tier set by hand."""
    from crmcli import customers  # here: `tiers classify` and `list` need no customer's record

    env = get_env(ctx)
    db = env.read_db()
    customer_id = customers.resolve(db, ref)
    _say_override(env, customers.get(db, customer_id).fields)
    rows = [
        {
            **r,
            "spend": to_decimal(r["spend_micros"]),
            "above_pct": percent(tiers.share_above(db, r["run"], customer_id)),
        }
        for r in tiers.history(db, customer_id)
    ]
    chosen = pick_fields(fields, allowed=HISTORY_FIELDS, default=HISTORY_FIELDS)
    emit(
        env,
        rows,
        fields=chosen,
        fmt=fmt,
        money_places=display_places(db),
        empty=_("not classified yet (crmcli tiers classify)"),
        keep=("tier", "reason"),  # the tier, and why the customer has it
    )


def _say_override(env: Env, f: dict[str, Any] | Any) -> None:
    if f["tier_override"]:
        said = _("tier set by hand: {tier} ({reason}) since {day}")
        env.say(
            said.format(
                tier=f["tier_override"], reason=f["tier_override_reason"], day=f["tier_override_at"]
            )
        )
