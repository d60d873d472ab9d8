"""The customer core, without the CLI."""

from __future__ import annotations

import pytest

from crmcli import customers, settings
from crmcli.errors import Ambiguous, Conflict, InvalidValue, NotFound


def test_add_splits_a_korean_name_and_normalises_the_phone(db):
    cid = customers.add(db, name="김민준", phones_raw=["010-1234-5678"])
    c = customers.get(db, cid)
    assert (c["family_name"], c["given_name"]) == ("김", "민준")
    assert c.phones[0].raw == "010-1234-5678"  # kept as written, leading zero and all
    assert c.phones[0].e164 == "+821012345678"


@pytest.mark.parametrize(
    "query",
    ["민준", "김민준", "010-1234-5678", "01012345678", "1234 5678", "+82 10 1234 5678", "vip"],
)
def test_search_finds_by_name_part_phone_digits_and_tag(db, query):
    cid = customers.add(db, name="김민준", phones_raw=["010-1234-5678"], tags=["vip"])
    customers.add(db, name="이서연", phones_raw=["010-9999-0000"])
    assert [r["id"] for r in customers.search(db, query)] == [cid]


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("山田 太郎", "山田太郎"),
        ("山田太郎", "太郎"),
        ("Ани Петросян", "петросян"),
        ("Անի Արմենի Պետրոսյան", "Արմենի"),
        ("Zoë Dupont", "ZOË"),
        ("ＡＢＣ商事", "abc"),  # full-width folded to half-width
    ],
)
def test_search_folds_case_width_and_spacing_in_any_script(db, name, query):
    cid = customers.add(db, name=name)
    assert [r["id"] for r in customers.search(db, query)] == [cid]


def test_search_by_email_and_code(db):
    cid = customers.add(db, name="John Smith", email="john@example.com", code="E001")
    assert [r["id"] for r in customers.search(db, "john@example")] == [cid]
    assert [r["id"] for r in customers.search(db, "E001")] == [cid]


def test_search_treats_like_wildcards_literally(db):
    customers.add(db, name="Alice")
    assert list(customers.search(db, "%")) == []
    assert list(customers.search(db, "_")) == []


def test_resolve_by_code_id_phone_and_email(db):
    cid = customers.add(db, name="A", code="K001", phones_raw=["010-1234-5678"], email="a@x.kr")
    for ref in ["K001", str(cid), "010-1234-5678", "+821012345678", "A@X.KR"]:
        assert customers.resolve(db, ref) == cid


def test_resolve_reports_missing_and_ambiguous(db):
    customers.add(db, name="A", phones_raw=["010-1111-2222"])
    customers.add(db, name="B", phones_raw=["010-1111-2222"])
    with pytest.raises(NotFound, match="NOPE"):
        customers.resolve(db, "NOPE")
    with pytest.raises(Ambiguous, match="2 customers"):
        customers.resolve(db, "010-1111-2222")


def test_phone_region_setting_decides_local_numbers(db):
    settings.set_value(db, "phone.region", "JP")
    cid = customers.add(db, name="山田", phones_raw=["090-1234-5678"])
    assert customers.get(db, cid).phones[0].e164 == "+819012345678"


def test_codes_are_unique_and_kept_verbatim(db):
    customers.add(db, code="007")
    assert customers.resolve(db, "007")
    with pytest.raises(Conflict):
        customers.add(db, code="007")


def test_customer_without_a_name(db):
    cid = customers.add(db, code="C-42")
    assert customers.get(db, cid).display_name == "C-42"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("1985-03-14", "1985-03-14"),
        ("--02-29", "--02-29"),
        ("--0203", "--02-03"),
        ("1967/12/23", "1967-12-23"),
    ],
)
def test_birthdays_with_and_without_a_year(db, given, stored):
    cid = customers.add(db, name="A", birthday=given)
    assert customers.get(db, cid)["birthday"] == stored


def test_invalid_values_are_refused(db):
    with pytest.raises(InvalidValue):
        customers.add(db, name="A", email="not-an-email")
    with pytest.raises(InvalidValue):
        customers.add(db, name="A", birthday="1985-02-30")
    with pytest.raises(InvalidValue):
        customers.add(db, name="A", contact_days="someday")
    assert customers.count(db) == 0  # nothing half-written


def test_edit_keeps_name_and_parts_consistent(db):
    cid = customers.add(db, name="김민준")
    assert customers.edit(db, cid, family_name="박")["name"] == "박민준"
    edited = customers.edit(db, cid, name="Ani Armenovna Petrosyan")
    assert (edited["given_name"], edited["patronymic"], edited["family_name"]) == (
        "Ani",
        "Armenovna",
        "Petrosyan",
    )
    assert edited.salutation == "Ani Armenovna"


def test_edit_clear_and_search_key_follows(db):
    cid = customers.add(db, name="Alice", email="alice@example.com", notes="x")
    customers.edit(db, cid, name="Bob", clear=["email", "notes"])
    c = customers.get(db, cid)
    assert (c["email"], c["notes"]) == (None, None)
    assert list(customers.search(db, "alice")) == []
    assert [r["id"] for r in customers.search(db, "bob")] == [cid]


def test_tags_untag_archive(db):
    cid = customers.add(db, name="A", tags=["vip"])
    assert customers.tag(db, cid, ["vip", "new"]) == 1
    assert customers.untag(db, cid, ["vip", "absent"]) == 1
    assert customers.get(db, cid).tags == ("new",)
    customers.archive(db, cid)
    assert list(customers.rows(db)) == []
    assert [r["id"] for r in customers.rows(db, archived=True)] == [cid]
    customers.archive(db, cid, undo=True)
    assert [r["id"] for r in customers.rows(db, tag="new")] == [cid]


def test_delete_refuses_when_history_exists_unless_forced(db):
    from datetime import date

    from crmcli import purchases

    cid = customers.add(db, name="A")
    purchases.add(db, customer_id=cid, amount_micros=1_000_000, on=date(2026, 1, 1))
    with pytest.raises(Conflict, match="archive"):
        customers.delete(db, cid)
    customers.delete(db, cid, force=True)
    assert customers.count(db) == 0
    assert db.execute("SELECT count(*) FROM purchases").fetchone()[0] == 0


def test_a_customer_who_complained_is_never_deleted(db):
    from crmcli import complaints

    cid = customers.add(db, name="A")
    complaints.open_complaint(db, customer_id=cid, summary="late delivery", by="me")
    for force in (False, True):
        with pytest.raises(Conflict, match="forget"):
            customers.delete(db, cid, force=force)
    assert db.execute("SELECT count(*) FROM complaint_events").fetchone()[0] == 1


def test_anniversaries_and_contact_window(db):
    cid = customers.add(
        db,
        name="A",
        anniversaries=[("wedding", "2010-05-01")],
        contact_days="mon-fri",
        contact_hours="9-18",
    )
    c = customers.get(db, cid)
    assert [(d.label, d.date) for d in c.dates] == [("wedding", "2010-05-01")]
    assert (c["contact_days"], c["contact_from"], c["contact_until"]) == ("12345", "09:00", "18:00")
