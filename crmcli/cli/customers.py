"""`crmcli customers …`: add, edit, show, list, search, tag, archive and delete customers."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Annotated, Any

import typer

from crmcli import customers
from crmcli.cli.env import Env, confirm, get_env
from crmcli.cli.output import (
    Format,
    FormatOption,
    customer_fields_option,
    emit,
    pick_fields,
    print_json,
    resolve_format,
)
from crmcli.errors import InvalidValue, UsageError
from crmcli.i18n import _, ngettext
from crmcli.settings import display_places

app = typer.Typer(help="Add, find and look after customers.", no_args_is_help=True)

Ref = Annotated[str, typer.Argument(help="Customer code, id, phone number or e-mail.")]


def _pairs(values: list[str] | None, what: str) -> list[tuple[str, str]]:
    out = []
    for value in values or []:
        label, sep, day = value.partition("=")
        if not sep:
            said = _("{option} must be LABEL=DATE, e.g. wedding=2010-05-01 (got {value})")
            raise InvalidValue(said.format(option=what, value=repr(value)))
        out.append((label.strip(), day.strip()))
    return out


# Options shared by add and edit, declared once.
Name = Annotated[
    str | None, typer.Option("--name", "-n", help="Full name, as the customer writes it.")
]
Code = Annotated[
    str | None, typer.Option("--code", help="The shop's customer code (kept verbatim).")
]
Phone = Annotated[
    list[str] | None,
    typer.Option("--phone", "-p", help="Phone number; repeat for more (first = main)."),
]
Email = Annotated[str | None, typer.Option("--email", "-e", help="E-mail address.")]
Birthday = Annotated[
    str | None, typer.Option("--birthday", help="YYYY-MM-DD, or --MM-DD without a year.")
]
Lunar = Annotated[
    bool | None,
    typer.Option("--lunar-birthday/--solar-birthday", help="The birthday is a lunar date."),
]
Leap = Annotated[bool | None, typer.Option("--leap-month", help="Lunar birthday in a leap month.")]
Anniversary = Annotated[
    list[str] | None,
    typer.Option("--anniversary", help="LABEL=DATE, e.g. wedding=2010-05-01; repeatable."),
]
Family = Annotated[str | None, typer.Option("--family-name", help="Family name (surname).")]
Given = Annotated[str | None, typer.Option("--given-name", help="Given name.")]
Patronymic = Annotated[str | None, typer.Option("--patronymic", help="Patronymic (Armenovna…).")]
Salutation = Annotated[
    str | None, typer.Option("--salutation", help="How to address them, overriding the default.")
]
Gender = Annotated[
    str | None, typer.Option("--gender", help="For salutations such as Mr/Ms, 先生/女士.")
]
Locale = Annotated[
    str | None,
    typer.Option(
        "--locale",
        help="Language to greet them in: ko, ja, zh_Hans, zh_Hant, hy, ru, en (en_GB… for "
        "another holiday country). Inferred when not given; --clear locale infers it again.",
    ),
]
Address = Annotated[str | None, typer.Option("--address", help="Postal address.")]
Postcode = Annotated[str | None, typer.Option("--postcode", help="Postcode (leading zeros kept).")]
Company = Annotated[str | None, typer.Option("--company", help="Company, for trade customers.")]
Occupation = Annotated[str | None, typer.Option("--occupation", help="Occupation.")]
Income = Annotated[
    str | None, typer.Option("--income-band", help="Income band, in your own words.")
]
Notes = Annotated[
    str | None, typer.Option("--notes", help="Free notes: family, character, tastes…")
]
Owner = Annotated[
    str | None, typer.Option("--owner", help="The staff member who looks after them.")
]
ContactDays = Annotated[
    str | None, typer.Option("--contact-days", help="Days they take calls: mon-fri, sat,sun…")
]
ContactHours = Annotated[
    str | None, typer.Option("--contact-hours", help="Hours they take calls: 09:00-18:00.")
]


@app.command("add")
def add(
    ctx: typer.Context,
    name: Name = None,
    code: Code = None,
    phone: Phone = None,
    email: Email = None,
    birthday: Birthday = None,
    lunar_birthday: Lunar = None,
    leap_month: Leap = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag; repeatable.")] = None,
    anniversary: Anniversary = None,
    family_name: Family = None,
    given_name: Given = None,
    patronymic: Patronymic = None,
    salutation: Salutation = None,
    gender: Gender = None,
    locale: Locale = None,
    address: Address = None,
    postcode: Postcode = None,
    company: Company = None,
    occupation: Occupation = None,
    income_band: Income = None,
    notes: Notes = None,
    owner: Owner = None,
    contact_days: ContactDays = None,
    contact_hours: ContactHours = None,
    do_not_contact: Annotated[
        bool, typer.Option("--do-not-contact", help="Never list them in the agenda.")
    ] = False,
    added_on: Annotated[
        str | None,
        typer.Option(
            "--added-on",
            help="The day you met them, YYYY-MM-DD (default today); a prospect's"
            " first call counts from it.",
        ),
    ] = None,
) -> None:
    """Add a customer; prints the new id."""
    env = get_env(ctx)
    if not any([name, code, phone, email, family_name, given_name]):
        raise UsageError(_("give at least a --name, --code, --phone or --email"))
    new_id = customers.add(
        env.db,
        name=name,
        phones_raw=phone or [],
        tags=tag or [],
        birthday=birthday,
        birthday_lunar=bool(lunar_birthday),
        birthday_leap=bool(leap_month),
        anniversaries=_pairs(anniversary, "--anniversary"),
        contact_days=contact_days,
        contact_hours=contact_hours,
        do_not_contact=do_not_contact,
        code=code,
        email=email,
        family_name=family_name,
        given_name=given_name,
        patronymic=patronymic,
        salutation=salutation,
        gender=gender,
        locale=locale,
        address=address,
        postcode=postcode,
        company=company,
        occupation=occupation,
        income_band=income_band,
        notes=notes,
        owner=owner,
        added_on=added_on,
    )
    created = customers.get(env.db, new_id)
    print(new_id, file=env.stdout)
    env.say(_("added customer #{id} {name}").format(id=new_id, name=created.display_name))


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: Ref,
    name: Name = None,
    code: Code = None,
    phone: Phone = None,
    email: Email = None,
    birthday: Birthday = None,
    lunar_birthday: Lunar = None,
    leap_month: Annotated[
        bool | None, typer.Option("--leap-month/--no-leap-month", help="Lunar leap month.")
    ] = None,
    anniversary: Anniversary = None,
    family_name: Family = None,
    given_name: Given = None,
    patronymic: Patronymic = None,
    salutation: Salutation = None,
    gender: Gender = None,
    locale: Locale = None,
    address: Address = None,
    postcode: Postcode = None,
    company: Company = None,
    occupation: Occupation = None,
    income_band: Income = None,
    notes: Notes = None,
    owner: Owner = None,
    contact_days: ContactDays = None,
    contact_hours: ContactHours = None,
    do_not_contact: Annotated[
        bool | None,
        typer.Option(
            "--do-not-contact/--may-contact", help="Leave them out of the agenda, or not."
        ),
    ] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", help="Empty a field (email, birthday, phone, notes…); repeatable."),
    ] = None,
    lost: Annotated[
        bool | None,
        typer.Option(
            "--lost/--not-lost", help="A prospect given up (no more calls), or not any more."
        ),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, with --lost.")] = None,
    call_prospect: Annotated[
        bool,
        typer.Option("--call-prospect", help="Put an imported prospect on the call cadence."),
    ] = False,
) -> None:
    """Change a customer's details; only the options given change."""
    from crmcli import prospects

    env = get_env(ctx)
    db = env.db
    customer_id = customers.resolve(db, ref)
    if reason is not None and not lost:
        raise typer.BadParameter(_("--reason goes with --lost"), param_hint="--reason")
    pairs = _pairs(anniversary, "--anniversary")
    today = env.today(None)
    with db.write():  # all of the edit or none: a refused --email undoes --lost
        if lost:
            prospects.mark_lost(db, customer_id, reason=reason, on=today)
        elif lost is False:
            prospects.not_lost(db, customer_id)
        if call_prospect:
            prospects.call(db, customer_id, on=today)
        updated = customers.edit(
            db,
            customer_id,
            name=name,
            phones_raw=phone,
            birthday=birthday,
            birthday_lunar=lunar_birthday,
            birthday_leap=leap_month,
            contact_days=contact_days,
            contact_hours=contact_hours,
            do_not_contact=do_not_contact,
            anniversaries=pairs,
            clear=[c.replace("-", "_") for c in clear or []],
            code=code,
            email=email,
            family_name=family_name,
            given_name=given_name,
            patronymic=patronymic,
            salutation=salutation,
            gender=gender,
            locale=locale,
            address=address,
            postcode=postcode,
            company=company,
            occupation=occupation,
            income_band=income_band,
            notes=notes,
            owner=owner,
        )
    env.say(_("updated customer #{id} {name}").format(id=customer_id, name=updated.display_name))


# What `customers show` writes as CSV/TSV: the profile, field by field (the page's
# other sections are in --format json).
SHOW_FIELDS = (
    "id", "code", "name", "family_name", "given_name", "patronymic", "salutation",
    "addressed_as", "gender", "locale", "phones", "email", "birthday", "birthday_lunar",
    "anniversary", "address", "postcode", "company", "occupation", "income_band", "tags",
    "owner", "attitude", "tier", "contact_days", "contact_hours", "do_not_contact", "notes",
    "extra", "created_at", "updated_at",
)  # fmt: skip


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Ref,
    fmt: FormatOption = None,
    fields: customer_fields_option() = None,  # type: ignore[valid-type]
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge attitude, early buying and late complaints on this day (default today).",
        ),
    ] = None,
) -> None:
    """Show a customer's whole page: profile, purchases, tier, complaints, follow-ups, contacts.

    With --fields, or as CSV/TSV, the customer's fields as one record.
    """
    env = get_env(ctx)
    db = env.read_db()
    customer_id = customers.resolve(db, ref)
    chosen = resolve_format(env, fmt)
    if fields is not None or chosen in (Format.csv, Format.tsv):
        emit_customers(
            env,
            # Archived or not: the customer asked for, with their own extra fields (not
            # every customer's, which meant reading them all).
            _customer_rows(partial(customers.rows, db, ids=[customer_id], archived=None)),
            fields=fields,
            fmt=chosen,
            default=SHOW_FIELDS,
            extra_keys=lambda: customers.extra_keys(db, ids=[customer_id], archived=None),
        )
        return
    # The page pulls in tiers, complaints, visits…: only `show` pays for them.
    from crmcli import page

    data = page.build(db, customer_id, as_of=env.today(as_of))
    if chosen is Format.table:
        from crmcli.cli.page import render_customer_page

        render_customer_page(env, data, places=display_places(db))
    else:
        print_json(env, data, indent=2 if chosen is Format.json else None)


def emit_customers(
    env: Env,
    rows_for: Callable[[list[str]], Iterable[Mapping[str, Any]]],
    *,
    fields: str | None,
    fmt: Format | None,
    default: Sequence[str],
    own: Sequence[str] = (),
    extra_keys: Callable[[], list[str]] | None = None,
    after: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    id_key: str = "id",
    **options: Any,
) -> int:
    """Emit a listing of customers: its `own` columns and any customer field (`--fields`).

    `rows_for(fields)` yields rows with the listing's own columns and the customer's
    id (`id_key`); the customer fields it lacks are looked up. JSON gets structured values (lists,
    objects), CSV and tables the flat text the import reads back.
    """
    from crmcli import customer_fields as cf

    allowed = [*own, *(n for n in cf.NAMES if n not in own)]
    named = [f.strip() for f in (fields or "").split(",")]
    extras = [f for f in named if f.startswith(cf.EXTRA_PREFIX) and cf.is_field(f)]
    columns = pick_fields(fields, allowed=[*allowed, *extras], default=default)
    chosen = resolve_format(env, fmt)
    flat = chosen not in (Format.json, Format.jsonl)
    fetch = [c for c in cf.fetched(columns) if c not in own]
    if flat and "extra" in columns:
        keys = extra_keys() if extra_keys else cf.extra_keys(env.read_db())
        columns = cf.flat_columns(columns, keys)
    db = env.read_db()
    rows = cf.with_customer_fields(db, rows_for(fetch), fetch, id_key=id_key)
    shaped = (cf.present(r, columns, flat_form=flat) for r in rows)
    if after is not None:
        shaped = (after(r) for r in shaped)
    return emit(env, shaped, fields=columns, fmt=chosen, **options)


def _customer_rows(rows: Callable[..., Iterable[Mapping[str, Any]]]) -> Any:
    """`rows_for` for listings of customers themselves: every field read in one query."""
    return lambda fetch: rows(fields=["id", *fetch], flat=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    tag: Annotated[
        str | None, typer.Option("--tag", "-t", help="Only customers with this tag.")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this staff member's.")] = None,
    tier: Annotated[str | None, typer.Option("--tier", help="Only tier A, B or C.")] = None,
    archived: Annotated[bool, typer.Option("--archived", help="List archived customers.")] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", min=0, max=10**9, clamp=True, help="At most this many.")
    ] = None,
    prospects: Annotated[
        bool,
        typer.Option("--prospects", help="Only prospects: no purchase yet, not marked lost."),
    ] = False,
    fmt: FormatOption = None,
    fields: customer_fields_option() = None,  # type: ignore[valid-type]
) -> None:
    """List customers (table on a terminal, CSV when piped)."""
    env = get_env(ctx)
    db = env.read_db()
    emit_customers(
        env,
        _customer_rows(
            partial(
                customers.rows,
                db,
                tag=tag,
                owner=owner,
                tier=tier,
                archived=archived,
                limit=limit,
                prospects=prospects,
            )
        ),
        fields=fields,
        fmt=fmt,
        default=customers.DEFAULT_LIST_FIELDS,
        extra_keys=lambda: customers.extra_keys(db, tag=tag, archived=archived),
    )


@app.command("search")
def search(
    ctx: typer.Context,
    text: Annotated[
        str,
        typer.Argument(
            help="Words of a name (any order, script, case or accents), initials (ㄱㅁㅈ), "
            "a reading, code, e-mail, company, note, tag or phone digits."
        ),
    ],
    limit: Annotated[
        int | None, typer.Option("--limit", min=0, max=10**9, clamp=True, help="At most this many.")
    ] = None,
    fmt: FormatOption = None,
    fields: customer_fields_option(("matched",)) = None,  # type: ignore[valid-type]
) -> None:
    """Find customers as a clerk types them; `matched` says where each was found."""
    env = get_env(ctx)
    db = env.read_db()
    emit_customers(
        env,
        _customer_rows(partial(customers.search, db, text, limit=limit)),
        fields=fields,
        fmt=fmt,
        default=customers.SEARCH_DEFAULT,
        own=("matched",),
        empty=_("no customer matches {text}").format(text=repr(text)),
    )


@app.command("tag")
def tag(
    ctx: typer.Context,
    ref: Ref,
    tags: Annotated[list[str], typer.Argument(help="Tags to add.")],
) -> None:
    """Add tags to a customer."""
    env = get_env(ctx)
    customer_id = customers.resolve(env.db, ref)
    added = customers.tag(env.db, customer_id, tags)
    said = ngettext("customer #{id}: {n} tag added", "customer #{id}: {n} tags added", added)
    env.say(said.format(id=customer_id, n=added))


@app.command("untag")
def untag(
    ctx: typer.Context,
    ref: Ref,
    tags: Annotated[list[str], typer.Argument(help="Tags to remove.")],
) -> None:
    """Remove tags from a customer."""
    env = get_env(ctx)
    customer_id = customers.resolve(env.db, ref)
    removed = customers.untag(env.db, customer_id, tags)
    said = ngettext("customer #{id}: {n} tag removed", "customer #{id}: {n} tags removed", removed)
    env.say(said.format(id=customer_id, n=removed))


@app.command("archive")
def archive(
    ctx: typer.Context,
    ref: Ref,
    undo: Annotated[bool, typer.Option("--undo", help="Bring an archived customer back.")] = False,
) -> None:
    """Hide a customer from lists and the agenda, keeping their history."""
    env = get_env(ctx)
    customer_id = customers.resolve(env.db, ref)
    customers.archive(env.db, customer_id, undo=undo)
    said = _("customer #{id} restored") if undo else _("customer #{id} archived")
    env.say(said.format(id=customer_id))


@app.command("delete")
def delete(
    ctx: typer.Context,
    ref: Ref,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Also erase their purchases.")] = False,
) -> None:
    """Delete a customer for good (archive keeps the history instead)."""
    env = get_env(ctx)
    customer_id = customers.resolve(env.db, ref)
    who = customers.get(env.db, customer_id).display_name
    if not yes:
        if not env.stdout_isatty:
            raise UsageError(_("deleting needs --yes when not run at a terminal"))
        confirm(_("Delete customer #{id} {name}?").format(id=customer_id, name=who))
    customers.delete(env.db, customer_id, force=force)
    env.say(_("deleted customer #{id} {name}").format(id=customer_id, name=who))
