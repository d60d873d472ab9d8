"""settings: each with a default, a description and a range; checked when set and when read."""

from __future__ import annotations

import pytest

from crmcli import customers, settings
from crmcli.errors import InvalidValue, NotFound

KEYS = sorted(settings.SETTINGS)


@pytest.mark.parametrize("key", KEYS)
def test_every_default_is_within_its_own_range_and_described(key):
    definition = settings.SETTINGS[key]
    assert definition.key == key
    assert definition.help.strip().endswith((".", ")")), definition.help
    assert settings.validate(key, definition.default) == definition.default
    if definition.read_check is not None:
        assert definition.read_check(definition.default) is None


def test_a_fresh_database_reads_every_default(db):
    for key, value, is_default, help_text in settings.all_values(db):
        assert is_default and value == settings.SETTINGS[key].default == settings.get(db, key)
        assert help_text == settings.SETTINGS[key].help
    assert [row[0] for row in settings.all_values(db)] == KEYS


def test_set_get_and_unset(db):
    assert customers.set_setting(db, "shop.name", "  Bean  ") == []  # nothing follows it
    assert settings.get(db, "shop.name") == "Bean"  # trimmed
    [row] = [r for r in settings.all_values(db) if r[0] == "shop.name"]
    assert row[1:3] == ("Bean", False)
    settings.unset(db, "shop.name")
    assert settings.get(db, "shop.name") == ""
    settings.unset(db, "shop.name")  # unsetting a default is harmless


@pytest.mark.parametrize(
    ("key", "good", "bad", "said"),
    [
        ("phone.region", "JP", "XX", "two-letter region code"),
        ("currency", "USD", "usd", "ISO 4217"),
        ("currency.minor_units", "", "7", "whole number from 0 to 6, or empty"),
        ("timezone", "Asia/Seoul", "Mars/Olympus", "IANA time zone"),
        ("birthday.feb29", "mar1", "feb29", "must be one of: feb28, mar1"),
        ("tiers.rule", "growth", "magic", "must be one of: pareto, top-share, growth"),
        ("tiers.at_risk.k", "0.5", "1e3", "a number from 0.1 to 100"),
        ("tiers.at_risk.k", "100", "100.5", "a number from 0.1 to 100"),
        ("tiers.cadence.A", "2w", "0d", "from 1d to 10y"),
        ("tiers.cadence.C", "", "11y", "from 1d to 10y"),
        ("agenda.lead.birthday", "3d", "", "from 0d to 90d"),
        ("agenda.lead.birthday", "2w", "1m", "a span such as 3d, 2w"),
        ("attitude.loyal_visits", "10000", "0", "whole number from 1 to 10000"),
        ("holidays.country", "KR, jp", "KR,XX", "XX, which the holidays package does not know"),
        ("holidays.country", "", "Korea", "two-letter country codes"),
        ("holidays.language", "en_US", "klingon", "a language such as ko"),
        ("shop.name", "x" * 200, "x" * 201, "one line of at most 200 characters"),
        ("shop.name", "Bean", "Bean\x1b[2J", "control character"),
        ("tiers.benefits.A", "discount=10%", "dicount=10", "dicount"),
    ],
)
def test_each_range_takes_what_is_in_it_and_refuses_the_rest(db, key, good, bad, said):
    settings.set_value(db, key, good)
    with pytest.raises(InvalidValue, match=said) as refused:
        settings.set_value(db, key, bad)
    assert key in str(refused.value)
    assert settings.get(db, key) == good.strip()  # the refused value was not stored


def test_an_unknown_key_is_not_found_naming_where_to_look(db):
    for act in (
        lambda: settings.get(db, "shop.nmae"),
        lambda: settings.set_value(db, "shop.nmae", "x"),
        lambda: settings.unset(db, "shop.nmae"),
        lambda: settings.validate("shop.nmae", "x"),
    ):
        with pytest.raises(NotFound, match=r"no setting called 'shop.nmae'; `crmcli config list`"):
            act()


def test_a_stored_value_out_of_range_is_refused_on_read_with_the_fix(db):
    db.execute("INSERT INTO settings (key, value) VALUES ('tiers.at_risk.k', 'lots')")
    with pytest.raises(settings.BrokenSetting) as broken:
        settings.get(db, "tiers.at_risk.k")
    message = str(broken.value)
    assert "setting tiers.at_risk.k is 'lots' but must be a number" in message
    assert "`crmcli config set tiers.at_risk.k VALUE`" in message and "default '2'" in message
    assert settings.get_raw(db, "tiers.at_risk.k") == "lots"  # `config get` still shows it
    settings.unset(db, "tiers.at_risk.k")
    assert settings.get(db, "tiers.at_risk.k") == "2"


def test_validate_names_the_option_that_overrides_a_setting():
    assert settings.validate("tiers.at_risk.k", "3", what="--k") == "3"
    with pytest.raises(InvalidValue, match=r"^--k: must be a number from 0.1 to 100 \(got '0'\)$"):
        settings.validate("tiers.at_risk.k", "0", what="--k")


def test_get_int(db):
    assert settings.get_int(db, "attitude.loyal_visits") == 3
    settings.set_value(db, "attitude.loyal_visits", "7")
    assert settings.get_int(db, "attitude.loyal_visits") == 7
    with pytest.raises(InvalidValue, match="must be a whole number, not ''"):
        settings.get_int(db, "shop.name")


def test_display_places_follow_the_currency_setting(db):
    assert settings.display_places(db) == 0  # KRW by default
    settings.set_value(db, "currency", "USD")
    assert settings.display_places(db) == 2
    settings.set_value(db, "currency.minor_units", "4")
    assert settings.display_places(db) == 4
