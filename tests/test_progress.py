"""A bulk command names the steps after its reading to a display that listens."""

from __future__ import annotations

import re

import pytest

from crmcli import progress


def test_a_phase_is_told_to_a_display_that_listens_and_to_nothing_else():
    told: list[str] = []

    def display(done: int, total: int) -> None:
        pass

    display.phase = told.append  # type: ignore[attr-defined]
    progress.phase(display, progress.STORING)
    progress.phase(lambda done, total: None, progress.INDEXING)  # a plain function: nothing
    progress.phase(None, progress.CHECKING)  # no display (a pipe, cron): nothing
    assert told == ["storing"]


def test_an_unknown_phase_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown phase"):
        progress.phase(None, "resting")


# --- what an import and a copy tell, on each engine, and what a terminal shows ---


def _listening() -> tuple[object, list[str]]:
    told: list[str] = []

    def display(done: int, total: int) -> None:
        pass

    display.phase = told.append  # type: ignore[attr-defined]
    return display, told


def _lines(tmp_path, n: int = 50):
    path = tmp_path / "sales.csv"
    rows = "".join(f"K1,2026-01-{1 + i % 28:02},{10 + i}\n" for i in range(n))
    path.write_text("customer,date,amount\n" + rows, encoding="utf-8")
    return path


def test_a_purchases_import_names_each_step_after_its_reading(db, engine, tmp_path, monkeypatch):

    from crmcli import customers
    from crmcli.imports import purchases

    customers.add(db, name="Kim", code="K1")
    # A server checks and stores the whole file in SQL once it is sent; SQLite stores
    # each line as it reads it: nothing is left to say.
    on_server = ["checking", "storing"] if engine == "postgresql" else []
    display, told = _listening()
    purchases.import_purchases(db, _lines(tmp_path), progress=display)
    assert told == on_server
    # A first load sets the indexes aside and builds them after (from 50,000 lines).
    first_load = purchases.INDEX_UPKEEP._replace(min_rows=1)
    monkeypatch.setattr(purchases, "INDEX_UPKEEP", first_load)
    display, told = _listening()
    purchases.import_purchases(db, _lines(tmp_path, 200), progress=display)
    assert told == [*on_server, "indexing"]
    display, told = _listening()
    purchases.import_purchases(db, _lines(tmp_path, 300), progress=display, dry_run=True)
    assert "indexing" not in told  # a dry run sets nothing aside


def test_a_customers_import_names_its_search_index_building(db, tmp_path, monkeypatch):

    from crmcli.imports import customer_store, customers

    path = tmp_path / "people.csv"
    path.write_text("code,name\nK1,Kim\nK2,Lee\n", encoding="utf-8")
    display, told = _listening()
    customers.import_customers(db, path, progress=display)
    assert told == []  # a small file into a shop: nothing set aside, nothing to build after
    first_load = customer_store.SEARCH_UPKEEP._replace(min_rows=1, share=0.0)
    monkeypatch.setattr(customer_store, "SEARCH_UPKEEP", first_load)
    path.write_text("code,name\nK3,Park\nK4,Choi\n", encoding="utf-8")
    customers.import_customers(db, path, progress=display)
    assert told == ["indexing"]


def test_db_copy_names_its_index_building_and_its_check(db_url, tmp_path):
    from crmcli import customers, db_copy
    from crmcli.db import open_db

    source = tmp_path / "shop.db"
    with open_db(source) as shop:
        customers.add(shop, name="Kim")
    display, told = _listening()
    db_copy.copy_database(source, _target(db_url, tmp_path), progress=display)
    assert told == ["indexing", "verifying"]


def _target(db_url: str, tmp_path):
    from crmcli.db_url import parse

    return parse(
        db_url if db_url.startswith("postgresql") else str(tmp_path / "copy.db"), source="t"
    )


def test_a_terminal_shows_the_step_and_a_pipe_nothing(db_url, tmp_path, cli):
    from ptyrun import run_tty

    from crmcli import customers
    from crmcli.db import open_db

    source = tmp_path / "shop.db"
    with open_db(source) as shop:
        customers.add(shop, name="Kim", code="K1")
    status, shown = run_tty("db", "copy", str(source), db_url, columns=100)
    assert status == 0, shown
    assert "copying: building the indexes" in shown and "copying: checking the copy" in shown
    # No count past the reading: the bar pulses, never a full bar at 100 % that seems stuck.
    phase_lines = [line for line in re.split(r"[\r\n]", shown) if "checking the copy" in line]
    assert phase_lines and not any("100%" in line for line in phase_lines)
    sales = _lines(tmp_path)
    status, shown = run_tty("purchases", "import", str(sales), db=db_url, columns=100)
    assert status == 0, shown
    if db_url.startswith("postgresql"):
        assert "importing sales.csv: checking the lines" in shown
        assert "importing sales.csv: storing the lines" in shown
    piped = cli("--db", db_url, "purchases", "import", str(_lines(tmp_path, 60)))
    assert "importing" not in piped.stderr and "checking" not in piped.stderr
