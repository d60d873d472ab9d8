"""RELIABILITY.md stays true to the suite: every test it cites exists."""

from __future__ import annotations

import re
from pathlib import Path

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
