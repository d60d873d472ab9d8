"""Every customer gets a locale, stored with its evidence (`locale_source`).

A locale already there was given by hand: it is kept (in its canonical form) as
`set`. The others are inferred once here, in two passes over the table, from what
SQL can see cheaply — the letters of the name (and of its reading, when that column
exists), the encoding of the file an import brought the customer from, a phone number
written with its country code, a name in Latin letters or a kanji name written with a
space — else the shop's own locale. The rules are those of `crmcli.locales`, carried
here as literals as of this migration; a kanji name alone never makes a customer
Chinese. `customers edit REF --clear locale` infers one customer's again, fully.
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    run(db, "ALTER TABLE customers ADD COLUMN locale_source TEXT;")
    db.execute("UPDATE customers SET locale = NULL WHERE trim(locale) = ''")
    db.execute(
        """
        UPDATE customers SET locale_source = 'set',
            locale = CASE lower(replace(trim(locale), '-', '_'))
            WHEN 'zh' THEN 'zh_Hans' WHEN 'zh_cn' THEN 'zh_Hans' WHEN 'zh_hans' THEN 'zh_Hans'
            WHEN 'zh_hans_cn' THEN 'zh_Hans' WHEN 'zh_tw' THEN 'zh_Hant'
            WHEN 'zh_hant' THEN 'zh_Hant' WHEN 'zh_hant_tw' THEN 'zh_Hant'
            WHEN 'zh_hk' THEN 'zh_Hant_HK' WHEN 'zh_mo' THEN 'zh_Hant_MO'
            WHEN 'ko' THEN 'ko' WHEN 'ko_kr' THEN 'ko' WHEN 'ja' THEN 'ja' WHEN 'ja_jp' THEN 'ja'
            WHEN 'hy' THEN 'hy' WHEN 'hy_am' THEN 'hy' WHEN 'ru' THEN 'ru' WHEN 'ru_ru' THEN 'ru'
            WHEN 'en' THEN 'en' WHEN 'en_us' THEN 'en' WHEN 'en_gb' THEN 'en_GB'
            ELSE trim(locale) END
        WHERE locale IS NOT NULL
        """
    )
    stored = dict(db.execute("SELECT key, value FROM settings").fetchall())
    region_locale = {
        "KR": "ko", "JP": "ja", "CN": "zh_Hans", "SG": "en_SG", "TW": "zh_Hant",
        "HK": "zh_Hant_HK", "MO": "zh_Hant_MO", "AM": "hy", "RU": "ru", "BY": "ru_BY",
        "KZ": "ru_KZ", "US": "en", "CA": "en_CA", "GB": "en_GB", "IE": "en_IE", "AU": "en_AU",
        "NZ": "en_NZ",
    }  # fmt: skip
    shop = (stored.get("locale.default") or "").strip() or region_locale.get(
        (stored.get("phone.region") or "KR").strip().upper(), "en"
    )
    phone_locale = {
        "81": "ja", "82": "ko", "86": "zh_Hans", "886": "zh_Hant", "852": "zh_Hant_HK",
        "853": "zh_Hant_MO", "374": "hy", "7": "ru", "375": "ru_BY", "1": "en", "44": "en_GB",
        "353": "en_IE", "61": "en_AU", "64": "en_NZ",
    }  # fmt: skip
    encoding_locale = {
        "cp932": "ja", "shift_jis": "ja", "sjis": "ja", "euc_jp": "ja", "cp949": "ko",
        "euc_kr": "ko", "gb18030": "zh_Hans", "gbk": "zh_Hans", "gb2312": "zh_Hans",
        "big5": "zh_Hant", "big5hkscs": "zh_Hant", "cp950": "zh_Hant", "cp1251": "ru",
        "koi8_r": "ru",
    }  # fmt: skip
    # Customers an import of a national code page brought in: one lookup table, so the
    # pass over customers never scans the import log row by row.
    db.execute("CREATE TEMP TABLE m090_file (id INTEGER PRIMARY KEY, guess TEXT NOT NULL)")
    enc = "lower(replace(i.encoding, '-', '_'))"
    db.execute(
        "INSERT OR IGNORE INTO m090_file (id, guess)"
        f" SELECT c.row_id, CASE {enc}"
        + "".join(
            f" WHEN '{e}' THEN '{loc}|file:{e.replace('_', '-')}'"
            for e, loc in encoding_locale.items()
        )
        + " END FROM import_changes c JOIN imports i ON i.id = c.import_id"
        " WHERE c.table_name = 'customers' AND c.action = 'insert'"
        f" AND {enc} IN ({', '.join(repr(e) for e in encoding_locale)})"
        " ORDER BY c.import_id"
    )
    letters = {
        "hangul": ("ko", "[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),
        "kana": ("ja", "[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]"),
        "armenian": ("hy", "[\u0531-\u058f]"),
        "cyrillic": ("ru", "[\u0400-\u04ff]"),
    }
    han, latin = "[\u4e00-\u9fff\u3400-\u4dbf]", "[A-Za-z\u00c0-\u024f]"
    columns = {r[1] for r in db.execute("PRAGMA table_info(customers)")}
    texts = [("name", "name")]
    if "name_reading" in columns:  # the reading column, when its migration ran first
        texts.append(("name_reading", "reading"))
    cases = [
        f"WHEN {col} GLOB '*{pattern}*' THEN '{loc}|{kind}:{script}'"
        for col, kind in texts
        for script, (loc, pattern) in letters.items()
    ]
    cases.append(
        "WHEN id IN (SELECT id FROM m090_file)"
        " THEN (SELECT guess FROM m090_file f WHERE f.id = customers.id)"
    )
    phone_case = " ".join(
        f"WHEN p.e164 LIKE '+{code}%' THEN '{loc}|phone:+{code}'"
        for code, loc in phone_locale.items()
    )
    # The first number, in the customer's order, written with a country code we know:
    # one pass over the phones into a lookup table, like the files above.
    db.execute("CREATE TEMP TABLE m090_phone (id INTEGER PRIMARY KEY, guess TEXT NOT NULL)")
    db.execute(
        f"INSERT OR IGNORE INTO m090_phone (id, guess) SELECT customer_id, g FROM"
        f" (SELECT p.customer_id, p.position, CASE {phone_case} END AS g FROM customer_phones p"
        " WHERE p.e164 IS NOT NULL AND (ltrim(p.raw) LIKE '+%' OR ltrim(p.raw) LIKE '00%'))"
        " WHERE g IS NOT NULL ORDER BY customer_id, position"
    )
    cases.append(
        "WHEN id IN (SELECT id FROM m090_phone)"
        " THEN (SELECT guess FROM m090_phone f WHERE f.id = customers.id)"
    )
    if shop.split("_")[0] not in ("ja", "zh"):  # else the shop's own locale decides kanji names
        cases.append(
            f"WHEN name GLOB '*{han}* *{han}*' AND NOT name GLOB '*{latin}*'"
            " AND length(trim(name)) - length(replace(trim(name), ' ', '')) = 1"
            " THEN 'ja|shape:spaced-kanji'"
        )
    cases.append(f"WHEN name GLOB '*{latin}*' AND NOT name GLOB '*{han}*' THEN 'en|shape:latin'")
    # One pass: each row's guess ('ja|phone:+81') is made once and split into both columns.
    db.execute(
        "UPDATE customers SET (locale, locale_source) = (SELECT"
        " coalesce(substr(g, 1, instr(g, '|') - 1), ?),"
        " coalesce(substr(g, instr(g, '|') + 1), 'default')"
        f" FROM (SELECT CASE {' '.join(cases)} END AS g)) WHERE locale IS NULL",
        [shop],
    )
    db.execute("DROP TABLE m090_file")
    db.execute("DROP TABLE m090_phone")
