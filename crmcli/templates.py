"""Greeting templates: stored in the database (table `templates`), checked before they are kept.

A template is named after the kind of greeting, optionally with a language:
`birthday.ko` greets a Korean customer, `birthday` anyone else (greetings.py chooses).
Placeholders are Python format fields: {salutation}, {friendly}, {name}, {given_name},
{family_name}, {holiday}, {occasion}, {years}, {date}, {shop}, {code}, {benefit} (what
the customer's tier gets, `tiers.benefits.A`…; empty when nothing), {items} (what a
thanked order bought; empty for other greetings), {relative} and {relation} (a family
birthday's person and what they are to the customer: child…).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from crmcli import dates, text
from crmcli.errors import InvalidValue, NotFound
from crmcli.i18n import M_

if TYPE_CHECKING:
    from crmcli.engines import Engine

PLACEHOLDERS = (
    "salutation",
    "friendly",
    "name",
    "given_name",
    "family_name",
    "holiday",
    "occasion",
    "years",
    "date",
    "shop",
    "code",
    "benefit",
    "items",
    "relative",
    "relation",
)


class Template(NamedTuple):
    name: str
    body: str
    updated_at: str


def check(body: str) -> None:
    """Refuse a template with an unknown placeholder, a stray brace, or a format spec."""
    error = text.template_problem(body, PLACEHOLDERS)
    if error:
        raise InvalidValue(error)


def all_templates(db: Engine) -> list[Template]:
    return [
        Template(*r)
        for r in db.execute("SELECT name, body, updated_at FROM templates ORDER BY name")
    ]


def get(db: Engine, name: str) -> Template:
    row = db.execute(
        "SELECT name, body, updated_at FROM templates WHERE name = ?", [name]
    ).fetchone()
    if row is None:
        raise NotFound(
            M_("no template {name}; `crmcli templates list` shows them").format(name=repr(name))
        )
    return Template(*row)


def set_template(db: Engine, *, name: str, body: str) -> None:
    name = text.check(name.strip(), field="a template name", indexed=True)
    if not name or any(c.isspace() for c in name):
        raise InvalidValue(M_("a template name is one word, e.g. birthday.ko or spring-sale"))
    if not body.strip():
        raise InvalidValue(M_("a template needs some text"))
    check(body)
    with db.write():
        db.execute(
            "INSERT INTO templates (name, body, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET body = excluded.body,"
            " updated_at = excluded.updated_at",
            [name, body, dates.now_utc()],
        )


def remove(db: Engine, name: str) -> None:
    with db.write():
        # Held to the end: a second till removing it at once waits, then hears it is gone.
        db.execute(f"SELECT name FROM templates WHERE name = ?{db.locks_rows}", [name])
        get(db, name)
        db.execute("DELETE FROM templates WHERE name = ?", [name])
