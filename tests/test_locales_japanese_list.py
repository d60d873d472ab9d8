"""A Japanese shop's list, names in kanji only, from a CP932 file: never greeted as Chinese.

The list is generated (seeded): common Japanese family names, some the name splitter
knows and some it does not, with one- to three-character given names, a gender
column (which is what turned 上原優 into 上女士), phones written the national way
(so the phone says nothing: the file must), and birthdays all in one month so that
`due` and `greet` list every one of them.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re

FAMILY = (
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田",
    "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "清水", "山崎", "森", "池田",
    "橋本", "石川", "中島", "前田", "藤田", "後藤", "岡田", "長谷川", "村上", "近藤", "上原",
    "伴", "王子", "東海林", "小鳥遊", "一二三", "百目鬼", "勅使河原", "五月女", "月見里",
)  # fmt: skip
GIVEN = (
    "優", "雅博", "翔太", "陽菜", "美咲", "健一", "大輔", "直子", "恵", "誠", "蓮", "結衣",
    "大和", "悠真", "葵", "湊", "凛", "陽翔", "芽依", "一郎", "和子", "洋子", "博", "明美",
    "智子", "隆", "浩二", "裕子", "真由美", "由紀子",
)  # fmt: skip
COUNT = 1_200
CHINESE = re.compile("先生|女士|小姐|尊敬的|祝您|生日快乐|快乐|纪念日")


def _japanese_list(path, rng):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["顧客番号", "氏名", "性別", "電話番号", "生年月日", "住所"])
    for n in range(COUNT):
        name = rng.choice(FAMILY) + rng.choice(GIVEN)
        phone = f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        born = f"{rng.randint(1950, 2004)}/03/{rng.randint(1, 28):02d}"
        writer.writerow([f"J{n:05d}", name, rng.choice("男女"), phone, born, "東京都新宿区"])
    path.write_bytes(out.getvalue().encode("cp932"))


def test_a_cp932_list_of_kanji_names_gets_no_chinese_salutation_or_greeting(cli, tmp_path):
    path = tmp_path / "顧客一覧.csv"
    _japanese_list(path, random.Random(20261129))
    cli("config", "set", "shop.name", "さくら堂")
    cli("config", "set", "agenda.lead.birthday", "0d")
    imported = cli("customers", "import", str(path))
    assert f"added {COUNT}" in imported.stderr
    assert "locale ja" in imported.stderr  # the summary says what the file told

    listed = list(csv.DictReader(io.StringIO(cli("customers", "export", "--format", "csv").stdout)))
    assert len(listed) == COUNT
    assert {r["locale"] for r in listed} == {"ja"}
    # The file's headers, or a kanji form only Japanese writes (渡辺's 辺) in the name itself.
    assert {r["locale_source"] for r in listed} == {"file:headers", "name:japanese-kanji"}
    assert all(r["addressed_as"].endswith("様") for r in listed)

    due = cli("due", "--as-of", "2026-03-01", "--days", "30", "--kind", "birthday",
              "--format", "json").stdout  # fmt: skip
    lines = json.loads(due)
    assert len(lines) == COUNT
    salutations = [line["salutation"] for line in lines]
    assert [s for s in salutations if CHINESE.search(s)] == []
    assert all(s.endswith("様") for s in salutations)
    # 上原優 and the like: split at a known surname, or whole — never one character.
    by_name = {line["name"]: line["salutation"] for line in lines}
    for name, said in by_name.items():
        if name.startswith("上原"):
            assert said == "上原様"
        if name.startswith("伴"):
            assert said == f"{name}様"

    greet = cli("greet", "--as-of", "2026-03-01", "--days", "30", "--format", "json",
                "--fields", "ref,name,message,template").stdout  # fmt: skip
    messages = json.loads(greet)
    assert len(messages) == COUNT
    assert [m["message"] for m in messages if CHINESE.search(m["message"])] == []
    assert {m["template"] for m in messages} == {"birthday.ja"}
    assert all("お誕生日おめでとうございます" in m["message"] for m in messages)
