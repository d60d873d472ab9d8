"""purchases: each line a customer bought, exact in micro-units; a negative amount a return."""

from __future__ import annotations

from datetime import date

import pytest

from crmcli import customers, money, purchases
from crmcli.errors import InvalidValue, NotFound

M = money.MICROS


@pytest.fixture
def kim(db):
    return customers.add(db, name="Kim Minjun", code="K1")


def test_a_line_keeps_every_field_exactly(db, kim):
    pid = purchases.add(
        db, customer_id=kim, amount_micros=12_345_678 * M + 5, on=date(2026, 3, 1),
        item="Espresso machine, dual boiler", category="Equipment", quantity="2.5",
        unit_price_micros=4_938_271 * M, order_id="O-1", delivery_date=date(2026, 3, 5),
        note="deliver\nafter 18:00",
    )  # fmt: skip
    [row] = purchases.rows(db)
    assert row["id"] == pid
    assert row["amount_micros"] == 12_345_678_000_005  # never through a float
    assert (row["customer"], row["customer_name"]) == ("K1", "Kim Minjun")
    assert (row["date"], row["delivery_date"]) == ("2026-03-01", "2026-03-05")
    assert row["quantity"] == 2.5
    assert (row["item"], row["category"], row["order_id"]) == (
        "Espresso machine, dual boiler", "Equipment", "O-1",
    )  # fmt: skip
    assert row["note"] == "deliver\nafter 18:00"
    assert row["unit_price_micros"] == 4_938_271 * M


def test_a_customer_without_a_code_is_shown_by_id(db):
    cid = customers.add(db, name="No Code")
    purchases.add(db, customer_id=cid, amount_micros=M, on=date(2026, 1, 1))
    assert next(purchases.rows(db))["customer"] == f"#{cid}"


def test_rows_are_newest_first_and_filtered(db, kim):
    lee = customers.add(db, name="Lee Ana")
    for day, who in (("2026-01-10", kim), ("2026-03-01", kim), ("2026-02-01", lee)):
        purchases.add(db, customer_id=who, amount_micros=M, on=date.fromisoformat(day))
    purchases.add(db, customer_id=kim, amount_micros=2 * M, on=date(2026, 3, 1))  # same day
    assert [(r["date"], r["amount_micros"]) for r in purchases.rows(db)] == [
        ("2026-03-01", 2 * M), ("2026-03-01", M), ("2026-02-01", M), ("2026-01-10", M),
    ]  # fmt: skip
    assert [r["date"] for r in purchases.rows(db, customer_id=lee)] == ["2026-02-01"]
    # since and until are both inclusive.
    window = purchases.rows(db, since=date(2026, 2, 1), until=date(2026, 3, 1))
    assert [r["date"] for r in window] == ["2026-03-01", "2026-03-01", "2026-02-01"]
    assert list(purchases.rows(db, until=date(2026, 1, 9))) == []


def test_an_anonymous_sale_is_listed_but_belongs_to_no_one(db, kim):
    purchases.add(db, customer_id=kim, amount_micros=M, on=date(2026, 1, 1))
    db.execute(
        "INSERT INTO purchases (customer_id, date, amount_micros, created_at)"
        " VALUES (NULL, '2026-01-02', 7000000, '2026-01-02T00:00:00Z')"
    )
    listed = list(purchases.rows(db))
    assert [(r["customer"], r["amount_micros"]) for r in listed] == [(None, 7 * M), ("K1", M)]
    assert purchases.totals(db, kim)["total_micros"] == M


def test_totals_are_net_of_returns(db, kim):
    assert purchases.totals(db, kim) == {"count": 0, "total_micros": 0, "first": None, "last": None}
    purchases.add(db, customer_id=kim, amount_micros=100 * M, on=date(2026, 1, 5))
    purchases.add(db, customer_id=kim, amount_micros=-30 * M, on=date(2026, 2, 1))
    purchases.add(db, customer_id=kim, amount_micros=5 * M, on=date(2025, 12, 31))
    assert purchases.totals(db, kim) == {
        "count": 3, "total_micros": 75 * M, "first": "2025-12-31", "last": "2026-02-01",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "error", "said"),
    [
        ({"amount_micros": money.MAX_AMOUNT_MICROS + 1}, InvalidValue, "amount"),
        ({"amount_micros": -money.MAX_AMOUNT_MICROS - 1}, InvalidValue, "amount"),
        ({"unit_price_micros": money.MAX_AMOUNT_MICROS + 1}, InvalidValue, "amount"),
        ({"on": date(1, 1, 1)}, InvalidValue, "purchase date 0001-01-01 is outside"),
        ({"delivery_date": date(9999, 12, 31)}, InvalidValue, "delivery date"),
        ({"quantity": "lots"}, InvalidValue, "quantity"),
        ({"item": "a\x00b"}, InvalidValue, "item contains a control character"),
        ({"category": "x" * 10_001}, InvalidValue, "category is 10,001 characters"),
        ({"order_id": "\x1b[2J"}, InvalidValue, "order contains"),
        ({"note": "\x07"}, InvalidValue, "note contains"),
        ({"customer_id": 999}, NotFound, "no customer #999"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(db, kim, kwargs, error, said):
    line = {"customer_id": kim, "amount_micros": M, "on": date(2026, 1, 1), **kwargs}
    with pytest.raises(error, match=said):
        purchases.add(db, **line)
    assert list(purchases.rows(db)) == []


def test_the_shops_total_stays_within_what_can_be_summed(db, kim):
    big = money.MAX_AMOUNT_MICROS
    for _ in range(money.MAX_TOTAL_MICROS // big):
        db.execute(
            "INSERT INTO purchases (customer_id, date, amount_micros, created_at)"
            " VALUES (?, '2026-01-01', ?, '2026-01-01T00:00:00Z')",
            [kim, big],
        )
    with pytest.raises(InvalidValue, match="would add up to more than"):
        purchases.add(db, customer_id=kim, amount_micros=-big, on=date(2026, 1, 2))  # abs value
    purchases.add(db, customer_id=kim, amount_micros=0, on=date(2026, 1, 2))
