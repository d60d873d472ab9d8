"""page: a customer's whole page, section by section, as plain values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmcli import (
    complaints,
    contacts,
    customers,
    followups,
    page,
    purchases,
    relations,
    settings,
    tiers,
)

M = 1_000_000


@pytest.fixture
def kim(db):
    cid = customers.add(
        db, name="김민준", code="K1",
        phones_raw=[("010-1234-5678", "mobile"), ("02-555-0100", None)],
        birthday="1985-03-14", tags=["vip", "단골"], contact_days="mon-fri",
        contact_hours="09:00-18:00", anniversaries=[("wedding", "2012-05-19")], owner="지수",
    )  # fmt: skip
    return cid


def test_a_new_customer_has_a_profile_and_empty_sections(db, kim):
    built = page.build(db, kim, as_of=date(2026, 3, 1))
    assert list(built) == ["profile", "purchases", "tier", "top", "relations", "visits",
                           "complaints", "followups", "contacts"]  # fmt: skip
    p = built["profile"]
    assert (p["id"], p["code"], p["name"], p["family_name"], p["given_name"]) == (
        kim, "K1", "김민준", "김", "민준",
    )  # fmt: skip
    assert p["phones"] == ["010-1234-5678 (mobile)", "02-555-0100"]
    assert p["contact_window"] == "mon,tue,wed,thu,fri 09:00-18:00"
    assert p["anniversaries"] == {"wedding": "2012-05-19"}
    assert p["tags"] == ["vip", "단골"] and p["do_not_contact"] is False
    assert p["status"].startswith("prospect")  # nothing bought yet
    assert built["purchases"] == {"count": 0, "total": Decimal(0), "first": None, "last": None,
                                  "recent": []}  # fmt: skip
    tier = built["tier"]
    assert (tier["tier"], tier["override"], tier["history"]) == (None, False, [])
    assert tier["attitude"]["suggested"] is None and tier["attitude"]["why"] == "no purchases yet"
    assert built["top"] == {"item": [], "category": []}
    assert built["relations"] == {"people": [], "referred": 0}
    assert (built["complaints"], built["followups"], built["contacts"]) == ([], [], [])


def test_purchases_show_the_net_total_and_the_ten_latest(db, kim):
    for n in range(12):
        purchases.add(db, customer_id=kim, amount_micros=(n + 1) * M, on=date(2025, 1, n + 1),
                      item=f"Item {n}", category="Coffee" if n % 2 else "Tea")  # fmt: skip
    purchases.add(db, customer_id=kim, amount_micros=-3 * M, on=date(2025, 2, 1), item="Item 2")
    section = page.purchase_section(db, kim)
    assert section["count"] == 13
    assert section["total"] == Decimal(sum(range(1, 13)) - 3)
    assert (section["first"], section["last"]) == ("2025-01-01", "2025-02-01")
    assert len(section["recent"]) == page.RECENT
    assert section["recent"][0] == {"date": "2025-02-01", "amount": Decimal(-3), "item": "Item 2",
                                    "order_id": None}  # fmt: skip
    top = page.top_section(db, kim)
    assert len(top["item"]) == page.TOP and top["item"][0]["name"] == "Item 11"
    assert [c["name"] for c in top["category"]] == ["Coffee", "Tea"]
    assert top["category"][0]["spent"] == Decimal(2 + 4 + 6 + 8 + 10 + 12)


def test_the_tier_section_tells_the_run_the_rank_and_the_benefit(db, kim):
    other = customers.add(db, name="Lee Ana")
    purchases.add(db, customer_id=kim, amount_micros=900 * M, on=date(2025, 6, 1))
    purchases.add(db, customer_id=other, amount_micros=100 * M, on=date(2025, 6, 1))
    tiers.classify(db, as_of=date(2025, 12, 31))
    settings.set_value(db, "tiers.benefits.A", "discount=10%")
    section = page.tier_section(db, customers.get(db, kim), as_of=date(2026, 1, 1))
    assert section["tier"] == "A" and section["override"] is False
    assert section["benefit"]["discount_pct"] == Decimal("10")
    classified = section["classified"]
    assert (classified["rank"], classified["of"], classified["spend"]) == (1, 2, Decimal(900))
    assert classified["as_of"] == "2025-12-31"
    assert len(section["history"]) == 1


def test_an_override_wins_and_says_why(db, kim):
    tiers.set_override(db, kim, tier="B", reason="family of the owner")
    section = page.tier_section(db, customers.get(db, kim))
    assert (section["tier"], section["override"], section["override_reason"]) == (
        "B", True, "family of the owner",
    )  # fmt: skip
    assert section["classified"] is None  # never classified by a run


def test_the_history_shows_the_latest_runs_only(db, kim):
    purchases.add(db, customer_id=kim, amount_micros=M, on=date(2020, 1, 1))
    for year in range(2020, 2020 + page.HISTORY + 2):
        tiers.classify(db, as_of=date(year, 12, 31))
    history = page.tier_section(db, customers.get(db, kim))["history"]
    assert len(history) == page.HISTORY
    assert history[0]["as_of"] == "2027-12-31"  # newest first


def test_complaints_followups_contacts_and_relations_appear(db, kim):
    cid = complaints.open_complaint(db, customer_id=kim, summary="Steam wand leaks", by="지수",
                                    on=date(2026, 2, 1))  # fmt: skip
    fid = followups.add(db, customer_id=kim, on=date(2026, 3, 10), note="call back")
    done = followups.add(db, customer_id=kim, on=date(2026, 3, 1), note="old")
    followups.done(db, done)
    contacts.log(db, customer_id=kim, channel="call", note="asked", at="2026-03-01T10:00:00")
    wife = customers.add(db, name="이서연")
    relations.relate(db, kim, kind="spouse", other_id=wife)
    built = page.build(db, kim, as_of=date(2026, 3, 1))
    [complaint] = built["complaints"]
    assert (complaint["id"], complaint["summary"], complaint["stage"]) == (
        cid, "Steam wand leaks", "received",
    )  # fmt: skip
    assert [(f["id"], f["note"]) for f in built["followups"]] == [(fid, "call back")]  # open only
    assert built["contacts"] == [{"at": "2026-03-01T10:00:00", "channel": "call", "note": "asked",
                                  "by": None}]  # fmt: skip
    assert [p["kind"] for p in built["relations"]["people"]] == ["spouse"]


def test_a_complaint_is_judged_late_on_the_pages_day_not_on_the_clock(db, kim):
    complaints.open_complaint(db, customer_id=kim, summary="Grinder jams", by="지수",
                              on=date(2026, 2, 1))  # fmt: skip
    [before] = page.build(db, kim, as_of=date(2026, 2, 1))["complaints"]
    assert before["days_overdue"] is None  # received that day: nothing late yet
    [after] = page.build(db, kim, as_of=date(2026, 6, 1))["complaints"]
    assert after["days_overdue"] == (date(2026, 6, 1) - date.fromisoformat(after["due_on"])).days


# --- the page as `customers show` prints it -----------------------------------------------


@pytest.fixture
def shown(cli, monkeypatch):
    cli("customers", "add", "--name", "이서연", "--code", "L1", "--birthday", "1990-08-15",
        "--lunar-birthday", "--do-not-contact", "--phone", "010-2222-3333")  # fmt: skip
    cli("purchases", "add", "L1", "--amount", "100", "--on", "2025-01-05")
    cli("tiers", "classify", "--as-of", "2025-06-30")
    cli("purchases", "add", "L1", "--amount", "100", "--on", "2025-09-05")
    cli("tiers", "classify", "--as-of", "2025-12-31")
    cli("followups", "add", "L1", "--on", "2026-01-31", "--every", "1m", "--note", "rent")
    cli("complaints", "open", "L1", "--summary", "late", "--on", "2026-01-01")

    def show(columns: int) -> list[str]:
        monkeypatch.setenv("COLUMNS", str(columns))
        out = cli("customers", "show", "L1", "-f", "table", "--as-of", "2026-03-01").stdout
        return [line.rstrip() for line in out.splitlines()]

    return show


def test_the_page_says_what_each_value_means(shown):
    lines = shown(100)
    assert lines[0] == "이서연  #1"
    assert "Birthday        1990-08-15 (lunar)" in lines
    assert "Do not contact  yes" in lines
    assert "Locale          ko (inferred: hangul in the name)" in lines
    assert "history: A (2025-12-31) ← A (2025-06-30)" in lines
    assert any("│ monthly, on the last day │ rent" in line for line in lines)
    assert any("apologized by 2026-01-02" in line for line in lines)
    assert lines[-2:] == ["Contact log", "none"]


def test_on_a_narrow_screen_columns_give_way_and_are_named(shown):
    lines = shown(24)
    assert all(len(line) <= 24 for line in lines)
    followups = lines[lines.index("Follow-ups") :]
    assert followups[3] == " 1 │ 2026-01-31 │ rent"
    assert " ".join(followups[4:7]) == "1 column hidden (repeats): --fields or a wider terminal"
