"""templates: one per kind and language, checked before they are kept, set and removed."""

from __future__ import annotations

import pytest

from crmcli import templates
from crmcli.errors import InvalidValue, NotFound


def test_a_new_database_has_a_template_per_kind_and_language(db):
    names = {t.name for t in templates.all_templates(db)}
    assert {"birthday", "birthday.ko", "anniversary", "holiday", "family-birthday"} <= names
    for template in templates.all_templates(db):
        templates.check(template.body)  # every shipped template passes its own check


def test_templates_are_set_listed_replaced_and_removed(db):
    templates.set_template(db, name=" sale ", body="Sale at {shop}")
    assert templates.get(db, "sale").body == "Sale at {shop}"
    templates.set_template(db, name="sale", body="New sale at {shop}")
    assert templates.get(db, "sale").body == "New sale at {shop}"
    assert [t.name for t in templates.all_templates(db)].count("sale") == 1
    templates.remove(db, "sale")
    with pytest.raises(NotFound, match="no template 'sale'"):
        templates.get(db, "sale")
    with pytest.raises(NotFound):
        templates.remove(db, "sale")


@pytest.mark.parametrize(
    ("name", "body", "said"),
    [
        ("two words", "hi", "one word"),
        ("", "hi", "one word"),
        ("x\x1b", "hi", "control character"),
        ("sale", "   ", "needs some text"),
        ("sale", "Hi {nam}", "unknown placeholder {nam}"),
        ("sale", "Hi {name!r}", "conversion or format"),
        ("sale", "Hi {", "literal brace"),
    ],
)
def test_bad_templates_are_refused_and_nothing_is_stored(db, name, body, said):
    before = templates.all_templates(db)
    with pytest.raises(InvalidValue, match=said):
        templates.set_template(db, name=name, body=body)
    assert templates.all_templates(db) == before


def test_every_placeholder_is_accepted(db):
    body = " ".join("{" + p + "}" for p in templates.PLACEHOLDERS)
    templates.check(body)
    templates.set_template(db, name="all", body=body)
