"""Several processes advancing one complaint at the same moment: exactly one wins, on
an SQLite file (its write lock) and on a PostgreSQL server (the complaint's row lock)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from crmcli import complaints, customers
from crmcli.db import open_db
from crmcli.db_url import parse

# Each worker opens the database (a file or a URL), waits at a shared start line (a file that
# appears), then advances complaint 1 to `apologized` and says how it went.
WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from crmcli import complaints
    from crmcli.db import open_db
    from crmcli.db_url import parse
    from crmcli.errors import CrmError

    db = open_db(parse(sys.argv[1], source="the test"))
    go = Path(sys.argv[2])
    Path(sys.argv[3]).touch()  # ready
    while not go.exists():
        time.sleep(0.001)
    try:
        complaints.advance(db, 1, to="apologized", by=sys.argv[4], note="sorry")
    except CrmError as exc:
        print("lost:", exc)
    else:
        print("won")
    """
)


def _open(path: Path | str):
    return open_db(parse(str(path), source="the test"))


def _opened(path: Path | str) -> None:
    db = _open(path)
    complaints.open_complaint(
        db, customer_id=customers.add(db, name="김민준"), summary="zip", by="ann"
    )
    db.close()


def _env() -> dict[str, str]:
    root = str(Path(__file__).parent.parent)
    return {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_racing_processes_one_wins_one_event(tmp_path, db_path):
    path = db_path
    _opened(path)
    go = tmp_path / "go"
    workers = []
    for i in range(4):
        ready = tmp_path / f"ready{i}"
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), str(go), str(ready), f"staff{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        workers.append((proc, ready))
    deadline = time.monotonic() + 60
    while not all(ready.exists() for _, ready in workers):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p, _ in workers), [p.communicate() for p, _ in workers]
        time.sleep(0.01)
    go.touch()
    results = [p.communicate(timeout=120) for p, _ in workers]
    outputs = [out.strip() for out, _err in results]
    assert all(p.returncode == 0 for p, _ in workers), results
    assert outputs.count("won") == 1, outputs
    losers = [o for o in outputs if o != "won"]
    assert len(losers) == 3
    assert all("is already at stage apologized" in o and "nothing changed" in o for o in losers)
    db = _open(path)
    history = complaints.events(db, 1)
    assert [e.to_stage for e in history] == ["received", "apologized"]
    assert complaints.get(db, 1).version == 1


def test_racing_commands_one_error_message(db_path):
    """The same race through the installed command: exit 0 once, exit 1 with a clear line."""
    path = db_path
    _opened(path)
    command = [sys.executable, "-m", "crmcli", "--db", str(path), "complaints", "advance", "1"]
    procs = [
        subprocess.Popen(
            [*command, "--to", "apologized", "--by", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for name in ("ann", "bob")
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert sorted(code for code, _ in results) == [0, 1], results
    [message] = [err for code, err in results if code == 1]
    assert message.startswith("crmcli: error: complaint #1 is already at stage apologized")
    assert "Traceback" not in message
    db = _open(path)
    assert [e.to_stage for e in complaints.events(db, 1)] == ["received", "apologized"]
