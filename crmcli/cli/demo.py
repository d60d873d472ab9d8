"""`crmcli demo`: load the bundled example shop into a fresh demo database and tour it."""

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from crmcli import complaints, customers, settings, tiers
from crmcli import demo as demo_core
from crmcli.cli.env import Env, get_env
from crmcli.cli.output import Format, console, emit
from crmcli.cli.tiers import render_report
from crmcli.dates import iso_date
from crmcli.i18n import _


def demo(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Option("--path", help="Where to create the demo database (default: a temp folder)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the file at --path if it already exists.")
    ] = False,
) -> None:
    """Load the bundled examples into a fresh demo database (never your real one) and tour it."""
    from crmcli.files import database_family

    env = get_env(ctx)
    target = path or demo_core.default_path()
    own = [(p, "your own database (or one of its files)") for p in database_family(env.db_path)]
    if path is None and target.parent.exists() and target.parent.stat().st_uid != os.geteuid():
        from crmcli.errors import CrmError

        raise CrmError(
            _("{folder} belongs to another user; give --path").format(folder=target.parent)
        )
    # The default demo file is crmcli's own, remade on every run; another needs --force.
    db = demo_core.build(target, protect=own, force=force or path is None)
    try:
        _tour(env, db, target)
    finally:
        db.close()  # the demo file stands alone afterwards: no -wal left beside it


def _tour(env: Env, db: Any, target: Path) -> None:
    tour = Env(db_path=target, stdout=env.stdout, stderr=env.stderr, _db=db)
    fmt = Format.table if env.stdout_isatty else None
    out = console(tour)
    # A command shown is one line whatever the width, to be copied as it is: a terminal
    # folds it for the eye, a pipe keeps it whole.
    out.soft_wrap = True
    count = customers.count(db)
    lines = db.execute("SELECT count(*) FROM purchases").fetchone()[0]
    said = _("{customers} customers and {lines} purchase lines in {path}")
    out.print("[bold]crmcli demo[/bold]: " + said.format(customers=count, lines=lines, path=target))
    out.print()
    out.print("[bold]$ crmcli customers list[/bold]")
    emit(
        tour,
        customers.rows(db, limit=12),
        fields=["code", "name", "phone", "birthday", "tags"],
        fmt=fmt,
    )
    out.print("\n[bold]$ crmcli customers search 민준[/bold]")
    emit(tour, customers.search(db, "민준"), fields=["code", "name", "phone", "email"], fmt=fmt)
    out.print(
        "\n[bold]$ crmcli complaints open K001 … && complaints advance 1 --to apologized[/bold]"
    )
    complaint = complaints.open_complaint(
        db,
        customer_id=customers.resolve(db, "K001"),
        summary="에스프레소 머신 스팀 노즐 누수",
        channel="phone",
        by="지수",
    )
    complaints.advance(db, complaint, to="apologized", note="전화로 사과드림", by="지수")
    emit(
        tour,
        complaints.rows(db, open_only=True),
        fields=["id", "customer_name", "stage", "next_stage", "due_on", "summary"],
        fmt=fmt,
    )
    # Each tier treated differently (seed 002): the report shows what each gets.
    offers = {"A": "discount=10%; gift=원두 200g; terms=30 days", "B": "discount=5%"}
    for tier, offer in offers.items():
        out.print(f'[bold]$ crmcli config set tiers.benefits.{tier} "{offer}"[/bold]')
        settings.set_value(db, f"tiers.benefits.{tier}", offer)
    out.print("\n[bold]$ crmcli tiers classify && crmcli tiers report[/bold]")
    last = db.execute("SELECT max(date) FROM purchases").fetchone()[0]
    run = tiers.classify(db, as_of=iso_date(last[:10]))
    render_report(tour, db, run, fmt=fmt, width=40)
    # Early adopters (seed 003): the shop's cold brew launched on 1 December (a first
    # sale in November was a tasting); the grinder's launch is its first sale.
    from datetime import date as day

    from crmcli import launches

    out.print("\n[bold]$ crmcli items launch 콜드브루 --on 2024-12-01[/bold]")
    launches.set_launch(db, item="콜드브루", on=day(2024, 12, 1))
    out.print("[bold]$ crmcli customers early-adopters[/bold]")
    from crmcli.cli.page import listed

    adopters = launches.early_adopters(db, as_of=iso_date(last[:10]))
    emit(
        tour,
        ({**r, "items": listed(r["items"])} for r in adopters),
        fields=["code", "name", "launches", "items"],
        fmt=fmt,
    )
    # The people around a customer (seed 004): who referred whom, a child's birthday.
    from crmcli import relations

    k001 = customers.resolve(db, "K001")
    out.print("\n[bold]$ crmcli customers relate K003 K001 --as referred-by[/bold]")
    relations.relate(db, customers.resolve(db, "K003"), kind="referred-by", other_id=k001)
    out.print(
        "[bold]$ crmcli customers relate K001 --name 김하윤 --birthday 2014-11-27"
        " --as child --greet[/bold]"
    )
    relations.relate(db, k001, kind="child", name="김하윤", birthday="2014-11-27", greet=True)
    out.print("[bold]$ crmcli customers relations K001[/bold]")
    emit(
        tour,
        relations.rows(db, k001),
        fields=["code", "name", "kind", "other_code", "other_name", "other_birthday"],
        fmt=fmt,
    )
    # The agenda as of the week after the example data ends, so the tour always has
    # something due (after-sale checks, birthdays, first-purchase anniversaries).
    from datetime import date, timedelta

    from crmcli import agenda

    today = date.fromisoformat(last) + timedelta(days=4)
    # A visit plan with a goal (seed 004): its first visit falls in the agenda below.
    from crmcli import visits

    goal = "신제품 콜드브루 시음 권하기"
    out.print(f'\n[bold]$ crmcli visits plan K002 --every 3m --goal "{goal}" --from {today}[/bold]')
    visits.plan(
        db, customer_id=customers.resolve(db, "K002"), every="3m", goal=goal, from_day=today
    )
    # The shop's own day (seed 018): a sale rung up today is thanked tomorrow, and a
    # walk-in entered by hand, who has not bought, gets a first call two days on.
    from crmcli import purchases
    from crmcli.money import parse_amount

    out.print(
        f'[bold]$ crmcli purchases add K002 --amount 54000 --item "핸드드립 주전자"'
        f" --order O1200 --on {today}[/bold]"
    )
    purchases.add(
        db,
        customer_id=customers.resolve(db, "K002"),
        amount_micros=parse_amount("54000"),
        on=today,
        item="핸드드립 주전자",
        order_id="O1200",
    )
    out.print(
        f"[bold]$ crmcli customers add --name 정하은 --phone 010-5555-0199"
        f" --added-on {today}[/bold]"
    )
    customers.add(db, name="정하은", phones_raw=["010-5555-0199"], added_on=today.isoformat())
    out.print(f"\n[bold]$ crmcli due --as-of {today} --days 7[/bold]")
    entries = agenda.due(db, start=today, end=today + timedelta(days=6))
    emit(tour, (e.row() for e in entries), fields=list(agenda.DEFAULT_FIELDS), fmt=fmt)
    command = f"crmcli --db {target} customers show K001"
    out.print("\n" + _("Explore it yourself:  {command}").format(command=command))
