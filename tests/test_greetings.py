"""greetings: a message for every greeting due, in each customer's language, from templates."""

from __future__ import annotations

from datetime import date

import pytest

from crmcli import customers, greetings, settings, templates
from crmcli.errors import NotFound


@pytest.fixture
def shop(db):
    settings.set_value(db, "shop.name", "Bean")
    settings.set_value(db, "agenda.lead.birthday", "0d")
    ids = {
        "kim": customers.add(db, name="김민준", code="K1", birthday="1985-03-14",
                             phones_raw=["010-1234-5678"]),
        "yamada": customers.add(db, name="山田 太郎", code="J1", birthday="1990-03-14",
                                email="taro@example.jp", locale="ja"),
        "smith": customers.add(db, name="John Smith", code="E1", birthday="1970-03-14",
                               gender="M", email="john@example.com"),
        "nobody": customers.add(db, name="No Way", code="N1", birthday="1980-03-14"),
    }  # fmt: skip
    return ids


def _messages(db, **kwargs) -> dict[str, tuple[str, str]]:
    found = greetings.render(db, start=date(2026, 3, 14), end=date(2026, 3, 14), **kwargs)
    return {r["ref"]: (r["template"], r["message"]) for r in found.rows}


def test_each_customer_is_greeted_in_their_language_by_name(db, shop):
    found = greetings.render(db, start=date(2026, 3, 14), end=date(2026, 3, 14))
    by_ref = {r["ref"]: r for r in found.rows}
    assert by_ref["K1"]["message"] == "김민준 고객님, 생일을 진심으로 축하드립니다! Bean 드림"
    assert by_ref["K1"]["template"] == "birthday.ko"
    assert by_ref["J1"]["message"] == "山田様、お誕生日おめでとうございます。Beanより"
    assert by_ref["E1"]["message"] == "Happy birthday, Mr Smith! Warm wishes from Bean."
    assert by_ref["E1"]["template"] == "birthday"
    assert (by_ref["K1"]["phone"], by_ref["J1"]["email"]) == ("010-1234-5678", "taro@example.jp")
    # No phone, no e-mail: nowhere to send it, counted instead.
    assert "N1" not in by_ref and found.unreachable == 1
    assert set(by_ref["K1"]) == set(greetings.FIELDS)


def test_a_template_chosen_by_name_falls_back_from_the_language(db, shop):
    templates.set_template(db, name="spring", body="Spring at {shop}, {friendly}! ({code}, {date})")
    templates.set_template(db, name="spring.ko", body="{friendly}, {shop}의 봄 세일!")
    assert _messages(db, template="spring") == {
        "K1": ("spring.ko", "민준 님, Bean의 봄 세일!"),
        "J1": ("spring", "Spring at Bean, 太郎さん! (J1, 2026-03-14)"),
        "E1": ("spring", "Spring at Bean, John! (E1, 2026-03-14)"),
    }
    with pytest.raises(NotFound, match="no template 'autumn'"):
        greetings.render(db, start=date(2026, 3, 14), end=date(2026, 3, 14), template="autumn")


def test_a_message_is_one_line_whatever_the_template(db, shop):
    templates.set_template(db, name="birthday", body="Happy\n  birthday,\t{name}!\n")
    assert _messages(db)["E1"] == ("birthday", "Happy birthday, John Smith!")


def test_the_benefit_of_the_customers_tier_fills_its_placeholder(db, shop):
    from crmcli import tiers

    tiers.set_override(db, shop["smith"], tier="A", reason="test")
    settings.set_value(db, "tiers.benefits.A", "discount=10%")
    templates.set_template(db, name="birthday", body="{name}: [{benefit}]")
    templates.set_template(db, name="birthday.ko", body="{name}: [{benefit}]")
    messages = _messages(db)
    assert messages["E1"][1] == "John Smith: [10% discount]"
    assert messages["K1"][1] == "김민준: []"  # no tier, nothing offered


def test_messages_signed_with_an_unset_shop_name_are_said_once(db, shop):
    # The seeded shop's greetings read "Warm wishes from ." and "…より" with no shop.name.
    def render(**kwargs) -> list[str]:
        warnings: list[str] = []
        greetings.render(db, start=date(2026, 3, 14), end=date(2026, 3, 14), warnings=warnings)
        return warnings

    assert render() == []  # "Bean"
    settings.set_value(db, "shop.name", "")
    assert render() == [
        "3 messages end with the shop's name, which is not set: `crmcli config set shop.name NAME`"
    ]
    templates.set_template(db, name="birthday", body="Happy birthday, {salutation}!")
    assert render() == [
        "2 messages end with the shop's name, which is not set: `crmcli config set shop.name NAME`"
    ]
