"""The benchmark's data and references are what BENCHMARKS.md says they are.

Timings are never asserted here: these tests check the generated data (scripts,
birthdays, skew, determinism), the loader, and that each reference does the same
work as the crmcli command it is compared with.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing, redirect_stdout
from datetime import date, timedelta
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import classify_floor  # noqa: E402
import classify_floor_python  # noqa: E402
import due_floor  # noqa: E402
import generate  # noqa: E402
import load  # noqa: E402
import reference_classify  # noqa: E402
import reference_due  # noqa: E402
import run  # noqa: E402
import server  # noqa: E402

from crmcli import names  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    generate.generate(out, n_customers=2_000, n_purchases=20_000)
    load.load(out, out / "query.db")
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    generate.generate(tmp_path / "a", n_customers=300, n_purchases=1_000, seed=1)
    generate.generate(tmp_path / "b", n_customers=300, n_purchases=1_000, seed=1)
    generate.generate(tmp_path / "c", n_customers=300, n_purchases=1_000, seed=2)
    for name in ("customers.csv", "purchases.csv"):
        a, b, c = ((tmp_path / d / name).read_bytes() for d in "abc")
        assert a == b
        assert a != c


def test_customers_cover_every_script_and_birthday_shape(data):
    customers = rows(data / "customers.csv")
    assert len(customers) == 2_000
    assert len({c["code"] for c in customers}) == 2_000
    scripts = Counter(names.script(c["name"]) for c in customers)
    assert {"hangul", "han", "armenian", "latin"} <= set(scripts)
    assert any(
        c["name"].count(" ") == 2 and names.script(c["name"]) == "armenian" for c in customers
    )
    assert any(
        c["name"].split()[1].endswith(("ovna", "ovich")) for c in customers if " " in c["name"]
    )
    birthdays = [c["birthday"] for c in customers]
    assert any(b.startswith("--") for b in birthdays)
    assert any(b.endswith("-02-29") for b in birthdays)
    assert any(c["birthday_lunar"] == "lunar" for c in customers)
    assert any(b == "" for b in birthdays)
    assert any(c["phone"].startswith("010-") for c in customers)  # the leading zero is data
    assert any(";" in c["tags"] for c in customers)


def test_purchases_are_skewed_dated_and_include_returns(data):
    lines = rows(data / "purchases.csv")
    assert len(lines) == 20_000
    assert len({line["line_id"] for line in lines}) == 20_000
    spend: Counter[str] = Counter()
    for line in lines:
        spend[line["customer"]] += float(line["amount"])
    ranked = sorted(spend.values(), reverse=True)
    top_fifth = sum(ranked[: 2_000 // 5]) / sum(ranked)
    assert top_fifth > 0.7  # a few customers buy most
    assert ranked[0] / sum(ranked) < 0.1  # but no one customer buys a large share
    days = [line["date"] for line in lines]
    assert days == sorted(days)
    assert days[0] < "2023-02-01" and days[-1] > "2025-11-30"
    returns = [line for line in lines if line["amount"].startswith("-")]
    assert 0.005 < len(returns) / len(lines) < 0.05
    assert all(line["order_id"].startswith("C") for line in returns)
    assert any(len(line["amount"].split(".")[1]) == 4 for line in lines)


def test_loader_builds_crmcli_database(data):
    db = sqlite3.connect(data / "query.db")
    assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == 2_000
    assert db.execute("SELECT count(*) FROM purchases").fetchone()[0] == 20_000
    # the search index is filled by crmcli's own triggers
    hits = db.execute(
        "SELECT count(*) FROM customers_fts WHERE customers_fts MATCH '\"petrosyan\"'"
    ).fetchone()[0]
    assert hits > 0
    total = db.execute("SELECT sum(amount_micros) FROM purchases").fetchone()[0]
    expected = sum(round(float(r["amount"]) * 1_000_000) for r in rows(data / "purchases.csv"))
    assert abs(total - expected) < 20_000  # exact micro-units, float only in this check
    assert db.execute("SELECT count(*) FROM followups").fetchone()[0] > 0


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell")
def test_the_sql_floors_load_every_row_and_leave_the_schema_whole(data, tmp_path):
    """The floor rows (crmcli's tables filled in SQL alone, as its bulk import fills them)
    load every customer, phone, tag and line, and put back every index and trigger."""
    from crmcli.db import open_db

    empty, customers_only = tmp_path / "empty.db", tmp_path / "customers-only.db"
    open_db(empty).close()
    load.load(data, customers_only, purchases=False)

    def schema(db: Path) -> list[tuple[str, str]]:
        with closing(sqlite3.connect(db)) as conn:
            return conn.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger')"
                " ORDER BY name"
            ).fetchall()

    def floor(kind: str, template: Path) -> sqlite3.Connection:
        target = tmp_path / f"{kind}-floor.db"
        shutil.copyfile(template, target)
        argv = ["sqlite3", str(target), *run.sql_floor(kind, data / f"{kind}.csv", template)]
        subprocess.run(argv, check=True, capture_output=True)
        assert schema(target) == schema(template)
        return sqlite3.connect(target)

    people = rows(data / "customers.csv")
    db = floor("customers", empty)
    count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    assert count("SELECT count(*) FROM customers") == len(people)
    assert count("SELECT count(*) FROM customer_phones") == sum(1 for p in people if p["phone"])
    tags = sum(len({t for t in p["tags"].split(";") if t}) for p in people)
    assert count("SELECT count(*) FROM customer_tags") == tags
    assert count("SELECT count(*) FROM import_changes") == len(people)
    for fts in ("customers_fts", "customers_words", "customer_phones_fts"):
        assert count(f"SELECT count(*) FROM {fts}_docsize") > 0  # built once, after
        db.execute(f"INSERT INTO {fts}({fts}, rank) VALUES('integrity-check', 1)")  # whole
    lines = rows(data / "purchases.csv")
    db = floor("purchases", customers_only)
    assert db.execute("SELECT count(*) FROM purchases").fetchone()[0] == len(lines)


def test_the_python_floor_stores_what_crmcli_stores_and_keeps_the_checks(data, tmp_path):
    """The cheapest Python import (python_floor.py) is a floor, not a toy: of the
    benchmark's file it stores the very codes, e-mails, birthdays, numbers (international
    form too) and tags crmcli's own import stores, fills the search indexes whole and puts
    their triggers back; and it refuses a bad row before writing anything."""
    from crmcli.db import open_db
    from crmcli.imports.customers import import_customers

    empty = tmp_path / "empty.db"
    open_db(empty).close()

    def schema(db: Path) -> list[tuple[str, str]]:
        with closing(sqlite3.connect(db)) as conn:
            return conn.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger')"
                " ORDER BY name"
            ).fetchall()

    def floor(csv_file: Path) -> subprocess.CompletedProcess[str]:
        shop = tmp_path / "floor.db"
        shutil.copyfile(empty, shop)
        argv = [sys.executable, str(BENCH / "python_floor.py"), str(shop), str(csv_file)]
        return subprocess.run(argv, capture_output=True, text=True, check=False)

    assert floor(data / "customers.csv").returncode == 0
    ours = tmp_path / "crmcli.db"
    shutil.copyfile(empty, ours)
    with closing(open_db(ours)) as db:
        import_customers(db, data / "customers.csv")
    assert schema(tmp_path / "floor.db") == schema(empty)
    stored = {
        "customers": "SELECT id, code, name, email, birthday, birthday_lunar, owner"
        " FROM customers ORDER BY id",
        "phones": "SELECT customer_id, raw, e164, digits FROM customer_phones ORDER BY id",
        "tags": "SELECT customer_id, tag FROM customer_tags ORDER BY customer_id, tag",
        "journal": "SELECT row_id FROM import_changes ORDER BY row_id",
    }
    with closing(sqlite3.connect(tmp_path / "floor.db")) as f, closing(sqlite3.connect(ours)) as c:
        for what, sql in stored.items():
            assert f.execute(sql).fetchall() == c.execute(sql).fetchall(), what
        for fts in ("customers_fts", "customers_words", "customer_phones_fts"):
            f.execute(f"INSERT INTO {fts}({fts}, rank) VALUES('integrity-check', 1)")
        hits = "SELECT count(*) FROM customer_phones_fts WHERE digits MATCH '\"5555\"'"
        assert f.execute(hits).fetchone()[0] == c.execute(hits).fetchone()[0] > 0

    lines = (data / "customers.csv").read_text(encoding="utf-8").splitlines()
    for bad, said in (
        (lines[3].replace(",", ",\x1b", 1), "line 4: a control character"),
        (lines[3].split(",")[0] + ",Kim,,,2024-02-30,,,", "line 4: birthday '2024-02-30'"),
        (lines[3].split(",")[0] + ",Kim,,kim@,,,,", "line 4: email 'kim@'"),
        (",,,,,,,", "line 4: nothing to know this customer by"),
    ):
        bad_file = tmp_path / "bad.csv"
        bad_file.write_text("\n".join([*lines[:3], bad, *lines[4:]]) + "\n", encoding="utf-8")
        refused = floor(bad_file)
        assert refused.returncode == 1 and said in refused.stderr, refused.stderr
        with closing(sqlite3.connect(tmp_path / "floor.db")) as f:
            assert f.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


# What `reference_due.py` prints, and the columns of crmcli's it prints the same.
DUE_FIELDS = "date,kind,ref,name,phone,why,owner,key"
# The days it is compared on: the benchmark's; a 29 February in a common year; the
# ordinary and the leap sixth lunar month of 2025; a lunar new year the two calendars
# put a day apart (2027).
DUE_AS_OFS = ("2025-12-01", "2025-02-25", "2025-06-26", "2025-07-27", "2027-02-03")
DUE_SETTINGS = {
    "crmcli's defaults": {},
    "the shop's own": {
        "agenda.lead.birthday": "1w",
        "agenda.greeting_grace": "3d",
        "agenda.lead.followup": "2d",
        "birthday.feb29": "mar1",
        "lunar.calendar": "chinese",
    },
}


@pytest.fixture(params=sorted(DUE_SETTINGS))
def due_shop(request, data, tmp_path) -> Path:
    """The generated shop, and one of each thing that decides whether a birthday or a
    follow-up is listed, and on which day: contact windows, items done or skipped, a
    call that was the greeting, customers not to be reached, each calendar's lunar
    birthdays (a stored locale, a name that tells it, a leap month), no name, no year."""
    from crmcli import agenda_done, contacts, customers, followups, settings
    from crmcli.db import open_db

    path = tmp_path / "query.db"
    shutil.copyfile(data / "query.db", path)
    db = open_db(path)
    for key, value in DUE_SETTINGS[request.param].items():
        settings.set_value(db, key, value)

    def add(name, born, **kw):
        return customers.add(
            db, name=name, birthday=born, phones_raw=kw.pop("phones", ["010-5555-0101"]), **kw
        )

    def near(d, n):  # the month-day n days from d
        return (d + timedelta(days=n)).isoformat()[5:]

    for day in DUE_AS_OFS:
        d = date.fromisoformat(day)
        add("Saturday Only", f"1980-{near(d, 2)}", contact_days="sat")
        # Its day was before the greeting window, but its due day moves to today.
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d.weekday()]
        add("Moved Forward", f"1975-{near(d, -3)}", contact_days=weekday)
        add("Not To Call", f"1990-{near(d, 1)}", do_not_contact=True)
        customers.archive(db, add("Gone Away", f"1991-{near(d, 1)}"))
        add(None, f"1992-{near(d, 2)}")
        add(None, f"--{near(d, 3)}", phones=[], email="quiet@example.com")
        add("Year Unknown", f"--{near(d, 1)}")
        called = add("Called Already", f"1985-{near(d, 2)}")
        contacts.log(db, customer_id=called, channel="call", at=f"{day}T09:00:00+00:00")
        sent = add("Card Sent", f"1986-{near(d, 2)}")
        agenda_done.record(db, [f"birthday:{sent}:{d + timedelta(days=2)}"], outcome="done")
        promised = followups.add(
            db, customer_id=sent, on=d, note="send the catalogue", owner="Mina"
        )
        followups.snooze(db, promised, until=d + timedelta(days=3))
        skipped = followups.add(db, customer_id=called, on=d, note="ask about the repair")
        agenda_done.record(db, [f"followup:{skipped}"], outcome="skipped")
        weekly = add("Every Week", None)
        followups.add(
            db, customer_id=weekly, on=d - timedelta(days=9), note="stock check", every="1w"
        )
    # 1 January of the lunar year (Seollal 2027-02-07, the Spring Festival 2027-02-06),
    # kept by calendar: stored locales, a simplified-only name (陈), a name that tells
    # nothing (朱), a Korean name; a birthday in the leap sixth month of 2025 and one in
    # the ordinary sixth month (which never moves into the leap month).
    for name, locale in (
        ("Chen Jing", "zh_Hans"),
        ("Kim Jiwoo", "ko"),
        ("陈静", None),
        ("朱霞", None),
        ("김지우", None),
        ("Sato Yui", "ja"),
    ):
        add(name, "1970-01-01", birthday_lunar=True, locale=locale)
    add("윤달생", "1984-06-04", birthday_lunar=True, birthday_leap=True)
    add("유월생", "1984-06-04", birthday_lunar=True)
    db.close()
    return path


def _listed(lines: str) -> list[str]:
    # A repeating follow-up's rule: crmcli says it in words, the script as stored.
    return [re.sub(r"\[repeats [^]]*\]", "[repeats …]", line) for line in lines.splitlines()]


def test_reference_due_lists_what_crmcli_due_lists(due_shop):
    """The bare script does crmcli's work for these two kinds: the same lines, in the
    same order, on each day and with each shop's settings."""
    seen = []
    for day in DUE_AS_OFS:
        ours = subprocess.run(
            [
                sys.executable,
                "-m",
                "crmcli",
                "--db",
                str(due_shop),
                "due",
                "--as-of",
                day,
                "--days",
                "7",
                "--kind",
                "birthday",
                "--kind",
                "followup",
                "--format",
                "csv",
                "--fields",
                DUE_FIELDS,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        out = io.StringIO()
        with redirect_stdout(out):
            reference_due.main([str(due_shop), "--as-of", day, "--days", "7"])
        assert _listed(out.getvalue()) == _listed(ours), day
        seen += _listed(ours)
    # What the comparison went through.
    said = "\n".join(seen)
    for shown in (
        "(moved from",
        "(overdue since",
        "lunar birthday (leap 06-04)",
        "snoozed",
        "[repeats …]",
        "(no name) quiet@example.com",
        "(no name) 010-5555-0101",
        "Year Unknown",
        "陈静",
    ):
        assert shown in said, shown
    for left_out in ("Not To Call", "Gone Away", "Called Already", "ask about the repair"):
        assert left_out not in said, left_out
    # A leap-month date falls in the leap month of a year that has one (not in the
    # ordinary month before it); an ordinary-month date never in the leap month.
    leap = {line.rsplit(":", 1)[1] for line in seen if "윤달생" in line}
    assert leap == {"2025-07-28"}
    ordinary = {line.rsplit(":", 1)[1] for line in seen if "유월생" in line}
    assert ordinary == {"2025-06-28"}
    lunar_new_year = {  # name → the day of its birthday (the key's last part)
        line.split(",")[3]: line.rsplit(":", 1)[1] for line in seen if "on 2027-02-0" in line
    }
    assert lunar_new_year["Chen Jing"] != lunar_new_year["Kim Jiwoo"]  # the calendars differ
    assert lunar_new_year["陈静"] == lunar_new_year["Chen Jing"]


def test_reference_classify_is_a_pareto_split(data):
    out = io.StringIO()
    with redirect_stdout(out):
        reference_classify.main([str(data / "query.db"), "--as-of", "2025-12-01"])
    counts = dict(part.split("=") for part in out.getvalue().strip().split(","))
    a, b, c = (int(counts[t]) for t in "ABC")
    assert a + b + c == 2_000
    assert 0 < a < b  # few A customers hold 80 %
    assert reference_classify.months_before(date(2025, 5, 31), 3) == date(2025, 2, 28)


def test_timed_reports_peak_memory_of_the_child_not_the_runner():
    seconds, peak_kb = run.timed([sys.executable, "-S", "-c", "b = bytearray(60_000_000)"])
    cpu: list[float] = []
    small_seconds, small_kb = run.timed([sys.executable, "-S", "-c", "pass"], cpu=cpu)
    assert len(cpu) == 1 and 0 < cpu[0] <= small_seconds + 0.05  # the child's own CPU
    assert peak_kb > 60_000 > small_kb
    assert seconds > 0 and small_seconds > 0
    with pytest.raises(run.Failed):
        run.timed([sys.executable, "-S", "-c", "raise SystemExit(3)"])


def test_a_baseline_is_the_crmcli_of_its_own_folder(tmp_path):
    """--baseline races another checkout's crmcli: that one runs, not this venv's."""
    package = tmp_path / "before" / "crmcli"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(
        "import sys\ndef main():\n    print('before', sys.argv[1:])\n"
    )
    argv = [*run.baseline_crmcli(tmp_path / "before"), "--db", "x.db", "customers", "import"]
    shown = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert shown == "before ['--db', 'x.db', 'customers', 'import']\n"


def test_run_explains_its_sizes():
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "--size" in result.stdout


def test_report_gives_ratios_flags_misses_and_never_invents_figures(tmp_path):
    bench = run.Bench("1k", 3, tmp_path)
    bench.results = [
        run.Result("purchases import", "crmcli purchases import", [2.0, 2.2, 9.0], [40_000] * 3),
        run.Result("purchases: sqlite3 .import", "sqlite3", [0.5, 0.6, 0.5], [8_000] * 3),
        run.Result("due", "crmcli due", [0.3] * 3, [200_000] * 3),
        run.Result("due: reference", "python reference_due.py", [0.1] * 3, [16_000] * 3),
        run.Result("tiers classify", "crmcli tiers classify", skipped="not available yet"),
    ]
    bench.compare("purchases import", "purchases: sqlite3 .import", run.Target(3.0, "≤ 3×"))
    bench.compare("due", "due: reference", run.Target(3.0, "≤ 3×"))
    bench.compare("tiers classify", "classify: SQL window query", run.Target(1.5, "≤ 1.5×"))
    lines, misses = run.report(bench)
    text = "\n".join(lines)
    # the median, not the mean; no CPU figure where none was taken
    assert "| purchases import | 2.200 | 2.000–9.000 | – | 3 | 39 |" in text
    assert "| purchases import | purchases: sqlite3 .import | 4.40× | – | ≤ 3× | **no** |" in text
    assert "| tiers classify | – | – | – | – | – | not available yet |" in text
    assert (
        "| tiers classify | classify: SQL window query | – | – | ≤ 1.5× | not available yet |"
        in text
    )
    assert misses == [
        "1k: purchases import ≤ 3×: 4.40×",
        "1k: due peak < 150 MB: 195 MB",
    ]


def test_report_gives_the_cpu_ratio_beside_the_wall_ratio(tmp_path):
    """A reference waiting on the disk is slow by the clock, not in work: both ratios."""
    bench = run.Bench("1k", 3, tmp_path)
    bench.results = [
        run.Result("customers import", "crmcli", [2.0] * 3, [40_000] * 3, [1.5] * 3),
        run.Result("customers: sqlite-utils", "sqlite-utils", [4.0] * 3, [8_000] * 3, [0.5] * 3),
    ]
    bench.compare("customers import", "customers: sqlite-utils", run.Target(0.5, "≥ 2× faster"))
    text = "\n".join(run.report(bench)[0])
    assert (
        "| customers import | customers: sqlite-utils | 0.50× (2.0× faster) | 3.00× "
        "| ≥ 2× faster | yes |" in text
    )


def test_the_verdict_table_judges_every_target_at_every_size(tmp_path):
    """Issue 17 item 7: ratios, time limits (interactive and due's) and peak memory,
    each a row with its figure; what was not measured is said, never judged."""
    small, large = run.Bench("10k", 3, tmp_path), run.Bench("1m", 3, tmp_path)
    for bench, due_s in ((small, 0.9), (large, 3.4)):
        search = run.Result(
            "customers search x", "crmcli customers search x", [0.1] * 3, [50_000] * 3
        )
        search.limit = 0.15
        bench.results = [
            run.Result("purchases import", "crmcli purchases import", [2.0] * 3, [100_000] * 3),
            run.Result("purchases: sqlite3 .import", "sqlite3", [1.0] * 3, [8_000] * 3),
            search,
            run.Result("due (every kind)", "crmcli due", [due_s] * 3, [120_000] * 3),
            run.Result("tiers classify", "crmcli tiers classify", skipped="not available yet"),
        ]
        bench.compare(
            "purchases import", "purchases: sqlite3 .import", run.Target(4.0, "≤ 4× .import")
        )
        bench.compare("tiers classify", "classify: SQL window query", run.Target(1.3, "≤ 1.3×"))
    small.loaded = [("due", []), ("customers search", [])]
    large.loaded = [
        ("due", ["sqlite_utils", "pluggy"]),
        ("customers search", []),
        ("customers show", ["sqlite_utils", "pluggy"]),
        ("customers list", ["rich"]),
    ]
    judged = run.verdicts(small) + run.verdicts(large)
    table = "\n".join(run.verdict_table(judged))
    large_reads = "due, customers show: sqlite_utils, pluggy; customers list: rich"
    assert table.startswith("### Verdict\n\n| size | target | figure | met |")
    for row in (
        "| 10k | purchases import ≤ 4× .import | 2.00× | yes |",
        "| 10k | tiers classify ≤ 1.3× | not available yet | – |",
        "| 10k | customers search x ≤ 0.15 s | 0.100 s | yes |",
        "| 10k | due (every kind) ≤ 1 s | 0.900 s | yes |",
        "| 10k | purchases import peak < 150 MB | 98 MB | yes |",
        "| 10k | due (every kind) peak < 150 MB | 117 MB | yes |",
        "| 1m | due (every kind) ≤ 3 s | 3.400 s | **no** |",
        f"| 10k | {run.READS_TARGET} | none | yes |",
        f"| 1m | {run.READS_TARGET} | {large_reads} | **no** |",
    ):
        assert row in table
    assert [v.miss for v in judged if v.met is False] == [
        "1m: due (every kind) ≤ 3 s: 3.400 s",
        f"1m: {run.READS_TARGET}: {large_reads}",
    ]


# Issue 17's targets (items 1-6), as the verdict table names them.
ISSUE_17 = {
    1: ["customers import ≥ 2× faster than sqlite-utils"],
    2: [
        "purchases import ≤ 4× sqlite3 .import",
        "purchases import ≥ 8× faster than sqlite-utils",
        "purchases import peak < 150 MB",
    ],
    3: ["crmcli --version ≤ 2× python start-up", run.READS_TARGET],
    4: [
        "customers search 민준 --limit 20 (2 letters: word index) ≤ 0.15 s",
        "customers search 김민준 --limit 20 (3 letters: trigram index) ≤ 0.15 s",
        "customers search 010-1234 (phone digits) ≤ 0.15 s",
        "customers show (the biggest buyer: record, as piped) ≤ 0.15 s",
    ],
    5: [
        "due (every kind) ≤ 1 s",
        "due (every kind) peak < 150 MB",
        "due --kind birthday --kind followup ≤ 3× the reference script",
    ],
    6: ["tiers classify ≤ 1.3× the SQL query"],
}


@pytest.mark.slow
def test_a_run_at_the_ci_size_judges_every_target_of_issue_17(tmp_path):
    """Issue 17 item 7, on a real run at the size CI runs: no target can drop out."""
    out = tmp_path / "run.json"
    argv = [str(BENCH / "run.py"), "--size", run.CI_SIZE, "--runs", "1", "--work", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, *argv, "--json", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    judged = {v["target"]: v for v in json.loads(out.read_text())["verdicts"]}
    missing = [t for item in ISSUE_17.values() for t in item if t not in judged]
    assert missing == []
    assert judged[run.READS_TARGET]["met"] is not None  # measured, whatever it found
    assert done.stdout.rstrip().splitlines()[-1].startswith("Targets missed:")


@pytest.mark.slow
def test_a_run_on_both_engines_races_each_main_operation_on_each(tmp_path, pg_url):
    """Issue 16's "done when": the main operations timed on SQLite and on a server in the
    same run, and the purchase import judged against `psql \\copy` (item 5)."""
    from tests import pg_server

    if shutil.which("psql") is None:
        pytest.skip("psql is not installed (Debian: postgresql-client)")
    out = tmp_path / "run.json"
    argv = [str(BENCH / "run.py"), "--size", run.CI_SIZE, "--runs", "1", "--work", str(tmp_path)]
    argv += ["--engine", "postgresql", "--pg-url", pg_server.server().admin_url]
    done = subprocess.run(
        [sys.executable, *argv, "--json", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    timed = {r["name"] for r in report["sizes"][run.CI_SIZE]["results"] if "skipped" not in r}
    for operation in ("customers import", "purchases import", "tiers classify", "due (every kind)"):
        assert {f"{operation} [SQLite]", f"{operation} [PostgreSQL]"} <= timed
    judged = {v["target"]: v for v in report["verdicts"]}
    item_5 = "purchases import [PostgreSQL] ≤ 3× psql \\copy (issue 16 item 5)"
    assert judged[item_5]["met"] is not None  # measured, whatever it found


def _databases(starting: str) -> list[str]:
    """The server's databases whose names start with `starting`."""
    from tests import pg_server

    with pg_server.server().admin() as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1",
            [starting],
        ).fetchall()
    return [name for (name,) in rows]


def _drop(names: list[str]) -> None:
    from tests import pg_server

    with pg_server.server().admin() as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_runs_on_one_server_never_share_a_database(pg_url):
    """Two runs at once on one server (two trains' tests, a run by hand beside them) each
    make, copy and drop only their own databases."""
    import psycopg

    from tests import pg_server

    admin = pg_server.server().admin_url
    first, second = server.Server(admin, run.CI_SIZE), server.Server(admin, run.CI_SIZE)
    assert first.prefix != second.prefix
    try:
        first.fresh("empty")
        second.fresh("empty")
        first_url = first.fresh("query", "empty")
        second.fresh("query", "empty")
        second.drop_all()
        assert second.made() == []
        assert first.made() == [f"{first.prefix}_empty", f"{first.prefix}_query"]
        with psycopg.connect(first_url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        first.drop_all()
        second.drop_all()
    assert _databases(first.prefix) == []


def test_a_failed_run_says_why_and_drops_every_database_it_made(pg_url, tmp_path):
    """crmcli refusing to build a template stops the run with its own words, and the
    database made just before is gone."""
    from tests import pg_server

    bench = run.Bench(run.CI_SIZE, 1, tmp_path)
    bench.crmcli = [sys.executable, "-c", "import sys; sys.exit('crmcli said no')"]
    ours = f"crmcli_bench_{run.CI_SIZE}_{os.getpid()}_"
    try:
        with pytest.raises(run.Failed, match="db migrate exited 1:\ncrmcli said no"):
            server.compare(bench, pg_server.server().admin_url)
        assert _databases(ours) == []
    finally:
        _drop(_databases(ours))


@pytest.mark.slow
@pytest.mark.parametrize(
    "stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["INT", "TERM", "HUP"]
)
def test_a_run_stopped_midway_drops_every_database_it_made(pg_url, tmp_path, stop):
    """Ctrl-C, a `kill` or a closed terminal while the server's databases are being made:
    the run ends without a traceback and leaves none of them behind."""
    from tests import pg_server

    if shutil.which("psql") is None:
        pytest.skip("psql is not installed (Debian: postgresql-client)")
    argv = [str(BENCH / "run.py"), "--size", run.CI_SIZE, "--runs", "1", "--work", str(tmp_path)]
    argv += ["--engine", "postgresql", "--pg-url", pg_server.server().admin_url]
    running = subprocess.Popen(
        [sys.executable, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As at a terminal: a test run started in the background (a CI job, the gate)
        # hands its children Ctrl-C ignored, and Python then never raises it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    ours = f"crmcli_bench_{run.CI_SIZE}_{running.pid}_"  # its pid is in its names
    try:
        deadline = time.monotonic() + 120
        while not _databases(ours):
            assert running.poll() is None, running.communicate()
            assert time.monotonic() < deadline, "no database made in 120 s"
            time.sleep(0.05)
        running.send_signal(stop)
        _, err = running.communicate(timeout=120)
        assert running.returncode in (130, 128 + stop), err
        assert "Traceback" not in err
        assert _databases(ours) == []
    finally:
        if running.poll() is None:
            running.kill()
            running.communicate()
        _drop(_databases(ours))


def test_a_scratch_database_already_there_is_refused_never_dropped(pg_url):
    """`pg_import.py`/`pg_copy.py --database NAME` naming a database in use (another run's)
    stop before touching it; their own is dropped after."""
    import pg_bench
    import psycopg

    from tests import pg_server

    admin = pg_server.server().admin_url
    name = server.own_prefix("crmcli_test_bench")
    try:
        with pg_bench.scratch_database(admin, name) as url:
            again = pg_bench.scratch_database(admin, name)
            with pytest.raises(SystemExit, match="already on the server"), again:
                pass
            with psycopg.connect(url) as conn:  # still there, and connectable
                assert conn.execute("SELECT 1").fetchone() == (1,)
        assert _databases(name) == []
    finally:
        _drop(_databases(name))


def test_ci_runs_the_benchmark_at_its_smallest_size():
    ci = (BENCH.parent / ".ci" / "run").read_text()
    smallest = min(run.SIZES, key=lambda s: run.SIZES[s][0])
    assert smallest == run.CI_SIZE
    assert f"benchmarks/run.py --size {run.CI_SIZE} " in ci


@pytest.mark.parametrize(
    ("script", "more", "rows"),
    [("pg_copy.py", [], ["psql", "copy_rows", "copy_rows", "bulk_loading"]),
     ("pg_import.py", [], ["psql", "purchases import` (first load"]),
     ("pg_import.py", ["--existing", "500"], ["psql", "purchases import` (a shop in use"])],
)  # fmt: skip
def test_the_postgresql_benchmarks_time_each_run_against_psql(
    pg_url: str, script: str, more: list[str], rows: list[str]
) -> None:
    """Both run through `pg_bench` (scratch database, psql's floor, interleaved rounds):
    a small file, two rounds, every run's row in the table with its ratio. With
    `--existing`, the import goes into a table already holding that many lines (the
    script checks every one is still there, with the file's)."""
    import uuid

    import pg_server

    scratch = f"crmcli_test_bench_{uuid.uuid4().hex[:12]}"  # never a benchmark running by hand
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--url", pg_server.server().admin_url,
         "--lines", "300", "--rounds", "2", "--database", scratch, *more],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = done.stdout.splitlines()
    assert "best of 2" in table[0] and "× psql \\copy" in table[0]
    assert ("into 500 stored" in table[0]) == bool(more)
    body = table[2:]
    assert [next(word for word in rows if word in line) for line in body] == rows
    assert body[0].endswith("| 1.00 |")  # psql's own run is the floor
    assert done.stderr.count("round 2:") == len(rows)


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell")
def test_due_floor_replays_the_statements_of_due_and_lists_what_it_lists(data, tmp_path):
    """The floor is the same work: the sqlite3 shell, given the statements `crmcli due`
    sent, runs them all without an error and lists every item `due` prints."""
    db = tmp_path / "query.db"
    shutil.copyfile(data / "query.db", db)
    window = ["--as-of", load.AS_OF.isoformat(), "--days", "7"]
    statements = due_floor.traced(db, ["due", *window, "--format", "csv"])
    printed = tmp_path / "printed.txt"
    replayed = subprocess.run(
        ["sqlite3", str(db)],
        input=due_floor.script(statements, str(printed)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert replayed.returncode == 0 and not replayed.stderr, replayed.stderr
    keys = subprocess.run(
        [sys.executable, "-m", "crmcli", "--db", str(db), "due", *window, "--fields", "key"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[1:]
    listed = {line.split("|", 1)[0] for line in printed.read_text(encoding="utf-8").splitlines()}
    assert len(keys) > 100 and set(keys) <= listed
    # Every statement is timed once and named by the part of `due` it belongs to.
    timed = due_floor.parts("sqlite3", db, statements)
    assert {"the listing (join, filter, sort)", "after-sale, found in SQL"} <= set(timed)
    assert "thanks, found in SQL" in timed and "items made in Python, inserted" in timed


def test_the_python_classify_floor_stores_what_crmcli_stores(data, tmp_path):
    """The floor is the same work: its run holds, customer by customer, the tier, rank,
    spend, reason and revenue above that `crmcli tiers classify` stores, and its counts
    are the SQL reference's."""
    ours, floor = tmp_path / "ours.db", tmp_path / "floor.db"
    shutil.copyfile(data / "query.db", ours)
    as_of = ["--as-of", load.AS_OF.isoformat()]
    classify = [sys.executable, "-m", "crmcli", "--db", str(ours), "tiers", "classify", *as_of]
    subprocess.run(classify, capture_output=True, check=True)
    shutil.copyfile(ours, floor)  # the schema as crmcli migrated it, its run kept
    with closing(sqlite3.connect(floor, isolation_level=None)) as conn:
        counts = classify_floor_python.classify(conn, load.AS_OF)
    out = io.StringIO()
    with redirect_stdout(out):
        reference_classify.main([str(data / "query.db"), *as_of])
    assert counts == out.getvalue().strip()
    last = "(SELECT max(id) FROM tier_runs)"
    stored = (
        "SELECT customer_id, tier, spend_micros, rank, reason_code, above_micros"
        f" FROM tier_assignments WHERE run_id = {last} ORDER BY customer_id",
        f"SELECT code, reason FROM tier_run_reasons WHERE run_id = {last} ORDER BY code",
        'SELECT rule, params, "window", as_of, customers, revenue_micros, positive_micros'
        f" FROM tier_runs WHERE id = {last}",
    )
    with closing(sqlite3.connect(ours)) as a, closing(sqlite3.connect(floor)) as b:
        for sql in stored:
            assert a.execute(sql).fetchall() == b.execute(sql).fetchall(), sql


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell")
def test_classify_floor_replays_the_statements_of_a_run_and_stores_the_same_run(data, tmp_path):
    """The floor is the same work: the sqlite3 shell, given the statements `crmcli tiers
    classify` sent, runs them all without an error on another copy of the database and
    stores the very run crmcli stored, row for row."""
    ours, replayed = (
        classify_floor.fresh(data / "query.db", tmp_path / f"{name}.db")
        for name in ("ours", "replayed")
    )
    statements = classify_floor.traced(ours, ["tiers", "classify", "--as-of", "2025-12-01"])
    done = subprocess.run(
        ["sqlite3", str(replayed)],
        input=classify_floor.script(statements),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    stored = []
    for db in (ours, replayed):
        with closing(sqlite3.connect(db)) as conn:
            stored.append(
                [
                    conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                    for table in ("tier_runs", "tier_assignments", "tier_run_reasons")
                ]
            )
    assert stored[0] == stored[1]
    assert len(stored[0][1]) == 2_000 and {r[2] for r in stored[0][1]} == {"A", "B", "C"}


@pytest.mark.parametrize(
    ("script", "option", "value", "said"),
    [
        ("pg_import.py", "--existing", "-5", "-5 is less than 0"),
        ("pg_import.py", "--lines", "1e9", "'1e9' is not a whole number"),
        ("pg_copy.py", "--rounds", "0", "0 is less than 1"),
    ],
)
def test_a_count_that_makes_no_sense_is_a_usage_error_before_any_database(
    script, option, value, said
):
    # `--existing -5` was taken: a scratch database was made and filled before the run
    # stopped on its own count check with a traceback.
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--url", "postgresql:///nowhere", option, value],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
