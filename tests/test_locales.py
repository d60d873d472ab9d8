"""A locale per customer: given, or inferred from the strongest evidence, stored with it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from crmcli import customers, locales, names, settings
from crmcli.db import open_db
from crmcli.errors import InvalidValue
from crmcli.imports import evidence

SCHEMA = Path(__file__).parent / "fixtures" / "schema"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("ko", "ko"),
        ("ko-KR", "ko"),
        ("JA_jp", "ja"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-TW", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("zh_Hant_HK", "zh_Hant_HK"),
        ("zh-HK", "zh_Hant_HK"),
        ("hy", "hy"),
        ("ru-KZ", "ru_KZ"),
        ("en", "en"),
        ("en-US", "en"),
        ("en_gb", "en_GB"),
        ("es", "es"),  # another language: greeted with the base templates
        ("es-MX", "es_MX"),
        ("de-DE", "de"),
    ],
)
def test_locales_are_stored_in_one_canonical_form(given, stored):
    assert locales.canonical(given) == stored


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("jp", "'jp' is a country; its language's locale is ja"),
        ("klingon", "not a locale"),
        ("xx", "unknown locale 'xx'"),
        ("ja-Hant", "only Chinese takes a script"),
        ("zh-Latn", "zh_Hans or zh_Hant"),
    ],
)
def test_an_unknown_locale_is_refused_with_the_choices(given, message):
    with pytest.raises(InvalidValue, match=message):
        locales.canonical(given)


def test_locale_parts_country_templates_and_holiday_languages():
    assert locales.country("zh_Hant") == "TW"
    assert locales.country("zh_Hant_HK") == "HK"
    assert locales.country("zh_Hans") == "CN"
    assert locales.country("en_GB") == "GB"
    assert locales.country("ja") == "JP"
    assert locales.country("es") == "ES"
    assert locales.country("es_MX") == "MX"
    assert locales.template_names("birthday", "zh_Hant_HK") == [
        "birthday.zh_Hant_HK",
        "birthday.zh_Hant",
        "birthday.zh",
        "birthday",
    ]
    assert locales.holiday_languages("zh_Hant")[0] == "zh_TW"
    assert locales.holiday_languages("ko")[0] == "ko_KR"


KR_SHOP = locales.Context(default="ko")


def _infer(name, *, reading=None, phones=(), context=KR_SHOP):
    guess = locales.infer(name=name, reading=reading, phones=phones, context=context)
    return guess.locale, guess.source


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("김민준", ("ko", "name:hangul")),
        ("やまだ はなこ", ("ja", "name:kana")),
        ("Անի Պետրոսյան", ("hy", "name:armenian")),
        ("Иван Петров", ("ru", "name:cyrillic")),
        ("渡辺優", ("ja", "name:japanese-kanji")),  # 辺: a form only Japanese writes
        ("张伟", ("zh_Hans", "name:simplified-chinese")),  # 张: only simplified Chinese
        ("John Smith", ("en", "shape:latin")),
        ("山田 太郎", ("ja", "shape:spaced-kanji")),
        ("上原優", ("ja", "shape:japanese-surname")),
        ("伴雅博", ("ko", "default")),  # kanji alone: the shop decides, never "Chinese"
        ("王小明", ("ko", "default")),
        (None, ("ko", "default")),
    ],
)
def test_inference_from_the_name_alone(name, expected):
    assert _infer(name) == expected


def test_evidence_is_weighed_strongest_first():
    japanese_file = locales.Guess("ja", "file:cp932")
    in_japan = locales.Context(default="ko", file=japanese_file)
    china = [("+86 138 0013 8000", "+8613800138000")]
    # The letters of the name beat the file; the file beats the phone; the phone beats shape.
    assert _infer("김민준", phones=china, context=in_japan) == ("ko", "name:hangul")
    assert _infer("伴雅博", phones=china, context=in_japan) == ("ja", "file:cp932")
    assert _infer("伴雅博", phones=china) == ("zh_Hans", "phone:+86")
    assert _infer("John Smith", phones=china) == ("zh_Hans", "phone:+86")
    # The reading counts like the name: a kana reading makes a kanji name Japanese.
    assert _infer("王小明", reading="おう しょうめい") == ("ja", "reading:kana")
    # Only a number written with its country code is evidence; a national one is the shop's.
    assert _infer("伴雅博", phones=[("010-1234-5678", "+821012345678")]) == ("ko", "default")
    assert _infer("伴雅博", phones=[("00181 90 1234 5678", "+819012345678")]) == (
        "ja",
        "phone:+81",
    )


def test_a_chinese_or_japanese_shop_decides_kanji_names_itself():
    chinese_shop = locales.Context(default="zh_Hans")
    assert _infer("上原优", context=chinese_shop) == ("zh_Hans", "default")
    assert _infer("上原優", context=locales.Context(default="ja")) == ("ja", "default")


@pytest.mark.parametrize(
    ("headers", "encoding", "expected"),
    [
        (["氏名", "電話番号", "生年月日"], "utf-8", ("ja", "file:headers")),
        (["名前", "フリガナ", "電話"], "utf-8", ("ja", "file:headers")),
        (["이름", "전화번호"], "utf-8", ("ko", "file:headers")),
        (["姓名", "手机号码", "地址"], "utf-8", ("zh_Hans", "file:headers")),
        (["姓名", "手機號碼", "地址"], "utf-8", ("zh_Hant", "file:headers")),
        (["name", "phone"], "cp932", ("ja", "file:cp932")),
        (["name", "phone"], "cp949", ("ko", "file:cp949")),
        (["name", "phone"], "gb18030", ("zh_Hans", "file:gb18030")),
        (["name", "phone"], "big5", ("zh_Hant", "file:big5")),
        (["name", "phone"], "utf-8", None),
        (["Имя", "Телефон"], "utf-8", ("ru", "file:headers")),
        (["name", "phone"], "cp1251", ("ru", "file:cp1251")),
        (["氏名", "電話番号"], "cp949", None),  # code page and headers disagree: no guess
    ],
)
def test_file_evidence_from_headers_then_encoding(headers, encoding, expected):
    guess = evidence.file_evidence(headers=headers, encoding=encoding).locale
    assert ((guess.locale, guess.source) if guess else None) == expected


# --- names follow the locale ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "locale", "family", "given"),
    [
        ("上原優", "ja", "上原", "優"),
        ("佐々木健一", "ja", "佐々木", "健一"),
        ("長谷川一", "ja", "長谷川", "一"),
        ("林雅博", "ja", "林", "雅博"),
        ("伴雅博", "ja", None, None),  # no surname we know: whole, addressed 伴雅博様
        ("上原優", "ko", None, None),  # a kanji name of another locale is kept whole
        ("王小明", "zh_Hans", "王", "小明"),
        ("欧阳娜娜", "zh_Hans", "欧阳", "娜娜"),
    ],
)
def test_kanji_names_are_split_by_the_locale_rule(name, locale, family, given):
    assert names.split_name(name, locale=locale) == names.NameParts(family, given)


def test_japanese_customers_are_never_addressed_as_chinese(db):
    cid = customers.add(db, name="上原優", gender="F")
    assert customers.get(db, cid).salutation == "上原様"
    cid = customers.add(db, name="伴雅博", gender="M", phones_raw=["+81 90-1234-5678"])
    assert customers.get(db, cid).salutation == "伴雅博様"
    cid = customers.add(db, name="王小明", gender="M", phones_raw=["+86 138 0013 8000"])
    assert customers.get(db, cid).salutation == "王先生"


# --- stored, stable, explained -----------------------------------------------------------


def test_the_inferred_locale_is_stored_with_its_evidence(db):
    cid = customers.add(db, name="伴雅博", phones_raw=["+81 90-1234-5678"])
    row = customers.get(db, cid)
    assert (row["locale"], row["locale_source"]) == ("ja", "phone:+81")
    # An edit that moves the evidence infers again; one that does not, keeps it.
    customers.edit(db, cid, notes="likes tea")
    assert customers.get(db, cid)["locale_source"] == "phone:+81"
    customers.edit(db, cid, phones_raw=["+86 138 0013 8000"])
    assert customers.get(db, cid)["locale"] == "zh_Hans"


def test_a_locale_given_by_hand_stays_until_cleared(db):
    cid = customers.add(db, name="李雷", locale="zh-CN")
    row = customers.get(db, cid)
    assert (row["locale"], row["locale_source"], row["family_name"]) == ("zh_Hans", "set", "李")
    customers.edit(db, cid, phones_raw=["+81 90-1234-5678"])
    assert customers.get(db, cid)["locale"] == "zh_Hans"
    edited = customers.edit(db, cid, clear=["locale"])
    # Inferred again (the Japanese phone), and the Chinese split of the name undone.
    assert (edited["locale"], edited["locale_source"]) == ("ja", "phone:+81")
    assert (edited["family_name"], edited["given_name"]) == (None, None)
    assert edited.salutation == "李雷様"
    with pytest.raises(InvalidValue, match="unknown locale"):
        customers.edit(db, cid, locale="xx")


def test_customers_of_the_shops_locale_follow_it(db):
    cid = customers.add(db, name="王小明")
    other = customers.add(db, name="김민준")
    assert customers.get(db, cid)["locale"] == "ko"
    customers.set_setting(db, "locale.default", "zh-CN")
    changed = customers.get(db, cid)
    assert (changed["locale"], changed["family_name"], changed["given_name"]) == (
        "zh_Hans",
        "王",
        "小明",
    )
    assert customers.get(db, other)["locale"] == "ko"  # Hangul is evidence of its own
    customers.unset_setting(db, "locale.default")
    customers.set_setting(db, "phone.region", "JP")
    assert customers.get(db, cid)["locale"] == "ja"
    assert customers.get(db, cid)["family_name"] is None
    with pytest.raises(InvalidValue, match=r"locale\.default"):
        settings.set_value(db, "locale.default", "jp")


# --- the command line ---------------------------------------------------------------------


def test_add_edit_show_and_list_the_locale(cli):
    cli("customers", "add", "--name", "伴雅博", "--code", "J1", "--phone", "+81 90-1234-5678")
    cli("customers", "add", "--name", "王小明", "--code", "C1", "--locale", "zh-TW")
    page = json.loads(cli("customers", "show", "J1", "--format", "json").stdout)["profile"]
    assert (page["locale"], page["locale_why"]) == ("ja", "inferred: phone number +81")
    shown = cli("customers", "show", "C1", "--format", "table").stdout
    assert "zh_Hant (set)" in shown
    listed = cli("customers", "list", "--fields", "code,locale").stdout
    assert listed.splitlines() == ["code,locale", "J1,ja", "C1,zh_Hant"]
    bad = cli("customers", "edit", "C1", "--locale", "jp", ok=False)
    assert bad.exit_code == 1
    assert "'jp' is a country; its language's locale is ja" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_the_locale_column_goes_out_and_back_in(cli, tmp_path):
    cli("customers", "add", "--name", "伴雅博", "--code", "J1", "--locale", "ja")
    exported = cli("customers", "export", "--format", "csv").stdout
    assert "locale" in exported.splitlines()[0].split(",")
    path = tmp_path / "out.csv"
    path.write_text(exported, encoding="utf-8")
    again = json.loads(cli("customers", "import", str(path), "--format", "json").stdout)
    assert again[0]["unchanged"] == 1


# --- customers from before locales were stored ----------------------------------------------


def test_the_migration_gives_old_customers_a_locale_cheaply(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(SCHEMA / "v1-m001.db", path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE customers SET locale = NULL WHERE name != 'Jane Doe'")
    conn.execute("UPDATE customers SET locale = 'zh_TW' WHERE name = 'Jane Doe'")
    now = "2026-01-01T00:00:00+00:00"
    more = [
        (10, "上原優", None),
        (11, "伴雅博", "+81 90-1234-5678"),
        (12, "王小明", "+86 138 0013 8000"),
        (13, "陳大文", "010-5555-1234"),
        (14, "Иван Петров", None),
    ]
    for cid, name, phone in more:
        conn.execute(
            "INSERT INTO customers (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [cid, name, now, now],
        )
        if phone:
            e164 = "+" + "".join(c for c in phone if c.isdigit())
            if not phone.startswith("+"):
                e164 = "+82" + e164[2:]
            conn.execute(
                "INSERT INTO customer_phones (customer_id, raw, e164, digits) VALUES (?, ?, ?, ?)",
                [cid, phone, e164, e164[1:]],
            )
    # 上原優 came in with a CP932 file: the import log remembers its encoding.
    conn.execute(
        "INSERT INTO imports (id, kind, file_name, sha256, encoding, started_at)"
        " VALUES (7, 'customers', 'list.csv', 'x', 'cp932', ?)",
        [now],
    )
    conn.execute(
        "INSERT INTO import_changes (import_id, table_name, row_id, action)"
        " VALUES (7, 'customers', 10, 'insert')"
    )
    conn.commit()
    conn.close()
    db = open_db(path)
    got = {
        r[0]: (r[1], r[2]) for r in db.execute("SELECT name, locale, locale_source FROM customers")
    }
    assert got == {
        "김민준": ("ko", "name:hangul"),
        "山田 太郎": ("ja", "shape:spaced-kanji"),
        "Անի Արմենի Պետրոսյան": ("hy", "name:armenian"),
        "Jane Doe": ("zh_Hant", "set"),
        "上原優": ("ja", "file:cp932"),
        "伴雅博": ("ja", "phone:+81"),
        "王小明": ("zh_Hans", "phone:+86"),
        "陳大文": ("ko", "default"),  # a national number is the shop's own evidence
        "Иван Петров": ("ru", "name:cyrillic"),
    }


def test_holiday_country_names_and_templates_follow_each_customers_locale(cli):
    for key, value in (
        ("holidays.country", "KR,JP,TW"),
        ("holidays.greet", "all"),
        ("holidays.greet.prospects", "yes"),  # no purchases in this shop
        ("agenda.lead.holiday", "0d"),
        ("shop.name", "Bean"),
    ):
        cli("config", "set", key, value)
    cli("customers", "add", "--name", "伴雅博", "--phone", "+81 90-1234-5678", "--code", "J1")
    cli("customers", "add", "--name", "陳大文", "--phone", "+886 912 345 678", "--code", "T1")
    cli("customers", "add", "--name", "김민준", "--phone", "010-1234-5678", "--code", "K1")
    due = cli("due", "--as-of", "2027-01-01", "--kind", "holiday", "--format", "json").stdout
    countries = {line["ref"]: line["why"][-4:] for line in json.loads(due)}
    assert countries == {"J1": "(JP)", "T1": "(TW)", "K1": "(KR)"}
    greet = cli("greet", "--as-of", "2027-01-01", "--format", "json",
                "--fields", "ref,message,template").stdout  # fmt: skip
    sent = {m["ref"]: (m["template"], m["message"]) for m in json.loads(greet)}
    assert sent["J1"] == ("holiday.ja", "伴雅博様、よいお正月をお過ごしください。Beanより")
    assert sent["T1"][0] == "holiday.zh_Hant" and "快樂" in sent["T1"][1]  # not simplified 快乐
    assert sent["K1"][0] == "holiday.ko"


def test_a_nameless_traditional_chinese_customer_is_addressed_in_traditional_characters():
    assert names.salutation(name=None, family=None, given=None, locale="zh_Hant") == "尊敬的客戶"
    assert names.salutation(name=None, family=None, given=None, locale="zh_Hans") == "尊敬的客户"


def test_an_import_with_stronger_evidence_updates_an_inferred_locale_once(cli, tmp_path):
    cli("customers", "add", "--name", "伴雅博", "--code", "J1", "--gender", "M")
    cli("customers", "add", "--name", "王小明", "--code", "C1", "--locale", "zh")
    assert "伴雅博 고객님" in cli("customers", "show", "J1", "--format", "table").stdout
    path = tmp_path / "list.csv"
    path.write_bytes("顧客番号,氏名\nJ1,伴雅博\nC1,王小明\n".encode("cp932"))
    enc = ("--encoding", "cp932")  # too few bytes to tell the encoding from
    first = json.loads(cli("customers", "import", str(path), *enc, "--format", "json").stdout)[0]
    assert (first["updated"], first["unchanged"]) == (1, 1)  # the hand-set locale stays
    page = json.loads(cli("customers", "show", "J1", "--format", "json").stdout)["profile"]
    assert (page["locale"], page["salutation"]) == ("ja", "伴雅博様")
    assert page["locale_why"] == "inferred: the import file's headers"
    again = json.loads(cli("customers", "import", str(path), *enc, "--format", "json").stdout)[0]
    assert (again["updated"], again["unchanged"]) == (0, 2)
    zh = json.loads(cli("customers", "show", "C1", "--format", "json").stdout)["profile"]
    assert zh["locale"] == "zh_Hans"


@pytest.mark.parametrize(
    "name", ["John Smith", "o'Neil", "", "  ", "12345", "-", "Zoe Bronte-Muller", "X"]
)
def test_a_plain_ascii_name_is_told_at_once_as_the_letters_would_tell_it(name):
    """The agenda asks for every line: ASCII names skip the per-script expressions but
    must get the answer they would get (`en` with a letter, else nothing)."""
    slow = locales.from_letters(name) or locales.from_shape(name)
    assert names.default_locale(name) == (slow.locale if slow else None)


# The character classes crmcli told scripts by before `locales.Scripts` (each compiled in
# 2-5 ms on first use): the tables must say exactly what they said, code point by code point.
CLASSES = {
    "locales": [
        ("hangul", "[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),
        ("kana", "[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]"),
        ("armenian", "[\u0531-\u058f\ufb13-\ufb17]"),
        ("cyrillic", "[\u0400-\u04ff]"),
    ],
    "names": [
        ("hangul", "[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),
        ("kana", "[\u3040-\u30ff\uff66-\uff9f]"),
        ("armenian", "[\u0530-\u058f]"),
        ("cyrillic", "[\u0400-\u04ff]"),
        ("han", "[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]"),
    ],
    "han": [("han", "[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002fa1f]")],
    "latin": [("latin", "[A-Za-z\u00c0-\u024f]")],
}
TABLES = {
    "locales": locales._SCRIPTS,
    "names": names._SCRIPTS,
    "han": locales._HAN,
    "latin": locales._LATIN,
}


@pytest.mark.parametrize("table", CLASSES)
def test_a_scripts_table_says_what_its_character_classes_said(table):
    import re

    classes = [(name, re.compile(pattern)) for name, pattern in CLASSES[table]]
    scripts = TABLES[table]
    every = [chr(c) for c in [*range(0xD800), *range(0xE000, 0x10000), *range(0x1FFF0, 0x30010)]]
    for char in every:
        said = next((name for name, pattern in classes if pattern.search(char)), None)
        assert scripts.first(char) == said, f"U+{ord(char):04X}"
    # In a text the first script in the table's order wins, wherever its letter stands.
    mixed = "".join(every[::97])
    assert scripts.first(mixed) == next(n for n, p in classes if p.search(mixed))
    assert scripts.letters(mixed) == [c for c in mixed if any(p.match(c) for _, p in classes)]


def test_a_scripts_table_is_read_in_its_order_and_refuses_a_bad_one():
    table = locales.Scripts(kana="\u3040-\u30ff", han="\u4e00-\u9fff")
    assert table.first("山田やまだ") == "kana"  # kana first, though han comes first
    assert table.first("山田") == "han"
    assert table.first("Ann") is None
    assert table.first("") is None
    assert table.letters("A山b田") == ["山", "田"]
    with pytest.raises(ValueError, match="overlap"):
        locales.Scripts(a="a-m", b="k-z")
    with pytest.raises(ValueError, match="first-last"):
        locales.Scripts(a="a-mz")
