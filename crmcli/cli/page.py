"""Record pages on a terminal: a customer, a complaint. Laid out to read at 80 columns.

A page is a title, `label  value` lines whose values wrap under themselves, and
sections; a section's rows are short tables fitted like any other (crmcli.cli.table)
or, for a timeline, entries of a heading line and indented text. Everything stored
is shown through `screen.for_person`: escapes in a name are shown, never obeyed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from rich.cells import cell_len

from crmcli.cli import screen, table
from crmcli.cli.env import Env
from crmcli.i18n import N_, _, ngettext, say_message, translate
from crmcli.money import format_amount

INDENT = 4


class Page:
    """Writes a page to the Env's stdout at the terminal's width."""

    def __init__(self, env: Env) -> None:
        self.out = env.stdout
        self.width = max(screen.width(self.out), screen.MIN_WIDTH)
        self.bold = screen.colour(self.out)
        self.box = table.UNICODE if screen.is_unicode(self.out) else table.ASCII

    def _write(self, line: str) -> None:
        self.out.write(screen.encodable(line, self.out) + "\n")

    def _style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.bold else text

    def text(self, value: str, *, indent: int = 0, dim: bool = False) -> None:
        """Running text, wrapped at the page's width."""
        safe = screen.for_person(value, self.out, newlines=True)
        for line in table.wrap(safe, self.width - indent):
            line = line.rstrip()
            self._write(" " * indent + (self._style(line, "2") if dim and line else line))

    def heading(self, value: str, *, first: bool = False) -> None:
        if not first:
            self._write("")
        for line in table.wrap(screen.for_person(value, self.out), self.width):
            self._write(self._style(line, "1"))

    def fields(self, pairs: Iterable[tuple[str, str]]) -> None:
        """`label  value` lines; a long value wraps under itself, not under the label."""
        shown = [(label, value) for label, value in pairs if value]
        if not shown:
            return
        label_w = min(max(cell_len(label) for label, _ in shown), self.width // 3)
        value_w = max(self.width - label_w - 2, 8)
        for label, value in shown:
            labels = table.wrap(label, label_w)
            values = table.wrap(screen.for_person(value, self.out, newlines=True), value_w)
            for i in range(max(len(labels), len(values))):
                head = labels[i] if i < len(labels) else ""
                head = self._style(head, "2") + " " * (label_w - cell_len(head)) if head else ""
                pad = "" if head else " " * label_w
                body = values[i] if i < len(values) else ""
                self._write(f"{head}{pad}  {body}".rstrip())

    def rows(
        self,
        rows: Sequence[Mapping[str, Any]],
        fields: Sequence[str],
        *,
        identify: Sequence[str] = (),
        numbers: Sequence[str] = (),
        prose: Sequence[str] = (),
    ) -> None:
        """A small table fitted to the page (what does not fit is named below it)."""
        if not rows:
            self.text(_("none"), dim=True)
            return
        from crmcli.cli.i18n import header, shown_value

        rows = [{f: shown_value(f, r.get(f)) for f in fields} for r in rows]
        columns = [
            table.Column(
                f,
                header(f),
                table.KEY
                if f in identify
                else table.NUMBER
                if f in numbers
                else table.PROSE
                if f in prose
                else table.OTHER,
                right=f in numbers
                or all(isinstance(r.get(f), int) or r.get(f) is None for r in rows),
            )
            for f in fields
        ]
        cells = [
            [screen.for_person(_text(r.get(f)), self.out, newlines=True) for f in fields]
            for r in rows
        ]
        lay = table.layout(columns, cells, self.width)
        if lay.vertical:
            for n, row in enumerate(cells):
                if n:
                    self._write("")
                for line in table.record_lines(columns, row, self.width, bold=self.bold):
                    self._write(line)
            return
        index = {f: i for i, f in enumerate(fields)}
        for line in table.header_lines(lay, self.box, bold=self.bold):
            self._write(line)
        for row in cells:
            for line in table.row_lines(lay, row, index, self.box):
                self._write(line)
        if lay.hidden:
            self.text(table.hidden_note(lay.hidden), dim=True)

    def entry(self, head: Sequence[str], body: Sequence[str]) -> None:
        """One timeline entry: its heading parts on a line (wrapping), then indented text."""
        self.text("  ".join(part for part in head if part))
        for paragraph in body:
            if paragraph:
                self.text(paragraph, indent=INDENT)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


# --- a customer's page -------------------------------------------------------------------

_PROFILE_LABELS = {
    "code": N_("Code"),
    "name": N_("Name"),
    "name_reading": N_("Reading"),
    "salutation": N_("Salutation"),
    "status": N_("Status"),
    "phones": N_("Phones"),
    "email": N_("E-mail"),
    "birthday": N_("Birthday"),
    "anniversaries": N_("Anniversaries"),
    "address": N_("Address"),
    "postcode": N_("Postcode"),
    "company": N_("Company"),
    "occupation": N_("Occupation"),
    "income_band": N_("Income band"),
    "gender": N_("Gender"),
    "locale": N_("Locale"),
    "tags": N_("Tags"),
    "owner": N_("Owner"),
    "attitude": N_("Attitude"),
    "contact_window": N_("Contact window"),
    "do_not_contact": N_("Do not contact"),
    "notes": N_("Notes"),
    "extra": N_("Other fields"),
    "created_at": N_("Added"),
    "archived_at": N_("Archived"),
}


def quoted(item: Any) -> str:
    """An item as it appears in a list: quoted when it holds a comma (or a quote)."""
    text = str(item)
    if "," in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def listed(items: Iterable[Any]) -> str:
    """Items joined with `, `; an item that holds a comma is quoted, so the list reads back."""
    return ", ".join(quoted(item) for item in items)


def _value(key: str, value: Any, profile: dict[str, Any]) -> str | None:
    if value in (None, "", [], {}, False):
        return None
    if key == "birthday" and profile.get("birthday_lunar"):
        return _("{day} (lunar)").format(day=value)
    if key == "locale" and profile.get("locale_why"):
        return f"{value} ({translate(profile['locale_why'])})"  # said by locales.describe
    if key == "do_not_contact":
        return _("yes")
    if key == "status":
        from crmcli.cli.i18n import shown_value

        return str(shown_value("status", value))
    if isinstance(value, list):
        return listed(value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _money(value: Decimal, places: int) -> str:
    return format_amount(int(value * 1_000_000), places=places)


def render_customer_page(env: Env, data: dict[str, Any], *, places: int) -> None:
    page = Page(env)
    profile = data["profile"]
    title = profile["name"] or profile["code"] or f"#{profile['id']}"
    page.heading(f"{title}  #{profile['id']}", first=True)
    page.fields(
        (_(label), _value(key, profile.get(key), profile) or "")
        for key, label in _PROFILE_LABELS.items()
    )

    p = data["purchases"]
    page.heading(_("Purchases"))
    if p["count"]:
        said = ngettext(
            "{n} line, total {total}, first {first}, last {last}",
            "{n} lines, total {total}, first {first}, last {last}",
            p["count"],
        )
        total = _money(p["total"], places)
        page.text(said.format(n=p["count"], total=total, first=p["first"], last=p["last"]))
        recent = [{**r, "amount": _money(r["amount"], places)} for r in p["recent"]]
        page.rows(
            recent,
            ("date", "amount", "item", "order_id"),
            identify=("date",),
            numbers=("amount",),
            prose=("item",),
        )
    else:
        page.text(_("none yet"), dim=True)

    _tier(page, data["tier"], places)
    _top(page, data.get("top"), places)
    _relations(page, data.get("relations"))
    _visits(page, data.get("visits"))

    page.heading(_("Complaints"))
    page.rows(
        [_complaint_line(c) for c in data["complaints"]],
        ("id", "opened_on", "stage", "next", "summary"),
        identify=("id",),
        prose=("next", "summary"),
    )
    page.heading(_("Follow-ups"))
    page.rows(
        [_followup_line(f) for f in data["followups"]],
        ("id", "due_on", "repeats", "note"),
        identify=("id", "due_on"),
        prose=("repeats", "note"),
    )
    page.heading(_("Contact log"))
    page.rows(data["contacts"], ("at", "channel", "by", "note"), identify=("at",), prose=("note",))


def _followup_line(f: dict[str, Any]) -> dict[str, Any]:
    from crmcli.recurrence import describe

    return {**f, "repeats": describe(f["rrule"], translated=True) if f.get("rrule") else ""}


def _complaint_line(c: dict[str, Any]) -> dict[str, Any]:
    """A complaint on the customer's page: what is due next, and whether it is late."""
    from crmcli.cli.i18n import shown_value

    nxt = ""
    if c["next_stage"]:
        step = {"stage": shown_value("stage", c["next_stage"]), "day": c["due_on"]}
        if c["days_overdue"]:
            nxt = _("{stage} by {day} ({n}d late)").format(**step, n=c["days_overdue"])
        else:
            nxt = _("{stage} by {day}").format(**step)
    return {**c, "next": nxt}


def _tier(page: Page, tier: dict[str, Any] | None, places: int) -> None:
    page.heading(_("Tier"))
    if not tier or not tier["tier"]:
        page.text(_("not classified yet (crmcli tiers classify)"), dim=True)
    else:
        if tier["override"]:
            said = _("{tier} (set by hand: {reason})")
            page.text(said.format(tier=tier["tier"], reason=tier["override_reason"] or ""))
        else:
            page.text(tier["tier"])
        if tier.get("benefit"):
            page.text(_("Benefit: {text}").format(text=tier["benefit"]["text"]))
        c = tier.get("classified")
        if c:
            reason = say_message(c["reason"] or "")  # stored in English (tiers.py's M_)
            facts = {**c, "spend": _money(c["spend"], places), "reason": reason}
            if c.get("above_pct") is not None:
                said = _(
                    "classified {tier} as of {as_of} ({rule}): rank {rank} of {of}, spend "
                    "{spend}, held above: {above_pct} %; {reason}"
                )
            else:
                said = _(
                    "classified {tier} as of {as_of} ({rule}): rank {rank} of {of}, spend "
                    "{spend}; {reason}"
                )
            page.text(said.format(**facts), dim=True)
        if len(tier.get("history", [])) > 1:
            moves = " ← ".join(f"{h['tier']} ({h['as_of']})" for h in tier["history"])
            page.text(_("history: {moves}").format(moves=moves), dim=True)
    attitude = (tier or {}).get("attitude")
    if attitude:
        from crmcli.cli.i18n import shown_value

        said = _("Attitude: {set}; suggested {suggested} ({why})")
        page.text(
            said.format(
                set=shown_value("attitude", attitude["set"]) or _("not set"),
                suggested=shown_value("attitude", attitude["suggested"]) or "—",
                why=translate(attitude["why"]),  # said by buying.Attitude
            )
        )


def _relations(page: Page, section: dict[str, Any] | None) -> None:
    if not section or not (section["people"] or section["referred"]):
        return
    from crmcli.relations import LABELS

    page.heading(_("People around them"))
    page.rows(
        [
            {
                "relation": LABELS.get(p["kind"], p["kind"]),
                "who": p["name"]
                + (f" ({p['code'] or '#' + str(p['customer_id'])})" if p["customer_id"] else ""),
                "birthday": (p["birthday"] or "") + (" " + _("(greeted)") if p["greet"] else ""),
            }
            for p in section["people"]
        ],
        ("relation", "who", "birthday"),
        identify=("relation",),
        prose=("who",),
    )
    if section["referred"]:
        n = section["referred"]
        page.text(ngettext("Referred {n} customer", "Referred {n} customers", n).format(n=n))


def _visits(page: Page, section: dict[str, Any] | None) -> None:
    """The visit plan in force and its record (only for a customer who has had one)."""
    if not section or not (section["plan"] or section["visits"]):
        return
    page.heading(_("Visit plan"))
    p = section["plan"]
    if p:
        page.text(
            _("#{id} every {every} from {from_}; next visit {next}").format(
                id=p["id"], every=p["every"], from_=p["from"], next=p["next"]
            )
        )
        page.text(_("Goal: {goal}").format(goal=p["goal"]))
    else:
        page.text(_("none in force"), dim=True)
    visits, met = section["visits"], section["goals_met"]
    page.text(
        _("Record: {visits}, {met}").format(
            visits=ngettext("{n} visit made", "{n} visits made", visits).format(n=visits),
            met=ngettext("{n} goal met", "{n} goals met", met).format(n=met),
        )
    )
    page.rows(
        [
            {
                "on": r["on"],
                "goal": r["goal"],
                "met": {True: _("met"), False: _("not met"), None: _("not said")}[r["met"]],
                "note": r["note"],
            }
            for r in section["recent"]
        ],
        ("on", "met", "goal", "note"),
        identify=("on",),
        prose=("goal", "note"),
    )


def _top(page: Page, top: dict[str, list[dict[str, Any]]] | None, places: int) -> None:
    if not top or not (top["item"] or top["category"]):
        return
    page.heading(_("Buys most"))
    page.fields(
        (
            label,
            ", ".join(f"{quoted(r['name'])} ({_money(r['spent'], places)})" for r in top[by]),
        )
        for by, label in (("category", _("Categories")), ("item", _("Items")))
        if top[by]
    )


# --- a complaint's page ------------------------------------------------------------------


def render_complaint_page(
    env: Env, complaint_id: int, details: Sequence[tuple[str, str]], steps: Sequence[Any]
) -> None:
    """The complaint's facts, then its timeline: one entry per event, its text indented."""
    from crmcli.cli.i18n import shown_value

    page = Page(env)
    page.heading(_("Complaint #{id}").format(id=complaint_id), first=True)
    page.fields(details)
    page.heading(_("Timeline"))
    for step in steps:
        stage = shown_value("stage", step["stage"])
        moved = f"({stage})" if step["event"] == "opened" else f"→ {stage}"
        page.entry(
            (
                step["at"],
                f"{shown_value('event', step['event'])} {moved}",
                _("after {time}").format(time=translate(step["after"])) if step["after"] else "",
                _("by {name}").format(name=step["by"]) if step["by"] else "",
            ),
            (step["note"] or "", step["details"]),
        )
