"""Customers: add, edit, find, tag, archive and delete them.

A customer is referred to by a REF: the shop's code, the numeric id, or an
unambiguous phone number or e-mail address (`resolve`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from crmcli import customer_fields, dates, locales, names, phones, settings, text
from crmcli import search as finding
from crmcli.contact_window import parse_days, parse_hours
from crmcli.errors import Ambiguous, Conflict, InvalidValue, Named, NotFound
from crmcli.i18n import M_, M_n, _
from crmcli.prospects import NO_PURCHASE

if TYPE_CHECKING:
    from crmcli.engines import Engine

# Columns a caller may set directly (besides name, phones, tags and dates), and what
# `--fields` may pick: both from the one table of customer fields.
PLAIN_FIELDS = customer_fields.PLAIN
LIST_FIELDS = customer_fields.NAMES
DEFAULT_LIST_FIELDS = (
    "id", "code", "name", "phone", "email", "birthday", "tags", "owner", "status"
)  # fmt: skip

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class PhoneRow(NamedTuple):
    raw: str
    e164: str | None
    label: str | None = None


class DateRow(NamedTuple):
    label: str
    date: str
    lunar: bool = False


class Customer(NamedTuple):
    """A customer's whole record, as `customers show` presents it."""

    id: int
    fields: Mapping[str, Any]
    phones: tuple[PhoneRow, ...] = ()
    tags: tuple[str, ...] = ()
    dates: tuple[DateRow, ...] = ()
    extra: Mapping[str, str] = MappingProxyType({})  # read-only: one shared empty default

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    @property
    def display_name(self) -> str:
        return self.fields["name"] or self.fields["code"] or f"#{self.id}"

    @property
    def salutation(self) -> str:
        f = self.fields
        return f["salutation"] or names.salutation(
            name=f["name"],
            family=f["family_name"],
            given=f["given_name"],
            patronymic=f["patronymic"],
            gender=f["gender"],
            locale=f["locale"],
        )


# --- references ----------------------------------------------------------------------


def resolve(db: Engine, ref: str) -> int:
    """The id of the customer `ref` names: code, id, phone or e-mail; else NotFound/Ambiguous."""
    ref = ref.strip()
    if not ref:
        raise InvalidValue(_("a customer reference cannot be empty"))
    row = db.execute("SELECT id FROM customers WHERE code = ?", [ref]).fetchone()
    if row:
        return int(row[0])
    if ref.isdecimal():  # what int() reads (isdigit would take '²')
        row = db.execute("SELECT id FROM customers WHERE id = ?", [int(ref)]).fetchone()
        if row:
            return int(row[0])
    candidates: set[int] = set()
    if "@" in ref:
        candidates |= _ids(db, f"SELECT id FROM customers WHERE {db.nocase_equal('email')}", [ref])
    elif phones.looks_like_phone(ref):
        candidates |= _phone_matches(db, ref, exact=True)
    if len(candidates) == 1:
        return candidates.pop()
    if len(candidates) > 1:
        ids = ", ".join(str(i) for i in sorted(candidates)[:10])
        said = _("{ref} matches {n} customers (ids {ids}); use the id")
        raise Ambiguous(said.format(ref=repr(ref), n=len(candidates), ids=ids))
    said = _("no customer {ref} (give a code, an id, a phone number or an e-mail)")
    raise NotFound(said.format(ref=repr(ref)))


def _ids(db: Engine, sql: str, params: Sequence[Any]) -> set[int]:
    return {int(r[0]) for r in db.execute(sql, list(params)).fetchall()}


def _phone_matches(db: Engine, text: str, *, exact: bool) -> set[int]:
    region = settings.get(db, "phone.region")
    phone = phones.normalise(text, region)
    found: set[int] = set()
    if phone.e164:
        found |= _ids(db, "SELECT customer_id FROM customer_phones WHERE e164 = ?", [phone.e164])
    if exact:
        found |= _ids(
            db, "SELECT customer_id FROM customer_phones WHERE digits = ?", [phone.digits]
        )
    elif len(phone.digits) >= 3:  # any run of three digits or more: the trigram index
        found |= _ids(db, *db.text_search("digits", phone.digits))
    return found


# --- writing ---------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _search_key(values: Mapping[str, Any]) -> str:
    return finding.document(values)


# Fields that may hold line breaks; every other text field is one line.
_MULTI_LINE = frozenset({"notes", "address", "extra"})
# The one-line fields a server indexes (phones: `phone_rows`): `text.MAX_INDEXED_BYTES`.
_INDEXED = frozenset({"code", "name", "email", "owner"})


def _check_text(values: Mapping[str, Any]) -> None:
    """No control characters in any text field, and no field longer than it may be, on
    every path that writes a customer (the command line names the option: `--name`)."""
    for key, value in values.items():
        if isinstance(value, str):
            text.check(
                value, field=Named(key), multiline=key in _MULTI_LINE, indexed=key in _INDEXED
            )


def _validate(values: dict[str, Any]) -> None:
    email = values.get("email")
    if email and not _EMAIL.fullmatch(email):
        raise InvalidValue(M_("{value} is not an e-mail address").format(value=repr(email)))
    attitude = values.get("attitude")
    if attitude and attitude not in ("loyal", "brand-switching", "no-loyalty"):
        raise InvalidValue(M_("attitude must be loyal, brand-switching or no-loyalty"))
    tier = values.get("tier_override")
    if tier and tier not in ("A", "B", "C"):
        raise InvalidValue(
            M_("a tier set by hand must be A, B or C, not {tier}").format(tier=repr(tier))
        )
    # Days the agenda compares as text: only ISO dates, so a call falls on its day.
    for day_field in ("lost_at", "prospect_calls_from"):
        if values.get(day_field):
            values[day_field] = dates.iso_date(str(values[day_field]), what=day_field).isoformat()
    if values.get("lost_reason") and not values.get("lost_at"):
        raise InvalidValue(M_("lost_reason is given without lost_at (the day they were lost)"))


def _name_values(name: str | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """name and its parts: split the name unless parts were given; build it from parts."""
    out: dict[str, Any] = {}
    parts_given = any(given.get(k) for k in ("family_name", "given_name", "patronymic"))
    if name and not parts_given:
        parts = names.split_name(name, locale=given.get("locale"))
        out.update(family_name=parts.family, given_name=parts.given, patronymic=parts.patronymic)
    if not name and parts_given:
        name = names.full_name(
            names.NameParts(
                given.get("family_name"), given.get("given_name"), given.get("patronymic")
            ),
            locale=given.get("locale"),
        )
    out["name"] = name
    return out


def _locale_values(
    values: Mapping[str, Any],
    *,
    name: str | None,
    phones_raw: Iterable[str | tuple[str, str | None]],
    context: locales.Context,
    kept: locales.Guess | None = None,
) -> dict[str, Any]:
    """locale and locale_source: the one given (canonical, `set`), else the inferred one."""
    given = values.get("locale")
    if given:
        source = locales.given_source(values.get("locale_source"))
        return {"locale": locales.canonical(given), "locale_source": source}
    numbers = []
    for item in phones_raw:
        raw = item if isinstance(item, str) else item[0]
        if raw and raw.strip():
            numbers.append((raw, phones.normalise(raw, context.region).e164))
    guess = locales.infer(
        name=name,
        reading=values.get("name_reading"),
        phones=numbers,
        context=context,
        kept=kept,
    )
    return {"locale": guess.locale, "locale_source": guess.source}


def new_values(
    *,
    name: str | None = None,
    birthday: str | None = None,
    birthday_lunar: bool = False,
    birthday_leap: bool = False,
    contact_days: str | None = None,
    contact_hours: str | None = None,
    do_not_contact: bool = False,
    extra: Mapping[str, str] | None = None,
    now: str | None = None,
    phones_raw: Iterable[str | tuple[str, str | None]] = (),
    locale_context: locales.Context | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A new customer's row, checked: the columns `add` (and the bulk import) insert.

    Its locale is the one given, else inferred from the name, `phones_raw` and
    `locale_context` (the shop, the import file), before the name is split by it.
    """
    unknown = set(fields) - set(PLAIN_FIELDS)
    if unknown:
        raise InvalidValue(
            M_n(
                "unknown customer field: {fields}",
                "unknown customer fields: {fields}",
                len(unknown),
                fields=", ".join(sorted(unknown)),
            )
        )
    values: dict[str, Any] = {k: _clean(v) for k, v in fields.items()}
    name = _clean(name)
    _check_text({**values, "name": name})
    values.update(
        _locale_values(
            values,
            name=name or values.get("family_name") or values.get("given_name"),
            phones_raw=phones_raw,
            context=locale_context or locales.Context(default="en"),
        )
    )
    values.update(_name_values(name, values))
    if birthday:
        values["birthday"] = dates.parse_day(birthday)
    values["birthday_lunar"] = int(birthday_lunar)
    values["birthday_leap"] = int(birthday_leap)
    if contact_days:
        values["contact_days"] = parse_days(contact_days)
    if contact_hours:
        values["contact_from"], values["contact_until"] = parse_hours(contact_hours)
    values["do_not_contact"] = int(do_not_contact)
    if extra:
        values["extra"] = json.dumps(dict(extra), ensure_ascii=False)
    _validate(values)
    now = now or dates.now_utc()
    values.update(created_at=now, updated_at=now, search_key=_search_key(values))
    return values


def add(
    db: Engine,
    *,
    name: str | None = None,
    phones_raw: Sequence[str] = (),
    tags: Sequence[str] = (),
    birthday: str | None = None,
    birthday_lunar: bool = False,
    birthday_leap: bool = False,
    anniversaries: Sequence[tuple[str, str]] = (),
    contact_days: str | None = None,
    contact_hours: str | None = None,
    do_not_contact: bool = False,
    extra: Mapping[str, str] | None = None,
    added_on: str | None = None,
    **fields: Any,
) -> int:
    """Create a customer; returns the new id. `fields` are any of PLAIN_FIELDS.

    `added_on` (YYYY-MM-DD, not in the future) is the day the shop met them when it is
    entered later: a prospect's first call counts from it, not from the typing.
    """
    values = new_values(
        name=name,
        birthday=birthday,
        birthday_lunar=birthday_lunar,
        birthday_leap=birthday_leap,
        contact_days=contact_days,
        contact_hours=contact_hours,
        do_not_contact=do_not_contact,
        extra=extra,
        phones_raw=phones_raw,
        locale_context=shop_context(db),
        **fields,
    )
    _require_identity(values, phones=_any_phone(phones_raw))
    with db.write():
        if values.get("code"):
            db.lock_keys(f"customers.code:{values['code']}")  # two tills giving it at once
        if (
            values.get("code")
            and db.execute("SELECT 1 FROM customers WHERE code = ?", [values["code"]]).fetchone()
        ):
            raise Conflict(
                M_("a customer with code {code} already exists").format(code=repr(values["code"]))
            )
        # Added by hand: if they have not bought, a prospect to call (imports do not
        # come here; see crmcli.prospects).
        values["prospect_calls_from"] = _added_day(added_on, values["created_at"][:10])
        customer_id = db.insert("customers", values)
        set_phones(db, customer_id, phones_raw)
        for tag in tags:
            _add_tag(db, customer_id, tag)
        for label, day in anniversaries:
            set_date(db, customer_id, label, day)
    return customer_id


_NAME_PARTS = ("family_name", "given_name", "patronymic")


def _require_identity(values: Mapping[str, Any], *, phones: bool) -> None:
    """Refuse a customer left with no name, code, phone or e-mail (blank ones count as none)."""
    if not phones and not any(values.get(k) for k in customer_fields.IDENTITY_FIELDS):
        raise InvalidValue(M_("no name, code, phone or e-mail: nothing to know this customer by"))


def _phone_texts(raws: Iterable[str | tuple[str, str | None]]) -> Iterator[str]:
    """The numbers of `phones_raw` (a number, or a (number, label) pair)."""
    for raw in raws:
        yield raw if isinstance(raw, str) else raw[0]


def _any_phone(raws: Iterable[str | tuple[str, str | None]]) -> bool:
    return any(p and p.strip() for p in _phone_texts(raws))


def _refuse_blank(name: str | None, phones_raw: Any, fields: Mapping[str, Any]) -> None:
    """A value given blank (`--email "$UNSET"`) empties nothing: clearing is said with `clear`.

    Only an edit asks: an unset shell variable must not wipe a stored e-mail or every
    phone of a customer (a new customer's blank field is only an absent one).
    """
    given = {"name": name, **fields}
    blank = [k for k, v in given.items() if isinstance(v, str) and not v.strip()]
    if phones_raw is not None and any(not (p or "").strip() for p in _phone_texts(phones_raw)):
        blank.append("phone")
    if blank:
        option = blank[0].replace("_", "-")
        raise InvalidValue(
            M_("--{option} is blank: to empty the field, give --clear {option}").format(
                option=option
            )
        )


def _added_day(added_on: str | None, today: str) -> str:
    """The day a customer was added by hand: `added_on` if given, checked, else today."""
    if added_on is None:
        return today
    day = dates.iso_date(added_on, what="--added-on").isoformat()
    if day > today:
        raise InvalidValue(
            M_("--added-on {day} is in the future (today is {today})").format(day=day, today=today)
        )
    return day


def phone_rows(
    raws: Iterable[str | tuple[str, str | None]],
    region: str,
    known_e164: Sequence[str] = (),
    *,
    keep_region: bool = False,
) -> list[tuple[int, str | None, str, str | None, str, str | None]]:
    """(position, label, raw, e164, digits, region) for each number; the first is the main one.

    `known_e164`: the international forms a file gives beside the numbers (see
    `phones.normalise_known`). `region` is stored (and kept when the `phone.region`
    setting changes) for a number without a country code read in another region than
    the setting's: `keep_region` (an import's --region or the file's own country), or
    the country of its known international form.
    """
    rows = []
    for item in raws:
        raw, label = (item, None) if isinstance(item, str) else item
        if not raw or not raw.strip():
            continue
        text.check(raw, field=Named("phone"), indexed=True)
        phone = phones.normalise_known(raw, region, known_e164)
        if not phone.digits:
            raise InvalidValue(M_("{value} is not a phone number").format(value=repr(raw)))
        kept = phone.region if keep_region or phone.region != region.upper() else None
        rows.append((len(rows), label, phone.raw, phone.e164, phone.digits, kept))
    return rows


def set_phones(db: Engine, customer_id: int, raws: Iterable[str | tuple[str, str | None]]) -> None:
    """Replace a customer's phone numbers (the first is the main one)."""
    raws = list(raws)
    for raw in raws:
        for part in raw if isinstance(raw, tuple) else (raw,):
            text.check_optional(part, field=Named("phone"))
    rows = phone_rows(raws, settings.get(db, "phone.region"))
    with db.write():
        db.execute("DELETE FROM customer_phones WHERE customer_id = ?", [customer_id])
        for position, label, raw, e164, digits, region in rows:
            db.execute(
                "INSERT INTO customer_phones"
                " (customer_id, position, label, raw, e164, digits, region)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [customer_id, position, label, raw, e164, digits, region],
            )


def add_phones(
    db: Engine,
    customer_id: int,
    raws: Iterable[str | tuple[str, str | None]],
    *,
    region: str,
    known: Sequence[str] = (),
    keep_region: bool = False,
) -> None:
    """Add numbers after a customer's stored ones (which keep their normalised form)."""
    with db.write():
        start = db.execute(
            "SELECT coalesce(max(position) + 1, 0) FROM customer_phones WHERE customer_id = ?",
            [customer_id],
        ).fetchone()[0]
        rows = phone_rows(raws, region, known, keep_region=keep_region)
        for position, label, raw, e164, digits, kept in rows:
            db.execute(
                "INSERT INTO customer_phones"
                " (customer_id, position, label, raw, e164, digits, region)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [customer_id, start + position, label, raw, e164, digits, kept],
            )
        _touch(db, customer_id)


def renormalise_phones(db: Engine, old: str, new: str) -> int:
    """Read again, in region `new`, the numbers that follow the `phone.region` setting and
    are written without a country code (in `old`'s reading and in `new`'s); returns how
    many changed. Runs inside the setting's change: one transaction."""
    changed = 0
    rows = db.execute(
        "SELECT id, raw, e164 FROM customer_phones WHERE region IS NULL AND raw NOT LIKE '+%'"
    ).fetchall()
    for phone_id, raw, e164 in rows:
        if phones.normalise(raw, old).region is None:
            continue  # it carries its own country code (00 44…): no region changes it
        phone = phones.normalise(raw, new)
        if phone.region is not None and phone.e164 != e164:
            db.execute("UPDATE customer_phones SET e164 = ? WHERE id = ?", [phone.e164, phone_id])
            changed += 1
    return changed


# --- the settings customers' stored data follows --------------------------------------------


def shop_locale(db: Engine) -> str:
    """The shop's own locale: `locale.default`, else the language of `phone.region`."""
    chosen = settings.get(db, "locale.default").strip()
    if chosen:
        return locales.canonical(chosen)
    return locales.REGION_LOCALE.get(settings.get(db, "phone.region").strip().upper(), "en")


def shop_context(
    db: Engine, *, file: locales.Guess | None = None, region: str | None = None
) -> locales.Context:
    """What a customer's locale is inferred from besides the record: the shop, a file."""
    return locales.Context(
        default=shop_locale(db), file=file, region=region or settings.get(db, "phone.region")
    )


def set_setting(db: Engine, key: str, value: str) -> list[str]:
    """`config set`: store a setting and, in the same transaction, the customers' data
    that follows it; returns what that did, for the user."""
    with db.write():  # the value and what hangs on it change together, or not at all
        old = settings.get_raw(db, key)
        settings.set_value(db, key, value)
        return _follow(db, key, old)


def unset_setting(db: Engine, key: str) -> list[str]:
    """`config unset`: a setting back to its default, and what follows it (as `set_setting`)."""
    with db.write():
        old = settings.get_raw(db, key)
        settings.unset(db, key)
        return _follow(db, key, old)


def _follow(db: Engine, key: str, old: str) -> list[str]:
    """Phones written without a country code follow `phone.region`; customers whose locale
    is only the shop's follow `locale.default` (and `phone.region`, its fallback)."""
    new = settings.get_raw(db, key)
    said = []
    if key == "phone.region" and new != old:
        changed = renormalise_phones(db, old, new)
        said.append(f"re-normalised {changed} phone number{'' if changed == 1 else 's'}")
    if key in ("locale.default", "phone.region"):
        _follow_shop_locale(db)
    return said


def _follow_shop_locale(db: Engine) -> int:
    """Customers whose locale is only the shop's take its new value; returns how many changed.

    A kanji name split by the old locale's rule is split again by the new one (a
    Japanese name must not keep a Chinese split: 上原優 is 上原 / 優, not 上 / 原優).
    """
    new = shop_locale(db)
    where = "locale_source = ? AND (locale IS NULL OR locale <> ?)"
    han = db.has_any_of("name", "\u4e00-\u9fff\u3400-\u4dbf")
    moved = db.execute(
        f"SELECT id, name, locale, family_name, given_name, patronymic FROM customers"
        f" WHERE {where} AND {han}",
        [locales.DEFAULT, new],
    ).fetchall()
    resplit = []
    for cid, name, old, *parts in moved:
        before = names.split_name(name, locale=old)
        if tuple(parts) == (before.family, before.given, before.patronymic):
            after = names.split_name(name, locale=new)
            resplit.append((after.family, after.given, after.patronymic, cid))
    db.executemany(
        "UPDATE customers SET family_name = ?, given_name = ?, patronymic = ? WHERE id = ?",
        resplit,
    )
    cursor = db.execute(
        f"UPDATE customers SET locale = ? WHERE {where}", [new, locales.DEFAULT, new]
    )
    return cursor.rowcount


def clean_date(label: str, day: str) -> tuple[str, str]:
    """A labelled date's label and stored day, checked."""
    label = text.check(label.strip(), field="the anniversary's label")
    if not label:
        raise InvalidValue(M_("an anniversary needs a label, e.g. wedding=2010-05-01"))
    return label, dates.parse_day(day)


def set_date(db: Engine, customer_id: int, label: str, day: str, *, lunar: bool = False) -> None:
    """Set the labelled date (wedding, …), replacing one with the same label."""
    label, stored = clean_date(label, day)
    with db.write():
        db.execute(
            "DELETE FROM customer_dates WHERE customer_id = ? AND label = ?", [customer_id, label]
        )
        db.execute(
            "INSERT INTO customer_dates (customer_id, label, date, lunar) VALUES (?, ?, ?, ?)",
            [customer_id, label, stored, int(lunar)],
        )


def edit(db: Engine, customer_id: int, **options: Any) -> Customer:
    """Change the given fields (see `change`); returns the new record."""
    with db.write():
        change(db, customer_id, **options)
        return get(db, customer_id)


def change(
    db: Engine,
    customer_id: int,
    *,
    current: Customer | None = None,
    name: str | None = None,
    phones_raw: Sequence[str] | None = None,
    birthday: str | None = None,
    birthday_lunar: bool | None = None,
    birthday_leap: bool | None = None,
    contact_days: str | None = None,
    contact_hours: str | None = None,
    do_not_contact: bool | None = None,
    anniversaries: Sequence[tuple[str, str]] = (),
    clear: Sequence[str] = (),
    locale_context: locales.Context | None = None,
    **fields: Any,
) -> None:
    """Change the given fields; `clear` names fields to empty.

    `locale_context` is what an import knows besides the record (its file's evidence);
    `current` the record as it is stored now, when the caller has just read it in this
    transaction (an import's batch: on a server a read is a round trip).
    """
    unknown = set(fields) - set(PLAIN_FIELDS)
    if unknown:
        raise InvalidValue(
            M_n(
                "unknown customer field: {fields}",
                "unknown customer fields: {fields}",
                len(unknown),
                fields=", ".join(sorted(unknown)),
            )
        )
    clearable = {*PLAIN_FIELDS, "name", "birthday", "contact_days", "contact_hours", "phone"}
    clearable.discard("locale_source")  # clearing the locale infers it (and its source) again
    bad = set(clear) - clearable
    if bad:
        raise InvalidValue(M_("cannot clear {fields}").format(fields=", ".join(sorted(bad))))
    _refuse_blank(name, phones_raw, fields)
    changes: dict[str, Any] = {k: _clean(v) for k, v in fields.items() if v is not None}
    _check_text({**changes, "name": _clean(name)} if name is not None else changes)
    for key in clear:
        if key == "contact_hours":
            changes.update(contact_from=None, contact_until=None)
        elif key == "name":  # its parts go with it, unless new ones are given
            changes.update({k: None for k in _NAME_PARTS if k not in changes}, name=None)
        elif key != "phone":
            changes[key] = None
    if not changes.get("locale"):
        changes.pop("locale_source", None)  # evidence goes with a locale, never alone
    with db.write():
        # Held to the end: a second edit reads this one's result, so what is derived from
        # the whole record (search document, name parts, "something to know them by")
        # is made from both, on a server as on SQLite. A `current` given was read under
        # that hold already (an import holds its batch's customers: `customer_store`).
        if current is None:
            current = _locked(db, customer_id)
        changes.update(
            _relocale(db, current, name, phones_raw, changes, clear, context=locale_context)
        )
        # Keep name and parts consistent: a new name is split unless parts come with it;
        # new parts without a name rebuild the name.
        parts_changed = any(k in changes for k in ("family_name", "given_name", "patronymic"))
        if name is not None:
            locale = changes.get("locale") or current["locale"]
            changes.update(_name_values(_clean(name), {**changes, "locale": locale}))
        elif parts_changed:
            merged = {**current.fields, **changes}
            changes["name"] = _name_values(None, merged)["name"]
        elif changes.get("locale", current["locale"]) != current["locale"] and current["name"]:
            changes.update(_resplit(current, changes["locale"]))
        if birthday is not None:
            changes["birthday"] = dates.parse_day(birthday)
        if birthday_lunar is not None:
            changes["birthday_lunar"] = int(birthday_lunar)
        if birthday_leap is not None:
            changes["birthday_leap"] = int(birthday_leap)
        if contact_days is not None:
            changes["contact_days"] = parse_days(contact_days)
        if contact_hours is not None:
            changes["contact_from"], changes["contact_until"] = parse_hours(contact_hours)
        if do_not_contact is not None:
            changes["do_not_contact"] = int(do_not_contact)
        merged = {**current.fields, **changes}
        _validate(merged)
        if phones_raw is not None:
            has_phones = _any_phone(phones_raw)
        else:
            has_phones = "phone" not in clear and bool(current.phones)
        _require_identity(merged, phones=has_phones)
        code = changes.get("code")
        if code and code != current["code"]:
            db.lock_keys(f"customers.code:{code}")
        if (
            code
            and code != current["code"]
            and db.execute(
                "SELECT 1 FROM customers WHERE code = ? AND id != ?", [code, customer_id]
            ).fetchone()
        ):
            raise Conflict(M_("another customer already has code {code}").format(code=repr(code)))
        changes["search_key"] = _search_key(merged)
        changes["updated_at"] = dates.now_utc()
        assignments = ", ".join(f"{k} = ?" for k in changes)
        db.execute(
            f"UPDATE customers SET {assignments} WHERE id = ?", [*changes.values(), customer_id]
        )
        if phones_raw is not None:
            set_phones(db, customer_id, phones_raw)
        elif "phone" in clear:
            set_phones(db, customer_id, [])
        for label, day in anniversaries:
            set_date(db, customer_id, label, day)


def _resplit(current: Customer, locale: str) -> dict[str, Any]:
    """Name parts for a new locale, when the old ones were only the old locale's split."""
    f = current.fields
    old = names.split_name(f["name"], locale=f["locale"])
    if (f["family_name"], f["given_name"], f["patronymic"]) != (
        old.family,
        old.given,
        old.patronymic,
    ):
        return {}  # parts given by hand (or by a file) stay
    new = names.split_name(f["name"], locale=locale)
    return {"family_name": new.family, "given_name": new.given, "patronymic": new.patronymic}


def _relocale(
    db: Engine,
    current: Customer,
    name: str | None,
    phones_raw: Sequence[str | tuple[str, str | None]] | None,
    changes: Mapping[str, Any],
    clear: Sequence[str],
    *,
    context: locales.Context | None = None,
) -> dict[str, Any]:
    """The locale after an edit: a new one given; else inferred again when the evidence moved.

    A locale set by hand stays until it is cleared (`--clear locale`, which infers it
    anew). An inferred one is inferred again when the name or the phones change,
    keeping what the record cannot show again (the file it came from).
    """
    f = current.fields
    if changes.get("locale"):
        source = locales.given_source(changes.get("locale_source"))
        return {"locale": locales.canonical(changes["locale"]), "locale_source": source}
    cleared = "locale" in clear
    moved = (
        name is not None
        or phones_raw is not None
        or "phone" in clear
        or "name_reading" in changes  # the reading column (importread), once it exists
    )
    if not cleared and (f.get("locale_source") == locales.SET or not moved):
        return {}
    kept = None
    if not cleared and f.get("locale") and f.get("locale_source"):
        kept = locales.Guess(f["locale"], f["locale_source"])
    new_name = _clean(name) if name is not None else f["name"]
    numbers: Sequence[str | tuple[str, str | None]]
    if phones_raw is not None:
        numbers = phones_raw
    elif "phone" in clear:
        numbers = ()
    else:
        numbers = [p.raw for p in current.phones]
    values = {k: v for k, v in {**f, **changes}.items() if k not in ("locale", "locale_source")}
    return _locale_values(
        values,
        name=new_name or f.get("family_name") or f.get("given_name"),
        phones_raw=numbers,
        context=context or shop_context(db),
        kept=kept,
    )


def stronger_locale(
    current: Customer,
    *,
    name: str | None,
    phones_raw: Iterable[str | tuple[str, str | None]],
    reading: str | None,
    context: locales.Context,
) -> dict[str, Any]:
    """locale and locale_source when new evidence (an import's file, a number with its
    country code) outranks what the stored locale rests on; else nothing, so a stored
    locale stays put and a re-import changes nothing."""
    f = current.fields
    source = f.get("locale_source") or locales.DEFAULT
    if source == locales.SET:
        return {}
    stored = locales.Guess(f.get("locale") or context.default, source)
    new = _locale_values(
        {"name_reading": reading},
        name=name or f.get("family_name") or f.get("given_name"),
        phones_raw=phones_raw,
        context=context,
        kept=stored,
    )
    if locales.Guess(new["locale"], new["locale_source"]).rank >= stored.rank:
        return {}
    return new


# A tag is a label, not a text: and it is a key of three indexes, which on a server
# hold at most 2,704 bytes an entry (an entry over it was refused there, in the server's
# words, and taken in a file). 200 characters fit in any script, on both engines.
MAX_TAG = 200


def clean_tag(tag: str) -> str:
    """A tag with its whitespace collapsed; an empty one, or one over MAX_TAG, is refused."""
    tag = " ".join(text.check(tag.strip(), field="tag").split())
    text.check(tag, field="tag", longest=MAX_TAG)  # as stored: its spaces collapsed
    if not tag:
        raise InvalidValue(M_("a tag cannot be empty"))
    return tag


def _add_tag(db: Engine, customer_id: int, tag: str) -> bool:
    tag = clean_tag(tag)
    cur = db.execute(
        "INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [customer_id, tag],
    )
    return cur.rowcount > 0


def tag(db: Engine, customer_id: int, tags: Sequence[str]) -> int:
    """Add tags; returns how many were new."""
    with db.write():
        _locked(db, customer_id)
        added = sum(_add_tag(db, customer_id, t) for t in tags)
        if added:
            _touch(db, customer_id)
    return added


def untag(db: Engine, customer_id: int, tags: Sequence[str]) -> int:
    """Remove tags; returns how many were there."""
    with db.write():
        _locked(db, customer_id)
        removed = 0
        for t in tags:
            cur = db.execute(
                "DELETE FROM customer_tags WHERE customer_id = ? AND tag = ?",
                [customer_id, " ".join(t.split())],
            )
            removed += cur.rowcount
        if removed:
            _touch(db, customer_id)
    return removed


def _locked(db: Engine, customer_id: int) -> Customer:
    """The customer, their row this write's until it commits (inside `write()`).

    On a server each statement sees what is committed when it starts: without the lock a
    change could act on a customer another till deletes meanwhile (a tag refused by the
    foreign key in the server's words, an archive of nobody said done). With it the
    second waits, then finds them gone (NotFound), as SQLite's one writer at a time does."""
    db.execute(f"SELECT id FROM customers WHERE id = ?{db.locks_rows}", [customer_id])
    return get(db, customer_id)


def _touch(db: Engine, customer_id: int) -> None:
    db.execute("UPDATE customers SET updated_at = ? WHERE id = ?", [dates.now_utc(), customer_id])


def archive(db: Engine, customer_id: int, *, undo: bool = False) -> None:
    """Hide a customer from lists and the agenda, keeping everything (undo brings it back)."""
    with db.write():
        _locked(db, customer_id)
        db.execute(
            "UPDATE customers SET archived_at = ?, updated_at = ? WHERE id = ?",
            [None if undo else dates.now_utc(), dates.now_utc(), customer_id],
        )


def delete(db: Engine, customer_id: int, *, force: bool = False) -> None:
    """Delete a customer; one with purchases needs `force`; one with complaints, never.

    Complaint history is append-only: a customer who complained can be archived, or
    their personal data erased with `customers forget`, but their case stays on record.
    """
    with db.write():
        # A till adding a purchase or a complaint for them meanwhile waits, and is
        # counted below, instead of being erased by the cascade after the counts said none.
        _locked(db, customer_id)
        complaints = db.execute(
            "SELECT count(*) FROM complaints WHERE customer_id = ?", [customer_id]
        ).fetchone()[0]
        if complaints:
            raise Conflict(
                M_n(
                    "customer #{id} has {n} complaint, whose history is kept for good; "
                    "archive the customer, or erase their personal data with `customers forget`",
                    "customer #{id} has {n} complaints, whose history is kept for good; "
                    "archive the customer, or erase their personal data with `customers forget`",
                    complaints,
                    id=customer_id,
                )
            )
        bought = db.execute(
            "SELECT count(*) FROM purchases WHERE customer_id = ?", [customer_id]
        ).fetchone()[0]
        if bought and not force:
            raise Conflict(
                M_n(
                    "customer #{id} has {n} purchase; archive the customer instead, or delete "
                    "with --force to erase that purchase too",
                    "customer #{id} has {n} purchases; archive the customer instead, or delete "
                    "with --force to erase those purchases too",
                    bought,
                    id=customer_id,
                )
            )
        db.execute("DELETE FROM customers WHERE id = ?", [customer_id])


# --- reading ---------------------------------------------------------------------------


def get(db: Engine, customer_id: int) -> Customer:
    found = get_many(db, [customer_id])
    if not found:
        raise NotFound(_("no customer #{id}").format(id=customer_id))
    return found[customer_id]


MANY = 500  # customers `get_many` reads in one query at most


def get_many(db: Engine, ids: Iterable[int]) -> dict[int, Customer]:
    """`get` of each of `ids` that exists, in four queries for up to `MANY` of them (an
    import's batch: on a server four round trips, not four a customer)."""
    wanted = sorted(set(ids))
    found: dict[int, Customer] = {}
    for start in range(0, len(wanted), MANY):  # a query's parameters stay few on both engines
        found.update(_get_some(db, wanted[start : start + MANY]))
    return found


def _get_some(db: Engine, wanted: list[int]) -> dict[int, Customer]:
    marks = ", ".join("?" for _ in wanted)
    cursor = db.execute(f"SELECT * FROM customers WHERE id IN ({marks})", wanted)
    columns = [d[0] for d in cursor.description]
    rows = {}
    for row in cursor:
        fields = dict(zip(columns, row, strict=True))
        rows[fields["id"]] = fields
    phone_rows: dict[int, list[PhoneRow]] = {cid: [] for cid in rows}
    for cid, raw, e164, label in db.execute(
        "SELECT customer_id, raw, e164, label FROM customer_phones"
        f" WHERE customer_id IN ({marks}) ORDER BY customer_id, position",
        wanted,
    ):
        phone_rows[cid].append(PhoneRow(raw=raw, e164=e164, label=label))
    tags: dict[int, list[str]] = {cid: [] for cid in rows}
    for cid, tag in db.execute(
        f"SELECT customer_id, tag FROM customer_tags WHERE customer_id IN ({marks})"
        " ORDER BY customer_id, tag",
        wanted,
    ):
        tags[cid].append(tag)
    date_rows: dict[int, list[DateRow]] = {cid: [] for cid in rows}
    for cid, label, day, lunar in db.execute(
        "SELECT customer_id, label, date, lunar FROM customer_dates"
        f" WHERE customer_id IN ({marks}) ORDER BY customer_id, label",
        wanted,
    ):
        date_rows[cid].append(DateRow(label=label, date=day, lunar=bool(lunar)))
    return {
        cid: Customer(
            id=cid,
            fields=fields,
            phones=tuple(phone_rows[cid]),
            tags=tuple(tags[cid]),
            dates=tuple(date_rows[cid]),
            extra=json.loads(fields["extra"]) if fields.get("extra") else {},
        )
        for cid, fields in rows.items()
    }


def rows(
    db: Engine,
    *,
    tag: str | None = None,
    owner: str | None = None,
    tier: str | None = None,
    archived: bool | None = False,
    ids: Iterable[int] | None = None,
    limit: int | None = None,
    fields: Sequence[str] | None = None,
    flat: bool = True,
    prospects: bool = False,
) -> Iterator[dict[str, Any]]:
    """Customers as rows of `fields` (default: the usual list columns), ordered by id.

    `flat` gives the text a CSV cell holds; else the structured values JSON writes.
    `archived`: only archived customers (True), only the others (False), or both (None).
    """
    chosen = list(fields or DEFAULT_ROW_FIELDS)
    unknown = [f for f in chosen if f not in customer_fields.BY_NAME]
    if unknown:
        raise InvalidValue(
            M_n(
                "unknown customer field: {fields}",
                "unknown customer fields: {fields}",
                len(unknown),
                fields=", ".join(unknown),
            )
        )
    where, params = _where(tag=tag, owner=owner, archived=archived, ids=ids)
    if prospects:  # no purchase yet, not given up (see crmcli.prospects)
        where += [NO_PURCHASE, "c.lost_at IS NULL"]
    select = customer_fields.select_sql(db, [*chosen, "tier"] if tier else chosen)
    sql = f"SELECT {select} FROM customers c WHERE {' AND '.join(where)}"
    if tier:
        sql = f"SELECT * FROM ({sql}) AS r WHERE r._tier = ?"
        params.append(tier.upper())
    sql += " ORDER BY id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    for values in cursor:
        row = customer_fields.structured(dict(zip(columns, values, strict=True)), chosen)
        yield customer_fields.flat_row(row, chosen) if flat else row


# What `rows` gives when no fields are named (what lists and search show, and more).
DEFAULT_ROW_FIELDS = (
    "id", "code", "name", "family_name", "given_name", "patronymic", "salutation", "phone",
    "email", "birthday", "birthday_lunar", "anniversary", "address", "occupation", "notes",
    "tags", "owner", "tier", "created_at", "updated_at",
)  # fmt: skip


def _where(
    *, tag: str | None, owner: str | None, archived: bool | None, ids: Iterable[int] | None
) -> tuple[list[str], list[Any]]:
    """The WHERE terms (over `c`) choosing the customers a listing shows."""
    where = ["c.forgotten_at IS NULL"]
    params: list[Any] = []
    if archived is not None:
        where.append("c.archived_at IS NOT NULL" if archived else "c.archived_at IS NULL")
    if tag:
        where.append(
            "EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id AND t.tag = ?)"
        )
        params.append(tag)
    if owner:
        where.append("c.owner = ?")
        params.append(owner)
    if ids is not None:
        id_list = list(ids)
        where.append(f"c.id IN ({', '.join('?' for _ in id_list)})" if id_list else "1 = 0")
        params.extend(id_list)
    return where, params


def extra_keys(
    db: Engine,
    *,
    tag: str | None = None,
    archived: bool | None = False,
    ids: Iterable[int] | None = None,
) -> list[str]:
    """The extra fields' names among the customers a listing with these filters shows."""
    where, params = _where(tag=tag, owner=None, archived=archived, ids=ids)
    return customer_fields.extra_keys(db, where=" AND ".join(where), params=params)


SEARCH_DEFAULT = ("id", "code", "name", "matched", "phone", "email", "tags", "owner")
_BATCH = 200


def search(
    db: Engine,
    text: str,
    *,
    limit: int | None = None,
    fields: Sequence[str] | None = None,
    flat: bool = True,
) -> Iterator[dict[str, Any]]:
    """Customers matching `text` in name (any script, order, case, accents; initials,
    reading, transliteration), code, e-mail, company, notes, tag or phone, by id.

    Each row's `matched` says where. Candidates come from indexes only (see
    crmcli.search), in id order, so `limit` stops the work early.
    """
    words = finding.words(text)
    raw = text.strip()
    if not words and not raw:
        raise InvalidValue(M_("give something to search for"))
    sources: list[Iterator[int]] = [
        _id_stream(db, *db.text_search(kind, word))
        for kind, word in finding.candidate_queries(words)
    ]
    sources.append(
        _id_stream(
            db,
            f"SELECT customer_id FROM customer_tags WHERE {db.nocase_equal('tag')}"
            " ORDER BY customer_id",
            [raw],
        )
    )
    by_phone: set[int] = set()
    if phones.looks_like_phone(raw):
        by_phone = _phone_matches(db, raw, exact=False)
        sources.append(iter(sorted(by_phone)))
    shown = [f for f in fields or DEFAULT_ROW_FIELDS if f != "matched"]
    return _verified(db, _merged(sources), words, by_phone, limit, shown, flat)


def _id_stream(db: Engine, sql: str, params: list[Any]) -> Iterator[int]:
    for row in db.execute(sql, params):
        yield int(row[0])


def _merged(sources: list[Iterator[int]]) -> Iterator[int]:
    """The ids of every source, ascending, each once (sources are each ascending)."""
    from heapq import merge

    last = None
    for cid in merge(*sources):
        if cid != last:
            yield cid
            last = cid


def _verified(
    db: Engine,
    candidates: Iterator[int],
    words: list[str],
    by_phone: set[int],
    limit: int | None,
    shown: list[str],
    flat: bool,
) -> Iterator[dict[str, Any]]:
    from itertools import islice

    columns = {c.name for c in db.columns("customers")}
    fields = [f for f in finding.FIELDS if f in columns]
    sent = 0
    while limit is None or sent < limit:
        # A page (--limit 20) verifies about as many candidates as it shows, not _BATCH.
        size = _BATCH if limit is None else min(_BATCH, max(limit - sent, 16))
        batch = list(islice(candidates, size))
        if not batch:
            return
        marks = ", ".join("?" for _ in batch)
        found: dict[int, list[str]] = {}
        values = db.execute(
            f"SELECT id, {', '.join(fields)},"
            f" (SELECT {db.json_list('tag')} FROM customer_tags t WHERE t.customer_id = c.id)"
            f" FROM customers c WHERE id IN ({marks})",
            batch,
        )
        for row in values:
            record = dict(zip(fields, row[1:-1], strict=True))
            record["tags"] = json.loads(row[-1] or "[]")
            where = finding.matches(words, record) if words else []
            if row[0] in by_phone:
                where.append("phone")
            if where:
                found[int(row[0])] = where
        if not found:
            continue
        for out in rows(
            db, ids=sorted(found), fields=list(dict.fromkeys(["id", *shown])), flat=flat
        ):
            if limit is not None and sent >= limit:
                return
            out["matched"] = finding.label_order(found[out["id"]])
            yield out
            sent += 1


def count(db: Engine) -> int:
    return int(
        db.execute("SELECT count(*) FROM customers WHERE forgotten_at IS NULL").fetchone()[0]
    )
