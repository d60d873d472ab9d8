"""The schema, as an ordered list of named migrations (sqlite-utils' `Migrations`).

`m001_initial` lays out the whole mission at once — customers, purchases, tiers,
complaints, follow-ups, contacts, imports, settings — so that later features add
to it instead of rebuilding it. Add a migration at the end; never edit a released one.

Money columns are integer *micro-units* (1/1,000,000 of the currency unit): exact,
summable in SQL, and able to hold Superstore's four-decimal `Sales` unrounded.
Dates are ISO-8601 text; a date without a year is `--MM-DD` (ISO 8601 / vCard 4).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("crmcli")


def _run(db: Database, statements: str) -> None:
    # executescript() would COMMIT the migration's transaction: run one at a time.
    for statement in _split(statements):
        db.execute(statement)


def _split(script: str) -> list[str]:
    """Split on `;` at the end of a line, keeping trigger bodies (…; END;) whole."""
    out: list[str] = []
    buf: list[str] = []
    depth = 0
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        buf.append(line)
        upper = stripped.upper()
        if upper.endswith("BEGIN"):
            depth += 1
        if upper.startswith("END;"):
            depth -= 1
        if stripped.endswith(";") and depth == 0:
            out.append("\n".join(buf))
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out


@migrations(name="m001_initial")
def m001_initial(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        CREATE TABLE imports (
            id          INTEGER PRIMARY KEY,
            kind        TEXT NOT NULL CHECK (kind IN ('customers', 'purchases')),
            file_name   TEXT NOT NULL,
            sha256      TEXT NOT NULL,
            encoding    TEXT,
            options     TEXT,               -- JSON: mapping, date order, conflict rule…
            started_at  TEXT NOT NULL,
            finished_at TEXT,
            added       INTEGER NOT NULL DEFAULT 0,
            updated     INTEGER NOT NULL DEFAULT 0,
            unchanged   INTEGER NOT NULL DEFAULT 0,
            rejected    INTEGER NOT NULL DEFAULT 0,
            undone_at   TEXT
        );

        -- What an import did to each row, so `imports undo` can put it back.
        CREATE TABLE import_changes (
            import_id  INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
            table_name TEXT NOT NULL,
            row_id     INTEGER NOT NULL,
            action     TEXT NOT NULL CHECK (action IN ('insert', 'update')),
            before     TEXT                 -- JSON of the row before an update
        );
        CREATE INDEX import_changes_import ON import_changes(import_id);

        CREATE TABLE import_profiles (
            name    TEXT PRIMARY KEY,
            kind    TEXT NOT NULL,
            mapping TEXT NOT NULL,          -- JSON: source column -> field
            options TEXT
        );

        CREATE TABLE customers (
            id              INTEGER PRIMARY KEY,
            code            TEXT UNIQUE,    -- the shop's own customer code, kept verbatim
            name            TEXT,           -- as written; customers need not have one
            family_name     TEXT,
            given_name      TEXT,
            patronymic      TEXT,
            salutation      TEXT,           -- an override: 'Dr Kim', '사장님'…
            gender          TEXT,
            locale          TEXT,           -- language for greetings: ko, ja, zh, hy, ru, en…
            email           TEXT,
            birthday        TEXT,           -- YYYY-MM-DD or --MM-DD (no year)
            birthday_lunar  INTEGER NOT NULL DEFAULT 0,
            birthday_leap   INTEGER NOT NULL DEFAULT 0,  -- lunar leap month
            address         TEXT,
            postcode        TEXT,
            company         TEXT,
            occupation      TEXT,
            income_band     TEXT,
            notes           TEXT,
            extra           TEXT,           -- JSON: imported columns with no field of their own
            owner           TEXT,           -- the staff member who looks after this customer
            attitude        TEXT CHECK (attitude IN ('loyal', 'brand-switching', 'no-loyalty')),
            tier_override   TEXT CHECK (tier_override IN ('A', 'B', 'C')),
            tier_override_reason TEXT,
            tier_override_at TEXT,
            contact_days    TEXT,           -- ISO weekdays allowed, e.g. '12345'; NULL = any
            contact_from    TEXT,           -- HH:MM
            contact_until   TEXT,           -- HH:MM
            do_not_contact  INTEGER NOT NULL DEFAULT 0,
            search_key      TEXT NOT NULL DEFAULT '',  -- folded text for search (NFKC, casefold)
            created_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            archived_at     TEXT,
            forgotten_at    TEXT
        );
        CREATE INDEX customers_email ON customers(email COLLATE NOCASE);
        CREATE INDEX customers_owner ON customers(owner);
        CREATE INDEX customers_birthday ON customers(substr(birthday, -5));

        -- Substring search in any script (trigram), kept in step by triggers.
        CREATE VIRTUAL TABLE customers_fts USING fts5(
            search_key, content='customers', content_rowid='id', tokenize='trigram'
        );
        CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
            INSERT INTO customers_fts(rowid, search_key) VALUES (new.id, new.search_key);
        END;
        CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
            INSERT INTO customers_fts(customers_fts, rowid, search_key)
                VALUES ('delete', old.id, old.search_key);
        END;
        CREATE TRIGGER customers_fts_update AFTER UPDATE OF search_key ON customers BEGIN
            INSERT INTO customers_fts(customers_fts, rowid, search_key)
                VALUES ('delete', old.id, old.search_key);
            INSERT INTO customers_fts(rowid, search_key) VALUES (new.id, new.search_key);
        END;

        CREATE TABLE customer_phones (
            id          INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            position    INTEGER NOT NULL DEFAULT 0,   -- 0 is the main number
            label       TEXT,
            raw         TEXT NOT NULL,      -- as given: leading zeros and all
            e164        TEXT,               -- normalised, when the number parses
            digits      TEXT NOT NULL       -- the raw number's digits only
        );
        CREATE INDEX customer_phones_customer ON customer_phones(customer_id, position);
        CREATE INDEX customer_phones_e164 ON customer_phones(e164);
        CREATE INDEX customer_phones_digits ON customer_phones(digits);

        CREATE TABLE customer_tags (
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            tag         TEXT NOT NULL,
            PRIMARY KEY (customer_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX customer_tags_tag ON customer_tags(tag);

        -- Wedding days and other labelled dates (birthdays live on the customer).
        CREATE TABLE customer_dates (
            id          INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            label       TEXT NOT NULL,
            date        TEXT NOT NULL,      -- YYYY-MM-DD or --MM-DD
            lunar       INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX customer_dates_customer ON customer_dates(customer_id);
        CREATE INDEX customer_dates_day ON customer_dates(substr(date, -5));

        CREATE TABLE purchases (
            id           INTEGER PRIMARY KEY,
            customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            date         TEXT NOT NULL,
            amount_micros INTEGER NOT NULL, -- the line's total; negative for a return
            quantity     NUMERIC,
            unit_price_micros INTEGER,
            order_id     TEXT,
            line_id      TEXT,
            line_no      INTEGER,           -- position within the order, for idempotent re-imports
            line_key     TEXT UNIQUE,       -- an imported line's identity; NULL when added by hand
            item         TEXT,
            category     TEXT,
            delivery_date TEXT,
            note         TEXT,
            import_id    INTEGER REFERENCES imports(id) ON DELETE SET NULL,
            created_at   TEXT NOT NULL
        );
        CREATE INDEX purchases_customer_date ON purchases(customer_id, date);
        CREATE INDEX purchases_date ON purchases(date);
        CREATE INDEX purchases_item ON purchases(item);
        CREATE INDEX purchases_category ON purchases(category);
        CREATE INDEX purchases_delivery ON purchases(delivery_date);

        CREATE TABLE tier_runs (
            id          INTEGER PRIMARY KEY,
            rule        TEXT NOT NULL,
            params      TEXT NOT NULL,      -- JSON: thresholds, window…
            window      TEXT NOT NULL,
            as_of       TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            customers   INTEGER NOT NULL DEFAULT 0,
            revenue_micros INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE tier_assignments (
            run_id       INTEGER NOT NULL REFERENCES tier_runs(id) ON DELETE CASCADE,
            customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            tier         TEXT NOT NULL CHECK (tier IN ('A', 'B', 'C')),
            spend_micros INTEGER NOT NULL,
            rank         INTEGER NOT NULL,
            reason       TEXT,
            PRIMARY KEY (run_id, customer_id)
        ) WITHOUT ROWID;
        CREATE INDEX tier_assignments_customer ON tier_assignments(customer_id, run_id);

        CREATE TABLE complaints (
            id            INTEGER PRIMARY KEY,
            customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            purchase_id   INTEGER REFERENCES purchases(id) ON DELETE SET NULL,
            summary       TEXT NOT NULL,
            channel       TEXT,
            severity      TEXT NOT NULL DEFAULT 'normal'
                          CHECK (severity IN ('low', 'normal', 'high')),
            stage         TEXT NOT NULL DEFAULT 'received' CHECK (stage IN
                          ('received', 'apologized', 'cause-found', 'resolved',
                           'followed-up', 'closed')),
            stage_since   TEXT NOT NULL,
            cause         TEXT CHECK (cause IN
                          ('expectation', 'product-quality', 'staff-service', 'other')),
            cause_detail  TEXT,
            resolution    TEXT,
            compensation  TEXT,
            compensation_micros INTEGER,
            lesson        TEXT,
            opened_at     TEXT NOT NULL,
            closed_at     TEXT,
            version       INTEGER NOT NULL DEFAULT 0  -- bumped by every advance
        );
        CREATE INDEX complaints_customer ON complaints(customer_id);
        CREATE INDEX complaints_stage ON complaints(stage);

        -- Append-only: the triggers below refuse edits and deletes.
        CREATE TABLE complaint_events (
            id           INTEGER PRIMARY KEY,
            complaint_id INTEGER NOT NULL REFERENCES complaints(id),
            at           TEXT NOT NULL,
            by           TEXT,
            from_stage   TEXT,
            to_stage     TEXT NOT NULL,
            note         TEXT,
            fields       TEXT,              -- JSON: cause, resolution, amount…
            skip_reason  TEXT
        );
        CREATE INDEX complaint_events_complaint ON complaint_events(complaint_id, id);
        CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events BEGIN
            SELECT RAISE(ABORT, 'complaint history is append-only');
        END;
        CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events BEGIN
            SELECT RAISE(ABORT, 'complaint history is append-only');
        END;

        CREATE TABLE followups (
            id            INTEGER PRIMARY KEY,
            customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            due_on        TEXT NOT NULL,
            note          TEXT NOT NULL,
            rrule         TEXT,             -- RFC 5545 recurrence, for --every
            owner         TEXT,
            status        TEXT NOT NULL DEFAULT 'open'
                          CHECK (status IN ('open', 'done', 'cancelled')),
            snoozed_until TEXT,
            created_at    TEXT NOT NULL,
            done_at       TEXT,
            done_note     TEXT
        );
        CREATE INDEX followups_due ON followups(status, due_on);
        CREATE INDEX followups_customer ON followups(customer_id);

        CREATE TABLE contacts (
            id          INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            at          TEXT NOT NULL,
            channel     TEXT NOT NULL,
            note        TEXT,
            by          TEXT
        );
        CREATE INDEX contacts_customer ON contacts(customer_id, at);

        -- What each `due --since-last-run` reported, so a missed day is caught up once.
        CREATE TABLE agenda_runs (
            id       INTEGER PRIMARY KEY,
            run_at   TEXT NOT NULL,
            from_day TEXT NOT NULL,
            to_day   TEXT NOT NULL,
            items    INTEGER NOT NULL
        );

        CREATE TABLE customer_merges (
            id         INTEGER PRIMARY KEY,
            kept_id    INTEGER NOT NULL,
            merged_id  INTEGER NOT NULL,
            at         TEXT NOT NULL,
            snapshot   TEXT NOT NULL        -- JSON of the merged record, as it was
        );
        """,
    )


@migrations(name="m040_greeting_templates")
def m040_greeting_templates(db: Database) -> None:
    """Editable greeting templates, named `kind` or `kind.locale` (birthday.ko…).

    The templates a new database starts with, as released: later ones come with the
    migration that added them (m091, m102, m110).
    """
    _run(
        db,
        """
        CREATE TABLE templates (
            name       TEXT PRIMARY KEY,    -- birthday, birthday.ko, holiday.ja, my-own…
            body       TEXT NOT NULL,       -- with {salutation}, {holiday}, {shop}…
            updated_at TEXT NOT NULL
        );
        """,
    )
    for name, body in (
        ("birthday", "Happy birthday, {salutation}! Warm wishes from {shop}."),
        ("birthday.ko", "{salutation}, 생일을 진심으로 축하드립니다! {shop} 드림"),
        ("birthday.ja", "{salutation}、お誕生日おめでとうございます。{shop}より"),
        ("birthday.zh", "{salutation}，祝您生日快乐！{shop}"),
        ("birthday.hy", "Հարգելի {salutation}, շնորհավորում ենք Ձեր ծննդյան օրը։ {shop}"),
        ("birthday.ru", "{salutation}, поздравляем вас с днём рождения! {shop}"),
        ("anniversary", "Dear {salutation}, congratulations on your {occasion}! {shop}"),
        ("anniversary.ko", "{salutation}, 뜻깊은 기념일을 진심으로 축하드립니다. {shop} 드림"),
        ("anniversary.ja", "{salutation}、記念日おめでとうございます。{shop}より"),
        ("anniversary.zh", "{salutation}，祝您纪念日快乐！{shop}"),
        ("anniversary.hy", "Հարգելի {salutation}, շնորհավորում ենք Ձեր տարեդարձը։ {shop}"),
        ("anniversary.ru", "{salutation}, поздравляем вас с годовщиной! {shop}"),
        ("holiday", "Dear {salutation}, best wishes for {holiday}! {shop}"),
        ("holiday.ko", "{salutation}, 즐겁고 행복한 {holiday} 보내세요! {shop} 드림"),
        ("holiday.ja", "{salutation}、よい{holiday}をお過ごしください。{shop}より"),
        ("holiday.zh", "{salutation}，祝您{holiday}快乐！{shop}"),
        ("holiday.hy", "Հարգելի {salutation}, շնորհավորում ենք՝ {holiday}։ {shop}"),
        ("holiday.ru", "{salutation}, поздравляем вас: {holiday}! {shop}"),
    ):
        db.execute("INSERT INTO templates (name, body, updated_at) VALUES (?, ?, '')", [name, body])


@migrations(name="m041_agenda_speed")
def m041_agenda_speed(db: Database) -> None:
    """A cache of the holidays package's lists, and an index of customers' contact windows."""
    _run(
        db,
        """
        -- The holidays package's list per country, language and year: importing and
        -- computing it costs more than the whole agenda query, so it is kept here.
        CREATE TABLE holiday_cache (
            country  TEXT NOT NULL,
            language TEXT NOT NULL,
            year     INTEGER NOT NULL,
            source   TEXT NOT NULL,         -- which install of the package made it
            days     TEXT NOT NULL,         -- JSON: {"YYYY-MM-DD": name}
            PRIMARY KEY (country, language, year)
        ) WITHOUT ROWID;

        -- The few customers with a contact window, found without reading every customer.
        CREATE INDEX customers_contact_days ON customers(contact_days)
            WHERE contact_days IS NOT NULL;
        """,
    )


@migrations(name="m050_forget_redacts_complaint_history")
def m050_forget_redacts_complaint_history(db: Database) -> None:
    """Complaint history stays append-only, except that forgetting may remove its text.

    The only update now allowed on `complaint_events` touches an event whose customer
    is forgotten (`forgotten_at` set), keeps who, when and which stages, empties
    `note` and `skip_reason`, and may only *remove* keys from `fields` (never add or
    change one): `customers forget` erases what was said about the person, keeps the
    order of events and the amounts the complaint report adds up.
    """
    _run(
        db,
        """
        DROP TRIGGER complaint_events_no_update;
        CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events
        WHEN NOT (
            new.id IS old.id AND new.complaint_id IS old.complaint_id AND new.at IS old.at
            AND new.by IS old.by AND new.from_stage IS old.from_stage
            AND new.to_stage IS old.to_stage
            AND new.note IS NULL AND new.skip_reason IS NULL
            AND (
                new.fields IS NULL
                OR (json_valid(old.fields) AND json_valid(new.fields) AND NOT EXISTS (
                    SELECT 1 FROM json_each(new.fields) AS n
                    WHERE NOT EXISTS (
                        SELECT 1 FROM json_each(old.fields) AS o
                        WHERE o.key = n.key AND o.type = n.type AND o.value IS n.value
                    )
                ))
            )
            AND EXISTS (SELECT 1 FROM complaints c JOIN customers u ON u.id = c.customer_id
                        WHERE c.id = old.complaint_id AND u.forgotten_at IS NOT NULL)
        )
        BEGIN
            SELECT RAISE(ABORT, 'complaint history is append-only');
        END;
        """,
    )


@migrations(name="m011_purchases_lean_indexes")
def m011_purchases_lean_indexes(db: Database) -> None:
    """Lighter purchase indexes: every imported line paid to keep up ones no query needs.

    Items and categories are only ever searched inside names (`LIKE '%x%'`, which no
    index serves) or grouped within one customer's lines (found through
    `purchases_customer_date`): both indexes go. The delivery index serves only
    `delivery_date BETWEEN …` (after-sale checks), and most lines have no delivery
    date: it keeps just the lines that have one.
    """
    _run(
        db,
        """
        DROP INDEX IF EXISTS purchases_item;
        DROP INDEX IF EXISTS purchases_category;
        DROP INDEX IF EXISTS purchases_delivery;
        CREATE INDEX purchases_delivery ON purchases(delivery_date)
            WHERE delivery_date IS NOT NULL;
        """,
    )


@migrations(name="m095_search_words")
def m095_search_words(db: Database) -> None:
    """A word index beside the trigram one: one- and two-letter queries (민준) use it.

    Trigrams need three characters, so a two-syllable Korean given name was found by
    reading every customer. Words of the same search document, with prefix indexes
    of one and two characters, find it at the start of any word. The documents
    themselves are rebuilt after this migration (see REBUILDS).
    """
    _run(
        db,
        """
        CREATE VIRTUAL TABLE customers_words USING fts5(
            search_key, content='customers', content_rowid='id',
            tokenize='unicode61 remove_diacritics 0', prefix='1 2'
        );
        CREATE TRIGGER customers_words_insert AFTER INSERT ON customers BEGIN
            INSERT INTO customers_words(rowid, search_key) VALUES (new.id, new.search_key);
        END;
        CREATE TRIGGER customers_words_delete AFTER DELETE ON customers BEGIN
            INSERT INTO customers_words(customers_words, rowid, search_key)
                VALUES ('delete', old.id, old.search_key);
        END;
        CREATE TRIGGER customers_words_update AFTER UPDATE OF search_key ON customers BEGIN
            INSERT INTO customers_words(customers_words, rowid, search_key)
                VALUES ('delete', old.id, old.search_key);
            INSERT INTO customers_words(rowid, search_key) VALUES (new.id, new.search_key);
        END;
        INSERT INTO customers_words(customers_words) VALUES ('rebuild');
        """,
    )


def applied_names(db: Database) -> list[str]:
    return [m.name for m in migrations.applied(db)]


@migrations(name="m075_anonymous_sales")
def m075_anonymous_sales(db: Database) -> None:
    """A purchase line may have no customer: an anonymous sale (a walk-in, `NA` in the file).

    SQLite cannot drop a NOT NULL in place, so `purchases` is rebuilt from its own
    stored definition with only that constraint gone (columns added by other migrations
    stay), every row copied with its id, and its indexes and triggers made again.
    Dropping the old table while foreign keys are enforced would set every complaint's
    `purchase_id` (and any other reference to a purchase) to NULL: those links are
    saved first and put back.
    """
    import re

    sql = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'purchases'"
    ).fetchone()[0]
    new_sql, n = re.subn(r"(\bcustomer_id\s+INTEGER)\s+NOT\s+NULL", r"\1", sql, count=1, flags=re.I)
    if not n:
        return  # already nullable
    extras = db.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'purchases'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    ).fetchall()
    links: list[tuple[str, str, list[tuple[int, int]]]] = []
    for (table,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'purchases'"
        " AND sql LIKE '%purchases%'"
    ).fetchall():
        for fk in db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
            if fk[2] == "purchases":
                column = fk[3]
                rows = db.execute(
                    f'SELECT rowid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
                ).fetchall()
                links.append((table, column, rows))
    db.execute(re.sub(r"^CREATE TABLE\s+\"?purchases\"?", "CREATE TABLE purchases_m075", new_sql))
    db.execute("INSERT INTO purchases_m075 SELECT * FROM purchases")
    # The drop deletes row by row, looking up each purchase's references: indexed, that
    # is a million lookups rather than a million scans of the complaints.
    for i, (table, column, _rows) in enumerate(links):
        db.execute(f'CREATE INDEX m075_link_{i} ON "{table}"("{column}")')
    db.execute("DROP TABLE purchases")
    for i in range(len(links)):
        db.execute(f"DROP INDEX m075_link_{i}")
    db.execute("ALTER TABLE purchases_m075 RENAME TO purchases")
    for (statement,) in extras:
        db.execute(statement)
    for table, column, rows in links:
        db.conn.executemany(
            f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', [(v, r) for r, v in rows]
        )


@migrations(name="m076_import_changes_after")
def m076_import_changes_after(db: Database) -> None:
    """What an import left each record as (JSON; a digest for a record it added), so undo can
    tell later hand edits from the import's own changes and never overwrite them silently."""
    _run(db, "ALTER TABLE import_changes ADD COLUMN after TEXT;")


@migrations(name="m090_customer_locale_source")
def m090_customer_locale_source(db: Database) -> None:
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
    _run(db, "ALTER TABLE customers ADD COLUMN locale_source TEXT;")
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


@migrations(name="m085_agenda_items_dealt_with")
def m085_agenda_items_dealt_with(db: Database) -> None:
    """The contact log remembers which agenda item a contact dealt with, and how.

    `due done` / `due skip` / `greet --mark-sent` write a contact naming the item's key,
    so it never comes back and the customer's page tells it. A skipped item is no
    contact: it does not reset the visit clock.
    """
    _run(
        db,
        """
        -- The agenda key dealt with, if any, and how: done, skipped or sent.
        ALTER TABLE contacts ADD COLUMN item TEXT;
        ALTER TABLE contacts ADD COLUMN outcome TEXT;
        CREATE INDEX contacts_item ON contacts(item) WHERE item IS NOT NULL;
        """,
    )


@migrations(name="m091_traditional_chinese_templates")
def m091_traditional_chinese_templates(db: Database) -> None:
    """Greetings in traditional characters for zh_Hant customers (Taiwan, Hong Kong):
    `birthday.zh` is simplified (快乐), and a template is chosen by the customer's
    locale, most specific first. A shop's own template of that name is kept."""
    for name, body in (
        ("birthday.zh_Hant", "{salutation}，祝您生日快樂！{shop}"),
        ("anniversary.zh_Hant", "{salutation}，祝您紀念日快樂！{shop}"),
        ("holiday.zh_Hant", "{salutation}，祝您{holiday}快樂！{shop}"),
    ):
        db.execute(
            "INSERT OR IGNORE INTO templates (name, body, updated_at) VALUES (?, ?, '')",
            [name, body],
        )


@migrations(name="m080_phone_region")
def m080_phone_region(db: Database) -> None:
    """Remember the region a number written without a country code was read in.

    NULL (every number stored before): read under the `phone.region` setting, so it is
    read again when the setting changes. An import's `--region`, the file's own
    country or a row's country column sets it, and such a number keeps its reading.
    """
    columns = {r[1] for r in db.execute("PRAGMA table_info(customer_phones)").fetchall()}
    if "region" not in columns:
        db.execute("ALTER TABLE customer_phones ADD COLUMN region TEXT")


@migrations(name="m077_customers_name_index")
def m077_customers_name_index(db: Database) -> None:
    """Customers by name: an import row that gives only a name is matched by it (so a
    re-import of a list of names finds each again instead of adding them twice)."""
    _run(db, "CREATE INDEX customers_name ON customers(name);")


@migrations(name="m100_item_launches")
def m100_item_launches(db: Database) -> None:
    """An item's launch (early adopters, seed 003): a day the owner sets, else its first sale.

    The partial index holds what launches and early buyers are read from — sold lines
    with an item, by item then day, with the buyer — so an item's first sale is one
    seek and the buyers of a launch month are one range, read from the index alone.
    """
    _run(
        db,
        """
        CREATE TABLE item_launches (
            item        TEXT PRIMARY KEY,   -- exactly as on the purchase lines
            launched_on TEXT NOT NULL,      -- YYYY-MM-DD
            set_at      TEXT NOT NULL
        );
        CREATE INDEX purchases_item_launch ON purchases(item, date, customer_id)
            WHERE amount_micros > 0 AND item IS NOT NULL;
        """,
    )


@migrations(name="m101_customer_relations")
def m101_customer_relations(db: Database) -> None:
    """The people around a customer (seed 004: family, personal network, who referred whom).

    One row per relation, read from the customer's side: `kind` is what the other is
    to them. The other is a customer (`other_id`) or someone who is not (`other_name`,
    with an optional birthday); `greet` puts that birthday on the customer's agenda.
    """
    _run(
        db,
        """
        CREATE TABLE customer_relations (
            id             INTEGER PRIMARY KEY,
            customer_id    INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            kind           TEXT NOT NULL,
            other_id       INTEGER REFERENCES customers(id) ON DELETE CASCADE,
            other_name     TEXT,
            other_birthday TEXT,
            greet          INTEGER NOT NULL DEFAULT 0,
            created_at     TEXT NOT NULL,
            CHECK ((other_id IS NULL) != (other_name IS NULL))
        );
        CREATE INDEX customer_relations_customer ON customer_relations(customer_id);
        CREATE INDEX customer_relations_other ON customer_relations(other_id)
            WHERE other_id IS NOT NULL;
        """,
    )


@migrations(name="m110_thanks_templates")
def m110_thanks_templates(db: Database) -> None:
    """Thank-you messages after an order (seed 001), per language like the other
    greetings; `{items}` is what was bought. A shop's own template of that name is kept."""
    for name, body in (
        ("thanks", "Dear {salutation}, thank you for your purchase ({items})! {shop}"),
        ("thanks.ko", "{salutation}, 구매해 주셔서 진심으로 감사드립니다. {shop} 드림"),
        ("thanks.ja", "{salutation}、このたびはお買い上げいただき誠にありがとうございます。{shop}"),
        ("thanks.zh", "{salutation}，感谢您的惠顾！{shop}"),
        ("thanks.zh_Hant", "{salutation}，感謝您的惠顧！{shop}"),
        ("thanks.hy", "Հարգելի {salutation}, շնորհակալություն Ձեր գնման համար։ {shop}"),
        ("thanks.ru", "{salutation}, благодарим вас за покупку! {shop}"),
    ):
        db.execute(
            "INSERT OR IGNORE INTO templates (name, body, updated_at) VALUES (?, ?, '')",
            [name, body],
        )


@migrations(name="m070_name_reading")
def m070_name_reading(db: Database) -> None:
    """How a customer's name is read (フリガナ, pinyin): a field of its own, searchable.

    Japanese lists carry a kana column beside the kanji name; kept as an extra field
    it was neither searched nor shown with the name.
    """
    columns = {r[1] for r in db.execute("PRAGMA table_info(customers)")}
    if "name_reading" not in columns:
        db.execute("ALTER TABLE customers ADD COLUMN name_reading TEXT")


@migrations(name="m102_family_birthday_templates")
def m102_family_birthday_templates(db: Database) -> None:
    """Greetings for a relative's birthday (`customers relate … --greet`), sent to the
    customer. A shop's own template of the same name is kept."""
    for name, body in (
        (
            "family-birthday",
            "Dear {salutation}, happy birthday to your {relation} {relative}! {shop}",
        ),
        (
            "family-birthday.ko",
            "{salutation}, {relative} 님의 생일을 진심으로 축하드립니다! {shop} 드림",
        ),
        (
            "family-birthday.ja",
            "{salutation}、{relative}様のお誕生日おめでとうございます。{shop}より",
        ),
        ("family-birthday.zh", "{salutation}，祝{relative}生日快乐！{shop}"),
        ("family-birthday.zh_Hant", "{salutation}，祝{relative}生日快樂！{shop}"),
        ("family-birthday.ru", "{salutation}, поздравляем {relative} с днём рождения! {shop}"),
    ):
        db.execute(
            "INSERT OR IGNORE INTO templates (name, body, updated_at) VALUES (?, ?, '')",
            [name, body],
        )


@migrations(name="m115_visit_plans")
def m115_visit_plans(db: Database) -> None:
    """Visit plans with a goal (seed 004): a customer's own cadence over their tier's.

    At most one plan per customer is active (`cancelled_at IS NULL`, a partial unique
    index). Each visit logged against a plan keeps the goal it had and whether it was
    met (`met` NULL: not said), so the page can give the plan's record.
    """
    _run(
        db,
        """
        CREATE TABLE visit_plans (
            id           INTEGER PRIMARY KEY,
            customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            every        TEXT NOT NULL,      -- a span: 1m, 3m, 1y…
            goal         TEXT NOT NULL,
            from_day     TEXT NOT NULL,      -- YYYY-MM-DD: the first visit is due then
            created_at   TEXT NOT NULL,
            cancelled_at TEXT
        );
        CREATE UNIQUE INDEX visit_plans_active ON visit_plans(customer_id)
            WHERE cancelled_at IS NULL;
        CREATE TABLE visit_results (
            contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
            plan_id    INTEGER NOT NULL REFERENCES visit_plans(id) ON DELETE CASCADE,
            goal       TEXT NOT NULL,
            met        INTEGER
        );
        CREATE INDEX visit_results_plan ON visit_results(plan_id);
        """,
    )


@migrations(name="m111_prospects")
def m111_prospects(db: Database) -> None:
    """Prospects (customers with no purchase): a lost mark with its reason, and the day
    calls start for one added by hand (NULL for imported ones: no flood of calls).
    Customers already stored get no calls (they were there before prospects were)."""
    _run(
        db,
        """
        ALTER TABLE customers ADD COLUMN lost_at TEXT;
        ALTER TABLE customers ADD COLUMN lost_reason TEXT;
        ALTER TABLE customers ADD COLUMN prospect_calls_from TEXT;
        CREATE INDEX customers_prospect_calls ON customers(prospect_calls_from)
            WHERE prospect_calls_from IS NOT NULL AND lost_at IS NULL;
        """,
    )
