"""The first schema: the whole mission laid out at once.

Customers, purchases, tiers, complaints, follow-ups, contacts, imports and settings,
so that later features add to it instead of rebuilding it. Each part below is one
subject's tables; they run in this order, in one transaction, as one migration
(databases in the field record it as `m001_initial`).

Money columns are integer *micro-units* (1/1,000,000 of the currency unit): exact,
summable in SQL, and able to hold Superstore's four-decimal `Sales` unrounded.
Dates are ISO-8601 text; a date without a year is `--MM-DD` (ISO 8601 / vCard 4).
"""

from __future__ import annotations

from sqlite_utils import Database

from crmcli.migrations.sql import run


def migrate(db: Database) -> None:
    _imports(db)
    _customers(db)
    _purchases(db)
    _tiers(db)
    _complaints(db)
    _daily_work(db)


def _imports(db: Database) -> None:
    """Settings, and the import log that `imports undo` reads."""
    run(
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
        """,
    )


def _customers(db: Database) -> None:
    """Customers, their search index, phones, tags and dates."""
    run(
        db,
        """
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
        """,
    )


def _purchases(db: Database) -> None:
    """Purchase lines: one row per line of an order, or a line added by hand."""
    run(
        db,
        """
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
        """,
    )


def _tiers(db: Database) -> None:
    """Tier runs and each customer's tier in them."""
    run(
        db,
        """
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
        """,
    )


def _complaints(db: Database) -> None:
    """Complaints and their append-only history."""
    run(
        db,
        """
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
        """,
    )


def _daily_work(db: Database) -> None:
    """Follow-ups, the contact log, agenda runs, merges."""
    run(
        db,
        """
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
