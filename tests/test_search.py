"""Search finds what a clerk types (issue 14 item 4), through indexes, saying where it matched."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli import customers, search


def _add(db, **fields) -> int:
    with db.write():
        return customers.add(db, **fields)


def _found(db, text: str) -> dict[str, str]:
    return {r["name"]: r["matched"] for r in customers.search(db, text)}


@pytest.fixture
def shop(db):
    _add(db, name="김민준", notes="커피 원두 선호, 토요일 오전 방문")
    _add(db, name="Sean Miller", email="smiller77@example.com")
    _add(db, name="ĽdaMonté")
    _add(db, name="O'Donnell", company="Acme, Inc.")
    _add(db, name="yamada")
    _add(db, name="Պետրոսյան")
    _add(db, name="Անի Արմենի Պետրոսյան", tags=["vip"])
    _add(db, name="Иван Сергеевич Петров")
    _add(db, name="山田 太郎", code="J001")
    _add(db, name="Mina Park")  # not 김민준: a distractor for 민 / mi
    return db


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("김 민준", "김민준"),  # spaces do not matter
        ("miller sean", "Sean Miller"),  # nor word order
        ("ldamonte", "ĽdaMonté"),  # accents and case
        ("odonnell", "O'Donnell"),  # punctuation
        ("ｙａｍａｄａ", "yamada"),  # full width
        ("ㄱㅁㅈ", "김민준"),  # Korean initial consonants
        ("Petrosyan", "Պետրոսյան"),  # Armenian in Latin letters
        ("ani petrosyan", "Անի Արմենի Պետրոսյան"),
        ("ivan petrov", "Иван Сергеевич Петров"),  # Cyrillic too
        ("민준", "김민준"),  # two letters: a given name
        ("太郎", "山田 太郎"),
        ("山田太郎", "山田 太郎"),
    ],
)
def test_finds_what_a_clerk_types(shop, query, name):
    found = _found(shop, query)
    assert name in found, (query, found)
    assert found[name].startswith("name")


def test_notes_tags_company_email_code_are_searched_and_named(shop):
    assert _found(shop, "원두") == {"김민준": "notes"}
    assert _found(shop, "acme") == {"O'Donnell": "company"}
    assert _found(shop, "smiller77@example") == {"Sean Miller": "email"}
    assert _found(shop, "vip") == {"Անի Արմենի Պետրոսյան": "tags"}
    assert _found(shop, "J001") == {"山田 太郎": "code"}


def test_every_word_must_be_found(shop):
    assert _found(shop, "sean petrosyan") == {}
    assert _found(shop, "miller") == {"Sean Miller": "name, email"}


def test_two_letters_match_the_start_of_a_word(shop):
    assert set(_found(shop, "mi")) == {"Sean Miller", "Mina Park"}
    assert _found(shop, "민") == {"김민준": "name"}


def test_a_kana_reading_finds_the_kanji_name():
    values = {"name": "山田太郎", "name_reading": "ヤマダ タロウ"}
    doc = search.document(values)
    assert "やまだ たろう" in doc  # katakana and hiragana fold together
    assert search.matches(search.words("やまだ"), values) == ["name_reading"]
    assert search.matches(search.words("ヤマダ　タロウ"), values) == ["name_reading"]


def test_kana_voicing_marks_are_not_folded_away():
    assert search.fold("ざとう") != search.fold("さとう")
    assert search.fold("Ёлка") == "елка"


@pytest.mark.sqlite_only("reads SQLite's own query plans (EXPLAIN QUERY PLAN, trace callback)")
def test_search_rows_through_indexes_never_a_scan(db):
    # Two-letter and initials queries go through the word index, phone digits through
    # the digits index, a tag through the tag index; tables are read by id only.
    # Every statement the search runs is checked.
    import re

    with db.write():
        for i in range(300):
            customers.add(
                db,
                name=f"김민준{i % 7}" if i % 3 else f"Customer {i}",
                phones_raw=[f"010-{1000 + i}-{5000 + i}"],
                tags=["VIP"] if i % 5 == 0 else [],
            )
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    for query in ("민준", "ㄱㅁ", "cu", "Customer 12", "김 민준", "1012-5012", "vip"):
        assert list(customers.search(db, query, limit=5)), query
    db.conn.set_trace_callback(None)
    assert statements
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT") or "PRAGMA" in sql.upper():
            continue
        plan = [str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN " + sql)]
        # A full read of a table (not of a subquery, an FTS index or the schema; nor of
        # the settings, a handful of rows read at once per command: Engine.remembered).
        scans = [
            p
            for p in plan
            if re.fullmatch(r"SCAN (?!\(subquery|subquery_|sqlite_|settings$)\w+", p)
        ]
        assert not scans, (sql, plan)


def test_phone_digits_are_found_anywhere_in_the_number(db):
    a = _add(db, name="A", phones_raw=["010-1234-5678"])
    b = _add(db, name="B", phones_raw=["02-555-1234", "+82 10-9999-0000"])
    _add(db, name="C", phones_raw=["031-777-8888"])

    def ids(text: str) -> list[int]:
        return [r["id"] for r in customers.search(db, text)]

    assert ids("1234") == [a, b]  # the end of one number, the middle of another
    assert ids("010-1234") == [a]
    assert ids("9999 0000") == [b]  # a second number counts
    assert ids("5678") == [a]
    assert ids("4444") == []
    with db.write():  # the index follows edits
        db.execute(
            "UPDATE customer_phones SET raw = '02-444-4444', digits = '024444444'"
            " WHERE customer_id = ?",
            [a],
        )
    assert ids("4444") == [a] and ids("5678") == []


def test_a_tag_in_any_case_is_found_in_customer_order(db):
    first = _add(db, name="One", tags=["VIP"])
    _add(db, name="Two")
    third = _add(db, name="Three", tags=["vip"])
    assert [(r["id"], r["matched"]) for r in customers.search(db, "Vip")] == [
        (first, "tags"),
        (third, "tags"),
    ]


_SCRIPTS = st.sampled_from(
    [
        st.characters(codec="ascii"),
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),  # Hangul
        st.characters(min_codepoint=0x3040, max_codepoint=0x30FF),  # kana
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # ideographs
        st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF),  # full width
        st.characters(min_codepoint=0x00C0, max_codepoint=0x058F),  # accents, Cyrillic, Armenian
        st.sampled_from(list(" .'’-_@,\tİKẞß")),
        st.characters(),
    ]
)


@given(st.lists(_SCRIPTS.flatmap(lambda chars: st.text(chars, max_size=6)), max_size=5))
@settings(max_examples=400, deadline=None)
def test_fold_fast_paths_agree_with_full_folding(pieces):
    text = "".join(pieces)
    assert search.fold(text) == search._fold_any(text)


@given(st.text(st.characters(max_codepoint=127), max_size=40))
@settings(max_examples=600, deadline=None)
def test_ascii_variants_are_those_of_the_full_path(text):
    assert search._ascii_variants(text) == search._any_variants(text)


def test_limit_stops_early(db):
    with db.write():
        for i in range(50):
            customers.add(db, name=f"김민준 {i}")
    assert len(list(customers.search(db, "민준", limit=3))) == 3


def test_old_databases_get_new_search_documents(tmp_path):
    # The released v1 file has search keys folded the old way (no initials, no Latin
    # for Armenian): after the upgrade its customers are found like new ones.
    import shutil
    from pathlib import Path

    from crmcli.db import open_db

    path = tmp_path / "v1.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "schema" / "v1-m001.db", path)
    db = open_db(path)
    assert _found(db, "petrosyan") == {"Անի Արմենի Պետրոսյան": "name"}
    assert _found(db, "ㄱㅁㅈ") == {"김민준": "name"}
    assert _found(db, "민준") == {"김민준": "name"}


def test_cli_search_shows_matched(cli):
    cli("customers", "add", "--name", "김민준", "--notes", "원두 선호")
    out = cli("customers", "search", "원두").stdout
    assert out.splitlines()[0].split(",")[:4] == ["id", "code", "name", "matched"]
    assert "notes" in out


def test_forget_leaves_no_word_of_the_name_in_the_indexes(db):
    from crmcli import privacy

    cid = _add(db, name="김민준", notes="원두 선호", phones_raw=["010-9876-5432"])
    _add(db, name="Someone Else", phones_raw=["02-111-2222"])
    assert [r["name"] for r in customers.search(db, "9876")] == ["김민준"]
    privacy.forget(db, cid)
    assert list(customers.search(db, "민준")) == []
    assert list(customers.search(db, "9876")) == []
    if db.name != "sqlite":
        return  # a server's indexes are VACUUMed with their tables: no pages to read here
    gone = {
        "customers_words_data": ("민준", "원두"),
        "customers_fts_data": ("민준", "원두"),
        # Trigrams only the forgotten number had: not even its pieces stay.
        "customer_phones_fts_data": ("987", "876", "765", "654", "543", "432"),
    }
    for table, words in gone.items():
        blob = b"".join(r[0] or b"" for r in db.execute(f"SELECT block FROM {table}"))
        for word in words:
            assert word.encode() not in blob, (table, word)


def test_an_imported_kana_reading_finds_the_kanji_name(cli, tmp_path):
    from crmcli import customer_fields

    if "name_reading" not in customer_fields.NAMES:
        pytest.skip("no reading column yet (the import work adds name_reading)")
    src = tmp_path / "people.csv"
    src.write_text("code,name,name_reading\nJ1,山田太郎,ヤマダ タロウ\nJ2,佐藤花子,さとう はなこ\n")
    cli("customers", "import", str(src))
    out = cli("customers", "search", "やまだ", "--fields", "code,matched").stdout
    assert out.splitlines()[1:] == ["J1,name_reading"]
    out = cli("customers", "search", "サトウ", "--fields", "code,matched").stdout
    assert out.splitlines()[1:] == ["J2,name_reading"]


def test_cli_search_loads_neither_the_page_nor_the_import_machinery(cli, db_path):
    # Most of an interactive search is start-up (issue 17): it imports what it uses.
    import subprocess
    import sys

    cli("customers", "add", "--name", "김민준")
    code = (
        "import sys; sys.argv = ['crmcli', 'customers', 'search', '민준']\n"
        "from crmcli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('crmcli.')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "김민준" in run.stdout, run.stderr
    modules = run.stdout.splitlines()[-1]
    assert "'crmcli.search'" in modules
    for unused in (
        "crmcli.page",
        "crmcli.complaints",
        "crmcli.imports",
        "crmcli.imports.customers",
        "crmcli.cli.imports",
        "crmcli.cli.customers_tiers",
    ):
        assert f"'{unused}" not in modules, (unused, modules)


def test_extension_commands_are_declared_as_their_modules_add_them():
    # `customers import`… load on demand from the names in EXTENSIONS: they must be the
    # names and the order the modules register (help lists them in that order).
    from importlib import import_module

    import typer.main

    from crmcli.cli import COMMANDS, EXTENSIONS

    for group, extensions in EXTENSIONS.items():
        module, attribute = COMMANDS[group]
        app = getattr(import_module(module), attribute)
        for extension in extensions:
            import_module(extension)
        by_module = [(c.callback.__module__, c.name) for c in app.registered_commands]
        assert [m for m, _ in by_module] == sorted(  # the group's own, then each in turn
            (m for m, _ in by_module), key=[module, *extensions].index
        ), group
        for extension, names in extensions.items():
            assert [n for m, n in by_module if m == extension] == list(names), extension
        assert list(typer.main.get_group(app).commands) == [n for _, n in by_module]


def test_an_extension_command_runs_and_a_typo_is_suggested(cli):
    cli("customers", "add", "--name", "Ann", "--code", "A1")
    assert "A1" in cli("customers", "export", "--format", "csv").stdout
    typo = cli("customers", "imprt", ok=False)
    assert typo.exit_code == 2 and "import" in typo.stderr


@pytest.mark.sqlite_only(
    "FTS5 index triggers dropped and rebuilt around a bulk import: SQLite's upkeep"
)
def test_a_bulk_import_rebuilds_the_name_and_digit_indexes_and_keeps_their_triggers(
    db, tmp_path, monkeypatch
):

    from crmcli.imports import customer_store
    from crmcli.imports.customers import import_customers

    def triggers() -> list[str]:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        return [r[0] for r in rows]

    bulk = customer_store.SEARCH_UPKEEP._replace(min_rows=3)  # this file is a bulk import
    monkeypatch.setattr(customer_store, "SEARCH_UPKEEP", bulk)
    before = triggers()
    src = tmp_path / "c.csv"
    src.write_text(
        "code,name,phone\n" + "".join(f"K{i},김민준{i},010-4{i:03}-77{i:02}\n" for i in range(8)),
        encoding="utf-8",
    )
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    import_customers(db, src)
    db.conn.set_trace_callback(None)
    # Not kept up row by row, but rebuilt once (the phone digits' index as the names').
    assert 'DROP TRIGGER "customer_phones_fts_insert"' in statements
    filled = [s for s in statements if s.startswith('INSERT INTO "customer_phones_fts"')]
    assert filled == [
        """INSERT INTO "customer_phones_fts"("customer_phones_fts") VALUES('delete-all')""",
        'INSERT INTO "customer_phones_fts"(rowid, "digits")'
        ' SELECT "id", "digits" FROM "customer_phones" ORDER BY "id"',
    ]
    assert triggers() == before
    assert [r["code"] for r in customers.search(db, "4005")] == ["K5"]
    assert len(list(customers.search(db, "민준"))) == 8
    with db.write():  # and the triggers keep the index up again afterwards
        customers.add(db, name="Late", phones_raw=["010-4999-0000"])
    assert [r["name"] for r in customers.search(db, "4999")] == ["Late"]
