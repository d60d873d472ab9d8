"""benchmarks/page_floor.py replays the statements of a customer's whole page: the same
rows crmcli's page was made from, with none of crmcli's own code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import due_floor  # noqa: E402
import generate  # noqa: E402
import load  # noqa: E402


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    generate.generate(out, n_customers=300, n_purchases=6_000)
    load.load(out, out / "query.db")
    return out / "query.db"


def test_the_floor_sends_the_pages_statements_and_gets_its_rows(shop, tmp_path, capsys):
    top = generate.code(generate._buyer(0.0, 300, 0, 100))  # the benchmark's biggest buyer
    argv = ["customers", "show", top, "--format", "json", "--as-of", "2025-12-01"]
    statements = due_floor.traced(shop, argv)
    capsys.readouterr()
    sent = tmp_path / "page.json"
    sent.write_text(json.dumps(statements), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(BENCH / "page_floor.py"), "--replay", str(sent), str(shop)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(done.stdout)
    assert len(rows) == len(statements)
    page = json.loads(
        subprocess.run(
            [sys.executable, "-m", "crmcli", "--db", str(shop), *argv],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    # The one pass over the customer's lines: every line counted, as the page says…
    (pairs,) = (r for s, r in zip(statements, rows, strict=True) if "GROUP BY item, category" in s)
    assert sum(p[2] for p in pairs) == page["purchases"]["count"] > 100
    # …and the ten recent lines asked for as ten: what the page reads, not every line.
    (recent,) = (r for s, r in zip(statements, rows, strict=True) if "ORDER BY p.date DESC" in s)
    assert [(r[5], r[9]) for r in recent] == [
        (line["date"], line["item"]) for line in page["purchases"]["recent"]
    ]
    assert len(recent) == 10
