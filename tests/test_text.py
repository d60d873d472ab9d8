"""text: what a typed or imported field may hold, and greeting templates filled safely."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli import text
from crmcli.errors import InvalidValue


@pytest.mark.parametrize(
    "value",
    [
        "Kim Minjun",
        "김민준 山田太郎 Անի",
        "tab\tand\nline\r\nbreaks",  # text, as the import has always taken it
        "\u202eevil\u202c",  # bidi overrides are stored as typed; output escapes them
        "",
    ],
)
def test_ordinary_text_is_stored_as_typed(value):
    assert text.problem(value) is None
    assert text.check(value, field="--name") is value


@pytest.mark.parametrize(
    ("value", "code"),
    [("a\x00b", "0000"), ("\x1b[31mred", "001B"), ("bell\x07", "0007"), ("del\x7f", "007F"),
     ("csi\x9b2J", "009B"), ("\x0b", "000B"), ("\x0c", "000C")],
)  # fmt: skip
def test_control_characters_are_refused_naming_the_field_and_the_character(value, code):
    assert text.problem(value) == f"contains a control character (U+{code})"
    with pytest.raises(InvalidValue, match=rf"^--note contains a control character \(U\+{code}\)$"):
        text.check(value, field="--note", multiline=True)


def test_a_one_line_field_and_a_note_have_their_own_length_limits():
    line = "x" * text.MAX_LINE
    assert text.problem(line) is None
    assert text.problem(line + "x") == "is 10,001 characters long; at most 10,000"
    assert text.problem(line + "x", multiline=True) is None
    assert text.problem("x" * (text.MAX_TEXT + 1), multiline=True) == (
        "is 1,000,001 characters long; at most 1,000,000"
    )


def test_check_optional_lets_nothing_through_and_checks_the_rest():
    assert text.check_optional(None, field="--by") is None
    assert text.check_optional("지수", field="--by") == "지수"
    with pytest.raises(InvalidValue, match="--by"):
        text.check_optional("a\x00", field="--by")


ALLOWED = ("name", "shop")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("Dear {name}, from {shop}", None),
        ("{{literal}} braces", None),
        ("", None),
        ("Dear {name", "write {{ and }} for a literal brace"),
        ("Dear name}", "write {{ and }} for a literal brace"),
        ("{nme}", "unknown placeholder {nme}; use {name}, {shop}"),
        ("{name!r}", "placeholder {name} has a conversion or format; write just {name}"),
        ("{name:>99999999999}", "has a conversion or format"),
        ("{name.__class__}", "unknown placeholder"),
        ("{0}", "unknown placeholder {0}"),
        ("hi\x1b", "the template contains a control character (U+001B)"),
    ],
)
def test_template_problems(body, said):
    found = text.template_problem(body, ALLOWED)
    if said is None:
        assert found is None
    else:
        assert found is not None and said in found


def test_fill_template_replaces_only_plain_placeholders():
    assert text.fill_template("Dear {name}, from {shop}", {"name": "민준 님", "shop": "Bean"}) == (
        "Dear 민준 님, from Bean"
    )
    assert text.fill_template("{{x}} {name}", {"name": 1}) == "{x} 1"
    # A value is text: braces inside it are not filled again.
    assert text.fill_template("{name}", {"name": "{shop}", "shop": "no"}) == "{shop}"


def test_fill_template_keeps_what_an_old_unchecked_template_holds():
    # An unknown field stays as written (with its spec); a known one ignores the spec.
    assert text.fill_template("{who!r:>5} {name:>99999}", {"name": "Ann"}) == "{who!r:>5} Ann"
    assert text.fill_template("stray { brace", {"name": "Ann"}) == "stray { brace"


@given(st.text(max_size=50))
def test_a_body_that_passes_the_check_fills_without_error(body):
    if text.template_problem(body, ALLOWED) is None:
        filled = text.fill_template(body, {"name": "N", "shop": "S"})
        assert "{name}" not in filled or "{{name}}" in body
