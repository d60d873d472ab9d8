"""crmcli.i18n: which language is chosen, per-string fallback, and the catalogs' contract.

The catalogs' contract (issue 19 item 4): every message extracted from the source (with
babel.cfg, as `pybabel extract` does) is in every catalog, translated, not fuzzy; no
catalog keeps a message the source no longer has; every translation keeps its
message's placeholders; the committed .pot and .mo files are what the .po files make.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from crmcli import i18n
from crmcli.i18n import _, ngettext

ROOT = Path(__file__).parent.parent
# What `pybabel extract` looks for (README, Languages): gettext's names, `said`, `said_n`,
# `M_`, `M_n`.
KEYWORDS = {**DEFAULT_KEYWORDS, "said": None, "said_n": (1, 2), "M_": None, "M_n": (1, 2)}
LOCALE = ROOT / "crmcli" / "locale"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch):
    for name in i18n.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    i18n.use_setting(None)
    yield
    i18n.use_setting(None)


# --- which language ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, None),
        ({"LANG": "C.UTF-8"}, None),
        ({"LANG": "POSIX"}, None),
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LANG": "ja_JP.eucJP"}, "ja"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_Hans"),
        ({"LANG": "zh_SG.UTF-8"}, "zh_Hans"),
        ({"LANG": "zh_TW.UTF-8"}, "zh_Hant"),
        ({"LANG": "zh_HK.Big5"}, "zh_Hant"),
        ({"LANG": "hy_AM.UTF-8"}, "hy"),
        ({"LANG": "en_US.UTF-8"}, None),
        # gettext's order: LANGUAGE, LC_ALL, LC_MESSAGES, LANG; the first one set decides
        ({"LANG": "ko_KR.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"}, "ja"),
        ({"LC_MESSAGES": "ja_JP.UTF-8", "LC_ALL": "hy_AM.UTF-8"}, "hy"),
        ({"LC_ALL": "hy_AM.UTF-8", "LANGUAGE": "zh_TW"}, "zh_Hant"),
        # LANGUAGE lists several: the first with a catalog; C ends the list
        ({"LANGUAGE": "fr:ko"}, "ko"),
        ({"LANGUAGE": "C:ko", "LANG": "ja_JP.UTF-8"}, None),
        ({"LANGUAGE": "en:ko"}, None),
    ],
)
def test_the_environment_chooses_as_gettext_reads_it(monkeypatch, environment, expected):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert i18n.language() == expected


@pytest.mark.parametrize(
    ("environment", "setting", "expected"),
    [
        ({}, "ko", "ko"),
        ({"LANG": "C.UTF-8"}, "hy", "hy"),  # the case: a terminal saying C.UTF-8
        ({"LANG": "fr_FR.UTF-8"}, "ja", "ja"),  # a language crmcli does not speak
        ({"LANG": "ja_JP.UTF-8"}, "ko", "ja"),  # the environment comes first
        ({"LANG": "en_US.UTF-8"}, "ko", None),  # English, asked for by name
        ({"LANG": "C.UTF-8"}, "", None),
        ({"LANG": "C.UTF-8"}, None, None),
    ],
)
def test_the_setting_speaks_when_the_environment_names_no_language(
    monkeypatch, environment, setting, expected
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    i18n.use_setting(lambda: setting)
    assert i18n.language() == expected


def test_the_setting_is_read_once_per_language_choice(monkeypatch):
    reads = []

    def reader() -> str:
        reads.append(1)
        return "ko"

    i18n.use_setting(reader)
    assert [_("Options"), _("Commands"), _("Options")] == ["옵션", "명령", "옵션"]
    assert reads == [1]
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")  # a test (or CliRunner) changing it is seen
    assert _("Options") == "オプション"


def test_a_message_without_translation_is_said_in_english(monkeypatch):
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert _("Options") == "옵션"
    assert _("a message no catalog has") == "a message no catalog has"
    assert ngettext("one file", "{n} files", 1) == "one file"
    assert ngettext("one file", "{n} files", 3) == "{n} files"


def test_a_text_made_before_the_language_is_known_is_said_in_it(monkeypatch):
    # A help built when its module loads: English for everyone, translated when shown.
    text = i18n.said("[default: {}]".replace("{}", "{value}"), value="7")
    assert text == "[default: 7]"
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert i18n.translate(text) == "[default: 7]"  # no such message: English, filled
    made = i18n.said("Only this kind; repeatable. Kinds: {kinds}.", kinds="birthday, visit")
    assert made == "Only this kind; repeatable. Kinds: birthday, visit."
    assert i18n.translate(made).endswith("birthday, visit.") and "종류" in i18n.translate(made)
    assert i18n.translate("Options") == "옵션"  # a plain message as well
    # A tuple is a list, each of its texts said again.
    piece = i18n.said("{stage} (needs {options})", stage="closed", options="--lesson")
    listed = i18n.said("The stage reached: {stages}.", stages=("apologized", piece))
    assert listed == "The stage reached: apologized, closed (needs --lesson)."
    assert i18n.translate(listed) == "도달한 단계: apologized, closed (--lesson 필요)."


def test_english_loads_no_catalog():
    # `crmcli --version` and a piped `due` pay nothing: gettext is not even imported.
    code = (
        "import sys; from crmcli import i18n; "
        "assert i18n._('Options') == 'Options'; print('gettext' in sys.modules)"
    )
    for lang in ("C.UTF-8", "en_US.UTF-8"):
        env = {"PATH": "/usr/bin:/bin", "LANG": lang}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "False", lang


@pytest.mark.parametrize(
    ("locale", "catalog"),
    [("ko-KR", "ko"), ("zh_Hant_HK", "zh_Hant"), ("zh", "zh_Hans"), ("fr", None), ("", None)],
)
def test_catalog_names(locale, catalog):
    assert i18n.catalog(locale) == catalog


# --- the catalogs' contract -------------------------------------------------------------


def _extracted() -> dict[str | tuple[str, ...], str]:
    """What `pybabel extract -F babel.cfg .` finds: message id → where."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str | tuple[str, ...], str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        if message and all(message if isinstance(message, tuple) else [message]):
            found.setdefault(message, f"{filename}:{lineno}")
    return found


def _catalog(language: str):
    with open(LOCALE / language / "LC_MESSAGES" / "crmcli.po", "rb") as fh:
        return read_po(fh, locale=language)


@pytest.fixture(scope="module")
def extracted() -> dict[str | tuple[str, ...], str]:
    return _extracted()


def test_there_is_something_to_translate(extracted):
    assert len(extracted) >= 30
    assert "Customer management for small shops: whom to call, greet or visit today, and why." in (
        extracted
    )


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_is_translated_and_none_is_stale(extracted, language):
    catalog = _catalog(language)
    ids = {m.id for m in catalog if m.id}
    missing = sorted(f"{where}: {m!r}" for m, where in extracted.items() if m not in ids)
    stale = sorted(repr(m) for m in ids if m not in extracted)
    # A message added or reworded: run the README's pybabel commands (Languages), then
    # translate it in each crmcli/locale/*/LC_MESSAGES/crmcli.po and compile.
    assert missing == [], f"{language}: new messages to translate (README, Languages)"
    assert stale == [], f"{language}: messages the source no longer has"
    assert not catalog.obsolete, f"{language}: obsolete messages (#~) left in the catalog"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    untranslated = [m.id for m in catalog if m.id and not all(_forms(m.string))]
    assert fuzzy == [] and untranslated == []


PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sdr]|%[sdr]")


def _forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_translation_keeps_its_placeholders(language):
    wrong = []
    for message in _catalog(language):
        if not message.id:
            continue
        ids = _forms(message.id)
        wanted = set().union(*map(_placeholders, ids))
        for form in _forms(message.string):
            # A plural's forms may each leave out the count; none may add or rename one.
            have = _placeholders(form)
            if have != wanted and not (len(ids) > 1 and have <= wanted):
                wrong.append((ids[0], form))
    assert wrong == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_readme_compile_command_finds_no_error(language):
    """`pybabel compile` (README) runs Babel's checks and exits 1 on any: a "%" followed
    by a space and a letter ("this % of revenue") reads as a %-placeholder to it, which
    no translation keeps. Help texts say "percentage" or put the sign last."""
    errors = [(m.id, [str(e) for e in errs]) for m, errs in _catalog(language).check()]
    assert errors == []


def test_the_placeholder_check_catches_a_dropped_or_renamed_one():
    assert _placeholders("{n} files in {path}") == {"{n}", "{path}"}
    assert _placeholders("{n}개 파일 {where}") != _placeholders("{n} files in {path}")
    assert _placeholders("%(count)s rows, %s") == {"%(count)s", "%s"}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_committed_mo_is_the_compiled_po(language):
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(language))
    committed = (LOCALE / language / "LC_MESSAGES" / "crmcli.mo").read_bytes()
    assert committed == compiled.getvalue(), f"{language}: run pybabel compile (README)"


def test_the_template_is_the_extraction(extracted):
    with open(LOCALE / "crmcli.pot", "rb") as fh:
        template = read_po(fh)
    assert {m.id for m in template if m.id} == set(extracted)


def test_the_plural_forms_are_the_languages_own():
    assert _catalog("hy").num_plurals == 2
    assert {_catalog(lang).num_plurals for lang in ("ko", "ja", "zh_Hans", "zh_Hant")} == {1}


# --- extraction of typer's help --------------------------------------------------------

SOURCE = b'''
import typer
from crmcli.i18n import _, N_
app = typer.Typer(help="A group.")
Opt = typer.Option("--x", help="An option's help.")
PANEL = N_("A panel")

@app.command("run")
def run(ctx: typer.Context) -> None:
    """Run it.

    More.
    """
    print(_("Said {n} times.").format(n=1))

def helper(x: int) -> None:
    """Not a command."""

def greet(ctx: typer.Context) -> None:
    """A command made elsewhere (COMMANDS)."""
'''


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (
            {},
            {
                "A group.",
                "An option's help.",
                "A panel",
                "Run it.\n\nMore.",
                "Said {n} times.",
                "A command made elsewhere (COMMANDS).",
            },
        ),
        (
            {"scope": "groups"},
            {"A group.", "A panel", "Said {n} times.", "A command made elsewhere (COMMANDS)."},
        ),
    ],
)
def test_extract_help_finds_what_typer_shows(scope, expected):
    found = {
        message
        for _line, _func, message, _comments in i18n.extract_help(
            io.BytesIO(SOURCE), DEFAULT_KEYWORDS, [], scope
        )
        if isinstance(message, str)
    }
    assert found == expected


def test_no_function_hides_the_translation_function():
    # `name, _, value = text.partition("=")` in a function that also says `_("…")` makes
    # `_` a local there: the message would fail only when it is said.
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    comprehensions = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    hidden = []
    for path in sorted((ROOT / "crmcli").rglob("*.py")):
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, scopes):
                continue
            assigns = calls = False
            todo = list(ast.iter_child_nodes(function))
            while todo:
                node = todo.pop()
                if isinstance(node, scopes):
                    continue  # its own scope, checked on its own
                if isinstance(node, ast.Name) and node.id == "_":
                    assigns |= isinstance(node.ctx, ast.Store)
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_":
                    calls = True
                if isinstance(node, comprehensions):
                    calls |= any(
                        isinstance(n, ast.Call) and getattr(n.func, "id", None) == "_"
                        for n in ast.walk(node)
                    )
                    continue
                todo.extend(ast.iter_child_nodes(node))
            if assigns and calls:
                hidden.append(f"{path.relative_to(ROOT)}:{function.lineno}")
    assert hidden == []


def test_a_wheel_carries_the_compiled_catalogs():
    # setuptools ships package data by these globs: every committed .mo must match one.
    import fnmatch

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["crmcli"]
    catalogs = sorted(p.relative_to(ROOT / "crmcli").as_posix() for p in LOCALE.rglob("*.mo"))
    assert len(catalogs) == len(i18n.LANGUAGES)
    assert all(any(fnmatch.fnmatch(c, g) for g in globs) for c in catalogs)


def test_reword_finds_the_template_that_made_a_text(monkeypatch):
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    templates = (
        "{why} (overdue since {late})",
        "{what} on {day}, turns {years}",
        "{what} on {day}",
        "lunar birthday ({day})",
        "birthday",
        "received",
    )
    nested, words = {"what", "why"}, {"day", "late", "years"}
    said = i18n.reword(
        "lunar birthday (03-05) on 2026-03-21, turns 56 (overdue since 2026-03-18)",
        templates,
        nested,
        words,
    )
    assert said == "2026-03-21 음력 생일 (03-05), 56세 (2026-03-18부터 늦어짐)"
    # A value outside `nested` is the shop's own words: only a label said word for word.
    assert i18n.reword("birthday on 2026-01-01", templates, (), words) == "2026-01-01 생일"
    assert i18n.reword("wedding on 2026-01-01", templates, (), words) == "2026-01-01 wedding"
    # A one-word placeholder keeps a longer text from matching the wrong template.
    assert i18n.reword("x on 2026-01-01 (really)", templates, nested, words) == (
        "x on 2026-01-01 (really)"
    )
    assert i18n.reword("nothing a template made", templates) == "nothing a template made"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert i18n.reword("birthday on 2026-01-01", templates, nested, words) == (
        "birthday on 2026-01-01"
    )


# --- the core's messages (M_): English where made, the language where said -----------


def test_a_core_message_is_said_in_the_language_where_and_field_kept(monkeypatch):
    from crmcli.dates import parse_date
    from crmcli.errors import InvalidValue

    with pytest.raises(InvalidValue) as raised:
        parse_date("2024-02-30")
    english = str(raised.value)
    assert english == "'2024-02-30' is not a real date"  # the core says English, always
    monkeypatch.setenv("LANGUAGE", "ko")
    assert i18n.say_message(english) == "'2024-02-30': 존재하지 않는 날짜입니다"
    # An input file's problem: `file:line: field: ` is the file's own, the reason is said.
    said = i18n.say_message(f"crm.csv:7: 생일: {english}\n  crm.csv:9: {english}")
    assert said == (
        "crm.csv:7: 생일: '2024-02-30': 존재하지 않는 날짜입니다\n"
        "  crm.csv:9: '2024-02-30': 존재하지 않는 날짜입니다"
    )
    assert i18n.say_message("not a message of ours: 3") == "not a message of ours: 3"
    monkeypatch.setenv("LANGUAGE", "en")
    assert i18n.say_message(f"crm.csv:7: birthday: {english}").endswith(english)


def test_a_message_inside_a_message_is_said_and_values_are_kept_as_written(monkeypatch):
    # `{n:,}`-style values and `!r` quotes were applied when the text was made: kept as read.
    from crmcli.imports.problems import Problems

    problems = Problems("c.csv")
    for line in (2, 3, 1002):
        problems.add(line, "birthday", "'1990-13-01' is not a real date")
    problems.add(5, None, i18n.M_("the file is empty"))  # as the core makes it
    lines = problems.explain(total_rows=2000, rejects="c.rejects.csv")
    assert lines[0] == "3 lines have a bad birthday: … is not a real date (lines 2, 3, 1,002)"
    assert lines[1] == "1 line has this problem: the file is empty (line 5)"  # agreement
    monkeypatch.setenv("LANGUAGE", "ja")
    said = [i18n.say_message(line) for line in lines]
    assert said[0] == "3 行: birthday の値が不正: … は実在しない日付です（2, 3, 1,002 行目）"
    assert said[1] == "1 行: 問題あり: ファイルが空です（5 行目）"
    assert said[-1].startswith("残りの 2,000 行を今すぐ取り込むには: --skip-invalid")


def test_a_core_message_that_counts_says_the_form_for_its_count(monkeypatch):
    # "1 line(s) have problems": the core counted with English's plural hack. M_n makes
    # English's form for the count, and the command line the language's form for it.
    from crmcli.errors import InvalidInput

    def refusal(n: int) -> str:
        return str(InvalidInput([f"f.csv:{line}: x" for line in range(n)])).split("\n")[0]

    assert [refusal(1), refusal(2)] == [
        "1 problem; nothing was imported",
        "2 problems; nothing was imported",
    ]
    lines = i18n.M_n("holds {n} line that reads as a row", "holds {n} lines that read as rows", 1)
    assert lines == "holds 1 line that reads as a row"
    assert i18n.M_n("{n:,} cell", "{n:,} cells", 1234) == "1,234 cells"

    def field(n: int) -> str:
        names = ", ".join(["shoe_size", "pet"][:n])
        single, plural = "unknown customer field: {fields}", "unknown customer fields: {fields}"
        return i18n.M_n(single, plural, n, fields=names)

    def held(n: int) -> str:
        return i18n.M_n(
            "holds {n} line that reads as a row of this file",
            "holds {n} lines that read as rows of this file",
            n,
        )

    monkeypatch.setenv("LANGUAGE", "hy")  # two forms: one, more
    assert i18n.say_message(held(1)) == "պարունակում է 1 տող, որը կարդացվում է որպես այս ֆայլի տող"
    assert i18n.say_message(held(3)).endswith("որոնք կարդացվում են որպես այս ֆայլի տողեր")
    # a list named, not counted: the form the English took
    assert i18n.say_message(field(1)) == "հաճախորդի անհայտ դաշտ՝ shoe_size"
    assert i18n.say_message(field(2)) == "հաճախորդի անհայտ դաշտեր՝ shoe_size, pet"
    monkeypatch.setenv("LANGUAGE", "ko")  # one form for every count
    assert i18n.say_message(refusal(1)) == "문제 1건: 아무것도 가져오지 않았습니다"
    assert i18n.say_message(f"f.csv:3: {held(2)}") == (
        "f.csv:3: 이 파일의 행으로 읽히는 줄이 2개 들어 있습니다"
    )


def test_no_message_counts_with_an_english_plural_hack():
    # "(s)" in any message of crmcli, the core's included: M_n (core) or ngettext (cli/)
    # say each count in its form. Click's own English is matched as click words it.
    clicks = {"Got unexpected extra argument(s) ({arguments})"}
    found = []
    for path in sorted((ROOT / "crmcli").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            hack = isinstance(text, str) and re.search(r"[a-z]\((?:s|es)\)", text)
            if hack and text not in clicks:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:60]}")
    assert found == []


def test_settings_and_database_refusals_are_said_in_the_language(monkeypatch):
    import sqlite3

    from crmcli import settings
    from crmcli.engines import explain
    from crmcli.errors import InvalidValue

    with pytest.raises(InvalidValue) as raised:
        settings.validate("currency.minor_units", "9")
    english = str(raised.value)
    assert english == "currency.minor_units: must be a whole number from 0 to 6, or empty (got '9')"
    busy = explain(sqlite3.OperationalError("database is locked"))
    monkeypatch.setenv("LANGUAGE", "ko")
    assert i18n.say_message(english) == (
        "currency.minor_units: 0~6의 정수이거나 비어 있어야 합니다 (입력값 '9')"
    )
    # A database's path before the sentence stays; the sentence is said.
    assert i18n.say_message(f"/tmp/shop.db: {busy}") == (
        "/tmp/shop.db: 데이터베이스가 사용 중입니다: 다른 crmcli 프로세스가 쓰고 있습니다. "
        "다시 시도하세요"
    )


# English words that, left in a translated refusal, show the sentence was pieced together
# outside the catalogs: a joiner ("or", "and") or a description passed in as a value.
ENGLISH_GLUE = frozenset(
    {"must", "be", "or", "and", "between", "characters", "separated", "such", "empty"}
    | {"which", "does", "not", "know", "line", "percentage", "needs", "twice", "unknown"}
)
BAD_VALUES = ("zz", "5q", "999999999999999", "a\nb", "tier:Q", "x" * 300, "discount=x", "q=1")


@pytest.mark.parametrize("language", ["ko", "ja", "zh_Hans", "zh_Hant", "hy"])
def test_every_settings_refusal_is_said_whole_in_the_language(monkeypatch, language):
    # Each setting's range said in English, then in the language: no English word of the
    # sentence may stay (before, `tiers.window` said "…(1d~100y, or all)" in Korean, and
    # a percentage "a percentage between 0 and 100여야 합니다").
    from crmcli import settings
    from crmcli.errors import InvalidValue

    refusals = []
    for key, setting in settings.SETTINGS.items():
        for value in BAD_VALUES:
            if setting.check is not None and setting.check(value):
                with pytest.raises(InvalidValue) as raised:
                    settings.validate(key, value)
                refusals.append((str(raised.value), value))
                break
    assert len(refusals) > 20
    monkeypatch.setenv("LANGUAGE", language)
    left = []
    for english, value in refusals:
        said = i18n.say_message(english).replace(repr(value), "")
        words = set(re.findall(r"[a-z]+", said)) & ENGLISH_GLUE
        if words:
            left.append(f"{said!r}: {sorted(words)}")
    assert left == [], "\n".join(left)


@pytest.mark.parametrize(
    ("language", "said"),
    [("ko", "sqlite, csv 또는 pg_dump"), ("ja", "sqlite, csv または pg_dump"), ("hy", "կամ")],
)
def test_alternatives_are_joined_with_the_languages_or(monkeypatch, language, said):
    english = i18n.M_("--as takes {kinds}, not {kind}").format(
        kinds=i18n.either(["sqlite", "csv", "pg_dump"]), kind="'nope'"
    )
    assert english == "--as takes sqlite, csv or pg_dump, not 'nope'"  # the core's English
    assert i18n.either(["only"]) == "only"
    monkeypatch.setenv("LANGUAGE", language)
    assert said in i18n.say_message(english)
    # Alternatives a user typed are theirs, never reworded: only what either() made is.
    typed = i18n.M_("--as takes {kinds}, not {kind}").format(kinds="salt or pepper", kind="'x'")
    assert "salt or pepper" in i18n.say_message(typed)


# --- every refusal of the core is a marked message -----------------------------------------

# Modules whose refusals are not marked yet, and why.
NOT_YET_MARKED = {
    # `db copy` and `db backup` on PostgreSQL are being reworded by another slice (pgops).
    "crmcli/db_copy.py": "db copy's messages: pgops rewords them this session",
    "crmcli/engines.py": "db backup's pg_dump messages: pgops rewords them this session",
}
CORE = Path(__file__).resolve().parent.parent / "crmcli"


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """crmcli.errors' CrmError and every class any core module derives from it."""
    names = {"CrmError"}
    while True:
        more = {
            node.name
            for tree in trees.values()
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and any(isinstance(b, ast.Name) and b.id in names for b in node.bases)
        }
        if more <= names:
            return names
        names |= more


def _words(node: ast.AST) -> list[str]:
    """English a message's literal parts hold: not inside M_()/_() (a call is marked where
    it is made: M_(…).format(…), _(…), explain(…))."""
    if isinstance(node, ast.Call):
        return []
    if isinstance(node, ast.BinOp):
        return _words(node.left) + _words(node.right)
    parts: list[str] = []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
    # What stays English by design: an option's name, the `crmcli: warning: ` prefix.
    fixed = r"--[a-z][a-z-]*|crmcli: (?:warning: )?"
    return [p for p in parts if re.search(r"[A-Za-z]{2,}", re.sub(fixed, "", p))]


def test_every_refusal_and_message_is_a_marked_one():
    # A refusal worded in English with a plain string or an f-string stays English on
    # every terminal: the core's is found again only by its template (M_), the command
    # line's only by _(). A prefix naming where (`{path}: `, `--region: `) may be joined
    # to a marked message. The command line's messages on stderr (`env.say`) likewise.
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for path in CORE.rglob("*.py")
        if "migrations" not in path.relative_to(CORE).parts
    }
    errors = _error_classes(trees) | {"BadParameter"}
    unmarked = []
    for path, tree in trees.items():
        name = str(path.relative_to(CORE.parent))
        if name in NOT_YET_MARKED:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if (called in errors or called == "say") and _words(node.args[0]):
                unmarked.append(f"{name}:{node.lineno}: {ast.unparse(node.args[0])[:60]}")
    assert unmarked == [], (
        "wrap each as M_('… {x} …').format(x=…) in the core, _('… {x} …').format(x=…) in "
        "cli/, run the README's pybabel commands and translate it in the five .po files"
    )


def test_a_count_on_the_command_line_is_said_with_ngettext():
    # "1 tag(s) added", "Referred 1 customer(s)": English's plural said as a hack, where
    # ngettext gives "1 tag added" / "2 tags added" (and each language its own forms).
    found = []
    for path in sorted((ROOT / "crmcli" / "cli").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_"):
                continue
            text = node.args[0].value if isinstance(node.args[0], ast.Constant) else ""
            if isinstance(text, str) and "(s)" in text:
                found.append(f"{path.name}:{node.lineno}: {text[:60]}")
    assert found == []
    assert ngettext("{n} tag added", "{n} tags added", 1) == "{n} tag added"
