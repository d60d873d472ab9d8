"""One case-blind match on both engines: SQLite's NOCASE (A-Z folded, nothing else),
served by an index (issue 16: a customers import on a server read every customer per
row, and the server's ICU collation made Σ/σ, É/é, ＡＢＣ/abc one e-mail or tag)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmcli import customers, merge
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.engines import Engine
from crmcli.text import nocase

ROOT = Path(__file__).resolve().parent.parent

# (one spelling, another, the same under SQLite's NOCASE?)
PAIRS = [
    ("Anna@Example.COM", "anna@example.com", True),  # ASCII letters in any case
    ("MIXED.case@Shop.KR", "mixed.CASE@shop.kr", True),
    ("straße@x.de", "STRASSE@x.de", False),  # ß is not ss
    ("straße@x.de", "strasse@x.de", False),
    ("İnci@x.tr", "inci@x.tr", False),  # dotted capital I is not i
    ("ınci@x.tr", "inci@x.tr", False),  # nor is dotless i
    ("ΣΟΦΙΑ@x.gr", "σοφια@x.gr", False),  # Greek capitals are not folded
    ("σοφιας@x.gr", "σοφιασ@x.gr", False),  # final sigma is not sigma
    ("ＡＢＣ@x.jp", "abc@x.jp", False),  # full-width letters are not ASCII
    ("ＡＢＣ@x.jp", "ａｂｃ@x.jp", False),  # nor folded among themselves
    ("Émile@x.fr", "émile@x.fr", False),
    ("\u212aim@x.com", "kim@x.com", False),  # the Kelvin sign is not K
    ("Ärger@x.de", "ärger@x.de", False),
    ("ÄRGER@X.DE", "Ärger@x.de", True),  # its ASCII letters still fold
]


@pytest.fixture
def store(db_url: str) -> Iterator[Engine]:
    engine = open_db(parse(db_url))
    yield engine
    engine.close()


def test_nocase_folds_ascii_letters_and_nothing_else() -> None:
    for one, other, same in PAIRS:
        assert (nocase(one) == nocase(other)) is same, (one, other)


@pytest.mark.parametrize(("one", "other", "same"), PAIRS)
def test_the_engines_match_exactly_what_sqlites_nocase_matches(
    store: Engine, one: str, other: str, same: bool
) -> None:
    row = store.execute(f"SELECT CASE WHEN {store.nocase_equal('?', '?')} THEN 1 ELSE 0 END",
                        [one, other]).fetchone()  # fmt: skip
    assert row[0] == int(same), (one, other)


def test_a_reference_by_e_mail_finds_only_its_own_spelling(db: Engine) -> None:
    emails = ["straße@x.de", "STRASSE@x.de", "ΣΟΦΙΑ@x.gr", "σοφια@x.gr", "ＡＢＣ@x.jp",
              "abc@x.jp", "Émile@x.fr", "émile@x.fr"]  # fmt: skip
    ids = {email: customers.add(db, name=f"n{i}", email=email) for i, email in enumerate(emails)}
    for email, cid in ids.items():
        assert customers.resolve(db, email) == cid
    assert customers.resolve(db, "Strasse@X.DE") == ids["STRASSE@x.de"]
    assert customers.resolve(db, "ABC@X.JP") == ids["abc@x.jp"]
    assert customers.resolve(db, "éMILE@X.FR") == ids["émile@x.fr"]
    # Two customers whose e-mails differ in ASCII case only are one e-mail: ambiguous.
    customers.add(db, name="twin", email="ABC@x.jp")
    with pytest.raises(Exception, match="matches 2 customers"):
        customers.resolve(db, "abc@x.jp")


def test_duplicates_by_e_mail_are_the_same_as_a_reference_finds(db: Engine) -> None:
    a = customers.add(db, name="Kim Minjun", email="Kim@Shop.kr")
    b = customers.add(db, name="Yamada Taro", email="kim@shop.KR")
    customers.add(db, name="Lee Seo", email="straße@x.de")
    customers.add(db, name="Park Ji", email="STRASSE@x.de")
    found = {(d.a, d.b) for d in merge.find(db) if d.reason == "email"}
    assert found == {(a, b)}


def test_search_finds_a_tag_in_ascii_case_only(cli, tmp_path: Path) -> None:
    cli("customers", "add", "--name", "Anna", "--tag", "VIP")
    cli("customers", "add", "--name", "Boris", "--tag", "straße")
    cli("customers", "add", "--name", "Chloe", "--tag", "ΣΟΦΙΑ")
    out = cli("customers", "search", "vip", "--format", "csv", "--fields", "name").stdout
    assert out.splitlines() == ["name", "Anna"]
    for other in ("STRASSE", "σοφια"):
        result = cli("customers", "search", other, "--format", "csv", "--fields", "name", ok=False)
        assert "Boris" not in result.stdout and "Chloe" not in result.stdout, other


def test_an_import_matches_e_mails_as_sqlite_does_on_both_engines(cli, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("name,email\nLee Seo,straße@x.de\nKim Minjun,Kim@Shop.kr\nSofia,ΣΟΦΙΑ@x.gr\n")
    cli("customers", "import", str(first))
    again = tmp_path / "again.csv"
    # The same people, e-mails in other cases: only the ASCII-case one is a match.
    again.write_text(
        "name,email,notes\nLee Seo,STRASSE@x.de,a\nKim Minjun,kim@shop.KR,b\nSofia,σοφια@x.gr,c\n"
    )
    cli("customers", "import", str(again))
    out = cli("customers", "list", "--format", "csv", "--fields", "name,email,notes").stdout
    assert out.splitlines() == [
        "name,email,notes",
        "Lee Seo,straße@x.de,",
        "Kim Minjun,Kim@Shop.kr,b",
        "Sofia,ΣΟΦΙΑ@x.gr,",
        "Lee Seo,STRASSE@x.de,a",
        "Sofia,σοφια@x.gr,c",
    ]


def test_a_purchase_line_names_its_customer_by_e_mail_in_ascii_case_only(
    cli, tmp_path: Path
) -> None:
    cli("customers", "add", "--name", "Kim", "--email", "Kim@Shop.kr", "--code", "K1")
    cli("customers", "add", "--name", "Sofia", "--email", "ΣΟΦΙΑ@x.gr", "--code", "S1")
    lines = tmp_path / "lines.csv"
    lines.write_text("customer,date,amount\nkim@shop.KR,2026-01-02,10\nσοφια@x.gr,2026-01-02,5\n")
    result = cli("purchases", "import", str(lines), ok=False)
    assert result.exit_code == 1
    assert "lines.csv:3" in result.stderr and "σοφια@x.gr" in result.stderr
    assert "lines.csv:2" not in result.stderr


def test_an_items_hint_folds_ascii_case_only(cli) -> None:
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    cli("purchases", "add", "K1", "--amount", "3", "--on", "2026-01-02", "--item", "Espresso Beans")
    cli("purchases", "add", "K1", "--amount", "3", "--on", "2026-01-02", "--item", "ÉCLAIR box")
    said = cli("items", "launch", "ESPRESSO", "--on", "2026-02-01").stderr
    assert "Espresso Beans" in said
    said = cli("items", "launch", "éclair", "--on", "2026-02-01").stderr
    assert "ÉCLAIR box" not in said


# --- the index serves it --------------------------------------------------------------


def _plan(store: Engine, sql: str, params: list[str]) -> str:
    if store.name == "sqlite":
        rows = store.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        return "\n".join(str(r[-1]) for r in rows)
    return "\n".join(r[0] for r in store.execute(f"EXPLAIN {sql}", params).fetchall())


def test_an_index_serves_the_e_mail_and_the_tag_match(store: Engine) -> None:
    with store.write():
        store.executemany(
            "INSERT INTO customers (id, name, email, search_key, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 't', 't')",
            [(i, f"n{i}", f"Person{i}@Shop.kr", f"n{i}") for i in range(1, 5001)],
        )
        store.executemany(
            "INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)",
            [(i, f"Tag{i % 500}") for i in range(1, 5001)],
        )
        store.execute("ANALYZE")
    email = f"SELECT id FROM customers WHERE {store.nocase_equal('email')}"
    tag = f"SELECT customer_id FROM customer_tags WHERE {store.nocase_equal('tag')} ORDER BY 1"
    assert re.search(r"\bcustomers_email\b", _plan(store, email, ["person42@shop.KR"]))
    assert re.search(r"\bcustomer_tags_tag_nocase\b", _plan(store, tag, ["tag7"]))
    assert store.execute(email, ["person42@shop.KR"]).fetchall() == [(42,)]


# --- no other spelling ----------------------------------------------------------------

# Where the engines' own spellings live: everything else writes the shared SQL.
OWN_SPELLINGS = ("crmcli/engines.py", "crmcli/postgres_schema.py", "crmcli/migrations/")
# A case-blind comparison by another spelling: a collation, SQL's case functions
# (lower() folds every script under a server's collation, A-Z only in SQLite), ILIKE,
# or LIKE with a value from outside (SQLite's folds A-Z, a server's folds nothing).
OTHER_SPELLING = re.compile(
    r"COLLATE\s+NOCASE|\b(?:lower|upper)\s*\(|\bILIKE\b|\bLIKE\s+[?:]", re.IGNORECASE
)


def _strings(tree: ast.AST) -> Iterator[ast.Constant]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        # a docstring may name what it does not use
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node


def test_every_case_blind_match_goes_through_the_engines_one_spelling() -> None:
    found = []
    for path in sorted((ROOT / "crmcli").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(OWN_SPELLINGS):
            continue
        for node in _strings(ast.parse(path.read_text(encoding="utf-8"))):
            if OTHER_SPELLING.search(node.value):
                found.append(f"{relative}:{node.lineno}: {node.value.strip()[:70]}")
    assert found == [], "use db.nocase_equal / db.like:\n" + "\n".join(found)


def test_the_servers_icu_nocase_collation_is_gone(pg_url: str) -> None:
    # It folded every script: any query still using it must fail, not match differently.
    engine = open_db(parse(pg_url))
    try:
        with pytest.raises(engine.Error, match="nocase"):
            engine.execute("SELECT 'a' = 'A' COLLATE nocase").fetchall()
    finally:
        engine.close()
