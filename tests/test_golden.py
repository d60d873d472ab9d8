"""What a person sees at 80 columns, checked in: `script`-like captures on a pseudo-terminal.

Regenerate after an intended change with `CRMCLI_UPDATE_GOLDEN=1 pytest tests/test_golden.py`,
and read the diff as a person would.
"""

from __future__ import annotations

import os
import re
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
    "complaints-list": ("complaints", "list", "--overdue", "--as-of", AS_OF),
    "followups-list": ("followups", "list"),
    "purchases-list": ("purchases", "list"),
    "greet": ("greet", "--as-of", AS_OF, "--days", "30"),
}
# What a reader of each listing needs, kept at 80 columns in every language: a long
# name wraps, or a value goes under the name (`due`'s phone), rather than leave one out.
NEEDED = {
    ("due", "--as-of", AS_OF, "--days", "30"): {"date", "phone", "why"},
    ("greet", "--as-of", AS_OF, "--days", "30"): {"phone", "email", "message"},
    ("complaints", "list"): {"stage", "due_on", "summary"},
    ("complaints", "list", "--overdue", "--as-of", AS_OF): {"stage", "days_overdue", "summary"},
    ("purchases", "list"): {"date", "amount", "item"},
    ("followups", "list"): {"day", "note", "rrule"},
    ("tiers", "history", "KR-2024-0003"): {"tier", "reason"},
    ("customers", "attitudes", "--as-of", AS_OF): {"attitude", "suggested"},
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


@pytest.mark.parametrize(
    "lang", ["C.UTF-8", "ko_KR.UTF-8", "ja_JP.UTF-8", "zh_CN.UTF-8", "hy_AM.UTF-8"]
)
@pytest.mark.parametrize("args", sorted(NEEDED), ids=lambda a: " ".join(a[:2]))
def test_a_listing_keeps_what_its_reader_needs_at_80_columns(shop, args, lang):
    status, shown = run_tty(
        *args, "--format", "table", db=shop, columns=80, env={"LANG": lang, "LANGUAGE": lang}
    )
    assert status == 0, shown
    assert "━" in shown  # a table, not one field a line
    # The footer names what it left out as --fields takes it, in every language.
    found = re.search(r"\(([a-z_, ]+)\)[^\n(]*--fields", shown.replace("\n", " "))
    hidden = set(found[1].split(", ")) if found else set()
    assert not hidden & NEEDED[args], (lang, shown)
