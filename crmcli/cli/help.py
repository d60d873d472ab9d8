"""Help screens that read well at any width, in every language.

typer draws `--help` with rich; two things in it read badly on an 80-column terminal:

- a docstring's hard line breaks stay in every paragraph after the first, so a
  sentence stops in mid-line and goes on below: each paragraph is joined into one
  line first (`table.unwrapped`), and rich wraps it to the screen;
- its table of options lets rich share the width among its columns: an option's
  name is cut (`--include-do-not-cont…`), a list of choices folded inside a word
  (`json|j` / `sonl`), and the help squeezed into a fifth of the line. Here the
  names are never cut, a long metavar breaks after `|` or at a space, and the help
  keeps at least HELP_MIN cells where the screen has them.

The rows themselves (names, metavars, help, defaults) are typer's own: only their
layout changes. Loaded only when a help screen is drawn.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from crmcli.cli import PLAIN_TYPES
from crmcli.cli.i18n import translate_help
from crmcli.cli.table import cell_len, line_starts, unspaced

_RAW_TYPES = frozenset(f"<{name}>" for name in PLAIN_TYPES)
HELP_MIN = 34  # cells of an option's help: about six words a line
_PANEL_EDGES = 4  # a panel's two borders and the space inside each


def prepare(command: Any, ctx: Any) -> None:
    """Make the help screen about to be drawn for `command` speak and fit (see above)."""
    from typer import rich_utils

    translate_help(command, ctx)
    if not getattr(rich_utils._print_options_panel, "fits", False):
        rich_utils._print_options_panel = _fitting(rich_utils._print_options_panel)
        rich_utils._make_rich_text = _wrapping(rich_utils._make_rich_text)


def _wrapping(make_text: Any) -> Any:
    """typer's maker of help text, its text wrapped as each language is written.

    rich breaks lines at spaces only, and cuts (…) a word wider than its cell. Japanese
    and Chinese are written without spaces: a line stopped at the last space, half
    empty, and a run wider than the cell lost its end. Such text is broken between
    letters instead, filling each line, never before a closing mark (`table.wrap`).
    """

    def make(**options: Any) -> Any:
        made = make_text(**options)
        if hasattr(made, "overflow"):
            made.overflow = "fold"  # never "…": a word too wide is folded
            if any(unspaced(ch) for ch in made.plain):
                made.__class__ = _written_without_spaces()
        return made

    return make


@lru_cache(maxsize=1)
def _written_without_spaces() -> type:
    from rich.containers import Lines
    from rich.text import Text

    class Unspaced(Text):
        """Text wrapped by `table.wrap`: between letters where no space is, as CJK is."""

        __slots__ = ()

        def wrap(self, console: Any, width: int, **options: Any) -> Lines:
            lines = Lines()
            for line in self.split(allow_blank=True):
                starts = line_starts(line.plain, width)
                if starts is None:  # a shape wrap() does not keep (tabs): rich's own way
                    lines.extend(Text.wrap(line, console, width, **options))
                    continue
                pieces = line.divide(starts)
                for piece in pieces:
                    piece.rstrip()
                lines.extend(pieces)
            return lines

    return Unspaced


def _fitting(draw: Any) -> Any:
    """typer's drawer of an options (or arguments) panel, its table laid out to fit."""

    def draw_fitted(**options: Any) -> None:
        console = options["console"]
        drawn: list[Any] = []
        draw(**{**options, "console": _Catch(drawn)})
        for panel in drawn:
            panel.renderable = laid_out(panel.renderable, console.width - _PANEL_EDGES)
            console.print(panel)

    draw_fitted.fits = True  # type: ignore[attr-defined]
    return draw_fitted


class _Catch:
    """A console that keeps what typer prints (its panel), to be laid out and printed."""

    def __init__(self, drawn: list[Any]) -> None:
        self.drawn = drawn

    def print(self, renderable: Any, *args: Any, **kwargs: Any) -> None:
        self.drawn.append(renderable)


def laid_out(options: Any, width: int) -> Any:
    """typer's options table (required mark, names…, metavar, help) laid out for `width`.

    Columns no row fills are left out (they cost two blank cells each); the names are
    never wrapped or cut; the metavar column gives way, broken at `|` or a space, until
    the help has HELP_MIN cells (or the metavar's longest part is reached).
    """
    from rich.table import Table
    from rich.text import Text

    cells = [list(column.cells) for column in options.columns]
    if len(cells) < 3:
        return options  # not the table typer draws (a newer typer): as it is
    *names, metavars, helps = cells
    # An argument's type (`REF  <str>`) says nothing its name does not (cli._name_values).
    metavars = [Text() if _plain(cell) in _RAW_TYPES else cell for cell in metavars]
    names = [column for column in names if any(_plain(cell) for cell in column)]
    name_widths = [max(cell_len(_plain(cell)) for cell in column) for column in names]
    gap = 2  # the table's padding: a space after a column and one before the next
    used = sum(w + gap for w in name_widths)
    natural = max(cell_len(_plain(cell)) for cell in metavars)
    room = width - used - gap - HELP_MIN
    metavar_width = max(min(natural, room), max(_longest_part(cell) for cell in metavars))
    table = Table(
        highlight=options.highlight,
        show_header=False,
        expand=True,
        box=options.box,
        show_lines=options.show_lines,
        leading=options.leading,
        pad_edge=options.pad_edge,
        padding=options.padding,
    )
    for w in name_widths:
        table.add_column(no_wrap=True, width=w)
    if natural:
        table.add_column(no_wrap=True, width=min(natural, metavar_width))
    table.add_column(ratio=1)
    for row in zip(*names, metavars, helps, strict=True):
        *row_names, metavar, help_ = row
        shown = [*row_names]
        if natural:
            shown.append(_broken(metavar, metavar_width) if isinstance(metavar, Text) else metavar)
        table.add_row(*shown, help_)
    return table


def _plain(cell: Any) -> str:
    return str(getattr(cell, "plain", cell))


def _parts(text: str) -> list[str]:
    """`<table|csv|tsv>` → `<table|`, `csv|`, `tsv>`; `<int range> [x>=1]` → at the space."""
    parts, start = [], 0
    for i, ch in enumerate(text):
        if ch in "| ":
            parts.append(text[start : i + 1])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p]


def _longest_part(cell: Any) -> int:
    return max((cell_len(p.rstrip()) for p in _parts(_plain(cell))), default=0)


def _broken(text: Any, width: int) -> Any:
    """The styled `text` in lines of at most `width` cells, broken after `|` or at a space."""
    from rich.text import Text

    plain = text.plain
    if cell_len(plain) <= width:
        return text
    cuts, line, at = [], 0, 0
    for part in _parts(plain):
        if line and line + cell_len(part.rstrip()) > width:
            cuts.append(at)
            line = 0
        line += cell_len(part)
        at += len(part)
    lines = text.divide(cuts)
    for piece in lines:
        piece.rstrip()  # the space a line was broken at
    return Text("\n").join(lines)
