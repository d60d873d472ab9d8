"""Every agenda line says which customer it is (issue 12 item 1)."""

from __future__ import annotations

import csv
import io
import json

import pytest


@pytest.fixture
def shop(cli):
    cli("config", "set", "agenda.lead.birthday", "0d")
    cli("config", "set", "shop.name", "Bean")
    # Two Bruces with the same birthday, a nameless customer with a code and a phone,
    # one with nothing but an e-mail, one with no way to reach them.
    cli("customers", "add", "--name", "Bruce Wayne", "--code", "B1", "--phone", "010-1111-2222",
        "--birthday", "1980-05-01")  # fmt: skip
    cli("customers", "add", "--name", "Bruce Banner", "--phone", "010-3333-4444",
        "--birthday", "1975-05-01")  # fmt: skip
    cli("customers", "add", "--code", "K0042", "--phone", "010-5555-6666", "--birthday",
        "1990-05-01")  # fmt: skip
    cli("customers", "add", "--name", "Leap Person", "--email", "leap@example.com",
        "--birthday", "1992-05-01")  # fmt: skip
    cli("customers", "add", "--name", "Nowhere Man", "--birthday", "1960-05-01")
    return cli


def _csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_due_lines_carry_reference_and_full_name(shop):
    rows = _csv(shop("due", "--as-of", "2026-05-01").stdout)
    by_ref = {r["ref"]: r for r in rows}
    assert set(by_ref) == {"B1", "#2", "K0042", "#4", "#5"}
    assert by_ref["B1"]["name"] == "Bruce Wayne" and by_ref["#2"]["name"] == "Bruce Banner"
    assert by_ref["K0042"]["name"] == "(no name) 010-5555-6666"
    # Nameless, a Korean number, a Korean shop: the locale is the shop's (ko).
    assert by_ref["K0042"]["salutation"] == "고객님"
    assert by_ref["#4"]["salutation"] == "Leap Person"  # formal, gender unknown: whole name
    for r in rows:
        assert r["ref"] and r["name"] and r["salutation"]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_always_carries_customer_id_and_code(shop, fmt):
    out = shop("due", "--as-of", "2026-05-01", "--format", fmt, "--fields", "kind,why").stdout
    rows = json.loads(out) if fmt == "json" else [json.loads(x) for x in out.splitlines()]
    assert {(r["customer_id"], r["code"]) for r in rows} == {
        (1, "B1"), (2, None), (3, "K0042"), (4, None), (5, None)
    }  # fmt: skip
    out = shop("greet", "--as-of", "2026-05-01", "--format", fmt).stdout
    rows = json.loads(out) if fmt == "json" else [json.loads(x) for x in out.splitlines()]
    assert all("customer_id" in r and "code" in r for r in rows)


def test_greet_leaves_out_the_unreachable_and_never_an_empty_name(shop):
    result = shop("greet", "--as-of", "2026-05-01")
    rows = _csv(result.stdout)
    assert list(rows[0]) == ["ref", "name", "phone", "email", "message"]
    assert sorted(r["ref"] for r in rows) == ["#2", "#4", "B1", "K0042"]  # not #5
    assert "1 greeting left out" in result.stderr
    messages = {r["ref"]: r["message"] for r in rows}
    assert messages["#4"] == "Happy birthday, Leap Person! Warm wishes from Bean."
    assert (
        messages["K0042"] == "고객님, 생일을 진심으로 축하드립니다! Bean 드림"
    )  # the shop's locale
    for m in messages.values():
        assert ", !" not in m and "Dear ," not in m


def test_ics_event_names_the_customer(shop, tmp_path):
    from icalendar import Calendar

    text = shop("export", "ics", "--as-of", "2026-05-01", "--days", "1").stdout
    summaries = sorted(str(e["summary"]) for e in Calendar.from_ical(text).walk("VEVENT"))
    assert summaries == [
        "birthday: #2 Bruce Banner",
        "birthday: #4 Leap Person",
        "birthday: #5 Nowhere Man",
        "birthday: B1 Bruce Wayne",
        "birthday: K0042 (no name) 010-5555-6666",
    ]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("ko", "고객님"), ("ja", "お客様"), ("zh", "尊敬的客户"), ("en", "valued customer")],
)
def test_nameless_salutation_per_language(locale, expected):
    from crmcli import names

    assert names.salutation(name=None, family=None, given=None, locale=locale) == expected
