"""A worker process for the concurrency tests: runs crmcli commands in a loop, counts.

Usage: python reliability_worker.py DB ROLE SECONDS GO OUT.json

Once imported it creates OUT.json.ready and waits for the file GO, which holds the
wall-clock time at which every worker starts together (see `start_workers`); then it
runs its ROLE's command over and over for SECONDS, through the real command-line
layer in process, and writes what happened to OUT.json: commands that succeeded,
failed, or mentioned a lock, and what each successful write added.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import typer.testing
from typer.testing import CliRunner

import crmcli.cli
import crmcli.db
from crmcli.cli import app

# Typer rebuilds the click command on every invoke (0.1 s); build it once per worker.
_command = typer.testing._get_command(app)
typer.testing._get_command = lambda _app: _command

PID = os.getpid()

# The CLI turns an SQLite failure into one sentence (right for a user); a failing
# run here needs the whole story: where it was raised and SQLite's extended code
# (SQLITE_IOERR_SHORT_READ, _TRUNCATE, _SHMMAP ... tell different causes apart).
_explain = crmcli.db.explain
_last_trace: list[str] = []


def _explain_and_keep(exc: BaseException) -> str:
    code = getattr(exc, "sqlite_errorname", "")
    _last_trace.append(f"{code}\n{''.join(traceback.format_exception(exc))}")
    return _explain(exc)


crmcli.db.explain = _explain_and_keep  # the CLI's error handler reads it from crmcli.db


class Worker:
    def __init__(self, db: str, role: str) -> None:
        self.db = db
        self.runner = CliRunner()
        self.stats: dict[str, Any] = {
            "role": role,
            "ok": 0,
            "failed": 0,
            "locked": 0,
            "errors": [],
            "done": [],
        }

    def cli(self, *args: str) -> Any:
        """Run one command; the result when it succeeded, else None (and count why)."""
        _last_trace.clear()
        result = self.runner.invoke(app, ["--db", self.db, *args])
        text = result.stderr or ""
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            text += repr(result.exception)
        if "locked" in text.lower() or "busy" in text.lower():
            self.stats["locked"] += 1
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            text += "".join(traceback.format_exception(result.exception))
        text += "".join(_last_trace)
        if result.exit_code == 0:
            self.stats["ok"] += 1
            return result
        self.stats["failed"] += 1
        if len(self.stats["errors"]) < 5:
            self.stats["errors"].append([list(args), result.exit_code, text[-6000:]])
        return None

    def done(self, value: Any) -> None:
        self.stats["done"].append(value)


def tagger(w: Worker, i: int) -> None:
    if w.cli("customers", "tag", f"K{i % 20:03d}", f"t{PID}-{i}"):
        w.done(f"t{PID}-{i}")


def editor(w: Worker, i: int) -> None:
    ref = f"K{i % 20:03d}"
    if w.cli("customers", "edit", ref, "--notes", f"n{PID}-{i}", "--email", f"k{i}@example.org"):
        w.done(ref)


def adder(w: Worker, i: int) -> None:
    name = f"새 손님 {PID}-{i}"
    if w.cli("customers", "add", "--name", name, "--phone", f"010-7{i:03d}-{PID % 10000:04d}"):
        w.done(name)


def buyer(w: Worker, i: int) -> None:
    ref = f"K{i % 20:03d}"
    if w.cli("purchases", "add", ref, "--amount", "1.25", "--on", "2026-11-01", "--item", "b"):
        w.done(ref)


def searcher(w: Worker, i: int) -> None:
    w.cli("customers", "search", "손님")
    w.cli("customers", "list", "--format", "jsonl")
    w.cli("customers", "show", "K001", "--format", "json")


def backup(w: Worker, i: int) -> None:
    target = f"{w.db}.backup-{PID}-{i}"
    if w.cli("db", "backup", target):
        conn = sqlite3.connect(target)
        healthy = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        healthy = healthy and conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.close()
        os.unlink(target)
        w.done(healthy)


def complainer(w: Worker, i: int) -> None:
    opened = w.cli("complaints", "open", f"K{i % 20:03d}", "--summary", f"c{PID}-{i}")
    if not opened:
        return
    complaint = opened.stdout.strip()
    w.done(["open", complaint])
    if w.cli("complaints", "advance", complaint, "--to", "apologized", "--note", "sorry"):
        w.done(["advance", complaint])


IMPORT_ROWS = 20


def importer(w: Worker, i: int) -> None:
    """Import a file of new customers (codes unique to this worker and round)."""
    path = f"{w.db}.import-{PID}-{i}.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("code,name,phone\n")
        for n in range(IMPORT_ROWS):
            f.write(f"I{PID}-{i}-{n},수입 {PID} {i} {n},010-9{n:03d}-{i % 10000:04d}\n")
    if w.cli("customers", "import", path, "--format", "csv"):
        w.done(f"I{PID}-{i}-")
    os.unlink(path)


def cron(w: Worker, i: int) -> None:
    """The morning cron job: today's agenda, recording the run."""
    if w.cli("due", "--since-last-run", "--as-of", "2026-11-24", "--format", "csv"):
        w.done(i)


def forgetter(w: Worker, i: int) -> None:
    """Add a customer, then forget them (secure delete, VACUUM, checkpoint) under load."""
    added = w.cli("customers", "add", "--name", f"잊힐 {PID} {i}", "--phone", f"010-6{i:03d}-0000")
    if added and w.cli("customers", "forget", added.stdout.strip(), "--yes"):
        w.done(int(added.stdout.strip()))


ROLES: dict[str, Callable[[Worker, int], None]] = {
    "forgetter": forgetter,
    "importer": importer,
    "cron": cron,
    "complainer": complainer,
    "tagger": tagger,
    "editor": editor,
    "adder": adder,
    "buyer": buyer,
    "searcher": searcher,
    "backup": backup,
}


def main() -> None:
    db, role, seconds, go, out = sys.argv[1:6]
    worker = Worker(db, role)
    step = ROLES[role]
    with open(f"{out}.ready", "w"):
        pass
    # The go file may be seen before its start time is written: wait for the text too.
    text = ""
    while not text.strip():
        time.sleep(0.01)
        if os.path.exists(go):
            with open(go, encoding="utf-8") as f:
                text = f.read()
    start = float(text)
    while time.time() < start:
        time.sleep(0.005)
    end = start + float(seconds)
    i = 0
    while time.time() < end:
        i += 1
        step(worker, i)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(worker.stats, f, ensure_ascii=False)


def start_workers(db: str, roles: list[str], seconds: float, folder: str) -> list[dict]:
    """Run one process per role at the same moment; their stats once all are done."""
    import subprocess
    from pathlib import Path

    here = Path(folder)
    go = here / "go"
    outs = [here / f"worker-{n}.json" for n in range(len(roles))]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, db, role, str(seconds), str(go), str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role, out in zip(roles, outs, strict=True)
    ]
    deadline = time.time() + 120
    while not all(Path(f"{out}.ready").exists() for out in outs):
        if time.time() > deadline or any(p.poll() is not None for p in procs):
            break
        time.sleep(0.02)
    # Written aside and renamed: a worker polling for `go` never reads it half-written.
    ready = here / "go.tmp"
    ready.write_text(str(time.time() + 0.2), encoding="utf-8")
    ready.replace(go)
    for proc in procs:
        _, err = proc.communicate(timeout=seconds + 180)
        assert proc.returncode == 0, err
    return [json.loads(out.read_text(encoding="utf-8")) for out in outs]


if __name__ == "__main__":
    main()
