"""settings: each with a default, a description and a range; checked when set and when read."""

from __future__ import annotations

from collections import Counter

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


def test_a_setting_reads_back_this_engines_own_writes_and_never_a_rolled_back_one(db):
    # A server keeps the settings it read until the engine next writes (round trips);
    # what it keeps must never be older than the engine's own writes, nor survive a
    # rollback. SQLite reads each time: the same answers.
    assert settings.get(db, "currency") == "KRW"
    settings.set_value(db, "currency", "JPY")
    assert settings.get(db, "currency") == "JPY"

    class Undone(Exception):
        pass

    with pytest.raises(Undone), db.write():
        settings.set_value(db, "currency", "AMD")
        assert settings.get(db, "currency") == "AMD"
        raise Undone
    assert settings.get(db, "currency") == "JPY"
    with db.write():
        db.execute("UPDATE settings SET value = 'USD' WHERE key = 'currency'")
    assert settings.get(db, "currency") == "USD"
    settings.unset(db, "currency")
    assert settings.get(db, "currency") == "KRW"


def test_a_morning_list_on_a_server_reads_its_settings_and_holidays_at_once(
    cli, pg_url, monkeypatch
):
    # Each statement on a server is a round trip (a LAN's millisecond, a branch's
    # twenty): `due` used to ask 96, one per setting read (33) and one per "is there a
    # settings table" (35), and one per country, language and year of holidays. Now
    # each comes in one query, kept until the engine writes.
    import psycopg

    monkeypatch.setenv("CRMCLI_DB", pg_url)
    cli("customers", "add", "--code", "C1", "--name", "Kim", "--birthday", "1990-11-30")
    cli("config", "set", "holidays.country", "KR,JP,AM")
    cli("due", "--as-of", "2026-11-30")  # fills the holiday cache
    asked: Counter[str] = Counter()
    real = psycopg.Cursor.execute

    def counting(self, query, *args, **kwargs):
        asked[str(query)] += 1
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    assert "C1,Kim" in cli("due", "--as-of", "2026-11-30", "--format", "csv").stdout
    assert not [q for q in asked if "FROM settings WHERE key" in q]
    assert sum(n for q, n in asked.items() if "FROM settings" in q) <= 5
    assert sum(n for q, n in asked.items() if "FROM holiday_cache" in q) <= 3
    assert sum(asked.values()) <= 50, asked.most_common(5)
