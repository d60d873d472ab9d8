"""Every customer field comes back out, and goes back in unchanged (issue 13 item 5)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from seeded_shop import seeded

from crmcli import customer_fields

ALL = ",".join(customer_fields.NAMES)
KEPT = [f for f in customer_fields.NAMES if f in customer_fields.READ_BACK]


def test_every_column_of_customers_is_a_field(db):
    """A column added later needs its line in customer_fields.FIELDS (or a reason not to)."""
    columns = {column.name for column in db.columns("customers")}
    missing = columns - set(customer_fields.NAMES) - customer_fields.COLUMNS_NOT_FIELDS
    assert not missing, f"add these to customer_fields.FIELDS: {sorted(missing)}"


def _export(cli, db: Path | str, *args: str) -> str:
    return cli("--db", str(db), "customers", "export", *args).stdout


def _records(cli, db: Path | str) -> list[dict]:
    """The structured export, without what is computed or kept by the database."""
    rows = json.loads(_export(cli, db, "--format", "json"))
    return sorted(({k: r[k] for k in KEPT} for r in rows), key=lambda r: r["code"])


def test_default_export_carries_every_field(cli, db_path):
    db = seeded(db_path)
    out = _export(cli, db)
    header = next(csv.reader(io.StringIO(out)))
    expected = [f for f in customer_fields.NAMES if f != "extra"]
    assert [h for h in header if not h.startswith("extra.")] == expected
    assert {"extra.Loyalty card", "extra.紹介者"} <= set(header)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 12
    # every field is set for every customer (only a salutation by hand and a tier by hand
    # are left to some); the seeded shop is only a test if it is full
    optional = {
        "salutation",
        "patronymic",
        "tier",
        "tier_override",
        "tier_override_reason",
        "tier_override_at",
        "lost_at",
        "lost_reason",
    }
    assert sum(bool(r["lost_reason"]) for r in rows) == 3  # the lost prospects are in it
    for row in rows:
        empty = [k for k, v in row.items() if not v and k not in optional]
        assert not empty, (row["code"], empty)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "excel", "json", "jsonl", "vcard"])
def test_round_trip_into_a_new_database(cli, db_path, db_url, tmp_path, fmt, figures):
    """export → import into a new database → export: the same records, field by field."""
    db = seeded(db_path)
    args = {"excel": ["--excel"], "vcard": ["--vcard"]}.get(fmt, ["--format", fmt])
    suffix = {"excel": ".csv", "vcard": ".vcf"}.get(fmt, f".{fmt}")
    exported = tmp_path / f"all{suffix}"
    exported.write_text(_export(cli, db, *args), encoding="utf-8")
    fresh = db_url  # a second database on the same engine
    cli("--db", str(fresh), "config", "set", "phone.region", "US")  # the numbers know theirs
    result = cli("--db", str(fresh), "customers", "import", str(exported), "--format", "json")
    assert json.loads(result.stdout)[0]["added"] == 12
    assert "unknown" not in result.stderr and "kept as extra" not in result.stderr
    before, after = _records(cli, db), _records(cli, fresh)
    differing = sum(a.get(k) != b.get(k) for a, b in zip(before, after, strict=True) for k in a)
    figures.record(
        f"round_trip.{fmt}", customers=len(before), fields_compared=len(before) * len(KEPT),
        differing=differing,
    )  # fmt: skip
    assert after == before
    again = cli("--db", str(fresh), "customers", "import", str(exported), "--format", "json")
    assert json.loads(again.stdout)[0]["unchanged"] == 12


LISTINGS = [
    ["customers", "list"],
    ["customers", "search", "Müller"],
    ["customers", "export"],
    ["customers", "who-bought", "--item", "coffee"],
    ["customers", "at-risk", "--as-of", "2026-12-31"],
    ["customers", "attitudes", "--as-of", "2026-12-31"],
    # the lines' own columns, and their customer's fields
    ["purchases", "list"],
    ["purchases", "export"],
]


@pytest.mark.parametrize("command", LISTINGS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_fields_takes_every_customer_field_on_every_listing(cli, db_path, command, fmt):
    db = seeded(db_path, count=6)
    for day in ("2026-01-05", "2026-02-05", "2026-03-05"):
        cli("--db", str(db), "purchases", "add", "S0005", "--amount", "1000", "--on", day,
            "--item", "coffee beans")  # fmt: skip
    cli("--db", str(db), "tiers", "classify", "--as-of", "2026-03-31")
    fields = ALL + ",extra.Loyalty card"
    out = cli("--db", str(db), *command, "--fields", fields, "--format", fmt).stdout
    if fmt == "json":
        rows = json.loads(out)
        assert rows, out
        assert all(list(r) == fields.split(",") for r in rows)
        zoe = next(r for r in rows if r["code"] == "S0005")
        assert zoe["phones"] == [{"number": "+44 20 7946 0958", "e164": "+442079460958",
                                  "label": "work"}]  # fmt: skip
        assert zoe["extra.Loyalty card"] == "LC-00005" and zoe["extra"]["紹介者"] == "김민준"
    else:
        rows = list(csv.DictReader(io.StringIO(out)))
        assert rows, out
        zoe = next(r for r in rows if r["code"] == "S0005")
        assert zoe["phones"] == "work: +44 20 7946 0958"
        assert zoe["extra.Loyalty card"] == "LC-00005" and zoe["extra.紹介者"] == "김민준"


def test_unknown_field_is_refused_with_the_choices(cli):
    cli("db", "migrate")  # a shop, empty: a missing database is its own error
    result = cli("customers", "list", "--fields", "code,shoe_size", ok=False)
    assert result.exit_code == 1
    assert "shoe_size" in result.stderr and "postcode" in result.stderr


def test_a_foreign_id_column_is_kept_not_skipped(cli, tmp_path):
    """Only crmcli's own export has its computed columns skipped; a shop's `id` is data."""
    path = tmp_path / "shop.csv"
    path.write_text("id,name,tier\n7,Jane Roe,Gold\n", encoding="utf-8")
    cli("customers", "import", str(path))
    [row] = json.loads(cli("customers", "list", "--fields", "extra", "--format", "json").stdout)
    assert row["extra"] == {"id": "7", "tier": "Gold"}


def test_vcard_carries_what_vcard_lacks_as_x_properties(cli, db_path, db_url, tmp_path):
    """Standard properties stay the authority (an edit in another app is read back); the
    X-CRMCLI- ones carry only what vCard has no property for."""
    db = seeded(db_path, count=2)
    cli("--db", str(db), "customers", "add", "--code", "NONAME", "--phone", "010-5555-0000")
    card = _export(cli, db, "--vcard")
    assert "X-CRMCLI-CONTACT-HOURS:10:00-18:30" in card
    assert "X-CRMCLI-EXTRA:" in card and "X-CRMCLI-NAME" not in card
    assert "TEL;TYPE=MOBILE;X-E164=+821012345678:010-1234-5678" in card
    edited = tmp_path / "edited.vcf"
    edited.write_text(card.replace("customer0@example.com", "new@example.com"), encoding="utf-8")
    fresh = db_url  # a second database on the same engine
    cli("--db", str(fresh), "customers", "import", str(edited))
    rows = {r["code"]: r for r in json.loads(_export(cli, fresh, "--format", "json"))}
    assert rows["S0000"]["email"] == "new@example.com"
    assert rows["NONAME"]["name"] is None  # FN held the code only because a card needs one
    assert rows["S0001"]["extra"] == {"Loyalty card": "LC-00001", "紹介者": "王小明"}


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("bad.jsonl", '{"name": "Ani"}\n{"name": "Bob",\n', 2),
        ("bad.json", '[\n  {"name": "Ani"},\n  {"name": }\n]\n', 3),
        ("list.json", '{"name": "Ani"}\n', 1),
        ("rows.jsonl", '{"name": "Ani"}\n["Bob"]\n', 2),
    ],
)
def test_a_broken_json_file_is_refused_by_line(cli, db_path, tmp_path, name, text, line):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = cli("customers", "import", str(path), ok=False)
    assert result.exit_code == 1, result.stderr
    assert f"{name}:{line}" in result.stderr and "Traceback" not in result.stderr
    # Nothing stored: a server's database stays empty; a new file is not even left behind.
    if isinstance(db_path, Path):
        assert not db_path.exists()
    else:
        assert json.loads(cli("customers", "list", "-f", "json").stdout) == []


def test_lost_state_comes_back_in_and_bad_days_are_refused_by_line(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        'name,lost_at,lost_reason\nAnn,2026-03-01,"too far, she said"\n'
        "Bob,,no day given\nCy,03/01/2026,x\n",
        encoding="utf-8",
    )
    result = cli("customers", "import", str(bad), ok=False)
    assert result.exit_code == 1
    assert "bad.csv:3: lost_reason is given without lost_at" in result.stderr
    assert "bad.csv:4: lost_at must be YYYY-MM-DD" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text('name,lost_at,lost_reason\nAnn,2026-03-01,"too far, she said"\n')
    cli("customers", "import", str(good))
    out = cli("customers", "list", "--fields", "name,status,lost_at,lost_reason").stdout
    assert out.splitlines()[1] == 'Ann,lost,2026-03-01,"too far, she said"'


# --- the flat form and reading it back, field by field -----------------------------------


def test_flat_forms_per_kind():
    phones = [{"label": "mobile", "number": "010-1234-5678"}, {"label": None, "number": "02-555"}]
    assert customer_fields.flat(phones, "phones") == "mobile: 010-1234-5678; 02-555"
    assert customer_fields.flat([], "phones") is None
    dates = [{"label": "wedding", "date": "2012-05-19", "lunar": False},
             {"label": "first visit", "date": "--03-01", "lunar": True}]  # fmt: skip
    assert (
        customer_fields.flat(dates, "anniversary")
        == "wedding=2012-05-19; first visit=--03-01 (lunar)"
    )
    assert customer_fields.flat(["vip", "단골"], "tags") == "vip,단골"
    assert (
        customer_fields.flat(True, "do_not_contact") == "yes"
        and customer_fields.flat(0, "do_not_contact") == "no"
    )
    assert customer_fields.flat(None, "tags") is None
    assert customer_fields.flat("as is", "no_such_field") == "as is"


def test_reading_phones_and_dates_back():
    assert customer_fields.read_phones("mobile: 010-1234-5678; 02-555-0100;  ") == [
        ("010-1234-5678", "mobile"), ("02-555-0100", None),
    ]  # fmt: skip
    # A number with its own colon-free parentheses or a plus is no label.
    assert customer_fields.read_phones("+82 (10) 1234") == [("+82 (10) 1234", None)]
    text = "wedding=2012-05-19; first visit=--03-01 (lunar); nonsense"
    assert customer_fields.read_dates(text) == [
        ("wedding", "2012-05-19", False), ("first visit", "--03-01", True),
    ]  # fmt: skip


LABELS = st.text(alphabet="abcdefghij kl", min_size=1, max_size=12).map(str.strip).filter(bool)
NUMBERS = st.from_regex(r"0\d{1,3}-\d{3,4}-\d{4}", fullmatch=True)


@given(st.lists(st.tuples(NUMBERS, st.none() | LABELS), max_size=4))
def test_phones_round_trip_through_the_flat_form(pairs):
    value = [{"number": n, "label": label} for n, label in pairs]
    text = customer_fields.flat(value, "phones")
    assert (customer_fields.read_phones(text) if text else []) == [(n, label) for n, label in pairs]


@given(
    st.lists(
        st.tuples(LABELS, st.sampled_from(["2012-05-19", "--03-01", "1999-12-31"]), st.booleans()),
        max_size=4,
    )
)
def test_dates_round_trip_through_the_flat_form(items):
    value = [{"label": label, "date": day, "lunar": lunar} for label, day, lunar in items]
    text = customer_fields.flat(value, "anniversary")
    assert (customer_fields.read_dates(text) if text else []) == items


def test_vcard_names_for_what_vcard_lacks():
    assert customer_fields.vcard_property("family_name") == "X-CRMCLI-FAMILY-NAME"
    assert customer_fields.vcard_field("X-CRMCLI-FAMILY-NAME") == "family_name"
    assert customer_fields.vcard_field("x-crmcli-owner") == "owner"
    assert customer_fields.vcard_field("X-CRMCLI-ID") is None  # computed: never read back
    assert customer_fields.vcard_field("X-OTHER-APP") is None
    for field in customer_fields.READ_BACK:
        assert customer_fields.vcard_field(customer_fields.vcard_property(field)) == field


def test_extra_fields_are_columns_of_their_own():
    assert customer_fields.is_field("name") and customer_fields.is_field("extra.Loyalty card")
    assert not customer_fields.is_field("extra.") and not customer_fields.is_field("shoe_size")
    assert customer_fields.fetched(["name", "extra.Card", "extra.Ref", "spend"]) == [
        "name",
        "extra",
    ]
    assert customer_fields.flat_columns(["id", "extra", "tags"], ["Card", "Ref"]) == [
        "id", "extra.Card", "extra.Ref", "tags",
    ]  # fmt: skip
    row = {"id": 1, "tags": ["vip"], "extra": {"Card": "LC-1"}, "spend": 5}
    assert customer_fields.present(row, ["id", "tags", "extra.Card", "spend"], flat_form=True) == {
        "id": 1, "tags": "vip", "extra": {"Card": "LC-1"}, "extra.Card": "LC-1", "spend": 5,
    }  # fmt: skip
    structured = customer_fields.present(row, ["tags", "extra.Ref"], flat_form=False)
    assert structured["tags"] == ["vip"] and structured["extra.Ref"] is None


def test_listing_rows_get_the_customer_fields_they_lack_in_batches(db):
    from crmcli import customers

    ids = [customers.add(db, name=f"P{n}", tags=["t"] if n % 2 else []) for n in range(7)]
    rows = [{"id": i, "spend": i * 10} for i in ids] + [{"id": None, "spend": 0}]
    out = list(customer_fields.with_customer_fields(db, rows, ["name", "tags", "spend"], batch=3))
    assert [(r["name"], r["tags"], r["spend"]) for r in out[:3]] == [
        ("P0", [], 10), ("P1", ["t"], 20), ("P2", [], 30),
    ]  # fmt: skip
    assert len(out) == 8 and out[-1]["name"] is None  # an anonymous row: nothing to add
