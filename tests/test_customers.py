"""The customer core, without the CLI."""

from __future__ import annotations

import pytest
import sent

from crmcli import customers, settings
from crmcli.errors import Ambiguous, Conflict, InvalidValue, NotFound


def test_add_splits_a_korean_name_and_normalises_the_phone(db):
    cid = customers.add(db, name="김민준", phones_raw=["010-1234-5678"])
    c = customers.get(db, cid)
    assert (c["family_name"], c["given_name"]) == ("김", "민준")
    assert c.phones[0].raw == "010-1234-5678"  # kept as written, leading zero and all
    assert c.phones[0].e164 == "+821012345678"


def test_get_many_reads_each_customer_as_get_does_in_four_queries(db, monkeypatch):
    """An import's batch reads its customers together: the same records as one `get`
    each (numbers in their order, tags and dates sorted), a missing id left out."""
    ids = [
        customers.add(db, name="김민준", phones_raw=["010-1234-5678", "02-555-0100"],
                      tags=["vip", "new"], anniversaries=[("wedding", "2012-05-19")]),
        customers.add(db, name="Ani Petrosyan", email="ani@example.am"),
        customers.add(db, code="C9", extra={"loyalty": "gold"}),
    ]  # fmt: skip
    statements = sent.statements(db, monkeypatch)
    many = customers.get_many(db, [*ids, 999])
    assert len(statements) == 4
    assert many == {cid: customers.get(db, cid) for cid in ids}
    assert many[ids[0]].tags == ("new", "vip") and len(many[ids[0]].phones) == 2
    assert customers.get_many(db, []) == {}
    monkeypatch.setattr(customers, "MANY", 2)  # more ids than a query takes: in parts
    assert customers.get_many(db, ids) == many
    with pytest.raises(NotFound):
        customers.get(db, 999)


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


# --- edit: what it refuses, what clearing does, and the name following the locale -------


def test_edit_refuses_unknown_fields_and_what_cannot_be_cleared(db):
    cid = customers.add(db, name="Kim", code="K1")
    with pytest.raises(InvalidValue, match="unknown customer field"):
        customers.edit(db, cid, shoe_size="44")
    with pytest.raises(InvalidValue, match="cannot clear id"):
        customers.edit(db, cid, clear=["id"])
    with pytest.raises(InvalidValue):
        customers.edit(db, cid, email="no-at-sign")
    with pytest.raises(InvalidValue, match="control character"):
        customers.edit(db, cid, name="Kim\x1b[2J")
    assert customers.get(db, cid)["name"] == "Kim"  # nothing half-written


@pytest.mark.parametrize(
    "given",
    [{"name": "   "}, {"name": "\t", "email": " "}, {"code": " ", "phones_raw": ["  "]}, {}],
)
def test_add_refuses_a_customer_with_nothing_to_know_them_by(db, given):
    """Blank values are no values: `--name "$UNSET"` must not make a nameless customer."""
    with pytest.raises(InvalidValue, match="nothing to know this customer by"):
        customers.add(db, **given)
    assert customers.count(db) == 0


@pytest.mark.parametrize(
    ("given", "option"),
    [
        ({"name": "  "}, "--name"),
        ({"email": ""}, "--email"),
        ({"family_name": " "}, "--family-name"),
        ({"phones_raw": ["010-1234-5678", " "]}, "--phone"),
        ({"phones_raw": [("", "home")]}, "--phone"),
    ],
)
def test_edit_refuses_a_blank_value_rather_than_emptying_the_field(db, given, option):
    """An unset shell variable (`--email "$MAIL"`) wipes nothing: emptying is `clear`."""
    cid = customers.add(db, name="Kim Ann", email="ann@example.com", phones_raw=["02-555-0100"])
    before = customers.get(db, cid)
    with pytest.raises(InvalidValue, match=f"{option} is blank.*--clear {option[2:]}"):
        customers.edit(db, cid, **given)
    assert customers.get(db, cid) == before


def test_edit_keeps_something_to_know_the_customer_by(db):
    cid = customers.add(db, name="Ann", phones_raw=["02-555-0100"])
    customers.edit(db, cid, clear=["name"])  # the phone still knows them
    with pytest.raises(InvalidValue, match="nothing to know this customer by"):
        customers.edit(db, cid, clear=["phone"])
    assert [p.raw for p in customers.get(db, cid).phones] == ["02-555-0100"]
    customers.edit(db, cid, phones_raw=["010-1234-5678"], email="ann@example.com")
    customers.edit(db, cid, clear=["phone"])  # the e-mail does now


def test_clearing_the_name_clears_its_parts(db):
    """No name left behind in its parts: the greeting must not use a name that is gone."""
    cid = customers.add(db, name="Ani Armenovna Petrosyan", code="A1")
    c = customers.edit(db, cid, clear=["name"])
    assert (c["name"], c["family_name"], c["given_name"], c["patronymic"]) == (None,) * 4
    assert c.display_name == "A1"
    c = customers.edit(db, cid, clear=["name"], family_name="Kim")
    assert (c["family_name"], c["name"]) == ("Kim", "Kim")


def test_edit_to_a_code_someone_else_has_is_a_conflict(db):
    customers.add(db, name="A", code="K1")
    b = customers.add(db, name="B", code="K2")
    with pytest.raises(Conflict, match="another customer already has code 'K1'"):
        customers.edit(db, b, code="K1")
    assert customers.edit(db, b, code="K2")["code"] == "K2"  # its own code again is fine


def test_clearing_the_contact_window_and_the_phones(db):
    cid = customers.add(db, name="Kim", phones_raw=["010-1111-2222"], contact_days="mon-fri",
                        contact_hours="09:00-18:00")  # fmt: skip
    edited = customers.edit(db, cid, clear=["contact_hours", "phone"])
    assert (edited["contact_from"], edited["contact_until"]) == (None, None)
    assert edited["contact_days"] == "12345"  # only what was named is cleared
    assert edited.phones == ()
    edited = customers.edit(db, cid, contact_days="sat", contact_hours="10-12")
    assert (edited["contact_days"], edited["contact_from"], edited["contact_until"]) == (
        "6", "10:00", "12:00",
    )  # fmt: skip


def test_edit_sets_flags_and_dates(db):
    cid = customers.add(db, name="이서연")
    edited = customers.edit(
        db, cid, birthday="1990-08-15", birthday_lunar=True, birthday_leap=True,
        do_not_contact=True, anniversaries=[("wedding", "2015-10-03")],
    )  # fmt: skip
    assert (edited["birthday"], edited["birthday_lunar"], edited["birthday_leap"]) == (
        "1990-08-15", 1, 1,
    )  # fmt: skip
    assert edited["do_not_contact"] == 1
    assert [(d.label, d.date) for d in edited.dates] == [("wedding", "2015-10-03")]


def test_a_new_locale_splits_the_name_again_unless_the_parts_were_given(db):
    # Kanji alone is not split as Japanese without a surname we know; as Chinese, 王 is one.
    auto = customers.add(db, name="王小明", locale="ja")
    assert customers.get(db, auto)["family_name"] is None
    edited = customers.edit(db, auto, locale="zh")
    assert (edited["family_name"], edited["given_name"], edited["name"]) == ("王", "小明", "王小明")
    by_hand = customers.add(db, name="王小明", family_name="王小", given_name="明", locale="ja")
    kept = customers.edit(db, by_hand, locale="zh")
    assert (kept["family_name"], kept["given_name"]) == ("王小", "明")  # given by hand: kept


def test_a_new_phone_region_reads_numbers_without_a_country_code_again(db):
    cid = customers.add(db, name="山田 太郎", phones_raw=["090-1234-5678", "+82 10 1111 2222"])
    assert [p.e164 for p in customers.get(db, cid).phones] == ["+829012345678", "+821011112222"]
    said = customers.set_setting(db, "phone.region", "jp")
    assert said == ["re-normalised 1 phone number"]
    assert settings.get(db, "phone.region") == "jp"
    assert [p.e164 for p in customers.get(db, cid).phones] == ["+819012345678", "+821011112222"]
    assert customers.set_setting(db, "phone.region", "jp") == []  # no change, nothing done
    assert customers.unset_setting(db, "phone.region") == ["re-normalised 1 phone number"]


def test_a_purchase_added_while_the_customer_is_deleted_is_counted_not_erased(db_path):
    """A till records a purchase while the manager deletes the customer: the delete waits
    for it, counts it and refuses (without --force) — on a server too, where the count
    could not see the till's uncommitted line and the cascade then erased it."""
    import threading
    from datetime import date

    from crmcli import purchases
    from crmcli.db import open_db
    from crmcli.db_url import parse

    till = open_db(parse(str(db_path), source="the test"))
    cid = customers.add(till, name="Kim", code="K1")
    refused: list[str] = []

    def delete() -> None:  # the manager, with a connection of their own (SQLite's: per thread)
        manager = open_db(parse(str(db_path), source="the test"))
        try:
            customers.delete(manager, cid)
        except Conflict as exc:
            refused.append(str(exc))
        finally:
            manager.close()

    with till.write():
        purchases.add(till, customer_id=cid, amount_micros=5_000_000, on=date(2026, 11, 30))
        other = threading.Thread(target=delete)
        other.start()
        other.join(1.0)  # the delete has reached the customer's row, and waits there
    other.join(60)
    assert refused == [
        "customer #1 has 1 purchase; archive the customer instead, or delete with --force "
        "to erase that purchase too"
    ]
    assert till.execute("SELECT count(*) FROM purchases").fetchone()[0] == 1
    till.close()


def test_a_tag_is_at_most_200_characters_its_spaces_collapsed(db):
    """A tag is a label and a key of three indexes: a server's index entry holds at most
    2,704 bytes, so a long one was refused there in the server's words, taken in a file."""
    cid = customers.add(db, name="Kim")
    longest = "".join(chr(0xAC00 + (i * 7919) % 11172) for i in range(customers.MAX_TAG))
    assert customers.tag(db, cid, [longest, "a" + " " * 300 + "b"]) == 2
    with pytest.raises(InvalidValue, match=r"^tag is 201 characters long; at most 200$"):
        customers.tag(db, cid, [longest + "가"])
    assert sorted(customers.get(db, cid).tags) == sorted([longest, "a b"])


@pytest.mark.parametrize("change", ["tag", "untag", "archive"])
def test_a_change_to_a_customer_deleted_meanwhile_finds_them_gone(db_path, change):
    """The manager deletes a customer while a till tags, untags or archives them: the
    till waits and says there is no such customer — on a server too, where the tag was
    refused by the foreign key in the server's words and the others said done to nobody."""
    import threading

    from crmcli.db import open_db
    from crmcli.db_url import parse

    manager = open_db(parse(str(db_path), source="the test"))
    cid = customers.add(manager, name="Kim", code="K1", tags=["vip"])
    outcome: list[object] = []

    def on_the_till() -> None:  # a connection of its own (SQLite's: per thread)
        till = open_db(parse(str(db_path), source="the test"))
        try:
            if change == "tag":
                outcome.append(customers.tag(till, cid, ["new"]))
            elif change == "untag":
                outcome.append(customers.untag(till, cid, ["vip"]))
            else:
                outcome.append(customers.archive(till, cid))
        except Exception as exc:  # what the till was told, compared below
            outcome.append(exc)
        finally:
            till.close()

    other = threading.Thread(target=on_the_till)
    with manager.write():
        customers.delete(manager, cid)
        other.start()
        other.join(1.0)  # the till has reached the customer's row, and waits there
    other.join(60)
    assert [(type(o), str(o)) for o in outcome] == [(NotFound, "no customer #1")]
    manager.close()


def test_tags_added_and_removed_are_counted_in_words(cli):
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    assert cli("customers", "tag", "K1", "vip").stderr == "customer #1: 1 tag added\n"
    assert cli("customers", "tag", "K1", "a", "b").stderr == "customer #1: 2 tags added\n"
    assert cli("customers", "untag", "K1", "a", "b", "vip").stderr == (
        "customer #1: 3 tags removed\n"
    )
