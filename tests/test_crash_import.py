"""Crash safety of the big writers a user runs: imports and tier classification.

Each trial copies a prepared database, runs the real command in a forked child,
kills it with SIGKILL at a random moment, and checks that the file is intact and
the command's change is wholly there or wholly absent (see `reliability_crash.py`).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import FIXTURES
from reliability_crash import cli_work, integrity, kill_trials, snapshot

pytestmark = pytest.mark.sqlite_only("SIGKILL of a writer of an SQLite file, checked by its bytes")

SUPERSTORE = FIXTURES / "superstore-us.csv"  # 9,994 order lines, 793 customers
KOREAN = FIXTURES / "customers-kr-cp949.csv"  # 1,468 customers, CP949


TABLES = (
    "customers",
    "customer_phones",
    "purchases",
    "imports",
    "import_changes",
    "tier_runs",
    "tier_assignments",
)


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def _prepared(tmp_path: Path, cli, *commands: tuple[str, ...]) -> Path:
    base = tmp_path / "base.db"
    for args in commands:
        cli("--db", str(base), *args)
    cli("--db", str(base), "db", "check")
    # The in-process commands may leave their connections open, the rows in the WAL.
    return snapshot(base, tmp_path / "golden.db")


def _trial_path(tmp_path: Path, base: Path, n: int) -> Path:
    path = tmp_path / f"trial-{n}.db"
    shutil.copyfile(base, path)
    return path


def test_a_killed_purchase_import_is_all_or_nothing(tmp_path, cli, figures):
    base = _prepared(tmp_path, cli, ("customers", "import", str(KOREAN)))
    before = _counts(base)
    args = ("purchases", "import", str(SUPERSTORE), "--create-customers")

    def work(n: int):
        return cli_work("--db", str(_trial_path(tmp_path, base, n)), *args)

    def check(n: int) -> str:
        path = tmp_path / f"trial-{n}.db"
        integrity(path)
        after = _counts(path)
        path.unlink()
        if after == before:
            return "absent"
        assert after["purchases"] == before["purchases"] + 9994, after
        assert after["customers"] == before["customers"] + 793, after
        assert after["imports"] == before["imports"] + 1, after
        return "present"

    result = kill_trials(work, check, trials=20)
    assert result.killed > 0
    figures.record(
        "crash.purchases_import",
        trials=result.count,
        killed=result.killed,
        lines_per_import=9994,
        seconds_per_import=round(result.duration, 2),
        wholly_absent=result.outcomes.get("absent", 0),
        wholly_present=result.outcomes.get("present", 0),
        partial=0,
        corrupt=0,
    )


def test_a_killed_customer_import_is_all_or_nothing(tmp_path, cli, figures):
    base = _prepared(tmp_path, cli, ("customers", "add", "--name", "김민준"))
    before = _counts(base)

    def work(n: int):
        path = _trial_path(tmp_path, base, n)
        return cli_work("--db", str(path), "customers", "import", str(KOREAN))

    def check(n: int) -> str:
        path = tmp_path / f"trial-{n}.db"
        integrity(path)
        after = _counts(path)
        path.unlink()
        if after == before:
            return "absent"
        assert after["customers"] == before["customers"] + 1468, after
        assert after["imports"] == before["imports"] + 1, after
        return "present"

    result = kill_trials(work, check, trials=20)
    assert result.killed > 0
    figures.record(
        "crash.customers_import",
        trials=result.count,
        killed=result.killed,
        rows_per_import=1468,
        seconds_per_import=round(result.duration, 2),
        wholly_absent=result.outcomes.get("absent", 0),
        wholly_present=result.outcomes.get("present", 0),
        partial=0,
        corrupt=0,
    )


def test_a_killed_tier_classification_is_all_or_nothing(tmp_path, cli, figures):
    base = _prepared(
        tmp_path,
        cli,
        ("purchases", "import", str(SUPERSTORE), "--create-customers"),
        ("tiers", "classify", "--as-of", "2016-12-31"),
    )
    before = _counts(base)

    def work(n: int):
        path = _trial_path(tmp_path, base, n)
        return cli_work("--db", str(path), "tiers", "classify", "--as-of", "2017-12-31")

    def check(n: int) -> str:
        path = tmp_path / f"trial-{n}.db"
        integrity(path)
        after = _counts(path)
        conn = sqlite3.connect(path)
        latest = conn.execute("SELECT id, customers FROM tier_runs ORDER BY id DESC").fetchone()
        assigned = conn.execute(
            "SELECT count(*) FROM tier_assignments WHERE run_id = ?", [latest[0]]
        ).fetchone()[0]
        conn.close()
        path.unlink()
        assert assigned == latest[1]  # the newest run is complete, whichever it is
        if after == before:
            return "absent"
        assert after["tier_runs"] == before["tier_runs"] + 1, after
        return "present"

    result = kill_trials(work, check, trials=20)
    assert result.killed > 0
    figures.record(
        "crash.tiers_classify",
        trials=result.count,
        killed=result.killed,
        customers_per_run=793,
        seconds_per_run=round(result.duration, 2),
        wholly_absent=result.outcomes.get("absent", 0),
        wholly_present=result.outcomes.get("present", 0),
        partial=0,
        corrupt=0,
    )


def test_a_killed_merge_is_all_or_nothing(tmp_path, cli, figures):
    """Merging the two customers with the most purchase lines; each trial a fresh copy."""
    base = _prepared(tmp_path, cli, ("purchases", "import", str(SUPERSTORE), "--create-customers"))
    conn = sqlite3.connect(base)
    keep, other = (
        r[0]
        for r in conn.execute(
            "SELECT customer_id FROM purchases GROUP BY customer_id ORDER BY count(*) DESC LIMIT 2"
        )
    )
    lines = {
        cid: conn.execute("SELECT count(*) FROM purchases WHERE customer_id = ?", [cid]).fetchone()[
            0
        ]
        for cid in (keep, other)
    }
    total = conn.execute("SELECT sum(amount_micros) FROM purchases").fetchone()[0]
    conn.close()

    def work(n: int):
        path = _trial_path(tmp_path, base, n)
        return cli_work("--db", str(path), "customers", "merge", str(keep), str(other))

    def check(n: int) -> str:
        path = tmp_path / f"trial-{n}.db"
        integrity(path)
        conn = sqlite3.connect(path)
        q = lambda sql, *p: conn.execute(sql, p).fetchone()[0]  # noqa: E731
        still_there = q("SELECT count(*) FROM customers WHERE id = ?", other)
        merges = q("SELECT count(*) FROM customer_merges")
        on_keep = q("SELECT count(*) FROM purchases WHERE customer_id = ?", keep)
        on_other = q("SELECT count(*) FROM purchases WHERE customer_id = ?", other)
        assert q("SELECT sum(amount_micros) FROM purchases") == total
        conn.close()
        path.unlink()
        if still_there:
            assert (merges, on_keep, on_other) == (0, lines[keep], lines[other])
            return "absent"
        assert (merges, on_keep, on_other) == (1, lines[keep] + lines[other], 0)
        return "present"

    result = kill_trials(work, check, trials=20)
    figures.record(
        "crash.customers_merge",
        trials=result.count,
        killed=result.killed,
        lines_moved=lines[other],
        seconds_per_merge=round(result.duration, 2),
        wholly_absent=result.outcomes.get("absent", 0),
        wholly_present=result.outcomes.get("present", 0),
        partial=0,
        corrupt=0,
    )
