"""Rich rendering of a customer's page on a terminal."""

from decimal import Decimal
from typing import Any

from crmcli.cli.env import Env
from crmcli.cli.output import console
from crmcli.money import format_amount

_PROFILE_LABELS = {
    "code": "Code",
    "name": "Name",
    "salutation": "Salutation",
    "phones": "Phones",
    "email": "E-mail",
    "birthday": "Birthday",
    "anniversaries": "Anniversaries",
    "address": "Address",
    "postcode": "Postcode",
    "company": "Company",
    "occupation": "Occupation",
    "income_band": "Income band",
    "gender": "Gender",
    "locale": "Locale",
    "tags": "Tags",
    "owner": "Owner",
    "attitude": "Attitude",
    "contact_window": "Contact window",
    "do_not_contact": "Do not contact",
    "notes": "Notes",
    "extra": "Other fields",
    "created_at": "Added",
    "archived_at": "Archived",
}


def _value(key: str, value: Any, profile: dict[str, Any]) -> str | None:
    if value in (None, "", [], {}, False):
        return None
    if key == "birthday" and profile.get("birthday_lunar"):
        return f"{value} (lunar)"
    if key == "locale" and profile.get("locale_why"):
        return f"{value} ({profile['locale_why']})"
    if key == "do_not_contact":
        return "yes"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _money(value: Decimal, places: int) -> str:
    return format_amount(int(value * 1_000_000), places=places)


def render_customer_page(env: Env, data: dict[str, Any], *, places: int) -> None:
    from rich.table import Table

    out = console(env)
    profile = data["profile"]
    title = profile["name"] or profile["code"] or f"#{profile['id']}"
    out.print(f"[bold]{title}[/bold]  [dim]#{profile['id']}[/dim]")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, label in _PROFILE_LABELS.items():
        text = _value(key, profile.get(key), profile)
        if text is not None:
            grid.add_row(label, text)
    out.print(grid)

    p = data["purchases"]
    out.print("\n[bold]Purchases[/bold]")
    if p["count"]:
        out.print(
            f"{p['count']} line(s), total {_money(p['total'], places)}, "
            f"first {p['first']}, last {p['last']}"
        )
        recent = Table(show_edge=False, pad_edge=False, header_style="dim")
        for col in ("date", "amount", "item", "order"):
            recent.add_column(col, justify="right" if col == "amount" else "left", overflow="fold")
        for r in p["recent"]:
            recent.add_row(
                r["date"], _money(r["amount"], places), r["item"] or "", r["order_id"] or ""
            )
        out.print(recent)
    else:
        out.print("[dim]none yet[/dim]")

    _tier(out, data["tier"], places)
    _top(out, data.get("top"), places)

    _simple_section(
        out,
        "Complaints",
        [_complaint_line(c) for c in data["complaints"]],
        ("id", "opened_on", "stage", "next", "summary"),
    )
    _simple_section(out, "Follow-ups", data["followups"], ("id", "due_on", "note"))
    _simple_section(out, "Contact log", data["contacts"], ("at", "channel", "note", "by"))


def _complaint_line(c: dict[str, Any]) -> dict[str, Any]:
    """A complaint on the customer's page: what is due next, and whether it is late."""
    nxt = ""
    if c["next_stage"]:
        nxt = f"{c['next_stage']} by {c['due_on']}"
        if c["days_overdue"]:
            nxt += f" ({c['days_overdue']}d late)"
    return {**c, "next": nxt}


def _tier(out: Any, tier: dict[str, Any] | None, places: int) -> None:
    from rich.markup import escape

    out.print("\n[bold]Tier[/bold]")
    if not tier or not tier["tier"]:
        out.print("[dim]not classified yet (crmcli tiers classify)[/dim]")
    else:
        note = (
            f" (set by hand: {escape(tier['override_reason'] or '')})" if tier["override"] else ""
        )
        out.print(f"{tier['tier']}{note}")
        c = tier.get("classified")
        if c:
            out.print(
                f"[dim]classified {c['tier']} as of {c['as_of']} ({c['rule']}): rank {c['rank']}"
                f" of {c['of']}, spend {_money(c['spend'], places)}"
                + (f", {c['above_pct']} % held above" if c.get("above_pct") is not None else "")
                + f"; {escape(c['reason'] or '')}"
                "[/dim]"
            )
        if len(tier.get("history", [])) > 1:
            moves = " ← ".join(f"{h['tier']} ({h['as_of']})" for h in tier["history"])
            out.print(f"[dim]history: {moves}[/dim]")
    attitude = (tier or {}).get("attitude")
    if attitude:
        out.print(
            f"Attitude: {attitude['set'] or 'not set'}; suggested {attitude['suggested'] or '—'}"
            f" [dim]({escape(attitude['why'])})[/dim]"
        )


def _top(out: Any, top: dict[str, list[dict[str, Any]]] | None, places: int) -> None:
    from rich.markup import escape

    if not top or not (top["item"] or top["category"]):
        return
    out.print("\n[bold]Buys most[/bold]")
    for by, label in (("category", "Categories"), ("item", "Items")):
        if top[by]:
            listed = ", ".join(
                f"{escape(str(r['name']))} ({_money(r['spent'], places)})" for r in top[by]
            )
            out.print(f"[dim]{label}:[/dim] {listed}")


def _simple_section(
    out: Any, title: str, rows: list[dict[str, Any]], cols: tuple[str, ...]
) -> None:
    from rich.table import Table

    out.print(f"\n[bold]{title}[/bold]")
    if not rows:
        out.print("[dim]none[/dim]")
        return
    table = Table(show_edge=False, pad_edge=False, header_style="dim")
    for col in cols:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row[c]) for c in cols))
    out.print(table)
