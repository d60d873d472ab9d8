"""One limit for the one-line text a server indexes (issue 16): 1,000 bytes in UTF-8.

A PostgreSQL index entry holds at most 2,704 bytes; SQLite took 10,000 characters, so
1,000 Hangul names went into a file and were refused on a server with the raw index
error. Now both engines take the same values — up to the limit, with incompressible
4-byte characters (a purchase's item and category together in one index entry) — and
refuse the same ones, naming the file, line and field, or the option.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from crmcli import text

MOST = text.MAX_INDEXED_BYTES


def wide(n_bytes: int, *, seed: int, tail: str = "") -> str:
    """Random 4-byte characters (CJK extension B: no compression helps an index entry),
    padded with ASCII so that the text with `tail` is exactly `n_bytes` in UTF-8."""
    rng = random.Random(seed)
    room = n_bytes - len(tail.encode())
    four = "".join(chr(rng.randint(0x20000, 0x2A6DF)) for _ in range(room // 4))
    return four + "x" * (room % 4) + tail


def _size(value: str) -> int:
    return len(value.encode())


def test_the_limit_is_in_bytes_whatever_the_script() -> None:
    for value in ("x" * MOST, "가" * (MOST // 3), wide(MOST, seed=1)):
        assert _size(value) <= MOST and text.problem(value, indexed=True) is None
    assert text.problem("x" * (MOST + 1), indexed=True) == (
        "is 1,001 characters long (1,001 bytes); at most 1,000 bytes"
    )
    assert text.problem("가" * 334, indexed=True) == (
        "is 334 characters long (1,002 bytes); at most 1,000 bytes"
    )
    assert text.problem(wide(MOST + 1, seed=1), indexed=True) == (
        "is 251 characters long (1,001 bytes); at most 1,000 bytes"
    )
    # A field no server indexes keeps the character limit.
    assert text.problem("가" * 5_000) is None


def test_a_named_field_is_said_as_its_option_on_the_command_line() -> None:
    from crmcli.errors import FieldValueError, Named

    with pytest.raises(FieldValueError) as refused:
        text.check("가" * 334, field=Named("family_name"), indexed=True)
    assert str(refused.value).startswith("family_name is 334 characters long")
    assert refused.value.text(lambda f: "--" + f.replace("_", "-")).startswith("--family-name is")


# --- both engines: at the limit stored and found, one byte over refused the same way ---


def test_customer_fields_at_the_limit_are_kept_and_found(cli) -> None:
    name = wide(MOST, seed=2)
    code = wide(MOST, seed=3)
    email = wide(MOST, seed=4, tail="@shop.kr")
    owner = wide(MOST, seed=5)
    phone = wide(MOST, seed=6, tail=" 010-1234-5678")
    out = cli("customers", "add", "--name", name, "--code", code, "--email", email,
              "--owner", owner, "--phone", phone).stdout  # fmt: skip
    cid = out.strip()
    for ref in (code, email, cid):
        shown = cli(
            "customers", "list", "--format", "csv", "--fields", "name,code,email,owner,phone"
        )
        assert shown.stdout.splitlines()[1:] == [f"{name},{code},{email},{owner},{phone}"], ref
        assert cli("customers", "show", ref, "--format", "json").exit_code == 0


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--name", wide(MOST + 1, seed=7)),
        ("--code", "가" * 334),
        ("--email", wide(MOST + 4, seed=8, tail="@shop.kr")),
        ("--owner", "x" * (MOST + 1)),
        ("--phone", wide(MOST + 1, seed=9, tail=" 010-1234-5678")),
    ],
)
def test_a_customer_field_over_the_limit_is_refused_naming_the_option(
    cli, option: str, value: str
) -> None:
    cli("customers", "add", "--name", "Lee")
    result = cli("customers", "add", "--name", "Kim", option, value, ok=False)
    assert result.exit_code == 1
    size = _size(value)
    assert result.stderr == (
        f"crmcli: error: {option} is {len(value):,} characters long ({size:,} bytes);"
        " at most 1,000 bytes\n"
    )
    listed = cli("customers", "list", "--format", "csv", "--fields", "name").stdout
    assert listed.splitlines() == ["name", "Lee"]  # nothing written


def test_an_edit_over_the_limit_names_the_option_and_changes_nothing(cli) -> None:
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    result = cli("customers", "edit", "K1", "--owner", "가" * 334, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("crmcli: error: --owner is 334 characters long")
    assert cli("customers", "list", "--format", "csv", "--fields", "owner").stdout == 'owner\n""\n'


def test_a_purchase_at_the_limit_in_item_category_and_order_is_kept(cli) -> None:
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    item, category, order = (wide(MOST, seed=s) for s in (10, 11, 12))
    cli("purchases", "add", "K1", "--amount", "5", "--on", "2026-01-02", "--item", item,
        "--category", category, "--order", order)  # fmt: skip
    out = cli("purchases", "list", "--format", "csv", "--fields", "item,category,order_id").stdout
    assert out.splitlines()[1:] == [f"{item},{category},{order}"]


def test_a_purchase_item_over_the_limit_is_refused_naming_the_option(cli) -> None:
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    result = cli("purchases", "add", "K1", "--amount", "5", "--item", "가" * 334, ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        "crmcli: error: --item is 334 characters long (1,002 bytes); at most 1,000 bytes\n"
    )


def test_a_customers_file_at_and_over_the_limit(cli, tmp_path: Path) -> None:
    at = wide(MOST, seed=13)
    over = "가" * 334
    good = tmp_path / "good.csv"
    good.write_text(f"code,name,owner\nC1,{at},{at}\n", encoding="utf-8")
    cli("customers", "import", str(good))
    out = cli("customers", "list", "--format", "csv", "--fields", "name,owner").stdout
    assert out.splitlines()[1:] == [f"{at},{at}"]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"code,name,owner\nC2,Lee,x\nC3,{over},y\n", encoding="utf-8")
    result = cli("customers", "import", str(bad), ok=False)
    assert result.exit_code == 1
    assert (
        "bad.csv:3: name is 334 characters long (1,002 bytes); at most 1,000 bytes" in result.stderr
    )
    assert len(cli("customers", "list", "--format", "csv").stdout.splitlines()) == 2


def test_a_purchases_file_at_and_over_the_limit(cli, tmp_path: Path) -> None:
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    item, category, order, line_id = (wide(MOST, seed=s) for s in (14, 15, 16, 17))
    good = tmp_path / "good.csv"
    good.write_text(
        "customer,date,amount,item,category,order_id,line_id\n"
        f"K1,2026-01-02,5,{item},{category},{order},{line_id}\n",
        encoding="utf-8",
    )
    cli("purchases", "import", str(good))
    out = cli("purchases", "list", "--format", "csv", "--fields", "item,category,order_id").stdout
    assert out.splitlines()[1:] == [f"{item},{category},{order}"]
    bad = tmp_path / "bad.csv"
    over = wide(MOST + 1, seed=18)
    bad.write_text(
        "customer,date,amount,item,category,order_id,note\n"
        "K1,2026-01-03,5,Tea,Drinks,A1,\n"
        f"K1,2026-01-03,5,{over},Drinks,A2,\n"
        f"K1,2026-01-03,5,Tea,{'가' * 334},A3,\n"
        f"K1,2026-01-03,5,Tea,Drinks,{'x' * 1_001},\n"
        "K1,2026-01-03,5,Tea\x1b[31m,Drinks,A5,\n"
        f"K1,2026-01-03,5,Tea,Drinks,A6,{'가' * 5_000}\n",  # a note is not indexed
        encoding="utf-8",
    )
    result = cli("purchases", "import", str(bad), ok=False)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "  bad.csv:3: item: is 251 characters long (1,001 bytes); at most 1,000 bytes" in lines
    assert "  bad.csv:4: category: is 334 characters long (1,002 bytes); at most 1,000 bytes" in (
        lines
    )
    assert "  bad.csv:5: order_id: is 1,001 characters long (1,001 bytes); at most 1,000 bytes" in (
        lines
    )
    assert "  bad.csv:6: item: contains a control character (U+001B)" in lines
    assert not any("bad.csv:2:" in line or "bad.csv:7:" in line for line in lines)
    assert len(cli("purchases", "list", "--format", "csv").stdout.splitlines()) == 2


def test_an_items_launch_and_a_template_at_and_over_the_limit(cli) -> None:
    item = wide(MOST, seed=19)
    cli("items", "launch", item, "--on", "2026-01-02")
    result = cli("items", "launch", item + "x", "--on", "2026-01-02", ok=False)
    assert "an item is 251 characters long (1,001 bytes); at most 1,000 bytes" in result.stderr
    name = wide(MOST, seed=20)
    cli("templates", "set", name, "--text", "Hello {name}")
    assert cli("templates", "show", name).stdout == "Hello {name}\n"
    result = cli("templates", "set", "가" * 334, "--text", "Hi", ok=False)
    assert result.exit_code == 1 and "a template name is 334 characters long" in result.stderr


# --- a long note: kept, and searched by the document's first 256 KiB on both engines ---


def test_a_long_note_is_kept_and_found_by_its_beginning_on_both_engines(cli) -> None:
    # ~600,000 characters of words that never repeat: a server's word index took at most
    # ~100,000 of them ("string is too long for tsvector"), and building the document
    # compared every form with every other (hours for this note).
    rng = random.Random(21)
    words = [
        "".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(rng.randint(2, 4)))
        for _ in range(200_000)
    ]
    note = "firstword " + " ".join(words) + " lastword"
    assert len(note) < text.MAX_TEXT
    cli("customers", "add", "--name", "Kim", "--notes", note)
    cli("customers", "add", "--name", "Lee", "--notes", "lastword firstword")
    shown = cli("customers", "show", "1", "--format", "json").stdout
    assert note[-2_000:] in shown.replace("\\n", "\n")
    found = cli("customers", "search", "firstword", "--format", "csv", "--fields", "id").stdout
    assert found.splitlines() == ["id", "1", "2"]
    # The end of the note is past what the document holds: only Lee has it there.
    found = cli("customers", "search", "lastword", "--format", "csv", "--fields", "id").stdout
    assert found.splitlines() == ["id", "2"]


def test_a_document_is_built_in_linear_time_and_held_to_its_limit() -> None:
    import time

    from crmcli import search

    rng = random.Random(22)
    note = " ".join(chr(rng.randint(0x20000, 0x2A6DF)) for _ in range(300_000))
    started = time.process_time()
    document = search.document({"name": "Kim", "notes": note})
    assert time.process_time() - started < 20  # was quadratic: hours
    assert search.MAX_DOCUMENT_BYTES - 4 < len(document.encode()) <= search.MAX_DOCUMENT_BYTES
    assert document.startswith("kim | ")
