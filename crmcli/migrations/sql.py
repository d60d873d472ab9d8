"""Running a migration's SQL script inside the migration's own transaction."""

from __future__ import annotations

from sqlite_utils import Database


def run(db: Database, script: str) -> None:
    """Run each statement of `script` in turn."""
    # executescript() would COMMIT the migration's transaction: run one at a time.
    for statement in split(script):
        db.execute(statement)


def split(script: str) -> list[str]:
    """Split on `;` at the end of a line, keeping trigger bodies (…; END;) whole."""
    out: list[str] = []
    buf: list[str] = []
    depth = 0
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        buf.append(line)
        upper = stripped.upper()
        if upper.endswith("BEGIN"):
            depth += 1
        if upper.startswith("END;"):
            depth -= 1
        if stripped.endswith(";") and depth == 0:
            out.append("\n".join(buf))
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out
