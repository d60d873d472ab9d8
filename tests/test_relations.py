"""The people around a customer (issue 18 item 6): relate, unrelate, pages, forget, merge."""

from __future__ import annotations

import csv
import io
import json

import pytest

from crmcli import customers, merge, page, privacy, relations
from crmcli.errors import InvalidValue, NotFound, UsageError


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def people(db):
    return {c: customers.add(db, name=f"Person {c}", code=c) for c in "ABCD"}


def _kinds(db, customer_id):
    return sorted((r.kind, r.name) for r in relations.around(db, customer_id))


def test_each_page_names_the_relation_from_its_side(db, people):
    a, b, c, d = (people[x] for x in "ABCD")
    relations.relate(db, a, kind="child", other_id=b)
    relations.relate(db, a, kind="spouse", other_id=c)
    relations.relate(db, d, kind="referred-by", other_id=a)
    relations.relate(db, c, kind="Referred_By", other_id=a)
    assert _kinds(db, a) == [
        ("child", "Person B"), ("referred", "Person C"), ("referred", "Person D"),
        ("spouse", "Person C"),
    ]  # fmt: skip
    assert _kinds(db, b) == [("parent", "Person A")]
    assert _kinds(db, d) == [("referred-by", "Person A")]
    assert relations.referred_count(db, a) == 2
    assert relations.referred_count(db, d) == 0


def test_the_same_relation_from_the_other_side_is_not_recorded_twice(db, people):
    a, b = people["A"], people["B"]
    first, new = relations.relate(db, a, kind="child", other_id=b)
    again, new_again = relations.relate(db, b, kind="parent", other_id=a)
    assert new and not new_again and first == again
    assert len(relations.rows(db)) == 1


def test_someone_who_is_not_a_customer(db, people):
    a = people["A"]
    rid, _ = relations.relate(db, a, kind="spouse", name="  Kim  Minji ", birthday="--05-05")
    relations.relate(db, a, kind="spouse", name="kim minji", greet=True)  # the same person
    (spouse,) = relations.around(db, a)
    assert (spouse.relation_id, spouse.name, spouse.birthday, spouse.greet) == (
        rid, "Kim Minji", "--05-05", True,
    )  # fmt: skip
    relations.relate(db, a, kind="spouse", name="Kim Minji", birthday="1990-05-06")
    assert relations.around(db, a)[0].greet is True  # unchanged when not said
    assert relations.around(db, a)[0].birthday == "1990-05-06"


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"kind": "cousin", "name": "X"}, InvalidValue),
        ({"kind": "spouse"}, UsageError),
        ({"kind": "spouse", "name": "X", "other_id": 2}, UsageError),
        ({"kind": "spouse", "other_id": 1}, InvalidValue),
        ({"kind": "spouse", "other_id": 2, "birthday": "2000-01-01"}, UsageError),
        ({"kind": "spouse", "name": "X", "birthday": "2000-02-30"}, InvalidValue),
        ({"kind": "spouse", "name": "   "}, InvalidValue),
        ({"kind": "spouse", "other_id": 99}, NotFound),
    ],
)
def test_bad_relations_are_refused(db, people, kwargs, error):
    with pytest.raises(error):
        relations.relate(db, people["A"], **kwargs)
    assert relations.rows(db) == []


def test_unrelate_from_either_side_and_by_kind(db, people):
    a, b = people["A"], people["B"]
    relations.relate(db, a, kind="sibling", other_id=b)
    relations.relate(db, a, kind="colleague", other_id=b)
    assert relations.unrelate(db, b, other_id=a, kind="colleague") == 1
    assert _kinds(db, a) == [("sibling", "Person B")]
    with pytest.raises(NotFound):
        relations.unrelate(db, a, other_id=b, kind="spouse")
    assert relations.unrelate(db, b, other_id=a) == 1
    relations.relate(db, a, kind="child", name="Min-ji")
    assert relations.unrelate(db, a, name="min-ji") == 1


@pytest.mark.parametrize(
    ("written", "again"), [("Émile", "émile"), ("Անի", "ԱՆԻ"), ("Ἀλέξανδρος", "ἀλέξανδρος")]
)
def test_a_name_is_one_person_in_any_case_of_any_script(db, people, written, again):
    """Case is folded for every letter on both engines, not only A-Z (SQLite's lower())."""
    a = people["A"]
    first, new = relations.relate(db, a, kind="child", name=written)
    assert new
    assert relations.relate(db, a, kind="child", name=again, birthday="2016-04-02") == (
        first,
        False,
    )
    assert [(r.name, r.birthday) for r in relations.around(db, a)] == [(written, "2016-04-02")]
    relations.relate(db, a, kind="sibling", name=again)
    assert relations.unrelate(db, a, name=again, kind="child") == 1
    assert relations.unrelate(db, a, name=written) == 1
    assert relations.around(db, a) == []


def test_forget_erases_relations_on_both_sides_and_the_non_customers(db, people):
    a, b, c = people["A"], people["B"], people["C"]
    relations.relate(db, a, kind="spouse", other_id=b)
    relations.relate(db, c, kind="referred-by", other_id=a)
    relations.relate(db, a, kind="child", name="Min-ji Secret", birthday="2015-05-05")
    relations.relate(db, b, kind="child", name="Kept Child")
    privacy.forget(db, a)
    assert [r.name for r in relations.around(db, b)] == ["Kept Child"]
    assert relations.around(db, c) == []
    # Every row of every table, on either engine: nothing left that names the child.
    for table in db.tables():
        rows = repr(db.execute(f'SELECT * FROM "{table}"').fetchall())
        assert "Min-ji Secret" not in rows and "2015-05-05" not in rows, table


def test_merge_keeps_relations_pointing_at_the_merged_customer(db, people):
    a, b, c = people["A"], people["B"], people["C"]
    relations.relate(db, a, kind="spouse", other_id=c)
    relations.relate(db, b, kind="referred-by", other_id=c)
    relations.relate(db, a, kind="sibling", other_id=b)  # becomes a relation with oneself
    merge.merge(db, b, c)  # C merged into B
    assert _kinds(db, a) == [("sibling", "Person B"), ("spouse", "Person B")]
    assert _kinds(db, b) == [("sibling", "Person A"), ("spouse", "Person A")]


def test_the_page_holds_the_relations(db, people):
    relations.relate(db, people["B"], kind="referred-by", other_id=people["A"])
    data = page.build(db, people["A"])
    assert data["relations"]["referred"] == 1
    assert data["relations"]["people"][0]["kind"] == "referred"
    assert data["relations"]["people"][0]["code"] == "B"


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def shop(cli):
    for code, name in (("K1", "Kim Minjun"), ("K2", "Kim Minji"), ("K3", "Lee Ana")):
        cli("customers", "add", "--name", name, "--code", code)
    return cli


def test_relate_and_both_pages(shop):
    said = shop("customers", "relate", "K1", "K2", "--as", "spouse")
    assert said.stderr.strip() == "#2 Kim Minji is the spouse of #1 Kim Minjun"
    shop("customers", "relate", "K3", "K1", "--as", "referred-by")
    shop("customers", "relate", "K1", "--name", "Kim Jiho", "--birthday", "2016-04-02",
         "--as", "child", "--greet")  # fmt: skip
    one = shop("customers", "show", "K1", "--format", "table").stdout
    assert "People around them" in one and "Referred 1 customer" in one
    assert "Kim Jiho" in one and "2016-04-02 (greeted)" in one
    three = shop("customers", "show", "K3", "--format", "table").stdout
    assert "referred by" in three and "Kim Minjun (K1)" in three
    data = json.loads(shop("customers", "show", "K2", "--format", "json").stdout)
    assert [(p["kind"], p["code"]) for p in data["relations"]["people"]] == [("spouse", "K1")]


def test_relations_listing_in_every_format(shop):
    shop("customers", "relate", "K1", "K2", "--as", "parent")
    rows = _csv(shop("customers", "relations").stdout)
    assert [(r["code"], r["kind"], r["other_code"]) for r in rows] == [("K1", "parent", "K2")]
    rows = _csv(shop("customers", "relations", "K2", "--fields", "code,kind,other_code").stdout)
    assert rows == [{"code": "K2", "kind": "child", "other_code": "K1"}]
    data = json.loads(shop("customers", "relations", "K2", "--format", "json").stdout)
    assert data[0]["kind"] == "child" and data[0]["greet"] is False
    jsonl = shop("customers", "relations", "--format", "jsonl").stdout.splitlines()
    assert json.loads(jsonl[0])["other_name"] == "Kim Minji"


def test_relate_usage_and_domain_errors(shop):
    missing = shop("customers", "relate", "K1", "K2", ok=False)
    assert missing.exit_code == 2 and "--as" in missing.stderr
    both = shop("customers", "relate", "K1", "K2", "--name", "X", "--as", "spouse", ok=False)
    assert both.exit_code == 2
    bad = shop("customers", "relate", "K1", "K2", "--as", "cousin", ok=False)
    assert bad.exit_code == 1 and "spouse, child, parent" in bad.stderr
    nobody = shop("customers", "unrelate", "K1", "K2", ok=False)
    assert nobody.exit_code == 1 and "no such relation" in nobody.stderr
    assert "Traceback" not in bad.stderr + nobody.stderr
    shop("customers", "relate", "K1", "K2", "--as", "sibling")
    shop("customers", "unrelate", "K2", "K1", "--as", "sibling")
    assert _csv(shop("customers", "relations").stdout) == []


def test_forget_from_the_command_line_leaves_no_relation(shop):
    shop("customers", "relate", "K1", "--name", "Kim Jiho", "--birthday", "2016-04-02",
         "--as", "child", "--greet")  # fmt: skip
    shop("customers", "relate", "K2", "K1", "--as", "spouse")
    shop("customers", "forget", "K1", "--yes")
    assert _csv(shop("customers", "relations").stdout) == []


# --- a relative's birthday on the customer's agenda -------------------------------------


def test_a_greeted_relatives_birthday_is_due_for_the_customer(shop):
    shop("customers", "edit", "K2", "--birthday", "1988-12-05")
    shop("customers", "relate", "K1", "--name", "Kim Jiho", "--birthday", "2014-11-27",
         "--as", "child", "--greet")  # fmt: skip
    shop("customers", "relate", "K1", "K2", "--as", "spouse", "--greet")
    shop("customers", "relate", "K3", "--name", "Not Greeted", "--birthday", "--11-28",
         "--as", "sibling")  # fmt: skip
    rows = _csv(shop("due", "--as-of", "2026-11-24", "--days", "14", "--kind",
                     "family-birthday", "--fields", "date,ref,why,key").stdout)  # fmt: skip
    assert rows == [
        {"date": "2026-11-24", "ref": "K1", "key": "family-birthday:1:1:2026-11-27",
         "why": "birthday of their child Kim Jiho on 2026-11-27, turns 12"},
        {"date": "2026-12-02", "ref": "K1", "key": "family-birthday:1:2:2026-12-05",
         "why": "birthday of their spouse Kim Minji on 2026-12-05, turns 38"},
    ]  # fmt: skip
    sent = _csv(shop("greet", "--as-of", "2026-11-24", "--days", "3",
                     "--fields", "ref,message").stdout)  # fmt: skip
    assert sent == []  # K1 has neither phone nor e-mail: nowhere to send it
    shop("customers", "edit", "K1", "--email", "minjun@example.com")
    sent = _csv(shop("greet", "--as-of", "2026-11-24", "--days", "3",
                     "--fields", "ref,message").stdout)  # fmt: skip
    assert sent == [
        {"ref": "K1", "message": "Dear Kim Minjun, happy birthday to your child Kim Jiho!"}
    ]
    shop("due", "done", "family-birthday:1:1:2026-11-27")
    left = _csv(shop("due", "--as-of", "2026-11-24", "--days", "14", "--kind",
                     "family-birthday", "--fields", "key").stdout)  # fmt: skip
    assert left == [{"key": "family-birthday:1:2:2026-12-05"}]
    shop("customers", "relate", "K1", "K2", "--as", "spouse", "--no-greet")
    assert shop("due", "--as-of", "2026-11-24", "--days", "14", "--kind",
                "family-birthday").stdout.count("\n") <= 1  # fmt: skip


def test_a_forgotten_customer_has_no_family_birthday(shop):
    shop("customers", "relate", "K1", "--name", "Kim Jiho", "--birthday", "2014-11-27",
         "--as", "child", "--greet")  # fmt: skip
    shop("customers", "forget", "K1", "--yes")
    out = shop("due", "--as-of", "2026-11-24", "--days", "14", "--kind", "family-birthday")
    assert "Kim Jiho" not in out.stdout


def test_two_tills_relating_the_same_pair_at_once_record_it_once(db_path):
    """Two tills relate K1 and K2 (each from its own side) at the same moment: the second
    waits for the first and updates its relation, on a server as in a file."""
    import threading

    from crmcli.db import open_db
    from crmcli.db_url import parse

    one = open_db(parse(str(db_path), source="the test"))
    k1, k2 = (customers.add(one, name=f"Person {c}", code=c) for c in ("K1", "K2"))
    done: list[tuple[int, bool]] = []

    def relate() -> None:  # the other till, with a connection of its own (SQLite's: per thread)
        two = open_db(parse(str(db_path), source="the test"))
        try:
            done.append(relations.relate(two, k2, kind="spouse", other_id=k1, greet=True))
        finally:
            two.close()

    other = threading.Thread(target=relate)
    with one.write():
        first, _new = relations.relate(one, k1, kind="spouse", other_id=k2)
        other.start()
        other.join(1.0)  # the second till has reached the customers' rows, and waits there
    other.join(60)
    assert done == [(first, False)]
    stored = one.execute("SELECT customer_id, kind, other_id, greet FROM customer_relations")
    assert stored.fetchall() == [(k1, "spouse", k2, 1)]
    one.close()
