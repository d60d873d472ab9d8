"""The table layer: identifying columns whole, numbers never cut, the rest wraps or is named."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from crmcli.cli import table

K, N, P, OT = table.KEY, table.NUMBER, table.PROSE, table.OTHER


def _columns(spec: list[tuple[str, str]]) -> list[table.Column]:
    return [table.Column(f, f, role, right=role == N) for f, role in spec]


def _render(columns, rows, width):
    lay = table.layout(columns, rows, width)
    index = {c.field: i for i, c in enumerate(columns)}
    lines = list(table.header_lines(lay, table.UNICODE, bold=False))
    for row in rows:
        lines.extend(table.row_lines(lay, row, index, table.UNICODE))
    return lay, lines


def test_identifying_columns_keep_their_content_and_the_rest_gives_way():
    cols = _columns([("id", K), ("code", K), ("name", K), ("phone", OT), ("notes", P)])
    rows = [["1", "K0001", "Անի Արմենի Պետրոսյան", "+374 91 123456", "likes " * 30]]
    for width in (40, 60, 80):
        lay, lines = _render(cols, rows, width)
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        shown = dict(zip([c.field for c in lay.columns], lay.widths, strict=True))
        assert shown["name"] >= cell_len("Անի Արմենի Պետրոսյան")
        assert shown["code"] >= 5


def test_numbers_are_never_cut_and_hidden_columns_are_named():
    cols = _columns([("id", K), ("file", OT), ("rows", N), ("amount", N), ("notes", P)])
    rows = [["12", "customers-2026-export.csv", "200000", "1,234,567,890.00", "fine"]]
    lay, lines = _render(cols, rows, 40)
    text = "\n".join(lines)
    if "rows" in [c.field for c in lay.columns]:
        assert "200000" in text
    if "amount" in [c.field for c in lay.columns]:
        assert "1,234,567,890.00" in text
    assert lay.hidden  # 40 columns cannot hold it all
    assert table.hidden_note(lay.hidden).startswith(f"{len(lay.hidden)} column")
    assert "--fields or a wider terminal" in table.hidden_note(lay.hidden)


def test_wide_characters_measure_two_cells():
    cols = _columns([("code", K), ("name", K)])
    rows = [["K1", "김민준"], ["J1", "山田 太郎"], ["F1", "ｙａｍａｄａ"], ["A1", "Պետրոսյան"]]
    _, lines = _render(cols, rows, 60)
    bars = {cell_len(line.split("│")[0]) for line in lines[2:]}
    assert len(bars) == 1


def test_wrap_folds_words_wider_than_the_column():
    assert table.wrap("가나다라마바사", 6) == ["가나다", "라마바", "사"]
    assert table.wrap("one two three", 7) == ["one two", "three"]


def test_followups_list_shows_the_rule_in_words_but_csv_keeps_it(cli):
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    cli("followups", "add", "K1", "--on", "2026-01-31", "--every", "1m", "--note", "rent")
    table_out = cli("followups", "list", "-f", "table").stdout
    assert "monthly, on the last day" in table_out.replace("\n", " ").replace("│", " ") or (
        "monthly" in table_out and "last day" in table_out
    )
    assert "FREQ=" not in table_out
    csv_out = cli("followups", "list", "-f", "csv", "--fields", "rrule").stdout
    assert "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1" in csv_out


def test_overdue_complaints_show_days_overdue_by_default(cli):
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    cli("complaints", "open", "K1", "--summary", "late, broken", "--on", "2026-01-01")
    out = cli("complaints", "list", "--overdue", "--as-of", "2026-02-01").stdout
    header = out.splitlines()[0].split(",")
    assert "days_overdue" in header
    assert "days_overdue" not in cli("complaints", "list").stdout.splitlines()[0]


def test_item_lists_quote_an_item_holding_a_comma(cli):
    import json

    cli("customers", "add", "--name", "Kim", "--code", "K1")
    cli(
        "purchases",
        "add",
        "K1",
        "--amount",
        "10",
        "--item",
        "Beans, dark roast",
        "--on",
        "2026-01-02",
    )
    cli("purchases", "add", "K1", "--amount", "10", "--item", "Mug large", "--on", "2026-01-03")
    out = cli(
        "customers", "who-bought", "--item", "a", "--fields", "code,items", "-f", "tsv"
    ).stdout
    import csv
    import io

    items = list(csv.reader(io.StringIO(out), delimiter="\t"))[1][1]
    assert items in ('"Beans, dark roast", Mug large', 'Mug large, "Beans, dark roast"')
    rows = json.loads(
        cli("customers", "who-bought", "--item", "a", "--fields", "items", "-f", "json").stdout
    )
    assert sorted(rows[0]["items"]) == ["Beans, dark roast", "Mug large"]


def test_keep_puts_a_column_before_the_ones_left_of_it():
    cols = _columns([("date", OT), ("ref", K), ("name", K), ("phone", OT), ("why", P)])
    rows = [["2026-03-20", "K1", "Anna Lee", "+82 10 1234 5678", "birthday on 2026-03-21"]]
    plain = table.layout(cols, rows, 50)
    kept = table.layout(cols, rows, 50, keep=("why",))
    assert "why" in plain.hidden and "phone" not in plain.hidden
    assert "why" not in kept.hidden and "phone" in kept.hidden


@pytest.mark.parametrize(
    ("header", "width", "lines"),
    [
        ("days_overdue", 7, ["days_", "overdue"]),  # after `_`: nothing joins the parts
        ("Do not contact", 10, ["Do not", "contact"]),  # words on one line keep their space
        ("a long header", 8, ["a long", "header"]),
        ("Contact window", 8, ["Contact", "window"]),
        ("name", 2, ["na", "me"]),  # a word longer than the width is folded
    ],
)
def test_headers_wrap_at_spaces_and_underscores_keeping_spaces(header, width, lines):
    assert table.wrap_header(header, width) == lines


def test_a_record_below_the_minimum_width_is_label_value_lines():
    cols = _columns([("name", K), ("note", P)])
    lines = list(table.record_lines(cols, ["김민준", "first\nsecond"], 10, bold=False))
    assert lines == ["name: 김민준", "note: first\n  second"]
    bold = list(table.record_lines(cols, ["Kim", ""], 10, bold=True))
    assert bold == ["\x1b[1mname\x1b[0m: Kim"]  # an empty value is left out


def test_a_record_on_a_narrow_screen_is_two_columns_that_wrap():
    cols = [table.Column("name", "name", K), table.Column("note", "a long header", P)]
    lines = list(table.record_lines(cols, ["Kim", "one two three four five"], 24, bold=False))
    assert lines == ["name     Kim", "a long   one two three", "header   four five"]
    assert table.hidden_note(("phone", "email")) == (
        "2 columns hidden (phone, email): --fields or a wider terminal"
    )


def test_cjk_text_fills_its_lines_and_no_line_starts_with_closing_punctuation():
    # Japanese and Chinese have no spaces between words: a line breaks between letters.
    lines = table.wrap("1 日あたりのランク別訪問の上限（A が先）。空 = すべて。", 14)
    assert lines[0].startswith("1 日")  # the number is not left alone on its line
    assert all(table.cell_len(line) <= 14 for line in lines)
    assert not any(line[0] in table.NO_LINE_START for line in lines[1:])
    assert "".join(lines).replace(" ", "") == "1日あたりのランク別訪問の上限（Aが先）。空=すべて。"


def test_korean_breaks_between_words_as_it_is_written():
    # Korean puts spaces between words: a line breaks there, never inside a word that fits.
    lines = table.wrap("구매 후 확인: 콜드브루 (2026-10-25 구매)", 18)
    assert lines == ["구매 후 확인:", "콜드브루", "(2026-10-25 구매)"]
    # A word wider than the whole line is still folded, not lost.
    assert table.wrap("가나다라마바사아자차", 8) == ["가나다라", "마바사아", "자차"]


def test_a_kept_column_of_text_reads_as_sentences_a_long_name_wraps_for_it():
    # `due` at 80 columns: the reason got 17 cells (a word a line, 11 lines for one item)
    # while a long name kept its 33; now the reason gets READABLE cells, the date stays,
    # and the phone, which had no room left, is shown under the name.
    fields = [("date", OT), ("kind", OT), ("ref", K), ("name", K), ("salutation", P)]
    cols = _columns([*fields, ("phone", OT), ("why", P), ("owner", OT)])
    name = "Անի Արմենի Պետրոսյան-Հովհաննիսյան"
    why = "complaint #2 (normal): Wrong size delivered — at received; apologized was due"
    rows = [["2026-03-20", "complaint", "AM-2024-0001", name, "Անի", "+374 91 123456", why, "Ani"]]
    keep, under = ("why", "date", "phone"), {"phone": "name"}
    lay = table.layout(cols, rows, 80, keep=keep, under=under)
    widths = dict(zip([c.field for c in lay.columns], lay.widths, strict=True))
    assert widths["why"] >= table.READABLE and "date" in widths
    assert "phone" not in widths and "phone" not in lay.hidden
    assert [(host, guest.field) for host, guest in lay.under] == [("name", "phone")]
    assert table.NAME_MIN <= widths["name"] < cell_len(name)
    index = {c.field: i for i, c in enumerate(cols)}
    lines = list(table.row_lines(lay, rows[0], index, table.UNICODE))
    assert all(cell_len(line) <= 80 for line in lines)
    shown = [line.split("│")[2].strip() for line in lines]
    assert shown[-1] == "+374 91 123456"  # under the name, whole
    assert "".join(shown[:-1]).replace(" ", "") == name.replace(" ", "")  # not a letter lost
    assert "Պետրոսյան-" in shown  # the compound breaks after its hyphen
    header = list(table.header_lines(lay, table.UNICODE, bold=False))
    assert [h.split("┃")[2].strip() for h in header[:2]] == ["name", "phone"]
    # A short name is not narrowed: its column is as wide as its header, and the phone
    # has a column of its own again.
    kim = [*rows[0][:3], "Kim", "Kim", "010-1234", *rows[0][6:]]
    short = table.layout(cols, [kim], 80, keep=keep, under=under)
    widths = dict(zip([c.field for c in short.columns], short.widths, strict=True))
    assert widths["name"] == len("name") and widths["why"] >= table.READABLE
    assert widths["phone"] and short.under == ()
    # Wider, the name is whole again and the kept phone has its own column.
    wide = table.layout(cols, rows, 130, keep=keep, under=under)
    widths = dict(zip([c.field for c in wide.columns], wide.widths, strict=True))
    assert widths["name"] == cell_len(name) and widths["phone"] and widths["why"] >= 30


def test_every_kept_column_stays_and_the_names_wrap_before_the_text():
    # `complaints list` at 80 columns showed the tier and the opening date and hid the
    # stage and the summary: what a complaint is and where it stands. Kept, every one is
    # shown; names wrap first, then the kept text gives way, not a kept column.
    cols = _columns(
        [
            *(("id", K), ("customer", K), ("customer_name", K), ("tier", OT)),
            *(("opened_on", OT), ("severity", OT), ("stage", OT), ("due_on", OT), ("summary", P)),
        ]
    )
    name = "María-José Ľudmila Fernández Cruz"
    summary = "Steam wand leaks after two weeks; the customer is upset, wants a replacement"
    row = ["1", "EU-2024-0001", name, "A", "2026-02-01", "normal", "cause-found"]
    rows = [[*row, "2026-02-13", summary]]
    keep = ("summary", "stage", "due_on")
    before = table.layout(cols, rows, 80)
    assert {"stage", "summary"} <= set(before.hidden)  # as it was: the needed ones hidden
    lay = table.layout(cols, rows, 80, keep=keep)
    widths = dict(zip([c.field for c in lay.columns], lay.widths, strict=True))
    assert {"stage", "due_on", "summary"} <= set(widths) and lay.under == ()
    assert widths["customer_name"] == table.NAME_MIN  # the name wrapped first
    assert widths["summary"] >= table.PROSE_MIN
    narrow = widths["summary"]
    assert sum(lay.widths) + table.SEP * (len(lay.widths) - 1) <= 80
    # The code under the name: the summary gets the room the code had.
    stacked = table.layout(cols, rows, 80, keep=keep, under={"customer": "customer_name"})
    widths = dict(zip([c.field for c in stacked.columns], stacked.widths, strict=True))
    assert "customer" not in widths and widths["summary"] >= narrow + len("EU-2024-0001")
    assert {"stage", "due_on"} <= set(widths)


def test_a_long_word_breaks_after_a_hyphen_never_at_a_minus():
    assert table.wrap("Պետրոսյան-Հովհաննիսյան", 12) == ["Պետրոսյան-", "Հովհաննիսյան"]
    assert table.wrap("FROM=2026-01-01", 12) == ["FROM=2026-01", "-01"]  # dates: folded


def test_a_header_reads_whole_before_a_column_not_kept_comes_in():
    # `complaints list` of a shop with short names at 80 columns: the header broke at its
    # underscore, with the code's header under it three lines (`customer_` / `name` /
    # `customer`), to show an empty `tier`; and at 70 the code's width (8) narrowed its
    # host below the header's longest part: `customer` / `_name`.
    C = table.Column
    columns = [
        C("id", "id", table.KEY, True),
        C("customer_name", "customer_name", table.KEY),
        C("customer", "customer", table.KEY),
        C("tier", "tier", table.OTHER),
        C("stage", "stage", table.OTHER),
        C("due_on", "due_on", table.OTHER),
        C("summary", "summary", table.PROSE),
    ]
    long = "Steam wand leaks after two weeks; the customer is upset, wants a replacement too"
    rows = [
        ["2", "김민준", "K1", "", "received", "2026-02-02", "late"],
        ["1", "김민준", "K1", "", "received", "2026-02-02", long],
    ]
    keep, under = ("summary", "stage", "due_on"), {"customer": "customer_name"}
    for width in (80, 70, 60):
        lay = table.layout(columns, rows, width, keep=keep, under=under)
        shown = dict(zip((c.field for c in lay.columns), lay.widths, strict=True))
        host = table.wrap_header("customer_name", shown["customer_name"])
        if width == 80:
            assert host == ["customer_name"], shown
        assert host in (["customer_name"], ["customer_", "name"]), (width, shown)
        assert "tier" not in shown and shown["summary"] >= table.PROSE_MIN


def test_a_name_breaks_at_its_spaces_where_its_words_fit():
    # A Japanese or Chinese name filled its line letter by letter, as running text does:
    # `長谷川 健太郎 ジ` / `ョナサン`, `欧阳 明月 诸葛 孔` / `明`.
    assert table.wrap("長谷川 健太郎 ジョナサン", 16, fill=False) == ["長谷川 健太郎", "ジョナサン"]
    assert table.wrap("欧阳 明月 诸葛 孔明", 16, fill=False) == ["欧阳 明月 诸葛", "孔明"]
    running = table.wrap("欧阳 明月 诸葛 孔明", 17)  # running text fills its line
    assert running == ["欧阳 明月 诸葛 孔", "明"]
    assert table.wrap("欧阳 明月 诸葛 孔明", 17, fill=False) == ["欧阳 明月 诸葛", "孔明"]
    assert table.wrap("長谷川健太郎ジョナサン", 8, fill=False) == ["長谷川健", "太郎ジョ", "ナサン"]
    C = table.Column
    columns = [C("name", "name", table.KEY), C("note", "note", table.PROSE)]
    lay = table.Layout(tuple(columns), (16, 20), ())
    lines = list(
        table.row_lines(
            lay, ["長谷川 健太郎 ジョナサン", "Call back"], {"name": 0, "note": 1}, table.UNICODE
        )
    )
    assert [line.split("│")[0].strip() for line in lines] == ["長谷川 健太郎", "ジョナサン"]
