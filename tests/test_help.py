"""Every `--help` reads well at 80 and 120 columns, in every language (cli/help.py).

Read as a person reads it: no line wider than the screen; no sentence stopped in
mid-line by a docstring's line break, or at the last space of a Japanese or Chinese
sentence (a line is only as short as the next word, or letter and its closing marks,
forces); no option's name or choice cut or folded inside a word; no "…" the texts
themselves do not hold.
"""

from __future__ import annotations

import inspect
import re
from collections import Counter
from itertools import pairwise

import click
import pytest
import typer.main
from rich.cells import cell_len
from typer.testing import CliRunner

from crmcli import i18n
from crmcli.cli import app, table
from crmcli.cli.table import unwrapped

# English and Korean (written with spaces) at 80 and 120 columns; the languages written
# without spaces (Japanese, Chinese) and Armenian at 80, where lines are shortest.
SCREENS = [(lang, width) for lang in ("C.UTF-8", "ko_KR.UTF-8") for width in (80, 120)]
SCREENS += [(lang, 80) for lang in ("ja_JP.UTF-8", "zh_CN.UTF-8", "zh_TW.UTF-8", "hy_AM.UTF-8")]


def _all_commands(command, prefix=()):
    ctx = typer.Context(command)
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        yield (*prefix, name), sub
        if hasattr(sub, "list_commands"):
            yield from _all_commands(sub, (*prefix, name))


COMMANDS = [((), typer.main.get_command(app)), *_all_commands(typer.main.get_command(app))]


@pytest.fixture(autouse=True)
def _no_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in i18n.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def _help(path: tuple[str, ...], lang: str, width: int) -> str:
    env = {"LANG": lang, "COLUMNS": str(width)}
    result = CliRunner().invoke(app, [*path, "--help"], env=env)
    assert result.exit_code == 0, (path, result.output)
    return result.stdout


def _first_word(text: str) -> str:
    """What the next line starts with that the line before could have taken: a word, or
    in Chinese and Japanese one letter with the closing marks that go with it."""
    word = text.split(" ")[0]
    if not word or not table.unspaced(word):
        return word
    end = 1
    while end < len(word) and word[end] in table.NO_LINE_START:
        end += 1
    return word[:end]


def _broken_short(lines: list[str], room: int) -> list[str]:
    """Lines of one block of text that end although the next line's first word fit."""
    short = []
    for line, following in pairwise(lines):
        if not line.strip() or not following.strip() or following.lstrip().startswith("["):
            continue  # a paragraph's end, or typer's own [default: …] / [required] line
        word = _first_word(following.strip())
        joined = 0 if table.unspaced(line.rstrip()[-1:]) and table.unspaced(word) else 1
        if cell_len(line.rstrip()) + joined + cell_len(word) <= room:
            short.append(f"{line.rstrip()!r} / {following.strip()!r}")
    return short


def _prose_blocks(screen: str, width: int, helps: list[str]) -> list[tuple[list[str], int]]:
    """The screen's running text, as (lines, cells a line may hold): the paragraphs
    above the panels, and each row's help inside them (its column found where one of
    the `helps` starts)."""
    blocks: list[tuple[list[str], int]] = []
    outside: list[str] = []
    panel: list[str] | None = None
    for line in screen.splitlines():
        if line.startswith("╭"):
            panel = []
        elif line.startswith("╰") and panel is not None:
            blocks.extend(_panel_blocks(panel, width - 4, helps))
            panel = None
        elif panel is not None:
            panel.append(line[2:-2])
        elif not line.lstrip().startswith(("Usage:", i18n._("Usage:"))):
            outside.append(line[1:])
    blocks.append((outside, width - 2))
    return blocks


def _panel_blocks(rows: list[str], inner: int, helps: list[str]) -> list[tuple[list[str], int]]:
    found = [row.find(h) for row in rows for h in helps if h in row]
    if not found:
        return []
    # Where the help column starts: most rows' first words are there (a help may also
    # name another option, found at the start of that option's row).
    start = Counter(found).most_common(1)[0][0]
    blocks: list[tuple[list[str], int]] = []
    current: list[str] = []
    for row in rows:
        if current and not row[:start].strip():  # the same row's help goes on
            current.append(row[start:])
            continue
        if current:
            blocks.append((current, inner - start))
        current = [row[start:]]
    if current:
        blocks.append((current, inner - start))
    return blocks


def _said(text: str) -> str:
    return unwrapped(i18n.translate(inspect.cleandoc(text)))


@pytest.mark.parametrize(("lang", "width"), SCREENS)
def test_every_help_reads_well(lang, width, monkeypatch):
    monkeypatch.setenv("LANG", lang)  # for the texts looked up below
    problems = []
    for path, command in COMMANDS:
        screen = _help(path, lang, width)
        where = f"{' '.join(path) or 'crmcli'} at {width} ({lang})"
        lines = screen.splitlines()
        problems += [f"{where}: too wide: {line!r}" for line in lines if cell_len(line) > width]
        group = hasattr(command, "list_commands")
        subs = [sub for _, sub in _all_commands(command)] if group else []
        texts = [command.help or ""] + [p.help or "" for p in command.params]
        texts += [c.short_help or c.help or "" for c in subs]
        helps = [_said(t).split("\n")[0][:12] for t in texts[1:] if t]
        for block, room in _prose_blocks(screen, width, helps):
            problems += [f"{where}: broken short: {s}" for s in _broken_short(block, room)]
        flat = screen.replace("│", " ")
        for param in command.params:
            names = [*param.opts, *param.secondary_opts]
            if isinstance(param.type, click.Choice):
                names += [str(c) for c in param.type.choices]
            for name in names:
                shown = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", flat)
                if (name.startswith("-") or isinstance(param.type, click.Choice)) and not shown:
                    problems.append(f"{where}: {name} is not shown whole")
        # A value is named as its option or argument is (`--owner OWNER`, `REF`), never by
        # its Python type (`<str>`, `<int range>`, `<path>`: typer's words, in no language).
        raw = re.findall(r"<(?:str|int|float|path|int range|float range)>", screen)
        problems += [f"{where}: the value named by its type: {r}" for r in raw]
        held = sum(_said(t).count("…") for t in texts if t)
        if screen.count("…") > held:
            problems.append(f"{where}: something is cut (…)")
    assert problems == [], "\n".join(problems)


def test_a_paragraph_is_one_line_for_the_screen_to_wrap():
    text = "First line\nof the first.\n\nSecond\n  paragraph.\n\n\bkept\nas typed"
    assert unwrapped(text) == "First line of the first.\n\nSecond paragraph.\n\n\bkept\nas typed"
    # Chinese and Japanese join without a space; Korean, written with spaces, with one.
    assert unwrapped("データベースを\nコピーします。") == "データベースをコピーします。"
    assert unwrapped("데이터베이스를\n복사합니다.") == "데이터베이스를 복사합니다."
