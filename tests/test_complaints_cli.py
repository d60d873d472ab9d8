"""`crmcli complaints …` through the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest

from crmcli.cli.complaints import app as complaints_app


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def shop(cli):
    cli("customers", "add", "--name", "김민준", "--code", "K1")
    cli("customers", "add", "--name", "Ani Armenovna Petrosyan", "--code", "A1")
    return cli


def _walk(cli, cid):
    """Received 2026-11-02, resolved 2026-11-04 with a 15 000.50 refund, closed 2026-11-12."""
    steps = [
        ["--to", "apologized", "--note", "said sorry", "--on", "2026-11-02"],
        ["--to", "cause-found", "--cause", "product-quality", "--detail", "weak zip"],
        ["--to", "resolved", "--resolution", "new zip", "--compensation", "refund"],
        ["--to", "followed-up", "--note", "called, all good", "--on", "2026-11-11"],
        ["--to", "closed", "--lesson", "Test zips on arrival", "--on", "2026-11-12"],
    ]
    steps[1] += ["--on", "2026-11-03"]
    steps[2] += ["--amount", "15,000.50", "--on", "2026-11-04"]
    for step in steps:
        cli("complaints", "advance", str(cid), *step, "--by", "ann")


def test_open_prints_the_new_id(shop):
    result = shop("complaints", "open", "K1", "--summary", "zip broke", "--on", "2026-11-02")
    assert result.stdout == "1\n"
    assert "complaint #1 received" in result.stderr
    result = shop("complaints", "open", "A1", "-s", "rude", "--severity", "high", "--by", "bob")
    assert result.stdout == "2\n"


def test_by_defaults_to_the_staff_setting(shop):
    shop("config", "set", "staff.default", "수진")
    shop("complaints", "open", "K1", "--summary", "zip broke")
    shown = json.loads(shop("complaints", "show", "1", "--format", "json").stdout)
    assert shown["timeline"][0]["by"] == "수진"


def test_full_walk_and_show(shop):
    shop("complaints", "open", "K1", "--summary", "zip broke", "--on", "2026-11-02")
    _walk(shop, 1)
    table = shop("complaints", "show", "1", "--format", "table").stdout
    assert "Complaint #1" in table and "Test zips on arrival" in table
    assert "refund 15,000.5" in table  # KRW: no minor units, but the .5 is real
    steps = _rows(shop("complaints", "show", "1", "--format", "csv").stdout)
    assert [s["stage"] for s in steps] == [
        "received",
        "apologized",
        "cause-found",
        "resolved",
        "followed-up",
        "closed",
    ]
    assert [s["after"] for s in steps] == ["", "0m", "1d", "1d", "7d", "1d"]
    assert steps[3]["by"] == "ann"
    data = json.loads(shop("complaints", "show", "1", "--format", "json").stdout)
    assert data["complaint"]["compensation_amount"] == "15000.5"
    assert data["timeline"][3]["amount"] == "15000.5"


def test_refused_moves_exit_nonzero_and_change_nothing(shop):
    shop("complaints", "open", "K1", "--summary", "zip broke")
    before = shop("complaints", "show", "1", "--format", "json").stdout
    cases = [
        (["--to", "resolved", "--resolution", "x"], 2, "skips apologized, cause-found"),
        (["--to", "received"], 1, "already at stage received"),
        (["--to", "apologized", "--lesson", "x"], 2, "--lesson belongs to stage closed"),
        (["--to", "finished"], 1, "--to must be one of"),
        (["--to", "apologized", "--on", "2026-13-01"], 1, "--on: '2026-13-01' is not a real date"),
        (["--to", "apologized", "--on", "13/01/2026"], 1, "--on must be YYYY-MM-DD"),
    ]
    for args, code, message in cases:
        result = shop("complaints", "advance", "1", *args, ok=False)
        assert result.exit_code == code, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
    missing = shop("complaints", "advance", "9", "--to", "apologized", ok=False)
    assert missing.exit_code == 1 and "no complaint #9" in missing.stderr
    assert shop("complaints", "show", "1", "--format", "json").stdout == before


def test_skip_with_a_reason_then_reopen(shop):
    shop("complaints", "open", "K1", "--summary", "wrong size")
    shop(
        "complaints",
        "advance",
        "1",
        "--to",
        "resolved",
        "--resolution",
        "exchanged on the spot",
        "--skip-reason",
        "settled at the till",
    )
    closed = shop("complaints", "advance", "1", "--to", "closed", "--lesson", "x", ok=False)
    assert closed.exit_code == 2 and "--skip-reason" in closed.stderr
    reopen = shop("complaints", "reopen", "1", "--reason", "again", ok=False)
    assert reopen.exit_code == 1 and "only a closed complaint" in reopen.stderr
    shop("complaints", "advance", "1", "--to", "closed", "--lesson", "x", "--skip-reason", "ok")
    shop("complaints", "reopen", "1", "--reason", "the size was wrong again")
    steps = _rows(shop("complaints", "show", "1", "--format", "csv").stdout)
    assert [s["event"] for s in steps] == ["opened", "skipped to", "skipped to", "reopened"]
    assert steps[-1]["stage"] == "received"


def test_list_filters_and_a_tier_first(shop):
    shop("complaints", "open", "K1", "--summary", "zip broke", "--on", "2026-11-02")
    shop("complaints", "open", "A1", "--summary", "rude", "--on", "2026-11-05")
    shop("complaints", "open", "K1", "--summary", "late", "--on", "2026-11-06")
    ids = [r["id"] for r in _rows(shop("complaints", "list").stdout)]
    assert ids == ["1", "2", "3"]

    def listed(*args):
        return [r["id"] for r in _rows(shop("complaints", "list", *args).stdout)]

    # A1 becomes an A customer (by hand, as `tiers` would): their complaint moves up.
    shop("customers", "set-tier", "A1", "A", "--reason", "wholesale")
    assert listed() == ["2", "1", "3"]
    assert _rows(shop("complaints", "list").stdout)[0]["tier"] == "A"
    assert listed("--customer", "K1") == ["1", "3"]
    assert listed("--since", "2026-11-05") == ["2", "3"]
    assert listed("--overdue", "--as-of", "2026-11-03") == ["1"]
    overdue = _rows(
        shop(
            "complaints",
            "list",
            "--overdue",
            "--as-of",
            "2026-11-07",
            "--fields",
            "id,days_overdue",
        ).stdout
    )
    assert overdue == [
        {"id": "2", "days_overdue": "1"},
        {"id": "1", "days_overdue": "4"},
        {"id": "3", "days_overdue": "0"},
    ]
    shop("complaints", "advance", "1", "--to", "apologized", "--on", "2026-11-03")
    assert listed("--stage", "apologized") == ["1"]
    assert listed("--stage", "received", "--stage", "apologized") == ["2", "1", "3"]
    _walk_rest(shop)
    assert listed("--open") == ["2", "3"]
    assert listed("--cause", "product-quality") == ["1"]
    bad = shop("complaints", "list", "--stage", "done", ok=False)
    assert bad.exit_code == 1 and "--stage must be one of" in bad.stderr


def _walk_rest(cli):
    for step in (
        ["--to", "cause-found", "--cause", "product-quality", "--detail", "zip"],
        ["--to", "resolved", "--resolution", "fixed"],
        ["--to", "followed-up", "--note", "fine"],
        ["--to", "closed", "--lesson", "check zips"],
    ):
        cli("complaints", "advance", "1", *step)


def test_report_formats(shop):
    shop("complaints", "open", "K1", "--summary", "zip broke", "--on", "2026-11-02")
    shop("complaints", "open", "K1", "--summary", "late", "--on", "2026-11-03")
    _walk(shop, 1)
    long = _rows(shop("complaints", "report").stdout)
    values = {(r["section"], r["key"]): r["value"] for r in long}
    assert values[("compensation", "total")] == "15000.5"
    assert values[("time_to_resolve", "median_days")] == "2.0"
    assert values[("by_stage", "closed")] == "1"
    assert values[("repeat_complainers", "K1 김민준")] == "2"
    data = json.loads(shop("complaints", "report", "--format", "json").stdout)
    assert data["compensation_total"] == "15000.5"
    assert [x["lesson"] for x in data["lessons"]] == ["Test zips on arrival"]
    none = json.loads(shop("complaints", "report", "-f", "json", "--grep", "delivery").stdout)
    assert none["lessons"] == []
    table = shop("complaints", "report", "--format", "table", "--since", "2026-11-01").stdout
    assert "Test zips on arrival" in table and "median 2.0 days" in table


def test_customer_page_lists_their_complaints(shop):
    shop("complaints", "open", "K1", "--summary", "zip broke", "--on", "2026-11-02")
    page = shop("customers", "show", "K1", "--format", "table").stdout
    assert "Complaints" in page and "zip broke" in page and "received" in page
    data = json.loads(shop("customers", "show", "K1", "--format", "json").stdout)
    [item] = data["complaints"]
    assert (item["id"], item["stage"], item["next_stage"]) == (1, "received", "apologized")


def test_history_cannot_be_edited_through_the_tool(cli):
    names = {c.name for c in complaints_app.registered_commands}
    assert names == {"open", "advance", "reopen", "list", "show", "report"}


@pytest.mark.parametrize("command", ["open", "advance", "reopen", "list", "show", "report"])
def test_every_command_has_help(cli, command):
    out = cli("complaints", command, "--help").stdout
    assert "Usage" in out and len(out.splitlines()) > 4


def test_demo_shows_a_complaint_under_way(cli, tmp_path):
    out = cli("demo", "--path", str(tmp_path / "d" / "demo.db")).stdout
    assert "apologized,cause-found" in out


# What each stage's options are when a test moves a complaint there in full.
FULL_ARGS = {
    "apologized": [],
    "cause-found": ["--cause", "product-quality", "--detail", "weak zip"],
    "resolved": ["--resolution", "new zip", "--compensation", "refund", "--amount", "5"],
    "followed-up": ["--note", "called"],
    "closed": ["--lesson", "test zips"],
}


@pytest.mark.parametrize("to", ["cause-found", "resolved", "followed-up", "closed"])
def test_a_missing_field_is_asked_for_by_its_flag_and_reason(shop, to):
    from crmcli.complaints import STAGE, STAGES

    shop("complaints", "open", "K1", "--summary", "zip broke")
    for stage in STAGES[1 : STAGES.index(to)]:
        shop("complaints", "advance", "1", "--to", stage, *FULL_ARGS[stage])
    for field, why in STAGE[to].required.items():
        args = FULL_ARGS[to]
        flag = f"--{field}"
        without = [a for i, a in enumerate(args) if flag not in (a, args[i - 1] if i else "")]
        result = shop("complaints", "advance", "1", "--to", to, *without, ok=False)
        assert result.exit_code == 2, result.stderr
        assert f"stage {to} needs {flag} ({why})" in result.stderr


def test_refusals_name_the_options_typed(shop):
    shop("complaints", "open", "K1", "--summary", "zip broke")
    cases = [
        (["advance", "1", "--to", "apologized", "--amount", "5"], 2,
         "--amount belongs to stage resolved, not to apologized"),
        (["advance", "1", "--to", "resolved", "--resolution", "x", "--lesson", "y",
          "--skip-reason", "z"], 2,
         "--lesson belongs to stage closed, not to resolved (or the skipped apologized,"),
        (["advance", "1", "--to", "cause-found", "--cause", "luck", "--detail", "d",
          "--skip-reason", "z"], 1, "--cause must be one of expectation, product-quality"),
        (["advance", "1", "--to", "resolved", "--resolution", "x", "--amount", "5",
          "--skip-reason", "z"], 2, "--amount is the value of a --compensation; give its kind"),
        (["advance", "1", "--to", "resolved", "--resolution", "x", "--compensation", "gift",
          "--amount", "-5", "--skip-reason", "z"], 1, "--amount cannot be negative"),
        (["advance", "1", "--to", "apologized", "--skip-reason", "z"], 2,
         "received → apologized skips no stage; leave out --skip-reason"),
        (["advance", "1", "--to", "apologized", "--on", "2199-01-01"], 1,
         "--on 2199-01-01 is in the future"),
        (["open", "K1", "--summary", " "], 1, "a complaint needs a --summary"),
        (["open", "K1", "--summary", "x", "--severity", "dire"], 1,
         "--severity must be one of low, normal, high"),
        (["list", "--cause", "luck"], 1, "--cause must be one of"),
    ]  # fmt: skip
    for args, code, message in cases:
        result = shop("complaints", *args, ok=False)
        assert (result.exit_code, "Traceback" in result.stderr) == (code, False), result.stderr
        assert message in result.stderr, (args, result.stderr)


def test_a_closed_complaint_says_how_to_reopen_it(shop):
    shop("complaints", "open", "K1", "--summary", "zip broke")
    shop("complaints", "advance", "1", "--to", "closed", "--lesson", "x", "--skip-reason", "ok")
    result = shop("complaints", "advance", "1", "--to", "followed-up", "--note", "n", ok=False)
    assert result.exit_code == 1
    assert "complaint #1 is closed; reopen it first (complaints reopen 1 --reason …)" in (
        result.stderr
    )
    result = shop("complaints", "reopen", "1", "--reason", " ", ok=False)
    assert result.exit_code == 2 and "reopening needs --reason" in result.stderr


def test_advance_help_is_built_from_the_stage_table(shop):
    from crmcli.complaints import STAGE_TABLE

    text = " ".join(shop("complaints", "advance", "--help").stdout.replace("│", " ").split())
    for stage in STAGE_TABLE:
        for field in stage.fields:
            if field == "note":  # every stage's: its own help, checked below
                continue
            need = "required" if field in stage.required else "optional"
            named = field.replace("-", "_").upper()
            assert f"--{field} {named} {stage.name} ({need}): {stage.describe(field)}." in text
    assert "cause-found (needs --cause, --detail)" in text
    assert "required for followed-up: the contact made after the resolution" in text
