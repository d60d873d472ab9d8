"""names: a name split into family, given and patronymic in its own script, and the salutation."""

from __future__ import annotations

import pytest

from crmcli import names


@pytest.mark.parametrize(
    ("name", "family", "given", "patronymic"),
    [
        ("김민준", "김", "민준", None),
        ("남궁민수", "남궁", "민수", None),
        ("山田 太郎", "山田", "太郎", None),
        ("山田太郎", "山田", "太郎", None),  # a common Japanese surname
        ("上原優", "上原", "優", None),
        ("伴雅博", None, None, None),  # kanji alone, no surname we know: kept whole
        ("王小明", None, None, None),  # kanji alone is never split as Chinese
        ("张小明", "张", "小明", None),  # a simplified-only form says Chinese
        ("欧阳娜娜", "欧阳", "娜娜", None),
        ("Անի Արմենի Պետրոսյան", "Պետրոսյան", "Անի", "Արմենի"),
        ("Ani Armenovna Petrosyan", "Petrosyan", "Ani", "Armenovna"),
        ("Петров Иван Сергеевич", "Петров", "Иван", "Сергеевич"),
        ("John Smith", "Smith", "John", None),
        ("Smith, John", "Smith", "John", None),
    ],
)
def test_split_name(name, family, given, patronymic):
    assert names.split_name(name) == names.NameParts(family, given, patronymic)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (dict(name="김민준", family="김", given="민준"), "김민준 고객님"),
        (dict(name="김민준", family="김", given="민준", style="friendly"), "민준 님"),
        (dict(name="山田 太郎", family="山田", given="太郎"), "山田様"),
        (dict(name="山田太郎", family=None, given=None), "山田太郎様"),
        (dict(name="王小明", family="王", given="小明", gender="M", locale="zh"), "王先生"),
        (dict(name="上原優", family=None, given=None, gender="F"), "上原優様"),
        (
            dict(
                name="Ani Armenovna Petrosyan",
                family="Petrosyan",
                given="Ani",
                patronymic="Armenovna",
            ),
            "Ani Armenovna",
        ),
        (dict(name="John Smith", family="Smith", given="John", gender="male"), "Mr Smith"),
        # Formal without a known gender: the whole name (issue 12), never "John" alone.
        (dict(name="John Smith", family="Smith", given="John"), "John Smith"),
        (dict(name="John Smith", family="Smith", given="John", style="friendly"), "John"),
    ],
)
def test_salutations(kwargs, expected):
    assert names.salutation(**kwargs) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # Known by code and phone only: never "Dear ," nor a bare 様, in their language.
        (dict(name=None, family=None, given=None, locale="ko"), "고객님"),
        (dict(name="  ", family=None, given=None, locale="ja"), "お客様"),
        (dict(name=None, family=None, given=None, locale="zh_Hant_TW"), "尊敬的客戶"),
        (dict(name=None, family=None, given=None, locale="zh_Hans"), "尊敬的客户"),
        (dict(name=None, family=None, given=None, locale="ru"), "Уважаемый клиент"),
        (dict(name=None, family=None, given=None, locale="pt"), "valued customer"),
        (dict(name=None, family=None, given=None), "valued customer"),
        # Parts without a name: put back together in the culture's order.
        (dict(name=None, family="김", given="민준", locale="ko"), "김민준 고객님"),
        (dict(name=None, family="Smith", given="Jane", gender="F"), "Ms Smith"),
        (dict(name="山田 太郎", family="山田", given="太郎", style="friendly"), "太郎さん"),
        (dict(name="王小明", family="王", given="小明", gender="女", locale="zh"), "王女士"),
        (dict(name="王小明", family="王", given="小明", locale="zh"), "王小明"),  # gender unknown
        (dict(name="Иван Петров", family="Петров", given="Иван", locale="ru"), "Иван"),
        (dict(name="Anna Karenina", family="Karenina", given="Anna", gender="w"), "Ms Karenina"),
    ],
)
def test_more_salutations(kwargs, expected):
    assert names.salutation(**kwargs) == expected


@pytest.mark.parametrize(
    ("parts", "locale", "whole"),
    [
        (names.NameParts("김", "민준"), None, "김민준"),
        (names.NameParts("山田", "太郎"), "ja", "山田 太郎"),
        (names.NameParts("王", "小明"), "zh", "王小明"),
        (names.NameParts("Petrosyan", "Ani", "Armenovna"), "hy", "Ani Armenovna Petrosyan"),
        (names.NameParts("Smith", None), None, "Smith"),
        (names.NameParts(), None, None),
    ],
)
def test_full_name_puts_parts_back_in_the_cultures_order(parts, locale, whole):
    assert names.full_name(parts, locale=locale) == whole


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("", names.NameParts()),
        ("   ", names.NameParts()),
        ("Madonna", names.NameParts(given="Madonna")),
        ("황보 서연 아름다운", names.NameParts()),  # three Hangul words: not guessed
        ("제갈공명", names.NameParts("제갈", "공명")),  # a compound Korean family name
        ("김", names.NameParts()),  # one syllable is no name to split
        ("Mary Ann  Smith", names.NameParts(family="Smith", given="Mary Ann")),
    ],
)
def test_names_that_are_split_carefully_or_not_at_all(name, parts):
    assert names.split_name(name) == parts


def test_fold_is_the_search_form():
    assert names.fold("  ＫＩＭ   Min-Jun ") == "kim min-jun"
    assert names.fold("Straße") == "strasse"


@pytest.mark.parametrize(
    ("name", "locale"),
    [("김민준", "ko"), ("山田 太郎", "ja"), ("张小明", "zh"), ("Анна", "ru"), ("Անի", "hy"),
     ("王小明", None), (None, None)],
)  # fmt: skip
def test_the_locale_a_name_alone_points_to(name, locale):
    found = names.default_locale(name)
    assert (found.split("_")[0] if found else None) == locale
