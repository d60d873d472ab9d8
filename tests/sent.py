"""What a test's engine is asked to run: the statements, in order, as tests count them."""

from __future__ import annotations

from typing import Any

import pytest


def statements(db: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement `db.execute` is given from now on (until the monkeypatch ends)."""
    sent: list[str] = []
    execute = db.execute

    def watched(sql: str, *args: Any) -> Any:
        sent.append(sql)
        return execute(sql, *args)

    monkeypatch.setattr(db, "execute", watched)
    return sent
