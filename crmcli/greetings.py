"""Greetings: a message for each birthday, anniversary, holiday and thanks due, from templates.

The templates (their names, placeholders and storage) are in templates.py.
`--template NAME` picks `NAME.<language>` when it exists, else `NAME`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import agenda, locales, public_holidays, settings, templates, text, tiers
from crmcli.errors import NotFound
from crmcli.i18n import M_, M_n

if TYPE_CHECKING:
    from crmcli.engines import Engine

FIELDS = (
    "date",
    "kind",
    "ref",
    "name",
    "salutation",
    "phone",
    "email",
    "message",
    "code",
    "customer_id",
    "template",
    "key",
    "customer",
)
# Whom each message goes to: the reference and full name, and where to send it.
DEFAULT_FIELDS = ("ref", "name", "phone", "email", "message")


def _choose(bodies: dict[str, str], base: str, locale: str) -> tuple[str, str]:
    """The most specific template for the locale: birthday.zh_Hant, birthday.zh, birthday."""
    for name in locales.template_names(base, locale):
        if name in bodies:
            return name, bodies[name]
    raise NotFound(
        M_("no template {name} (nor {localized}); `crmcli templates list`").format(
            name=repr(base), localized=f"{base}.{locale}"
        )
    )


def values(
    entry: agenda.Entry, *, shop: str, language: str, db: Engine | None = None
) -> dict[str, Any]:
    """The placeholders' values for one greeting."""
    item, person = entry.item, entry.person
    detail = item.detail
    years = detail.get("years")
    holiday = ""
    if detail.get("holiday"):
        holiday = public_holidays.name_for(
            detail["holiday"], locale=person.locale, fallback=language, db=db
        )
    return {
        "salutation": person.salutation(),
        "friendly": person.salutation("friendly"),
        "name": person.name or "",
        "given_name": person.given_name or person.name or "",
        "family_name": person.family_name or "",
        "holiday": holiday,
        "occasion": f"{detail['label']} anniversary" if detail.get("label") else item.kind,
        "years": "" if years is None else years,
        "date": item.on.isoformat(),
        "shop": shop,
        "code": person.code or "",
        "benefit": _benefit(db, person.id),
        "items": detail.get("items", ""),  # what a thanked order bought
        "relative": detail.get("relative") or "",
        "relation": detail.get("relation") or "",
    }


def _benefit(db: Engine | None, customer_id: int) -> str:
    """The benefit of the customer's current tier, as shown on their page ("" for none)."""
    if db is None:
        return ""
    offer = tiers.benefit_of(db, tiers.current_tiers(db, [customer_id]).get(customer_id))
    return offer.text if offer else ""


class Greetings(NamedTuple):
    """The messages to send, and how many greetings had nowhere to go."""

    rows: list[dict[str, Any]]
    unreachable: int


def render(
    db: Engine,
    *,
    start: date,
    end: date,
    template: str | None = None,
    warnings: list[str] | None = None,
) -> Greetings:
    """A message for each greeting (birthday, anniversary, holiday, thanks) due from `start`
    to `end`.

    A customer with neither phone nor e-mail cannot be sent one: counted, not written.
    """
    bodies = {t.name: t.body for t in templates.all_templates(db)}
    if template and not any(n == template or n.startswith(template + ".") for n in bodies):
        raise NotFound(
            M_("no template {name}; `crmcli templates list` shows them").format(name=repr(template))
        )
    shop = settings.get(db, "shop.name")
    language = settings.get(db, "holidays.language")
    rows, unreachable, unsigned = [], 0, 0
    for entry in agenda.due(
        db, start=start, end=end, kinds=agenda.GREETING_KINDS, warnings=warnings
    ):
        if not (entry.person.phone or entry.person.email):
            unreachable += 1
            continue
        name, body = _choose(bodies, template or entry.item.kind, entry.person.locale)
        unsigned += not shop and "{shop}" in body
        message = " ".join(
            text.fill_template(body, values(entry, shop=shop, language=language, db=db)).split()
        )
        row = entry.row()
        rows.append({**{f: row.get(f) for f in FIELDS}, "message": message, "template": name})
    if unsigned and warnings is not None:  # "Warm wishes from ." / "…より": said, once
        warnings.append(
            M_n(
                "{n} message ends with the shop's name, which is not set:"
                " `crmcli config set shop.name NAME`",
                "{n} messages end with the shop's name, which is not set:"
                " `crmcli config set shop.name NAME`",
                unsigned,
            )
        )
    return Greetings(rows, unreachable)
