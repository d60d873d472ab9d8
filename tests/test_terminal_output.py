"""What reaches the terminal: escapes shown not obeyed, odd encodings and widths, closed pipes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import pytest
from ptyrun import run_tty

from crmcli import customers
from crmcli.cli import screen
from crmcli.db import open_db

# A name that retitles the terminal, notes that clear it, a code with a CSI in 8 bits,
# an address that reverses the rest of the line (bidi override).
HOSTILE = {
    "name": "Eve\x1b]0;pwned\x07 Hacker",
    "notes": "clear\x1b[2J screen",
    "code": "X\x9b31m1",
    "address": "Main St \u202eevil",
}
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _hostile_shop(db_path) -> None:
    db = open_db(db_path)
    with db.write():
        # Written through the core as an older crmcli (or another tool) could have
        # stored them: the output side must hold whatever input refuses.
        cid = customers.add(db, name="placeholder")
        db.execute(
            "UPDATE customers SET name = ?, notes = ?, code = ?, address = ? WHERE id = ?",
            [HOSTILE["name"], HOSTILE["notes"], HOSTILE["code"], HOSTILE["address"], cid],
        )
    db.close()


@pytest.mark.parametrize(
    "args",
    [
        ("customers", "list", "--fields", "id,code,name,notes,address"),
        ("customers", "show", "1"),
        ("customers", "search", "placeholder", "--fields", "id,code,name,notes"),
        ("customers", "list", "--format", "csv", "--fields", "code,name,notes,address"),
        ("customers", "list", "--format", "json", "--fields", "code,name,notes,address"),
        ("customers", "show", "1", "--format", "json"),
        ("customers", "edit", "1", "--owner", "Kim"),  # the message names the customer
    ],
)
def test_escapes_in_stored_text_are_shown_never_sent_raw(db_path, args, figures):
    _hostile_shop(db_path)
    status, shown = run_tty(*args, db=db_path, columns=100)
    assert status == 0, shown
    shown = re.sub(r"\x1b\[[0-9;]*m", "", shown)  # crmcli's own bold and dim
    for ch in RAW:
        assert ch not in shown, (args, shown)
    assert "\\x1b" in shown or "\\u001b" in shown or args[1] == "edit"


def test_piped_csv_keeps_the_data_as_stored(cli, db_path):
    _hostile_shop(db_path)
    out = cli("customers", "list", "--fields", "name,notes").stdout
    assert HOSTILE["name"] in out and HOSTILE["notes"] in out


def test_json_escapes_are_the_same_data(cli, db_path):
    _hostile_shop(db_path)
    out = cli("customers", "list", "--format", "json", "--fields", "code,address").stdout
    assert "\x9b" not in out and "\u202e" not in out
    assert json.loads(out) == [{"code": HOSTILE["code"], "address": HOSTILE["address"]}]


def test_printable_escapes_controls_and_keeps_scripts():
    assert screen.printable("김민준 山田 Պետրոսյան Zoë") == "김민준 山田 Պետրոսյան Zoë"
    assert screen.printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert screen.printable("a\nb") == "a\\x0ab"
    assert screen.printable("a\nb", newlines=True) == "a\nb"
    assert screen.printable("\u202eabc\u2066") == "\\u202eabc\\u2066"
    assert screen.printable("👩\u200d👩\u200d👧") == "👩\u200d👩\u200d👧"  # ZWJ kept


def _shop(db_path, n: int) -> None:
    db = open_db(db_path)
    with db.write():
        for i in range(n):
            customers.add(db, name=f"김민준 {i}" if i % 2 else f"Customer {i}", code=f"K{i:05}")
    db.close()


def _sh(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, shell=True, capture_output=True, text=True, env={**os.environ, **env}
    )


def test_table_into_head_exits_0(db_path, figures):
    _shop(db_path, 3000)  # several blocks of rows: the pipe closes mid-table
    for fmt in ("table", "csv", "json"):
        # `| head -1`: read one line, then close the pipe while crmcli is still writing.
        proc = subprocess.Popen(
            [sys.executable, "-m", "crmcli", "customers", "list", "--format", fmt],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()
        assert proc.wait(timeout=60) == 0, (fmt, proc.stderr.read())
        assert proc.stderr.read() == b""
    figures.record("terminal_closed_pipe", attempts=3, held=3)


def test_ascii_encoding_table_escapes_csv_refuses_json_escapes(db_path, figures):
    _shop(db_path, 3)
    crmcli = f"{sys.executable} -m crmcli"
    table = _sh(f"{crmcli} customers list --format table", PYTHONIOENCODING="ascii")
    assert table.returncode == 0, table.stderr
    assert "\\uae40\\ubbfc\\uc900 1" in table.stdout  # 김민준 1, readable as escapes
    assert "|" in table.stdout and "│" not in table.stdout
    as_json = _sh(f"{crmcli} customers list --format json", PYTHONIOENCODING="ascii")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)[1]["name"] == "김민준 1"  # lossless
    as_csv = _sh(f"{crmcli} customers list --format csv", PYTHONIOENCODING="ascii")
    assert as_csv.returncode == 1
    assert "Traceback" not in as_csv.stderr
    assert "PYTHONIOENCODING=utf-8" in as_csv.stderr
    figures.record("terminal_ascii_encoding", attempts=3, held=3)


@pytest.mark.parametrize("columns", ["0", "-5", "abc", "1", "8", "15"])
def test_zero_and_tiny_widths_still_print_every_record(cli, columns, monkeypatch, figures):
    cli("customers", "add", "--name", "김민준", "--code", "K1", "--email", "kim@example.kr")
    cli("customers", "add", "--name", "Sean Miller", "--code", "K2")
    monkeypatch.setenv("COLUMNS", columns)
    out = cli("customers", "list", "-f", "table").stdout
    assert "김민준" in out and "Sean" in out and "Miller" in out
    if columns in ("0", "-5", "abc"):  # ignored: the usual 80 columns
        assert re.search(r"K1 +│ 김민준", out)
        assert all(screen_width(line) <= 80 for line in out.splitlines())
    figures.record("terminal_widths", attempts=6, held=6)


def screen_width(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(line)


@pytest.mark.parametrize("value", [",,,", "", " , "])
def test_fields_naming_nothing_is_a_usage_error(cli, value):
    cli("customers", "add", "--name", "Kim")
    result = cli("customers", "list", "--fields", value, ok=False)
    assert result.exit_code == 2
    assert "--fields" in result.stderr


def test_progress_bar_is_gone_before_the_result_table(tmp_path, figures):
    rows = "".join(f"K{i:05},Customer {i},010-{i:04}-0000\n" for i in range(3000))
    src = tmp_path / "many.csv"
    src.write_text("code,name,phone\n" + rows, encoding="utf-8")
    status, shown = run_tty(
        "customers", "import", str(src), "--format", "table", db=tmp_path / "x.db", columns=80
    )
    assert status == 0, shown
    assert "importing many.csv" in shown  # the bar was drawn on the terminal
    table = shown.index("import_id")
    before = re.sub(r"\x1b\[[0-9;]*m$", "", shown[:table])
    # The table starts on a fresh line: after a newline, or after the bar's line was erased.
    assert before.endswith(("\n", "\x1b[2K")), repr(before[-80:])
    assert "importing" not in shown[table:]  # no frame drawn after it
    figures.record("terminal_progress_bar", attempts=1, held=1)


# Payloads a name, note, code, address or complaint can hold: terminal title (OSC),
# clear screen (CSI), an 8-bit CSI, a bell, DEL, a bidi override, a line separator.
PAYLOADS = [
    "\x1b]0;owned\x07",
    "\x1b[2J\x1b[H",
    "\x9b31m",
    "\x07",
    "\x7f",
    "\u202e",
    "\u2028",
    "\x1b[6n",  # asks the terminal to answer on stdin
]


def _payload_shop(db_path) -> int:
    from crmcli import complaints, contacts

    db = open_db(db_path)
    with db.write():
        for i, bad in enumerate(PAYLOADS):
            cid = customers.add(db, name=f"Person{i}", phones_raw=[f"010-0000-{i:04}"])
            db.execute(
                "UPDATE customers SET name = ?, notes = ?, code = ?, address = ? WHERE id = ?",
                [f"Person{i} {bad}", f"note {bad}", f"C{i}{bad}", f"street {bad}", cid],
            )
            # Stored raw, as an older crmcli or another tool could have left them.
            complaint = complaints.open_complaint(db, customer_id=cid, summary="broken", by="지수")
            db.execute(
                "UPDATE complaints SET summary = ? WHERE id = ?", [f"broken {bad}", complaint]
            )
            contact = contacts.log(db, customer_id=cid, channel="call", note="said", by="지수")
            db.execute("UPDATE contacts SET note = ? WHERE id = ?", [f"said {bad}", contact])
    db.close()
    return len(PAYLOADS)


def test_reliability_stored_escapes_never_reach_the_terminal(db_path, cli, figures):
    n = _payload_shop(db_path)
    # On a real terminal (a pty): CSV and JSON, whose escaping depends on it.
    on_tty = [
        ("customers", "list", "--format", "csv", "--fields", "code,name,notes,address"),
        ("customers", "list", "--format", "json", "--fields", "code,name,notes,address"),
    ]
    # Tables and pages escape wherever they are drawn: run in-process, for speed.
    drawn = [
        ("customers", "list", "--fields", "id,code,name,notes,address"),
        ("customers", "search", "person"),
        ("complaints", "list", "--fields", "id,customer,customer_name,summary"),
        ("contacts", "list"),
        ("due", "--as-of", "2030-01-01", "--fields", "code,name,why"),
        *(("customers", "show", str(i + 1)) for i in range(n)),
        *(("complaints", "show", str(i + 1)) for i in range(n)),
    ]
    outputs = []
    for args in on_tty:
        status, shown = run_tty(*args, db=db_path, columns=120)
        assert status == 0, (args, shown)
        outputs.append((args, shown))
    for args in drawn:
        result = cli(*args, "--format", "table")
        outputs.append((args, result.stdout + result.stderr))
    attempts = held = 0
    for args, shown in outputs:
        shown = re.sub(r"\x1b\[[0-9;]*m", "", shown)  # crmcli's own bold and dim, if any
        for bad in PAYLOADS:
            attempts += 1
            raw = [ch for ch in bad if not ch.isprintable() and ch in shown]
            held += not raw
            assert not raw, (args, bad, shown)
    figures.record(
        "terminal_escapes", commands=len(outputs), payloads=n, attempts=attempts, held=held
    )


class _CountingStream(io.StringIO):
    """A pipe that counts its writes (PYTHONUNBUFFERED makes each one a system call)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "json"])
def test_piped_rows_go_out_in_blocks_not_a_write_each(fmt):
    """20,000 rows piped are a handful of writes, whatever Python's own buffering."""
    from crmcli.cli.env import Env
    from crmcli.cli.output import Format, emit

    out = _CountingStream()
    rows = ({"id": n, "name": f"customer {n}"} for n in range(20_000))
    count = emit(Env(db_path=":memory:", stdout=out), rows, fields=["id", "name"], fmt=Format(fmt))
    assert count == 20_000
    assert out.writes < 20
    text = out.getvalue()
    assert "customer 19999" in text and text.count("customer ") == 20_000


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("fields", [["id", "name", "note", "phone"], ["name"]])
def test_plain_rows_are_written_as_the_others_without_a_call_per_value(fmt, fields, monkeypatch):
    """`plain` rows (text, whole numbers, None: `crmcli due`'s) go to the CSV writer
    whole: the same bytes as value by value, and no Python conversion per value."""
    from crmcli.cli import output
    from crmcli.cli.env import Env

    def rows():
        for n in range(2_000):  # quotes, separators, newlines, empty and missing values
            note = [None, "", 'said "hi", left', "two\nlines", "tab\there"][n % 5]
            yield {"id": n, "name": f"customer {n}", "note": note, "phone": None, "x": 1.5}

    def printed(plain):
        out = io.StringIO()
        env = Env(db_path=":memory:", stdout=out)
        count = output.emit(env, rows(), fields=fields, fmt=output.Format(fmt), plain=plain)
        return count, out.getvalue()

    each = printed(plain=False)
    converted = []
    monkeypatch.setattr(output, "_text", lambda value: converted.append(value) or "")
    assert printed(plain=True) == each
    assert each[0] == 2_000 and converted == []


def test_piped_plain_rows_make_no_python_call_each():
    """A quarter of a million agenda lines piped: each row goes from the CSV writer into
    the block without a Python call of its own (a `write` method per row was a
    twentieth of `due`'s time at a million customers)."""
    import sys

    from crmcli.cli.env import Env
    from crmcli.cli.output import Format, emit

    out = _CountingStream()
    rows = [{"id": n, "name": f"customer {n}", "why": "birthday"} for n in range(20_000)]
    calls = 0

    def counted(frame, event, arg):
        nonlocal calls
        calls += event == "call"

    sys.setprofile(counted)
    try:
        count = emit(
            Env(db_path=":memory:", stdout=out),
            rows,
            fields=["id", "why"],
            fmt=Format.csv,
            plain=True,
        )
    finally:
        sys.setprofile(None)
    assert count == 20_000
    assert calls < 2_000, calls
    text = out.getvalue()
    assert text.startswith("id,why\n0,birthday\n") and text.count("birthday") == 20_000
    assert out.writes < 20
