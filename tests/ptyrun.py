"""Run the real `crmcli` on a pseudo-terminal, as a person at a terminal of N columns sees it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

CRMCLI = [sys.executable, "-m", "crmcli"]


def run_tty(
    *args: str,
    columns: int = 80,
    db: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    typed: str = "",
) -> tuple[int, str]:
    """Exit status and what the terminal showed (stdout and stderr, `\\r\\n` as `\\n`).

    `typed`: what the person types at the terminal (answers to a question), sent at once.
    """
    master, slave = pty.openpty()
    environ = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "xterm"}
    environ.pop("FORCE_COLOR", None)
    if db is not None:
        environ["CRMCLI_DB"] = str(db)
    environ.update(env or {})
    proc = subprocess.Popen(
        [*CRMCLI, *args], stdin=slave, stdout=slave, stderr=slave, env=environ, close_fds=True
    )
    os.close(slave)
    if typed:
        os.write(master, typed.encode())
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError(f"crmcli {' '.join(args)} did not finish in {timeout}s")
    os.close(master)
    status = proc.wait()
    return status, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
