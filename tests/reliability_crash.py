"""Kill a writer with SIGKILL at random moments, then look at what it left behind.

A trial forks a child (it already has crmcli imported, so it starts at once), lets
it run a write for a random time drawn from [0, 1.2 × the write's normal duration],
and kills it with SIGKILL: no cleanup, no `finally`, as a power cut or the OOM
killer would. The caller then checks the database: it opens, `integrity_check` and
`foreign_key_check` pass, and the write is wholly there or wholly absent.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class Trials:
    """Outcomes of a series of kill trials."""

    seed: int
    duration: float = 0.0
    killed: int = 0
    finished: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self.killed + self.finished

    def saw(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def _fork() -> multiprocessing.context.BaseContext:
    if sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs fork() and SIGKILL")
    return multiprocessing.get_context("fork")


def _run(work: Callable[[], None]) -> None:
    # The child must not flush the parent's buffered output or run its atexit hooks.
    try:
        work()
    except BaseException:
        os._exit(1)
    os._exit(0)


def timed(work: Callable[[], None]) -> float:
    """Run `work` once to completion in a child; how long it took."""
    ctx = _fork()
    started = time.monotonic()
    child = ctx.Process(target=_run, args=(work,))
    child.start()
    child.join(300)
    assert child.exitcode == 0, "the write must succeed when nobody kills it"
    return time.monotonic() - started


def kill_trials(
    work: Callable[[int], Callable[[], None]],
    check: Callable[[int], str],
    *,
    trials: int,
    seed: int = 8,
) -> Trials:
    """`trials` times: start `work(n)`, SIGKILL it at a random moment, `check(n)` the result.

    `check` returns a word for what it found ('absent', 'present'…) and asserts the
    rest; the duration is calibrated first with one uninterrupted run (trial 0).
    """
    ctx = _fork()
    rng = random.Random(seed)
    result = Trials(seed=seed)
    result.duration = timed(work(0))
    check(0)  # the uninterrupted run is checked too, but not counted as a trial
    for n in range(1, trials + 1):
        delay = rng.uniform(0, 1.2 * result.duration)
        child = ctx.Process(target=_run, args=(work(n),))
        child.start()
        child.join(delay)
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
            child.join()
            result.killed += 1
        else:
            result.finished += 1
        result.saw(check(n))
    return result


def cli_work(*args: str) -> Callable[[], None]:
    """A child's work: run `crmcli ARGS` through the real entry point, output discarded."""

    def work() -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        # pytest's capture replaces sys.stdout with its own file, not only fd 1.
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        from crmcli.cli import app

        try:
            app([*args], prog_name="crmcli")
        except SystemExit as exc:
            os._exit(exc.code if isinstance(exc.code, int) else 1)

    return work


def snapshot(source: Path, target: Path) -> Path:
    """A self-contained copy of `source` (its WAL included), to start each trial from."""
    conn = sqlite3.connect(source)
    try:
        conn.execute("VACUUM INTO ?", [str(target)])
    finally:
        conn.close()
    return target


def integrity(path: Path) -> None:
    """The file opens and passes SQLite's own checks (a crash must never corrupt it)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
