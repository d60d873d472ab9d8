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
