"""cli/screen: what may reach a person's terminal (escaped, never raw), and its width."""

from __future__ import annotations

import io

import pytest

from crmcli.cli import screen


class Stream(io.StringIO):
    """A text stream with a chosen encoding, tty-ness and file number."""

    def __init__(self, encoding: str = "utf-8", tty: bool = False) -> None:
        super().__init__()
        self._encoding, self._tty = encoding, tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("김민준 山田", "김민준 山田"),
        ("evil\x1b]0;owned\x07", "evil\\x1b]0;owned\\x07"),  # retitling the terminal
        ("\x1b[2J", "\\x1b[2J"),  # clearing it
        ("csi\x9b", "csi\\x9b"),  # a C1 control some terminals obey
        ("abc\u202edcba", "abc\\u202edcba"),  # a bidi override ("Trojan Source")
        ("line\u2028break", "line\\u2028break"),
        ("a\tb", "a b"),  # a tab is a space in a cell
        ("one\ntwo", "one\\x0atwo"),
        ("👩\u200d💻", "👩\u200d💻"),  # a zero-width joiner in an emoji is harmless
        ("\ue000", "\\ue000"),  # private use
    ],
)
def test_printable_escapes_what_would_act_on_the_terminal(text, shown):
    assert screen.printable(text) == shown


def test_printable_keeps_line_breaks_when_asked():
    assert screen.printable("one\ntwo\x1b", newlines=True) == "one\ntwo\\x1b"


def test_json_printable_keeps_the_data_as_escapes():
    assert screen.json_printable("plain") == "plain"
    assert screen.json_printable("a\x1bb\u202ec\nd") == "a\\u001bb\\u202ec\nd"


def test_encodable_writes_what_the_stream_can():
    assert screen.encodable("김민준", Stream("utf-8")) == "김민준"
    assert screen.encodable("김민준", Stream("UTF_8_SIG")) == "김민준"
    assert screen.encodable("Kim 김", Stream("ascii")) == "Kim \\uae40"
    assert screen.encodable("Kim", Stream("ascii")) == "Kim"
    assert screen.encodable("김", Stream("cp949")) == "김"  # the stream's own code page
    assert screen.encodable("김", Stream("no-such-codec")) == "김"


def test_box_drawing_only_where_unicode_is_written():
    assert screen.is_unicode(Stream("utf-8")) and screen.is_unicode(Stream("GB18030"))
    assert not screen.is_unicode(Stream("ascii")) and not screen.is_unicode(Stream("cp949"))


def test_for_person_escapes_then_encodes():
    assert screen.for_person("김\x1b", Stream("ascii")) == "\\uae40\\x1b"


@pytest.mark.parametrize(("columns", "width"), [("120", 120), ("0", 80), ("abc", 80), ("", 80)])
def test_width_from_columns_else_the_default(monkeypatch, columns, width):
    monkeypatch.setenv("COLUMNS", columns)
    assert screen.width(Stream()) == width  # a StringIO has no terminal: the default


@pytest.mark.parametrize(
    ("tty", "no_color", "term", "bold"),
    [
        (True, "", "xterm", True),
        (True, "1", "xterm", False),  # no-color.org
        (True, "", "dumb", False),
        (False, "", "xterm", False),  # piped
    ],
)
def test_colour_only_on_a_capable_terminal(monkeypatch, tty, no_color, term, bold):
    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setenv("TERM", term)
    assert screen.colour(Stream(tty=tty)) is bold
