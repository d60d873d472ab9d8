"""RELIABILITY.md stays true to the suite: every test it cites exists, its figures hold."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from crmcli.db import apply_pending, connect

ROOT = Path(__file__).parent.parent


def test_every_test_named_in_reliability_md_exists():
    text = (ROOT / "RELIABILITY.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"\b(test_[a-z0-9_]+)\b(?!\.py)", text))
    defined = {
        name
        for path in (ROOT / "tests").glob("test_*.py")
        for name in re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(encoding="utf-8"), re.M)
    }
    assert len(cited) >= 20
    assert cited - defined == set()
    for path in re.findall(r"`(tests/[\w/.-]+\.py)", text):
        assert (ROOT / path).exists(), path


def test_the_migrations_a_released_file_needs_are_counted_right(tmp_path):
    # Each new migration is one more for a file of the first release: the figure in
    # section 4 is what migrating a copy of that file really applies.
    text = (ROOT / "RELIABILITY.md").read_text(encoding="utf-8")
    stated = re.findall(r"(\d+) migrations applied", text)
    copy = tmp_path / "v1.db"
    shutil.copy(ROOT / "tests" / "fixtures" / "schema" / "v1-m001.db", copy)
    db = connect(copy)
    try:
        applied = apply_pending(db)
    finally:
        db.close()
    assert stated == [str(len(applied))], (
        f"RELIABILITY.md section 4 says {stated} migrations applied to a v1 file; "
        f"migrating it applies {len(applied)}"
    )
