"""A command that refuses leaves the shop as it was (issue 1: nothing half-written).

Each case here is a command that does more than one thing: an edit that also marks a
prospect lost, a classification that also prints, an import that also saves its
options. A refusal in the last step must take the first ones back with it.
"""

from __future__ import annotations

import pytest
import seeded_shop


@pytest.fixture
def shop(cli, db_path):
    cli("customers", "add", "--name", "Ann Lee", "--code", "P1", "--phone", "010-1111-1111")
    cli("customers", "add", "--name", "Bob Kim", "--code", "B1", "--email", "bob@example.com")
    cli("purchases", "add", "B1", "-a", "10", "--on", "2026-02-01")
    # P1 as an import leaves a prospect: not on the call cadence until --call-prospect
    seeded_shop.change(db_path, "UPDATE customers SET prospect_calls_from = NULL")
    return cli


def _refused(cli, db_path, *args, status=1):
    before = seeded_shop.dump(db_path)
    result = cli(*args, ok=False)
    assert result.exit_code == status, (result.stdout, result.stderr)
    assert seeded_shop.dump(db_path) == before
    return result


@pytest.mark.parametrize(
    "args",
    [
        ("P1", "--lost", "--reason", "moved", "--email", "not-an-address"),
        ("P1", "--lost", "--anniversary", "no-date-here"),
        ("P1", "--call-prospect", "--birthday", "2020-13-45"),
        ("P1", "--lost", "--name", "   "),
    ],
    ids=["lost-bad-email", "lost-bad-anniversary", "call-bad-birthday", "lost-blank-name"],
)
def test_an_edit_refused_in_any_part_changes_nothing(shop, db_path, args):
    result = _refused(shop, db_path, "customers", "edit", *args)
    assert "Traceback" not in result.stderr


def test_undoing_lost_with_a_refused_edit_keeps_them_lost(shop, db_path):
    shop("customers", "edit", "P1", "--lost", "--reason", "moved")
    _refused(shop, db_path, "customers", "edit", "P1", "--not-lost", "--email", "x")
    assert "lost" in shop("customers", "list", "--fields", "code,status").stdout


def test_a_classification_whose_output_is_refused_stores_no_run(shop, db_path):
    result = _refused(shop, db_path, "tiers", "classify", "--fields", "nope")
    assert "nope" in result.stderr
    broken = "UPDATE settings SET value = 'abc' WHERE key = 'currency.minor_units'"
    seeded_shop.change(db_path, broken)
    seeded_shop.change(
        db_path,
        "INSERT INTO settings (key, value) SELECT 'currency.minor_units', 'abc' WHERE NOT EXISTS"
        " (SELECT 1 FROM settings WHERE key = 'currency.minor_units')",
    )
    _refused(shop, db_path, "tiers", "classify")


def test_an_attitude_is_not_kept_when_its_suggestion_cannot_be_made(shop, db_path):
    seeded_shop.change(
        db_path,
        "INSERT INTO settings (key, value) VALUES ('attitude.early_launches', 'abc')",
    )
    _refused(shop, db_path, "customers", "set-attitude", "B1", "loyal")


@pytest.mark.parametrize("kind", ["customers", "purchases"])
def test_a_refused_import_saves_no_profile(shop, db_path, tmp_path, kind):
    missing = tmp_path / "missing.csv"
    _refused(shop, db_path, kind, "import", str(missing), "--save-profile", "p1")
    bad = tmp_path / "bad.csv"
    bad.write_text("colour,size\nred,9\n", encoding="utf-8")
    _refused(shop, db_path, kind, "import", str(bad), "--save-profile", "p2")
    mapped = _refused(
        shop,
        db_path,
        kind,
        "import",
        str(bad),
        "--save-profile",
        "p3",
        "--map",
        "colour=nosuch",
        status=2,
    )
    assert "nosuch" in mapped.stderr
    used = shop(kind, "import", str(bad), "--profile", "p1", ok=False)
    assert "p1" in used.stderr  # no such profile
