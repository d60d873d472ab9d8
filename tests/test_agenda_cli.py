"""due, greet, followups, contacts, templates and export ics from the command line."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest


@pytest.fixture
def shop(cli):
    cli("config", "set", "shop.name", "Bean")
    cli("config", "set", "holidays.greet.prospects", "yes")  # no purchases in this shop
    cli("config", "set", "agenda.lead.birthday", "0d")
    cli("config", "set", "agenda.lead.holiday", "0d")
    cli("customers", "add", "--name", "김민준", "--code", "K001", "--phone", "010-1234-5678",
        "--birthday", "1985-03-14", "--tag", "vip", "--owner", "지수")  # fmt: skip
    cli("customers", "add", "--name", "山田 太郎", "--code", "J001", "--birthday", "--03-14",
        "--email", "taro@example.jp")  # fmt: skip
    cli("customers", "add", "--name", "Ani Armenovna Petrosyan", "--code", "A001",
        "--birthday", "1987-03-14", "--owner", "Armen")  # fmt: skip
    cli("customers", "add", "--name", "John Smith", "--code", "E001", "--gender", "M",
        "--birthday", "1970-03-14", "--email", "john@example.com")  # fmt: skip
    return cli


def _csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_due_prints_the_agenda_as_csv_when_piped(shop):
    result = shop("due", "--as-of", "2026-03-14")
    rows = _csv(result.stdout)
    assert list(rows[0]) == ["date", "kind", "ref", "name", "salutation", "phone", "why", "owner"]
    assert {(r["ref"], r["name"], r["salutation"]) for r in rows} == {
        ("K001", "김민준", "김민준 고객님"),
        ("J001", "山田 太郎", "山田様"),
        ("A001", "Ani Armenovna Petrosyan", "Ani Armenovna"),
        ("E001", "John Smith", "Mr Smith"),
    }
    assert result.stdout.count("\n") == 5


def test_due_filters(shop):
    rows = _csv(shop("due", "--as-of", "2026-03-14", "--owner", "Armen").stdout)
    assert [r["salutation"] for r in rows] == ["Ani Armenovna"]
    rows = _csv(shop("due", "--as-of", "2026-03-14", "--kind", "holiday", "--kind", "birthday",
                     "--fields", "code,kind").stdout)  # fmt: skip
    assert sorted(r["code"] for r in rows) == ["A001", "E001", "J001", "K001"]
    bad = shop("due", "--kind", "nonsense", ok=False)
    assert bad.exit_code == 1 and "unknown kind" in bad.stderr
    assert shop("due", "--tier", "Z", ok=False).exit_code == 1


def test_quiet_day_prints_nothing(shop):
    result = shop("due", "--as-of", "2026-03-13")
    assert result.stdout == ""


def test_followups_and_contacts(shop):
    fid = shop("followups", "add", "K001", "--in", "3d", "--note", "견적서 보내기",
               "--as-of", "2026-06-01").stdout.strip()  # fmt: skip
    rows = _csv(shop("due", "--as-of", "2026-06-04").stdout)
    assert [(r["kind"], r["why"]) for r in rows] == [
        ("followup", f"follow-up #{fid}: 견적서 보내기")
    ]
    shop("followups", "snooze", fid, "--for", "1w", "--as-of", "2026-06-04")
    assert shop("due", "--as-of", "2026-06-10").stdout == ""
    assert _csv(shop("followups", "list").stdout)[0]["day"] == "2026-06-11"
    shop("followups", "done", fid, "--note", "sent")
    assert shop("due", "--as-of", "2026-06-11").stdout == ""
    usage = shop("followups", "add", "K001", "--note", "x", ok=False)
    assert usage.exit_code == 2 and "--on DATE" in usage.stderr
    shop(
        "contacts", "log", "K001", "--channel", "call", "--note", "안부 전화", "--on", "2026-06-02"
    )
    page = shop("customers", "show", "K001", "--format", "json").stdout
    assert "안부 전화" in page and "견적서 보내기" not in page  # done follow-ups leave the page
    assert shop("contacts", "log", "K001", "--channel", "pigeon", ok=False).exit_code == 1


def test_greet_renders_templates_with_salutations(shop):
    shop("customers", "edit", "A001", "--phone", "+374 10 123456")
    rows = _csv(shop("greet", "--as-of", "2026-03-14", "--fields", "customer,message").stdout)
    messages = {r["customer"]: r["message"] for r in rows}
    assert messages["김민준 고객님"] == "김민준 고객님, 생일을 진심으로 축하드립니다! Bean 드림"
    assert messages["山田様"] == "山田様、お誕生日おめでとうございます。Beanより"
    assert messages["Mr Smith"] == "Happy birthday, Mr Smith! Warm wishes from Bean."
    shop("templates", "set", "sale", "--text", "{friendly}: 20% off at {shop}!")
    shop("templates", "set", "sale.ko", "--text", "{friendly}, {shop} 20% 할인!")
    rows = _csv(shop("greet", "--as-of", "2026-03-14", "--template", "sale",
                     "--fields", "customer,message").stdout)  # fmt: skip
    messages = {r["customer"]: r["message"] for r in rows}
    assert messages["김민준 고객님"] == "민준 님, Bean 20% 할인!"
    assert messages["Mr Smith"] == "John: 20% off at Bean!"
    assert "{friendly}" in shop("templates", "show", "sale").stdout
    bad = shop("templates", "set", "x", "--text", "Hi {nickname}", ok=False)
    assert bad.exit_code == 1 and "{nickname}" in bad.stderr
    assert shop("greet", "--template", "nope", ok=False).exit_code == 1


def test_greet_holiday_in_the_customers_language(shop):
    rows = _csv(shop("greet", "--as-of", "2027-02-07", "--fields", "customer,message").stdout)
    assert rows == [
        {
            "customer": "김민준 고객님",
            "message": "김민준 고객님, 즐겁고 행복한 설날 보내세요! Bean 드림",
        }
    ]


def test_export_ics(shop, tmp_path):
    from icalendar import Calendar

    text = shop(
        "export", "ics", "--as-of", "2026-03-02", "--days", "30", "--kind", "birthday"
    ).stdout
    events = Calendar.from_ical(text).walk("VEVENT")
    assert len(events) == 4
    assert {str(e["dtstart"].to_ical().decode()) for e in events} == {"20260314"}
    out = tmp_path / "agenda.ics"
    shop("export", "ics", "--as-of", "2026-03-01", "--output", str(out))
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_since_last_run_records_and_catches_up(shop):
    assert _csv(shop("due", "--since-last-run", "--as-of", "2026-03-12").stdout) == []
    # Two days missed: the run on the 15th reports the 13th–15th, birthdays on the 14th.
    rows = _csv(shop("due", "--since-last-run", "--as-of", "2026-03-15").stdout)
    assert len(rows) == 4
    # Said again until dealt with, then never again.
    again = _csv(shop("due", "--since-last-run", "--as-of", "2026-03-15", "--fields", "key").stdout)
    assert len(again) == 4
    shop("due", "done", *(r["key"] for r in again), "--on", "2026-03-15")
    assert shop("due", "--since-last-run", "--as-of", "2026-03-15").stdout == ""


def test_cron_run_on_a_quiet_day_prints_nothing(shop, db_path):
    """The real entry point, no terminal: nothing on stdout, exit 0 (cron mails nothing)."""
    env = {**os.environ, "CRMCLI_DB": str(db_path)}
    result = subprocess.run(
        [sys.executable, "-m", "crmcli", "due", "--since-last-run", "--as-of", "2026-07-01"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    busy = subprocess.run(
        [sys.executable, "-m", "crmcli", "due", "--as-of", "2026-03-14"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert busy.returncode == 0 and busy.stdout.decode().startswith("date,kind,ref,name")


def test_more_followup_contact_and_template_commands(shop):
    fid = shop("followups", "add", "J001", "--on", "2026-05-31", "--every", "1m",
               "--note", "monthly tasting").stdout.strip()  # fmt: skip
    shop("followups", "done", fid)
    rows = _csv(shop("followups", "list", "J001").stdout)
    assert [(r["day"], r["rrule"]) for r in rows] == [
        ("2026-06-30", "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1")
    ]
    shop("followups", "cancel", rows[0]["id"])
    assert _csv(shop("followups", "list").stdout) == []
    assert len(_csv(shop("followups", "list", "--all").stdout)) == 2
    again = shop("followups", "done", fid, ok=False)
    assert again.exit_code == 1 and "already done" in again.stderr
    shop("contacts", "log", "J001", "--channel", "visit", "--note", "羊羹を持参")
    assert _csv(shop("contacts", "list", "J001").stdout)[0]["note"] == "羊羹を持参"
    page = shop("customers", "show", "J001", "--format", "table").stdout
    assert "Contact log" in page and "羊羹を持参" in page
    names = [r["name"] for r in _csv(shop("templates", "list").stdout)]
    assert {"birthday", "birthday.ko", "holiday.ja", "anniversary.hy"} <= set(names)
    shop("templates", "remove", "birthday.ja")
    rows = _csv(shop("greet", "--as-of", "2026-03-14", "--fields", "customer,template").stdout)
    assert {"customer": "山田様", "template": "birthday"} in rows  # falls back to `birthday`


def test_tier_filter_and_cron_without_a_database(shop, tmp_path):
    shop("customers", "set-tier", "K001", "A", "--reason", "big orders")
    rows = _csv(shop("due", "--as-of", "2026-03-14", "--tier", "A").stdout)
    assert [r["ref"] for r in rows] == ["K001"]
    missing = tmp_path / "none.db"
    # A mistyped --db is not a quiet day: cron mails the error (issue 12).
    result = shop("--db", str(missing), "due", "--since-last-run", ok=False)
    assert result.exit_code == 1 and result.stdout == "" and not missing.exists()
    assert f"no crmcli database at {missing}" in result.stderr


def test_help_texts_list_every_kind_and_placeholder():
    from crmcli import agenda, templates
    from crmcli.cli.agenda import KINDS_HELP
    from crmcli.cli.templates import PLACEHOLDERS_HELP

    assert KINDS_HELP.split(", ") == list(agenda.KINDS)
    assert ", ".join("{" + p + "}" for p in templates.PLACEHOLDERS) == PLACEHOLDERS_HELP


def test_held_back_visits_are_counted_for_a_person_not_for_cron(cli, db_path):
    """Capped visits: on a terminal, how many more are due (every tier counted, though only
    the first tiers are read for the list); piped, the list alone."""
    from ptyrun import run_tty

    cli("config", "set", "agenda.visits_per_day", "2")
    for n, tier in enumerate("AABBBCCCCC"):
        cli("customers", "add", "--name", f"Visit {n}", "--code", f"V{n}")
        cli("customers", "set-tier", f"V{n}", tier, "--reason", "test")
    status, shown = run_tty("due", "--as-of", "2040-01-01", "--kind", "visit", db=db_path)
    assert status == 0, shown
    assert "8 more visits are due" in shown
    assert shown.count("visit/call") == 2 and "V0" in shown and "V1" in shown
    piped = cli("due", "--as-of", "2040-01-01", "--kind", "visit")
    assert [r["ref"] for r in _csv(piped.stdout)] == ["V0", "V1"]
    assert "more visit" not in piped.stderr


def test_due_read_partly_stops_cleanly(shop, db_path):
    """`crmcli due | head -1`: the reader stops early; nothing but the lines on stdout,
    nothing on stderr (the listing's table is dropped with its reading closed)."""
    from datetime import date

    from crmcli import customers, followups
    from crmcli.db import open_db
    from crmcli.db_url import parse

    db = open_db(parse(str(db_path), source="the test"))
    kim = customers.resolve(db, "K001")
    for n in range(3000):  # more than a pipe holds: the writer is stopped mid-list
        followups.add(db, customer_id=kim, on=date(2026, 3, 1), note=f"call back #{n}")
    db.close()
    run = subprocess.run(
        f"{sys.executable} -m crmcli due --as-of 2026-03-14 --days 30 | head -1",
        shell=True,
        capture_output=True,
        text=True,
        env={**os.environ, "CRMCLI_DB": str(db_path)},
    )
    assert run.stdout.startswith("date,kind,ref")
    assert run.stderr == ""


def test_a_repeating_followup_says_its_rule_in_words_in_the_readers_language(shop, monkeypatch):
    # The why held the raw rule (`[repeats FREQ=WEEKLY;INTERVAL=2]`): CSV says it in the
    # core's English words, a terminal in the reader's language, as `followups list` does.
    shop("followups", "add", "K001", "--on", "2026-03-14", "--every", "2w", "--note", "tasting")
    piped = _csv(shop("due", "--as-of", "2026-03-14", "--kind", "followup").stdout)
    assert [r["why"] for r in piped] == ["follow-up #1: tasting [repeats every 2 weeks]"]
    for lang, words in (("ko_KR.UTF-8", "2주마다"), ("ja_JP.UTF-8", "2週間ごと"),
                        ("zh_TW.UTF-8", "每2週"), ("hy_AM.UTF-8", "2 շաբաթը մեկ")):  # fmt: skip
        monkeypatch.setenv("LANGUAGE", lang)
        args = ("--format", "table", "--fields", "ref,why")
        due = shop("due", "--as-of", "2026-03-14", "--kind", "followup", *args).stdout
        listed = shop("followups", "list", "--format", "table", "--fields", "id,rrule").stdout
        assert words in due and words in listed, (lang, due, listed)
        assert "every" not in due + listed and "FREQ" not in due + listed
        again = _csv(shop("due", "--as-of", "2026-03-14", "--kind", "followup").stdout)
        assert again == piped  # machine output: the same bytes under every language
