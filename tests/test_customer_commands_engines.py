"""`customers tag/untag/archive/delete/early-adopters/relate/unrelate/relations` say the
same on SQLite and on PostgreSQL (issue 16 item 1): one script of commands, refusals
included, run on a new SQLite file and on a new PostgreSQL database, gives the same
stdout, stderr and exit code, byte for byte, at every step."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pg_server
import pytest

# Hangul that does not compress: a server's index entry holds at most 2,704 bytes of it.
HANGUL = "".join(chr(0xAC00 + (i * 7919) % 11172) for i in range(1000))

# (exit code expected, arguments after `crmcli --db DB`). Each refusal is here on purpose:
# a refusal must read the same on a server, and leave the same records behind.
SCRIPT: list[tuple[int, tuple[str, ...]]] = [
    (0, ("customers", "add", "--name", "Kim Minjun", "--code", "K1", "--phone", "010-1234-5678")),
    (0, ("customers", "add", "--name", "Kim Minji", "--code", "K2", "--email", "minji@example.kr")),
    (0, ("customers", "add", "--name", "Lee Ana", "--code", "K3")),
    (0, ("customers", "add", "--name", "Անի Պետրոսյան", "--code", "K4")),
    (0, ("customers", "add", "--name", "Zoë Dupont", "--code", "K5")),
    # tags: new, already there, case kept apart, spacing collapsed, removed, refused
    (0, ("customers", "tag", "K1", "vip", "단골", "VIP", "  walk   in ", "vip")),
    (0, ("customers", "tag", "K1", "vip")),
    (0, ("customers", "untag", "K1", "VIP", "never-there", "walk  in")),
    (1, ("customers", "tag", "K9", "vip")),
    (1, ("customers", "tag", "K1", "ok", "   ")),  # nothing added: the empty tag refuses all
    (1, ("customers", "untag", "K9", "vip")),
    (0, ("customers", "tag", "K2", "b", "a", "B", "가", "A")),
    (0, ("customers", "list", "--fields", "code,tags")),
    (0, ("customers", "list", "--tag", "vip", "--format", "json", "--fields", "code,tags")),
    # the longest tag (200 characters, 600 bytes here) on both; a longer one on neither
    (0, ("customers", "tag", "K3", HANGUL[:200])),
    (1, ("customers", "tag", "K3", HANGUL[:201])),
    (1, ("customers", "tag", "K3", HANGUL)),
    (0, ("customers", "list", "--fields", "code,tags", "--format", "jsonl")),
    (0, ("customers", "untag", "K3", HANGUL[:200])),
    # archive: gone from lists, back with --undo; twice is harmless
    (0, ("customers", "archive", "K3")),
    (0, ("customers", "archive", "K3")),
    (0, ("customers", "list", "--fields", "code,name")),
    (0, ("customers", "archive", "K3", "--undo")),
    (1, ("customers", "archive", "K9")),
    (0, ("customers", "list", "--fields", "code,name", "--format", "jsonl")),
    # relations: from either side, updated not doubled, names matched without case
    (0, ("customers", "relate", "K1", "K2", "--as", "spouse")),
    (0, ("customers", "relate", "K2", "K1", "--as", "Spouse", "--greet")),
    (0, ("customers", "relate", "K3", "K1", "--as", "referred_by")),
    (
        0,
        (
            "customers",
            "relate",
            "K1",
            "--name",
            "Kim  Jiho",
            "--birthday",
            "2016-04-02",
            "--as",
            "child",
            "--greet",
        ),
    ),
    (0, ("customers", "relate", "K1", "--name", "KIM JIHO", "--as", "child")),
    (0, ("customers", "relate", "K4", "--name", "Անի", "--as", "sibling")),
    (0, ("customers", "relate", "K4", "--name", "ԱՆԻ", "--as", "sibling", "--birthday", "--03-04")),
    (0, ("customers", "relate", "K5", "--name", "Émile", "--as", "child")),
    (0, ("customers", "relate", "K5", "--name", "émile", "--as", "child", "--greet")),
    (0, ("customers", "relate", "K5", "--name", "Nobody Born", "--as", "parent", "--greet")),
    (2, ("customers", "relate", "K1", "K2")),
    (1, ("customers", "relate", "K1", "K1", "--as", "spouse")),
    (1, ("customers", "relate", "K1", "K2", "--as", "cousin")),
    (2, ("customers", "relate", "K1", "K2", "--name", "X", "--as", "spouse")),
    (2, ("customers", "relate", "K1", "K2", "--as", "spouse", "--birthday", "2000-01-01")),
    (1, ("customers", "relate", "K1", "--name", "   ", "--as", "child")),
    (1, ("customers", "relate", "K1", "--name", "X", "--as", "child", "--birthday", "2016-13-01")),
    (1, ("customers", "relate", "K9", "K1", "--as", "spouse")),
    (0, ("customers", "relations")),
    (0, ("customers", "relations", "--format", "json")),
    (0, ("customers", "relations", "--format", "jsonl", "--fields", "relation_id,kind,greet")),
    (0, ("customers", "relations", "--format", "table")),
    (0, ("customers", "relations", "K1")),
    (0, ("customers", "relations", "K2", "--format", "json")),
    (0, ("customers", "relations", "K4", "--format", "csv")),
    (1, ("customers", "relations", "K9")),
    (1, ("customers", "relations", "--fields", "nope")),
    (0, ("customers", "unrelate", "K2", "K1", "--as", "spouse")),
    (1, ("customers", "unrelate", "K1", "K2")),
    (0, ("customers", "unrelate", "K4", "--name", "անի")),
    (1, ("customers", "unrelate", "K4", "--name", "Անի")),
    (2, ("customers", "unrelate", "K4")),
    (0, ("customers", "unrelate", "K5", "--name", "ÉMILE", "--as", "child")),
    (0, ("customers", "relations", "--format", "csv")),
    # early adopters: two launches bought in their first weeks
    (0, ("purchases", "add", "K3", "--amount", "10", "--item", "Old", "--on", "2026-01-01")),
    (0, ("purchases", "add", "K1", "--amount", "10", "--item", "Kettle", "--on", "2026-03-01")),
    (0, ("purchases", "add", "K2", "--amount", "10", "--item", "Kettle", "--on", "2026-03-31")),
    (0, ("purchases", "add", "K5", "--amount", "10", "--item", "Kettle", "--on", "2026-03-02")),
    (0, ("purchases", "add", "K1", "--amount", "10", "--item", "Grinder", "--on", "2026-06-01")),
    (0, ("purchases", "add", "K2", "--amount", "10", "--item", "grinder", "--on", "2026-06-30")),
    (0, ("purchases", "add", "K2", "--amount", "10", "--item", "Grinder", "--on", "2026-06-30")),
    (0, ("purchases", "add", "K5", "--amount", "10", "--item", "Grinder", "--on", "2026-07-02")),
    (0, ("customers", "early-adopters", "--as-of", "2026-11-01")),
    (0, ("customers", "early-adopters", "--as-of", "2026-11-01", "--format", "json")),
    (0, ("customers", "early-adopters", "--as-of", "2026-11-01", "--format", "table")),
    (0, ("customers", "early-adopters", "--as-of", "2026-11-01", "--fields", "id,launches")),
    (0, ("customers", "early-adopters", "--as-of", "2026-03-15")),
    (0, ("config", "set", "attitude.early_launches", "1")),
    (0, ("customers", "edit", "K5", "--do-not-contact")),
    (0, ("customers", "early-adopters", "--as-of", "2026-11-01", "--format", "jsonl")),
    (0, ("customers", "early-adopters", "--as-of", "2026-11-01", "--include-do-not-contact")),
    (1, ("customers", "early-adopters", "--as-of", "11/01/2026")),
    # delete: refused with purchases (unless --force), with a complaint, or without --yes
    (2, ("customers", "delete", "K3")),
    (1, ("customers", "delete", "K3", "--yes")),
    (0, ("complaints", "open", "K2", "--summary", "late", "--on", "2026-07-01")),
    (1, ("customers", "delete", "K2", "--yes", "--force")),
    (0, ("customers", "delete", "K1", "--yes", "--force")),
    (1, ("customers", "delete", "K1", "--yes")),
    (0, ("customers", "delete", "K4", "--yes")),
    (0, ("customers", "relations")),
    (0, ("customers", "list", "--fields", "id,code,tags")),
    (0, ("customers", "early-adopters", "--as-of", "2026-11-01", "--include-do-not-contact")),
    (0, ("customers", "add", "--name", "After", "--code", "K6")),
    (0, ("customers", "relate", "K6", "K5", "--as", "colleague")),
    (0, ("customers", "relations", "--fields", "relation_id,customer_id,other_id")),
]


def _transcript(
    cli, where: str, shown: str, script: list[tuple[int, tuple[str, ...]]] = SCRIPT
) -> list[tuple[tuple[str, ...], int, str, str]]:
    out = []
    for _expected, args in script:
        result = cli("--db", where, *args, ok=False)
        out.append(
            (
                args,
                result.exit_code,
                *(s.replace(where, shown) for s in (result.stdout, result.stderr)),
            )
        )
    return out


def test_the_script_does_what_it_says(cli, db_path: Path | str) -> None:
    """Each step exits as the script expects, and the records end where a user expects
    (on the test's engine: so it cannot pass on both by doing nothing on both)."""
    where = str(db_path)
    for (expected, args), (_args, code, stdout, stderr) in zip(
        SCRIPT, _transcript(cli, where, "DB"), strict=True
    ):
        assert code == expected, (args, stdout, stderr)
        assert "Traceback" not in stderr
    final = cli("--db", where, "customers", "list", "--fields", "code,tags").stdout
    assert final.splitlines() == ["code,tags", 'K2,"A,B,a,b,가"', "K3,", "K5,", "K6,"]


def test_each_step_says_the_same_on_postgresql(cli, tmp_path: Path, pg_url: str) -> None:
    sqlite = _transcript(cli, str(tmp_path / "shop.db"), "DB")
    postgresql = _transcript(cli, pg_url, "DB")
    for on_sqlite, on_postgresql in zip(sqlite, postgresql, strict=True):
        assert on_postgresql == on_sqlite


@pytest.fixture
def pg_url_sorting_by_locale(pg_url: str) -> Iterator[str]:
    """A database made as `createdb` makes one on a server whose locale is en-US: its
    text sorts by that locale (`a A b B`), not by code point (`A B a b`) as SQLite's."""
    name = f"crmcli_test_{uuid.uuid4().hex[:12]}"
    server = pg_server.server()
    with server.admin() as admin:
        admin.execute(
            f"CREATE DATABASE \"{name}\" LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
            " LOCALE 'C.UTF-8' TEMPLATE template0"
        )
    try:
        yield server.url_of(name)
    finally:
        server.drop(name)


def test_each_step_says_the_same_whatever_the_servers_locale(
    cli, tmp_path: Path, pg_url_sorting_by_locale: str
) -> None:
    """A customer's tags in SQLite's order (code points), not the database's locale's."""
    where = pg_url_sorting_by_locale
    ordered = [*SCRIPT, (0, ("customers", "list", "--fields", "code,tags"))]
    sqlite = _transcript(cli, str(tmp_path / "shop.db"), "DB", ordered)
    postgresql = _transcript(cli, where, "DB", ordered)
    assert postgresql[-1] == sqlite[-1]
    assert 'K2,"A,B,a,b,가"' in postgresql[-1][2]
    for on_sqlite, on_postgresql in zip(sqlite, postgresql, strict=True):
        assert on_postgresql == on_sqlite
