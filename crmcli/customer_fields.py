"""Every field a customer has, in one table: what export writes, import reads, --fields picks.

A field is a column of `customers`, or something kept beside it (phones, tags,
labelled dates, extra fields), or computed (id, tier, how they are addressed). The
table below is the one place that says so: exports carry every field in its order,
`customers import` recognises every field's own name as a header (so crmcli's own
export reads back field by field), and every command that lists customers accepts
any of them in `--fields`. A column added to `customers` later gets one line here
(tests/test_customer_fields.py fails until it has one).

Each field has two forms: *structured* for JSON (lists and objects) and *flat* text
for CSV/TSV and tables. The flat form is what the import reads back: phones as
`label: number; number`, anniversaries as `label=date; label=date (lunar)`, tags
comma-separated, flags `yes`/`no`, and every extra field in a column of its own,
`extra.NAME`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import names
from crmcli.contact_window import describe

if TYPE_CHECKING:
    from crmcli.engines import Engine

EXTRA_PREFIX = "extra."  # a CSV column `extra.Order ID` is the extra field `Order ID`
LUNAR_MARK = "(lunar)"  # after a date in the flat form: `wedding=2012-05-19 (lunar)`
# What a customer is known by, besides a phone: with none of these and no phone, nobody
# could find them again (added by hand or imported alike).
IDENTITY_FIELDS = ("code", "name", "family_name", "given_name", "email")


class Field(NamedTuple):
    """One customer field: its name (= export header), how it is held, and what it means."""

    name: str
    help: str
    kind: str = "text"  # text | flag | phone | phones | e164 | e164s | dates | tags | extra | …
    read_back: bool = True  # False: computed or kept by the database; ignored on import
    settable: bool = False  # a plain `customers` column, stored as given (PLAIN_FIELDS)


def _text(name: str, help: str) -> Field:
    return Field(name, help, "text", settable=True)


FIELDS: tuple[Field, ...] = (
    Field("id", "crmcli's number for the customer", "id", read_back=False),
    _text("code", "the shop's customer code, kept verbatim"),
    Field("name", "the full name, as the customer writes it", "name"),
    _text("family_name", "family name (surname)"),
    _text("given_name", "given name"),
    _text("patronymic", "patronymic (Armenovna…)"),
    _text("name_reading", "how the name is read: kana (ヤマダ タロウ), pinyin…"),
    _text("salutation", "how to address them, set by hand (overrides the default)"),
    Field("addressed_as", "how greetings address them (computed)", "addressed", read_back=False),
    _text("gender", "for salutations such as Mr/Ms, 先生/女士"),
    _text("locale", "the language to greet them in: ko, ja, zh_Hans, zh_Hant, hy, ru, en…"),
    _text(
        "locale_source",
        "why that locale: set (by hand or a file's column), else the evidence it was"
        " inferred from (name:kana, file:cp932, phone:+81, shape:latin, default)",
    ),
    Field("phone", "the main phone number, as written", "phone"),
    Field("phones", "every phone number as written, with its label", "phones"),
    Field("phone_e164", "the main number in international form (+82…)", "e164"),
    Field("phones_e164", "every number in international form", "e164s"),
    _text("email", "e-mail address"),
    Field("birthday", "YYYY-MM-DD, or --MM-DD without a year", "birthday"),
    Field("birthday_lunar", "the birthday is a lunar date", "flag"),
    Field("birthday_leap", "a lunar birthday in a leap month", "flag"),
    Field("anniversary", "labelled dates: wedding=2012-05-19; …", "dates"),
    _text("address", "postal address"),
    _text("postcode", "postcode (leading zeros kept)"),
    _text("company", "company, for trade customers"),
    _text("occupation", "occupation"),
    _text("income_band", "income band, in the shop's own words"),
    _text("notes", "free notes"),
    Field("tags", "tags, comma-separated", "tags"),
    _text("owner", "the staff member who looks after them"),
    _text("attitude", "loyal, brand-switching or no-loyalty, as set by hand"),
    Field("tier", "the current tier (set by hand, else the latest run)", "tier", read_back=False),
    Field(
        "status",
        "customer (has bought), prospect (not yet) or lost (a prospect given up)",
        "status",
        read_back=False,
    ),
    # A lost prospect's mark and reason, and the day its calls count from (set when added
    # by hand or by --call-prospect): fields, so crmcli's own export restores them.
    _text("lost_at", "the day a prospect was given up (YYYY-MM-DD)"),
    _text("lost_reason", "why the prospect was given up"),
    _text("prospect_calls_from", "the day a prospect's calls count from (YYYY-MM-DD)"),
    _text("tier_override", "a tier set by hand (A, B or C)"),
    _text("tier_override_reason", "why the tier was set by hand"),
    _text("tier_override_at", "when the tier was set by hand"),
    Field("contact_days", "days they take calls: mon,tue,…", "contact_days"),
    Field("contact_hours", "hours they take calls: 09:00-18:00", "contact_hours"),
    Field("do_not_contact", "never on the agenda or in offers", "flag"),
    Field("extra", "imported columns with no field of their own", "extra"),
    Field("created_at", "when the record was made (UTC)", "stamp", read_back=False),
    Field("updated_at", "when the record last changed (UTC)", "stamp", read_back=False),
)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
PLAIN: tuple[str, ...] = tuple(f.name for f in FIELDS if f.settable)
READ_BACK: tuple[str, ...] = tuple(f.name for f in FIELDS if f.read_back)
COMPUTED: tuple[str, ...] = tuple(f.name for f in FIELDS if not f.read_back)

# Columns of `customers` that are no field of their own: shown through another field
# (contact_from/until as contact_hours) or bookkeeping that never leaves the database.
COLUMNS_NOT_FIELDS = frozenset(
    {
        "contact_from",
        "contact_until",
        "search_key",
        "archived_at",
        "forgotten_at",
    }
)

# Headers only crmcli's own export writes (never `id` or `tier`, which any file may
# have): a file with two of them, or an `extra.NAME` column, is read as one.
_OWN_HEADERS = frozenset(
    {
        "addressed_as", "phones", "phone_e164", "phones_e164", "birthday_leap",
        "tier_override", "contact_days", "contact_hours", "do_not_contact",
        "created_at", "updated_at",
    }
)  # fmt: skip


def is_own_export(headers: Iterable[str]) -> bool:
    """Whether a header row is crmcli's own export (its computed columns are then skipped)."""
    exact = {h.strip() for h in headers}
    return len(exact & _OWN_HEADERS) >= 2 or any(h.startswith(EXTRA_PREFIX) for h in exact)


# --- reading the database ---------------------------------------------------------------


def latest_run_of(alias: str) -> str:
    """SQL for the run that classified customer `alias` as of the latest day.

    "Latest" is by the run's as-of day (then by id), not by when it was made: a
    re-run on an old export (`--as-of 2019-12-31`) does not replace this year's tier.
    """
    return (
        f"(SELECT x.run_id FROM tier_assignments x JOIN tier_runs r ON r.id = x.run_id"
        f" WHERE x.customer_id = {alias}.id ORDER BY r.as_of DESC, x.run_id DESC LIMIT 1)"
    )


def tier_of(alias: str) -> str:
    """SQL for the current tier of the customer row `alias` (override first), or NULL."""
    return (
        f"coalesce({alias}.tier_override, (SELECT a.tier FROM tier_assignments a"
        f" WHERE a.customer_id = {alias}.id AND a.run_id = {latest_run_of(alias)}))"
    )


def _subquery(db: Engine, name: str) -> str:
    """A value kept beside the customer's row, fetched only when a chosen field needs it.

    (PostgreSQL wants a name for a subquery in FROM; `subquery_…` says what it is.)
    """
    if name == "phones":
        return (
            f"(SELECT {db.json_list(db.json_tuple('raw', 'e164', 'label'))} FROM"
            " (SELECT raw, e164, label FROM customer_phones p"
            "  WHERE p.customer_id = c.id ORDER BY position) AS subquery_phones)"
        )
    if name == "dates":
        return (
            f"(SELECT {db.json_list(db.json_tuple('label', 'date', 'lunar'))} FROM"
            " (SELECT label, date, lunar FROM customer_dates d"
            "  WHERE d.customer_id = c.id ORDER BY label) AS subquery_dates)"
        )
    if name == "tags":
        return (
            f"(SELECT {db.json_list('tag')} FROM"
            " (SELECT tag FROM customer_tags t"
            "  WHERE t.customer_id = c.id ORDER BY tag) AS subquery_tags)"
        )
    if name == "tier":
        return tier_of("c")  # the run of the latest as-of day, as everywhere
    assert name == "status", name
    return """(CASE WHEN EXISTS (SELECT 1 FROM purchases p WHERE p.customer_id = c.id)
              THEN 'customer' WHEN c.lost_at IS NOT NULL THEN 'lost' ELSE 'prospect' END)"""


_NEEDS = {
    "phone": "phones",
    "phones": "phones",
    "e164": "phones",
    "e164s": "phones",
    "dates": "dates",
    "tags": "tags",
    "tier": "tier",
    "status": "status",
}


def select_sql(db: Engine, fields: Sequence[str]) -> str:
    """`c.*` and the values kept beside it that `fields` need, as `_phones`, `_tags`…"""
    needed = {_NEEDS[BY_NAME[f].kind] for f in fields if BY_NAME[f].kind in _NEEDS}
    extra = "".join(f", {_subquery(db, n)} AS _{n}" for n in sorted(needed))
    return f"c.*{extra}"


def structured(row: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """The chosen fields of one `select_sql` row, as JSON writes them."""
    return {f: _value(BY_NAME[f], row) for f in fields}


def _value(field: Field, row: Mapping[str, Any]) -> Any:
    kind = field.kind
    if kind in ("text", "stamp", "id", "name", "birthday"):
        return row[field.name]
    if kind == "flag":
        return bool(row[field.name])
    if kind in ("phone", "phones", "e164", "e164s"):
        numbers = json.loads(row["_phones"] or "[]")
        if kind == "phone":
            return numbers[0][0] if numbers else None
        if kind == "e164":
            return numbers[0][1] if numbers else None
        if kind == "e164s":
            return [n[1] for n in numbers if n[1]]
        return [{"number": n[0], "e164": n[1], "label": n[2]} for n in numbers]
    if kind == "dates":
        return [
            {"label": d[0], "date": d[1], "lunar": bool(d[2])}
            for d in json.loads(row["_dates"] or "[]")
        ]
    if kind == "tags":
        return json.loads(row["_tags"] or "[]")
    if kind == "tier":
        return row["_tier"]
    if kind == "status":
        return row["_status"]
    if kind == "extra":
        return json.loads(row["extra"]) if row["extra"] else {}
    if kind == "contact_days":
        return describe(row["contact_days"], None, None) or None
    if kind == "contact_hours":
        return describe(None, row["contact_from"], row["contact_until"]) or None
    if kind == "addressed":
        return names.salutation(
            name=row["name"],
            family=row["family_name"],
            given=row["given_name"],
            patronymic=row["patronymic"],
            gender=row["gender"],
            locale=row["locale"],
        ) if not row["salutation"] else row["salutation"]  # fmt: skip
    raise AssertionError(f"no reader for field kind {kind!r}")


# --- vCards: each field as an X- property of its own ------------------------------------

VCARD_PREFIX = "X-CRMCLI-"


# Fields a vCard's standard properties carry exactly (FN, N, TEL with its label and an
# X-E164 parameter, EMAIL, BDAY or X-ALTBDAY, ORG, TITLE, NOTE, CATEGORIES, X-GENDER,
# X-PHONETIC-LAST-NAME and X-PHONETIC-FIRST-NAME for the reading, as Apple writes it):
# they stay the authority, so an edit made in another app is read back. Every other
# field is written as an X-CRMCLI- property of its own.
VCARD_NATIVE = frozenset(
    {
        "code", "name", "family_name", "given_name", "phone", "phones", "phone_e164",
        "phones_e164", "email", "birthday", "birthday_lunar", "company", "occupation",
        "notes", "tags", "gender", "name_reading",
    }
)  # fmt: skip


def vcard_property(field: str) -> str:
    """`family_name` → `X-CRMCLI-FAMILY-NAME`."""
    return VCARD_PREFIX + field.upper().replace("_", "-")


def vcard_field(name: str) -> str | None:
    """`X-CRMCLI-FAMILY-NAME` → `family_name`, when that is a field read back."""
    if not name.upper().startswith(VCARD_PREFIX):
        return None
    field = name[len(VCARD_PREFIX) :].lower().replace("-", "_")
    return field if field in READ_BACK else None


# --- the flat (CSV) form, and reading it back -------------------------------------------


def flat(value: Any, field: str) -> Any:
    """One structured value as the text a CSV cell holds (and the import reads back)."""
    kind = BY_NAME[field].kind if field in BY_NAME else "text"
    if value is None:
        return None
    if kind == "flag":
        return "yes" if value else "no"
    if kind == "phones":
        return "; ".join(f"{p['label']}: {p['number']}" if p["label"] else p["number"]
                         for p in value) or None  # fmt: skip
    if kind == "e164s":
        return "; ".join(value) or None
    if kind == "dates":
        return "; ".join(
            f"{d['label']}={d['date']}" + (f" {LUNAR_MARK}" if d["lunar"] else "") for d in value
        ) or None  # fmt: skip
    if kind == "tags":
        return ",".join(value) or None
    return value


def flat_row(row: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """A structured row flattened; `extra` becomes one `extra.NAME` column per field."""
    out: dict[str, Any] = {}
    for f in fields:
        value = row.get(f)
        if f == "extra":
            for key, text in (value or {}).items():
                out[EXTRA_PREFIX + key] = text
        else:
            out[f] = flat(value, f)
    return out


def flat_columns(fields: Sequence[str], extra_keys: Sequence[str]) -> list[str]:
    """The CSV header for `fields`: `extra` expanded into its `extra.NAME` columns."""
    out: list[str] = []
    for f in fields:
        if f == "extra":
            out.extend(EXTRA_PREFIX + k for k in extra_keys)
        else:
            out.append(f)
    return out


def extra_keys(db: Engine, *, where: str = "", params: Sequence[Any] = ()) -> list[str]:
    """Every extra field's name among the customers `where` selects, in first-seen order."""
    sql = (
        f"SELECT j.key FROM customers c, {db.json_keys('c.extra', 'j')} "
        f"WHERE c.extra IS NOT NULL{' AND ' + where if where else ''} "
        "GROUP BY j.key ORDER BY min(c.id), min(j.id)"
    )
    return [r[0] for r in db.execute(sql, list(params))]


_PHONE_ITEM = re.compile(r"(?P<label>[^:\d+()]{1,40}?)\s*:\s*(?P<number>.+)")


def read_phones(text: str) -> list[tuple[str, str | None]]:
    """`mobile: 010-1234-5678; 02-555-0100` → [(number, label), …]."""
    out: list[tuple[str, str | None]] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        m = _PHONE_ITEM.fullmatch(part)
        out.append((m["number"].strip(), m["label"].strip()) if m else (part, None))
    return out


def read_dates(text: str) -> list[tuple[str, str, bool]]:
    """`wedding=2012-05-19; first visit=--03-01 (lunar)` → [(label, day text, lunar), …]."""
    out = []
    for part in text.split(";"):
        label, sep, day = part.partition("=")
        if not sep:
            continue
        day = day.strip()
        lunar = day.endswith(LUNAR_MARK)
        if lunar:
            day = day[: -len(LUNAR_MARK)].strip()
        out.append((label.strip(), day, lunar))
    return out


# --- listings: any customer field, in either form ------------------------------------


def is_field(name: str) -> bool:
    """A customer field's name, or `extra.NAME` for one extra field."""
    return name in BY_NAME or (name.startswith(EXTRA_PREFIX) and len(name) > len(EXTRA_PREFIX))


def fetched(columns: Sequence[str]) -> list[str]:
    """The fields to read for output `columns` (`extra.NAME` is read from `extra`)."""
    out = [c for c in columns if c in BY_NAME]
    if any(c.startswith(EXTRA_PREFIX) for c in columns) and "extra" not in out:
        out.append("extra")
    return out


def present(row: Mapping[str, Any], columns: Sequence[str], *, flat_form: bool) -> dict[str, Any]:
    """A row with structured customer values, shaped for output `columns`.

    Values that are no customer field (a listing's own: spend, last purchase) pass as
    they are. Flat: every value as CSV text, `extra` as its `extra.NAME` columns.
    """
    out = dict(row)
    extra = row.get("extra") if isinstance(row.get("extra"), dict) else {}
    for c in columns:
        if c.startswith(EXTRA_PREFIX) and c not in BY_NAME:
            out[c] = extra.get(c[len(EXTRA_PREFIX) :])
    if flat_form:
        for c in columns:
            if c in BY_NAME and c != "extra":
                out[c] = flat(row.get(c), c)
        for key, text in extra.items():
            out.setdefault(EXTRA_PREFIX + key, text)
    return out


def with_customer_fields(
    db: Engine,
    rows: Iterable[Mapping[str, Any]],
    fields: Sequence[str],
    *,
    id_key: str = "id",
    batch: int = 500,
) -> Iterator[dict[str, Any]]:
    """Add the customer `fields` a listing's rows lack (structured), looked up by `id_key`."""
    iterator = iter(rows)
    while True:
        chunk = [dict(r) for _, r in zip(range(batch), iterator, strict=False)]
        if not chunk:
            return
        wanted = [f for f in fields if f in BY_NAME and f not in chunk[0]]
        ids = sorted({r[id_key] for r in chunk if r.get(id_key) is not None})
        found: dict[int, dict[str, Any]] = {}
        if wanted and ids:
            marks = ", ".join("?" for _ in ids)
            cursor = db.execute(
                f"SELECT {select_sql(db, wanted)} FROM customers c WHERE c.id IN ({marks})", ids
            )
            columns = [d[0] for d in cursor.description]
            for values in cursor:
                record = dict(zip(columns, values, strict=True))
                found[record["id"]] = structured(record, wanted)
        for row in chunk:
            row.update(found.get(row.get(id_key), dict.fromkeys(wanted)))
            yield row
