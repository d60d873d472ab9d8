"""What a person sees at 80 columns, checked in: `script`-like captures on a pseudo-terminal.

Regenerate after an intended change with `CRMCLI_UPDATE_GOLDEN=1 pytest tests/test_golden.py`,
and read the diff as a person would.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import seeded_shop
from ptyrun import run_tty

GOLDEN = Path(__file__).parent / "golden"
AS_OF = seeded_shop.AS_OF
CAPTURES = {
    "customers-list": ("customers", "list"),
    "due": ("due", "--as-of", AS_OF, "--days", "7"),
    "complaints-show": ("complaints", "show", "1", "--as-of", AS_OF),
    "tiers-report": ("tiers", "report"),
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_shop.build_db(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_80_columns_as_checked_in(shop, name):
    status, shown = run_tty(*CAPTURES[name], db=shop, columns=80)
    assert status == 0, shown
    expected = GOLDEN / f"{name}-80.txt"
    if os.environ.get("CRMCLI_UPDATE_GOLDEN"):
        expected.parent.mkdir(exist_ok=True)
        expected.write_text(shown, encoding="utf-8")
    assert "\x1b" not in shown  # NO_COLOR: plain text, no styles
    assert shown == expected.read_text(encoding="utf-8")
