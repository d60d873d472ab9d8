"""crmcli in six languages (issue 19): what changes with the language, and what never does.

- Machine output (CSV, TSV, JSON, JSON lines, exit codes, ISO dates) is the same bytes
  under LANG=C, ko_KR, ja_JP, zh_CN, zh_TW and hy_AM, and under `ui.language`: scripts
  and cron must not break when LANG changes.
- Help, tables and pages are in the chosen language and still fit 80 columns.
- `ui.language` speaks when the environment names no language.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import seeded_shop
from rich.cells import cell_len
from typer.testing import CliRunner

from crmcli import i18n
from crmcli.cli import COMMANDS, app

AS_OF = seeded_shop.AS_OF
LANGS = ("C.UTF-8", "ko_KR.UTF-8", "ja_JP.UTF-8", "zh_CN.UTF-8", "zh_TW.UTF-8", "hy_AM.UTF-8")

# Every command of the seeded shop that prints records, in each machine format it has,
# and a few that fail (their exit codes must not change either).
MACHINE: list[tuple[str, ...]] = [
    ("due", "--as-of", AS_OF, "--days", "30"),
    ("due", "--as-of", AS_OF, "--days", "30", "--fields", "key,date,kind,code,name,why"),
    ("greet", "--as-of", AS_OF, "--days", "30"),
    ("customers", "list"),
    ("customers", "search", "kr"),
    ("customers", "show", "KR-2024-0001"),
    ("customers", "export"),
    ("customers", "at-risk", "--as-of", AS_OF, "--k", "0.1"),
    ("customers", "attitudes", "--as-of", AS_OF),
    ("customers", "dupes", "--threshold", "30"),
    ("purchases", "list"),
    ("purchases", "export"),
    ("imports", "list"),
    ("followups", "list"),
    ("contacts", "list"),
    ("templates", "list"),
    ("tiers", "report"),
    ("tiers", "runs"),
    ("tiers", "changes"),
    ("tiers", "history", "KR-2024-0003"),
    ("complaints", "list"),
    ("complaints", "list", "--overdue", "--as-of", AS_OF),
    ("complaints", "show", "1", "--as-of", AS_OF),
    ("complaints", "report"),
    ("config", "list"),
]
FORMATS = ("csv", "tsv", "json", "jsonl")
FAILING: list[tuple[str, ...]] = [
    ("customers", "show", "NOPE-0000"),
    ("due", "--as-of", "2026-13-01"),
    ("due", "--no-such-option"),
    ("complaints", "advance", "1", "--to", "nowhere"),
]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_shop.build_db(tmp_path_factory.mktemp("shop"))


@pytest.fixture(autouse=True)
def _no_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in i18n.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def _copy(shop: Path, db: Path) -> None:
    # SQLite's backup: the shop's last writes may still be in its -wal file, which a copy
    # of the main file alone would leave behind.
    with closing(sqlite3.connect(shop)) as source, closing(sqlite3.connect(db)) as target:
        source.backup(target)


def run(db: Path, *args: str, lang: str, columns: int = 100):
    runner = CliRunner()
    return runner.invoke(app, ["--db", str(db), *args], env={"LANG": lang, "COLUMNS": str(columns)})


def _machine_outputs(db: Path, lang: str) -> dict[str, tuple[int, bytes]]:
    outputs = {}
    for args in MACHINE:
        for fmt in FORMATS:
            result = run(db, *args, "--format", fmt, lang=lang)
            outputs[f"{' '.join(args)} --format {fmt}"] = (result.exit_code, result.stdout_bytes)
        piped = run(db, *args, lang=lang)  # no --format: CSV, as when piped
        outputs[" ".join(args)] = (piped.exit_code, piped.stdout_bytes)
    for args in FAILING:
        result = run(db, *args, lang=lang)
        outputs[" ".join(args)] = (result.exit_code, result.stdout_bytes)
    return outputs


@pytest.fixture(scope="module")
def english(shop: Path) -> dict[str, tuple[int, bytes]]:
    outputs = _machine_outputs(shop, "C.UTF-8")
    for key, (code, out) in outputs.items():
        if not key.startswith(tuple(" ".join(f) for f in FAILING)):
            assert code == 0, key
            assert out.strip(), key  # the seeded shop gives every command something to say
    return outputs


@pytest.mark.parametrize("lang", LANGS[1:])
def test_machine_output_is_the_same_bytes_in_every_language(shop, english, lang):
    outputs = _machine_outputs(shop, lang)
    changed = [key for key in english if outputs[key] != english[key]]
    assert changed == []


def test_machine_output_is_the_same_bytes_under_the_setting(shop, tmp_path):
    # The same database, English chosen by the environment vs Korean by the setting.
    db = tmp_path / "ko.db"
    _copy(shop, db)
    assert run(db, "config", "set", "ui.language", "ko", lang="C.UTF-8").exit_code == 0
    assert "옵션" in run(db, "due", "--help", lang="C.UTF-8").stdout  # the setting speaks
    assert _machine_outputs(db, "en_US.UTF-8") == _machine_outputs(db, "C.UTF-8")


def test_failures_are_said_on_stderr_in_the_language_with_the_same_exit_code(shop):
    codes = {lang: run(shop, "due", "--no-such-option", lang=lang).exit_code for lang in LANGS}
    assert set(codes.values()) == {2}


# click's own usage errors, one of each shape its words come in (cli/i18n.CLICK_ERRORS).
USAGE_ERRORS: list[tuple[str, ...]] = [
    ("due", "--no-such-option"),  # No such option (Possible options: …)
    ("--no-such-option",),  # the root's own options: parsed before any command
    ("custmers",),  # No such command
    ("customers", "shw"),  # No such command … Did you mean 'show'?
    ("contacts", "log"),  # Missing argument
    ("complaints", "advance", "1"),  # Missing option
    ("due", "--as-of"),  # Option requires an argument
    ("customers", "show", "X", "22"),  # unexpected extra argument
    ("due", "--format", "nope"),  # Invalid value for …: … is not one of …
    ("customers", "list", "--limit", "x"),  # … is not a valid int range
    ("tiers", "report", "--width", "5"),  # … is not in the range …
]


def _panel(stderr: str) -> tuple[str, str]:
    """typer's error panel: its title line, and its message unwrapped."""
    lines = stderr.splitlines()
    title = next(line for line in lines if line.startswith("╭"))
    message = " ".join(line.strip("│ ") for line in lines if line.startswith("│"))
    return title, message


@pytest.mark.parametrize("lang", LANGS[1:])
def test_click_usage_errors_are_said_in_the_language(shop, lang):
    for args in USAGE_ERRORS:
        english = run(shop, *args, lang="C.UTF-8", columns=200)
        said = run(shop, *args, lang=lang, columns=200)
        assert english.exit_code == said.exit_code == 2, (args, said.output)
        assert english.stdout == said.stdout == ""
        title, message = _panel(said.stderr)
        assert "Error" not in title and "Try '" not in said.stderr, (lang, args)
        assert message != _panel(english.stderr)[1]
        # No English word of click's is left: only what was typed ('nope', --as-of) and
        # the command's own names.
        rest = re.sub(r"'[^']*'|--?[a-z-]+|crmcli|x>?=|<=x", "", message)
        assert not re.search(r"[A-Za-z]{3,}", rest), (lang, args, message)


def test_click_usage_errors_stay_english_without_a_language(shop):
    run(shop, "due", "--as-of", lang="ko_KR.UTF-8")  # a Korean panel first: nothing sticks
    result = run(shop, "due", "--no-such-option", lang="C.UTF-8", columns=200)
    assert result.exit_code == 2
    title, message = _panel(result.stderr)
    assert message == "No such option: --no-such-option"
    assert "Error" in title and "Try 'crmcli due -h' for help." in result.stderr


# --- what the person reads ----------------------------------------------------------------

ROOT_HELP = {
    "C.UTF-8": "Whom to call, greet or visit today",
    "ko_KR.UTF-8": "누구에게 전화하고, 인사하고, 방문할지",
    "ja_JP.UTF-8": "どのお客様に電話し",
    "zh_CN.UTF-8": "该给谁打电话、问候或拜访",
    "zh_TW.UTF-8": "該給誰打電話、問候或拜訪",
    "hy_AM.UTF-8": "Ում այսօր",
}


@pytest.mark.parametrize("lang", LANGS)
def test_help_is_in_the_language_and_fits_80_columns(shop, lang):
    groups = [[name] for name in COMMANDS]
    for args in ([], *groups, ["due", "done"], ["complaints", "advance"], ["customers", "add"]):
        result = run(shop, *args, "--help", lang=lang, columns=80)
        assert result.exit_code == 0, (args, result.output)
        for line in result.stdout.splitlines():
            assert cell_len(line) <= 80, (lang, args, line)
        if not args:
            assert ROOT_HELP[lang] in result.stdout.replace("\n", " ").replace("│", ""), lang


def test_help_goes_back_to_english_after_another_language(shop):
    # The English text stays on each command: a Korean help does not stick.
    assert "옵션" in run(shop, "due", "--help", lang="ko_KR.UTF-8").stdout
    english = run(shop, "due", "--help", lang="C.UTF-8").stdout
    assert "Options" in english and "옵션" not in english


@pytest.mark.parametrize("lang", LANGS)
def test_tables_and_pages_fit_80_columns_in_every_language(shop, lang):
    for args in MACHINE:
        result = run(shop, *args, "--format", "table", lang=lang, columns=80)
        assert result.exit_code == 0, (args, result.output)
        for line in result.stdout.splitlines():
            assert cell_len(line) <= 80, (lang, args, line)


def test_a_setting_outside_the_languages_is_refused(shop, tmp_path):
    db = tmp_path / "x.db"
    _copy(shop, db)
    result = run(db, "config", "set", "ui.language", "fr", lang="C.UTF-8")
    assert result.exit_code == 1
    assert "ko, ja, zh_Hans, zh_Hant, hy" in result.stderr


# The "done when": help, `due`, an error and `complaints show` in each language.
SAID = {
    "ko_KR.UTF-8": ("날짜", "불만", "진행 기록", "사과", "--tier는"),
    "ja_JP.UTF-8": ("日付", "苦情", "経過", "謝罪", "--tier は"),
    "zh_CN.UTF-8": ("日期", "投诉", "处理经过", "道歉", "--tier 只能是"),
    "zh_TW.UTF-8": ("日期", "投訴", "處理經過", "道歉", "--tier 只能是"),
    "hy_AM.UTF-8": ("ամսաթիվ", "բողոք", "Ժամանակագրություն", "ներողություն", "--tier-ը"),
}


@pytest.mark.parametrize("lang", list(SAID))
def test_due_complaints_show_and_an_error_speak_the_language(shop, lang):
    header, kind, timeline, stage, error = SAID[lang]
    due = run(shop, "due", "--as-of", AS_OF, "--days", "30", "--format", "table", lang=lang)
    assert due.exit_code == 0
    assert header in due.stdout.splitlines()[0]
    assert kind in due.stdout  # the kind column: display labels
    page = ("complaints", "show", "1", "--as-of", AS_OF, "--format", "table")
    shown = run(shop, *page, lang=lang, columns=80)
    assert timeline in shown.stdout and stage in shown.stdout
    bad = run(shop, "due", "--tier", "Z", lang=lang)
    assert bad.exit_code == 1 and error in bad.stderr
    english = run(shop, "due", "--as-of", AS_OF, "--days", "30", "--format", "table", lang="C")
    assert header not in english.stdout and "complaint" in english.stdout


@pytest.mark.parametrize("lang", LANGS)
def test_no_word_of_a_help_is_cut_off(shop, lang, monkeypatch):
    # rich cuts a word wider than its cell and marks the cut with "…"; Japanese and
    # Chinese have no spaces, so whole sentences went: the help folds instead. Every "…"
    # on the screen must be one the texts themselves hold.
    import inspect

    from crmcli.cli import load_command

    monkeypatch.setenv("LANG", lang)
    for path in (["due"], ["customers", "add"], ["complaints", "list"], ["config"]):
        command = load_command(path[0])
        if len(path) > 1:
            command = command.get_command(None, path[1])
        texts = [command.help or ""] + [p.help or "" for p in command.params]
        if hasattr(command, "list_commands"):  # a group: its commands, built as help lists them
            texts += [command.get_command(None, c).help or "" for c in command.list_commands(None)]
        held = sum(i18n.translate(inspect.cleandoc(t)).count("…") for t in texts if t)
        shown = run(shop, *path, "--help", lang=lang, columns=80).stdout
        assert shown.count("…") <= held, (lang, path, shown)


def test_every_why_of_the_agenda_is_said_in_the_language(shop, monkeypatch):
    # The core writes why in English (CSV keeps it); a terminal finds the template that
    # made it and says it in the language. A why made without a template (agenda_sources.
    # WHY) would stay English: every kind the seeded shop has must be reworded.
    import csv
    import io

    from crmcli.cli.i18n import shown_value

    piped = run(shop, "due", "--as-of", AS_OF, "--days", "400", "--format", "csv", lang="C")
    rows = list(csv.DictReader(io.StringIO(piped.stdout)))
    assert {"birthday", "anniversary", "visit", "followup", "complaint"} <= {
        r["kind"] for r in rows
    }
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    english = [r["why"] for r in rows if shown_value("why", r["why"]) == r["why"]]
    assert english == []
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert all(shown_value("why", r["why"]) == r["why"] for r in rows)


def test_the_root_help_speaks_the_setting_of_the_database_db_names(shop, tmp_path):
    # `crmcli --db FILE --help`: the root's help comes before --db is parsed.
    db = tmp_path / "ja.db"
    _copy(shop, db)
    assert run(db, "config", "set", "ui.language", "ja", lang="C.UTF-8").exit_code == 0
    assert "オプション" in run(db, "--help", lang="C.UTF-8").stdout
    shown = CliRunner().invoke(app, [f"--db={db}", "--help"], env={"LANG": "C.UTF-8"})
    assert "オプション" in shown.stdout
    assert "Options" in run(shop, "--help", lang="C.UTF-8").stdout  # another database


def test_the_setting_is_read_from_the_database_on_either_engine(db_url: str) -> None:
    # A PostgreSQL server's database holds the setting as a file does, and speaks it too.
    assert run(db_url, "db", "migrate", lang="C.UTF-8").exit_code == 0
    assert run(db_url, "config", "set", "ui.language", "ko", lang="C.UTF-8").exit_code == 0
    failed = run(db_url, "customers", "show", "NOPE", lang="C.UTF-8")
    assert failed.exit_code == 1 and "고객 'NOPE'이(가) 없습니다" in failed.stderr
    assert "옵션" in run(db_url, "due", "--help", lang="C.UTF-8").stdout
    # The root's help comes before --db is parsed: CRMCLI_DB names the database.
    shown = CliRunner().invoke(app, ["--help"], env={"LANG": "C.UTF-8", "CRMCLI_DB": db_url})
    assert "옵션" in shown.stdout
    assert "Options" in run(db_url, "--help", lang="en_US.UTF-8").stdout  # LANG first


def test_a_server_that_cannot_be_reached_leaves_the_help_in_english() -> None:
    nowhere = "postgresql:///crm?host=/nonexistent-socket-folder&user=nobody"
    assert "Options" in run(nowhere, "due", "--help", lang="C.UTF-8").stdout


def test_a_command_on_a_server_that_cannot_be_reached_tries_it_once(monkeypatch, tmp_path):
    # The command waits for the server (10 s for one that does not answer), then says so
    # in the language stored on that server: not a second wait (2 s more) to learn it.
    import psycopg

    tries: list[str] = []
    real = psycopg.connect

    def counted(conninfo: str, *args: Any, **kwargs: Any) -> Any:
        tries.append(conninfo)
        return real(conninfo, *args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", counted)
    monkeypatch.delenv("LANGUAGE", raising=False)  # no language named: the setting is asked
    nowhere = f"postgresql:///crm?host={tmp_path}/no-server-here&user=nobody"
    result = run(nowhere, "customers", "list", lang="C.UTF-8")
    assert result.exit_code == 1 and "cannot connect" in result.stderr
    assert len(tries) == 1


# --- an import's refusal: the terminal in the language, the rejects file in English -------

BAD_CUSTOMERS = (
    "name,phone,birthday,email\n"
    "Kim,010-1234-5678,1990-13-01,kim@x\n"
    "Lee,010-2222-3333,1980-02-30,lee@example.com\n"
    "Park,010-3333-4444,1975-05-05,bad\n"
    ",,,\n"
)
# English words that must not be left on a translated terminal.
REASONS_IN_ENGLISH = ("is not a real date", "have a bad", "nothing was imported", "line has no")
# The words each language says for "not a real date".
NOT_A_DATE = {
    "ko_KR.UTF-8": "존재하지 않는 날짜",
    "ja_JP.UTF-8": "実在しない日付",
    "zh_CN.UTF-8": "不是真实存在的日期",
    "zh_TW.UTF-8": "不是真實存在的日期",
    "hy_AM.UTF-8": "այդպիսի ամսաթիվ չկա",
}


def _import(tmp_path: Path, lang: str, *options: str):
    folder = tmp_path / lang
    folder.mkdir()
    (folder / "c.csv").write_text(BAD_CUSTOMERS, encoding="utf-8")
    result = run(folder / "x.db", "customers", "import", str(folder / "c.csv"), *options, lang=lang)
    rejects = folder / "c.rejects.csv"
    return result, rejects.read_bytes() if rejects.exists() else None


@pytest.mark.parametrize("lang", LANGS[1:])
def test_an_import_refusal_is_said_in_the_language_where_and_field_kept(tmp_path, lang):
    english, _ = _import(tmp_path, "C.UTF-8")
    said, _ = _import(tmp_path, lang)
    assert english.exit_code == said.exit_code == 1
    assert all(words in english.stderr for words in REASONS_IN_ENGLISH)
    assert not [words for words in REASONS_IN_ENGLISH if words in said.stderr]
    # `file:line: field: ` is the file's own: the same in every language; the reason is not.
    where = re.compile(r"  c\.csv:\d+: (?:[a-z_]+: )?")
    english_lines = [line for line in english.stderr.splitlines() if where.match(line)]
    lines = [line for line in said.stderr.splitlines() if where.match(line)]
    assert [where.match(line)[0] for line in lines] == [where.match(e)[0] for e in english_lines]
    assert len(lines) == 5 and not set(lines) & set(english_lines)
    assert NOT_A_DATE[lang] in lines[0] and lines[0].startswith("  c.csv:2: birthday: '1990-13-01'")


@pytest.mark.parametrize("lang", LANGS[1:])
def test_a_rejects_file_carries_english_reasons_in_every_language(tmp_path, lang):
    # Machine output, like CSV: a script that reads the reason column reads the same bytes.
    english, english_rejects = _import(tmp_path, "C.UTF-8", "--skip-invalid")
    said, rejects = _import(tmp_path, lang, "--skip-invalid")
    assert english.exit_code == said.exit_code == 0
    assert english_rejects is not None and rejects == english_rejects
    assert b"'1990-13-01' is not a real date" in rejects
    assert english.stdout == said.stdout


# --- a message at the terminal's width -----------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_an_error_fits_the_terminal_in_every_language_and_keeps_one_line_piped(tmp_path, lang):
    # A refused import: a long first line and one line per problem. On a terminal of 60
    # columns each line is wrapped between words (between letters in Japanese and
    # Chinese), its continuation indented; piped, each stays one line. Nothing is lost.
    from ptyrun import run_tty

    piped, _ = _import(tmp_path, lang)
    assert piped.exit_code == 1
    folder = tmp_path / lang
    status, shown = run_tty(
        "--db", str(folder / "x.db"), "customers", "import", str(folder / "c.csv"),
        columns=60, env={"LANG": lang, "LANGUAGE": ""},
    )  # fmt: skip
    assert status == 1
    lines = shown[shown.index("crmcli: error:") :].rstrip("\n").split("\n")
    assert all(cell_len(line) <= 60 for line in lines), (lang, lines)
    assert len(lines) > len(piped.stderr.rstrip("\n").split("\n"))  # some were wrapped
    assert max(cell_len(line) for line in piped.stderr.split("\n")) > 60
    assert "".join(shown[shown.index("crmcli: error:") :].split()) == "".join(piped.stderr.split())


# --- the core's refusals -------------------------------------------------------------------


def _refusals(tmp_path: Path, shop: Path) -> list[tuple[tuple[str, ...], str]]:
    """Commands the core refuses, each with English words its message must not keep."""
    (tmp_path / "empty.db").touch()
    (tmp_path / "folder.db").mkdir()
    (tmp_path / "text.db").write_text("not a database\n" * 100, encoding="utf-8")
    (tmp_path / "quote.csv").write_text('name,phone\n"Kim,010\nLee,011\nPark,012\n')
    (tmp_path / "ok.csv").write_text("name,phone\nKim,010-1234-5678\n")
    good = str(tmp_path / "ok.csv")
    return [
        (("--db", str(tmp_path / "none.db"), "due"), "no crmcli database"),
        (("--db", str(tmp_path / "empty.db"), "due"), "the file is empty"),
        (("--db", str(tmp_path / "folder.db"), "due"), "is a directory"),
        (("--db", str(tmp_path / "text.db"), "due"), "not an SQLite file"),
        (("--db", "mysql://shop/crm", "due"), "does not know"),
        (("--db", str(shop), "due", "--kind", "nope"), "unknown kind"),
        (("--db", str(shop), "customers", "add", "--name", "X", "--email", "x"), "e-mail"),
        (("--db", str(shop), "imports", "undo", "999"), "no import"),
        (("--db", str(shop), "customers", "set-tier", "KR-2024-0001", "Z"), "A, B or C"),
        (("--db", str(shop), "customers", "import", str(tmp_path / "quote.csv")), "unclosed"),
        (("--db", str(shop), "customers", "import", good, "--region", "XX"), "region code"),
        (("--db", str(shop), "customers", "import", good, "--map", "x"), "takes SOURCE"),
    ]


@pytest.mark.parametrize("lang", LANGS[1:])
def test_the_cores_refusals_are_said_in_the_language(shop, tmp_path, lang):
    for args, words in _refusals(tmp_path, shop):
        english = CliRunner().invoke(app, list(args), env={"LANG": "C.UTF-8"})
        said = CliRunner().invoke(app, list(args), env={"LANG": lang})
        assert english.exit_code == said.exit_code != 0, (args, english.output)
        assert english.stdout == said.stdout
        assert words in english.stderr, (args, english.stderr)
        assert words not in said.stderr and said.stderr.startswith("crmcli: error: "), (
            lang,
            args,
            said.stderr,
        )


ABORTED = {
    "ko_KR.UTF-8": "중단했습니다.",
    "ja_JP.UTF-8": "中断しました。",
    "hy_AM.UTF-8": "Ընդհատվեց։",
}


@pytest.mark.parametrize("lang", [*ABORTED, "C.UTF-8"])
def test_a_question_answered_no_says_aborted_in_the_language(shop, tmp_path, lang):
    # `customers forget` asks on a terminal; "n" aborts, and typer says so.
    from ptyrun import run_tty

    db = tmp_path / "x.db"
    _copy(shop, db)
    env = {"LANG": lang, "LANGUAGE": ""}
    status, shown = run_tty(
        "--db", str(db), "customers", "forget", "KR-2024-0001", env=env, typed="n\n"
    )
    assert status == 1
    assert shown.rstrip().endswith(ABORTED.get(lang, "Aborted.")), shown


ANSWER_Y_OR_N = {"ko_KR.UTF-8": "y 또는 n으로 답해 주세요", "zh_TW.UTF-8": "請回答 y 或 n"}


@pytest.mark.parametrize("lang", [*ANSWER_Y_OR_N, "C.UTF-8"])
def test_an_answer_that_is_neither_yes_nor_no_is_asked_again_in_the_language(shop, tmp_path, lang):
    # click's own question said "Error: invalid input" in English under every language.
    from ptyrun import run_tty

    db = tmp_path / "x.db"
    _copy(shop, db)
    env = {"LANG": lang, "LANGUAGE": ""}
    status, shown = run_tty(
        "--db", str(db), "customers", "delete", "KR-2024-0002", env=env, typed="maybe\nn\n"
    )
    assert status == 1 and "Error" not in shown, shown
    assert shown.count("[y/N]") == 2 and ANSWER_Y_OR_N.get(lang, "please answer y or n") in shown
    assert run(db, "customers", "show", "KR-2024-0002", lang="C.UTF-8").exit_code == 0  # kept


@pytest.mark.parametrize(
    ("lang", "said"),
    [("ko_KR.UTF-8", "sqlite 또는 pg_dump"), ("zh_TW.UTF-8", "sqlite 或 pg_dump")],
)
def test_the_alternatives_of_a_refusal_are_joined_in_the_language(shop, tmp_path, lang, said):
    # Its "or" was English in every language ("--as에는 sqlite or pg_dump만 …").
    result = run(shop, "db", "backup", str(tmp_path / "b.db"), "--as", "nope", lang=lang)
    assert result.exit_code == 2 and said in result.stderr and " or " not in result.stderr
    english = run(shop, "db", "backup", str(tmp_path / "b.db"), "--as", "nope", lang="C.UTF-8")
    assert "--as takes sqlite or pg_dump, not 'nope'" in english.stderr


# --- what the core writes in English for JSON, said on a screen ----------------------------

# The page's locale line and attitude sentence, and the attitudes table, of the seeded
# shop's Japanese customer: English in JSON, the reader's words on a screen.
PAGE_WORDS = {
    "ko_KR.UTF-8": (
        "ja (추정: 이름의 가나)",
        "제안 충성 (4일에 걸쳐 구매",
        "얼리어답터: 출시 직후",
    ),
    "ja_JP.UTF-8": ("ja (推定：名前のかな)", "推定 ロイヤル（4日に購入", "早期購入者：発売直後に"),
    "zh_CN.UTF-8": ("ja (推断：姓名中的假名)", "建议 忠诚（在 4 天购买过", "尝鲜客户：上市后不久"),
    "zh_TW.UTF-8": ("ja (推斷：姓名中的假名)", "建議 忠誠（在 4 天購買過", "嚐鮮客戶：上市後不久"),
    "hy_AM.UTF-8": (
        "ja (ենթադրված՝ ճապոնական կանա անվան մեջ)",
        "առաջարկվող՝ հավատարիմ (գնել է 4 օր",
        "վաղ գնորդ՝",
    ),
}
ENGLISH_PAGE = (
    "ja (inferred: kana in the name)",
    "suggested loyal (bought on 4 days",
    "early adopter:",
)


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_says_why_the_locale_and_the_attitude_in_the_language(shop, lang):
    args = ("customers", "show", "JP-2024-0001", "--as-of", AS_OF)
    page = run(shop, *args, "--format", "table", lang=lang, columns=200)
    assert page.exit_code == 0, page.output
    for words in PAGE_WORDS.get(lang, ENGLISH_PAGE):
        assert words in page.stdout, (lang, words, page.stdout)
    if lang != "C.UTF-8":
        assert not [w for w in ("inferred", "bought on", "loyal") if w in page.stdout], page.stdout
    # JSON keeps the English words, under every language.
    profile = json.loads(run(shop, *args, "--format", "json", lang=lang).stdout)
    assert profile["profile"]["locale_why"] == "inferred: kana in the name"
    assert profile["tier"]["attitude"]["why"].startswith("bought on 4 days, about every")


ATTITUDES = {
    "ko_KR.UTF-8": {"충성", "브랜드 전환", "충성 없음"},
    "ja_JP.UTF-8": {"ロイヤル", "ブランド乗り換え", "忠誠なし"},
    "zh_CN.UTF-8": {"忠诚", "换品牌", "无忠诚"},
    "zh_TW.UTF-8": {"忠誠", "換品牌", "無忠誠"},
    "hy_AM.UTF-8": {"հավատարիմ", "ապրանքանիշը փոխող", "անհավատարիմ"},
}


@pytest.mark.parametrize("lang", LANGS[1:])
def test_attitudes_are_said_in_the_language_on_a_screen(shop, lang):
    shown = run(shop, "customers", "attitudes", "--as-of", AS_OF, "--format", "table", lang=lang)
    assert shown.exit_code == 0, shown.output
    assert all(word in shown.stdout for word in ATTITUDES[lang]), shown.stdout
    assert not re.search(r"loyal|brand-switching", shown.stdout), shown.stdout
    said = run(shop, "customers", "set-attitude", "JP-2024-0001", "--as-of", AS_OF, lang=lang)
    assert said.exit_code == 0 and "loyal" not in said.stderr and "bought" not in said.stderr


def _undo_shop(tmp_path: Path) -> Path:
    """Two imports, then later work on what they brought: an edit, a follow-up, a tag."""
    db = tmp_path / "undo.db"
    (tmp_path / "u1.csv").write_text(
        "code,name,phone,tags\nK1,Kim,010-1111-2222,vip\nK2,Park,010-3333-4444,\n"
    )
    (tmp_path / "u2.csv").write_text("code,name,phone,address\nK1,Kim,010-1111-2222,Seoul\n")
    for args in (
        ("customers", "add", "--code", "K0", "--name", "Lee"),
        ("customers", "import", str(tmp_path / "u1.csv")),
        ("customers", "import", str(tmp_path / "u2.csv"), "--on-conflict", "update"),
        ("customers", "edit", "K1", "--address", "Busan", "--name", "Kim Minjun"),
        ("followups", "add", "K2", "-m", "call", "--on", "2026-02-01"),
        ("customers", "tag", "K2", "new"),
    ):
        assert run(db, *args, lang="C.UTF-8").exit_code == 0, args
    return db


# Undo's lines: what changed since, and what undo does about it (was English in the core).
UNDO_WORDS = {
    "ko_KR.UTF-8": (
        "고객 #2 (Kim Minjun): 가져오기 뒤 address",
        "되돌리면 address은(는) 이전 값으로",
        "약속한 연락 1건",
    ),
    "ja_JP.UTF-8": (
        "お客様 #2（Kim Minjun）：取り込みの後",
        "取り消すと address は前の値に",
        "折り返し 1 件",
    ),
    "zh_CN.UTF-8": (
        "客户 #2（Kim Minjun）：导入之后",
        "撤销会把 address 改回之前的值",
        "1 个回电承诺",
    ),
    "zh_TW.UTF-8": (
        "客戶 #2（Kim Minjun）：匯入之後",
        "復原會把 address 改回之前的值",
        "1 個回電承諾",
    ),
    "hy_AM.UTF-8": (
        "հաճախորդ #2 (Kim Minjun)՝ ներմուծումից հետո",
        "վերադարձնում է նախորդ address",
        "1 հետզանգ",
    ),
}


@pytest.mark.parametrize("lang", LANGS[1:])
def test_undo_says_what_changed_since_the_import_in_the_language(tmp_path, lang):
    db = _undo_shop(tmp_path)
    english = [run(db, "imports", "undo", i, lang="C.UTF-8") for i in ("2", "1")]
    assert "changed since the import (undo puts back the earlier address;" in english[0].stderr
    refused = run(db, "imports", "undo", "2", lang=lang)
    assert refused.exit_code == english[0].exit_code == 1
    forced = run(db, "imports", "undo", "2", "--force", lang=lang)
    assert forced.exit_code == 0, forced.output
    second = run(db, "imports", "undo", "1", lang=lang)  # the added customers' later work
    assert second.exit_code == 1
    said = refused.stderr + forced.stderr + second.stderr
    for words in UNDO_WORDS[lang]:
        assert words in said, (lang, words, said)
    english_words = (
        "changed since",
        "undo puts",
        "kept as edited",
        "added by the import",
        "follow-up",
    )
    assert not [w for w in english_words if w in said], said


# Words of every tier reason (tiers.REASONS, NO_SPEND, GREW) that no translation keeps.
REASON_WORDS = re.compile(r"revenue|spenders|purchases|sales|grew|growth of|returns")


@pytest.mark.parametrize("lang", LANGS[1:])
def test_every_tier_reason_is_said_in_the_language(tmp_path, lang):
    # Each rule's every reason, the growing customer's own words too: stored in English
    # (`tiers history` as CSV keeps them), said on a screen.
    from crmcli import customers, purchases, tiers
    from crmcli.db import open_db

    db_path = tmp_path / "tiers.db"
    db = open_db(str(db_path))
    amounts = {"G": ((2024, 100), (2025, 110), (2026, 121)), "B": ((2026, 1000),)}
    amounts |= {"R": ((2026, 50), (2026, -80)), "S": ((2026, 300),), "I": ()}
    ids = {}
    for code, lines in amounts.items():
        ids[code] = customers.add(db, name=f"c{code}", code=code)
        for year, amount in lines:
            on = date(year, 3, 1)
            purchases.add(db, customer_id=ids[code], amount_micros=amount * 1_000_000, on=on)
    for rule in ("pareto", "top-share", "growth"):
        tiers.classify(db, rule=rule, as_of=date(2026, 6, 30))
    db.close()
    english, said = [], []
    for code in amounts:
        csv_rows = run(db_path, "tiers", "history", code, "--fields", "reason", lang=lang).stdout
        english += csv_rows.splitlines()[1:]
        shown = run(db_path, "tiers", "history", code, "--format", "table", lang=lang, columns=200)
        assert shown.exit_code == 0, shown.output
        said.append(shown.stdout)
    assert len(set(english)) >= 9 and any(r.startswith("sales grew") for r in english)
    assert all(REASON_WORDS.search(r) for r in english), english  # CSV: English
    assert not [s for s in said if REASON_WORDS.search(s)], said


# Listings a person reads as a table, beyond MACHINE's: their headers too.
LISTINGS: list[tuple[str, ...]] = [
    *(args for args in MACHINE if args[:2] not in (("customers", "show"), ("complaints", "show"))),
    ("customers", "who-bought", "--item", "Grinder"),
    ("customers", "early-adopters", "--as-of", AS_OF),
    ("items", "list", "--as-of", AS_OF),
]


@pytest.mark.parametrize("lang", LANGS[1:])
def test_every_table_header_and_fixed_value_is_in_the_language(shop, lang):
    # The walk at 80 columns found English headers (`matched`, `spent`, `from`/`to`, `days
    # since`, `first sale`…) and values (`demoted`, `before records`, `(not recorded)`).
    english = []
    for args in LISTINGS:
        result = run(shop, *args, "--format", "table", lang=lang, columns=250)
        assert result.exit_code == 0, (args, result.output)
        for line in result.stdout.splitlines():
            if "┃" in line:  # a header line: every cell a word of the language
                english += [(args, c.strip()) for c in line.split("┃") if re.search(r"[a-z]{2}", c)]
    assert english == []
    said = run(shop, "tiers", "changes", "--format", "table", lang=lang, columns=250).stdout
    assert not re.search(r"demoted|promoted", said), said
    said = run(shop, "items", "list", "--as-of", AS_OF, "--format", "table", lang=lang).stdout
    assert not re.search(r"first sale|before records", said), said
    said = run(shop, "complaints", "report", "--format", "table", lang=lang, columns=250).stdout
    assert "not recorded" not in said and "share of customers" not in said
    said = run(shop, "tiers", "report", "--format", "table", lang=lang, columns=250).stdout
    assert "share of customers" not in said and "spenders" not in said
    # What an import read: its own words, not the header "customers" (a count) said again.
    said = run(shop, "imports", "list", "--format", "table", lang=lang, columns=250).stdout
    kinds = re.findall(r"│\s*(\S+)\s*│\s*\S+\.csv", said)
    assert kinds and not {"customers", "purchases"} & set(kinds), said
    said = run(shop, "imports", "list", "--format", "table", lang="C.UTF-8", columns=250).stdout
    kinds_en = set(re.findall(r"│\s*(\S+)\s*│\s*\S+\.csv", said))
    assert kinds_en and kinds_en <= {"customers", "purchases"}, said


UNSIGNED = {
    "C.UTF-8": "10 messages end with the shop's name, which is not set",
    "ko_KR.UTF-8": "메시지 10개가 가게 이름으로 끝나는데, 가게 이름이 설정되지 않았습니다",
}


@pytest.mark.parametrize("lang", UNSIGNED)
def test_greet_says_when_its_messages_sign_with_no_shop_name(shop, lang):
    # The seeded shop has no shop.name: "Warm wishes from .", "…より" were printed silently.
    result = run(shop, "greet", "--as-of", AS_OF, "--days", "30", lang=lang)
    assert result.exit_code == 0 and "Warm wishes from ." in result.stdout
    assert f"crmcli: warning: {UNSIGNED[lang]}" in result.stderr, result.stderr


AFTER = {
    "ko_KR.UTF-8": "1일 후",
    "ja_JP.UTF-8": "1日 後",
    "zh_TW.UTF-8": "1天",
    "hy_AM.UTF-8": "1 օր անց",
}


@pytest.mark.parametrize("lang", AFTER)
def test_a_complaints_time_between_steps_is_said_in_the_language(shop, lang):
    # The timeline read `진행 → 사과  1d 후`: the compact English units, in a Korean line.
    page = run(shop, "complaints", "show", "1", "--as-of", AS_OF, "--format", "table", lang=lang)
    assert page.exit_code == 0 and AFTER[lang] in page.stdout, page.stdout
    assert not re.search(r"\b\d+[dhm]\b", page.stdout), page.stdout
    rows = run(shop, "complaints", "show", "1", "--fields", "event,after", lang=lang).stdout
    assert rows.splitlines()[1:3] == ["opened,", "advanced,1d"]  # CSV keeps them
