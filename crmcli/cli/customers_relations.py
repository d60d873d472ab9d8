"""`crmcli customers relate | unrelate | relations`: the people around a customer."""

from typing import Annotated

import typer

from crmcli import customers, relations
from crmcli.cli.customers import Ref, app
from crmcli.cli.env import get_env
from crmcli.cli.output import FormatOption, emit, fields_option, pick_fields
from crmcli.i18n import _, ngettext

Other = Annotated[
    str | None,
    typer.Argument(
        help="The other person, a customer: code, id, phone or e-mail.", show_default=False
    ),
]
Name = Annotated[
    str | None,
    typer.Option("--name", help="The other person, who is not a customer: their name."),
]
KIND_HELP = (
    "What OTHER is to REF: spouse, child, parent, sibling, colleague, or referred-by "
    "(REF came on OTHER's word). OTHER's page shows the inverse (parent, referred…)."
)


@app.command("relate")
def relate(
    ctx: typer.Context,
    ref: Ref,
    other: Other = None,
    kind: Annotated[str, typer.Option("--as", help=KIND_HELP, show_default=False)] = "",
    name: Name = None,
    birthday: Annotated[
        str | None,
        typer.Option("--birthday", help="With --name: their birthday, YYYY-MM-DD or --MM-DD."),
    ] = None,
    greet: Annotated[
        bool | None,
        typer.Option(
            "--greet/--no-greet",
            help="Put their birthday on REF's agenda (a family-birthday greeting item); "
            "default: new relations are not greeted, a recorded one keeps its choice.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Record someone around a customer: family, a colleague, who referred them."""
    env = get_env(ctx)
    if not kind:
        from crmcli.errors import UsageError

        said = _("say how they are related: --as {kinds}")
        raise UsageError(said.format(kinds="|".join(relations.KINDS[:-1])))
    db = env.db
    customer_id = customers.resolve(db, ref)
    other_id = customers.resolve(db, other) if other is not None else None
    relation_id, new = relations.relate(
        db,
        customer_id,
        kind=kind,
        other_id=other_id,
        name=name,
        birthday=birthday,
        greet=greet,
    )
    env.say(_told(db, customer_id, relations.kind_of(kind), other_id, name, new, greet))
    if greet:
        related = next(r for r in relations.around(db, customer_id) if r.relation_id == relation_id)
        if not related.birthday:
            said = _("note: no birthday is known for {name}; nothing to greet yet")
            env.say(said.format(name=related.name))


@app.command("unrelate")
def unrelate(
    ctx: typer.Context,
    ref: Ref,
    other: Other = None,
    name: Name = None,
    kind: Annotated[
        str | None, typer.Option("--as", help="Only this relation (default: every one).")
    ] = None,
) -> None:
    """Remove a relation recorded with `customers relate` (from either side)."""
    env = get_env(ctx)
    db = env.db
    customer_id = customers.resolve(db, ref)
    other_id = customers.resolve(db, other) if other is not None else None
    removed = relations.unrelate(db, customer_id, other_id=other_id, name=name, kind=kind)
    said = ngettext(
        "customer #{id}: {n} relation removed", "customer #{id}: {n} relations removed", removed
    )
    env.say(said.format(id=customer_id, n=removed))


@app.command("relations")
def list_relations(
    ctx: typer.Context,
    ref: Annotated[
        str | None,
        typer.Argument(
            help="One customer: everyone around them, from their side (default: all).",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = None,
    fields: fields_option(relations.LIST_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """List relations: each as stored (REF's kind is what OTHER is to REF), or one customer's."""
    env = get_env(ctx)
    db = env.read_db()
    customer_id = customers.resolve(db, ref) if ref is not None else None
    rows = relations.rows(db, customer_id)
    chosen = pick_fields(fields, allowed=relations.LIST_FIELDS, default=relations.LIST_DEFAULT)
    headers = {"other_code": "other", "other_name": "other's name", "other_birthday": "birthday"}
    emit(
        env,
        rows,
        fields=chosen,
        fmt=fmt,
        headers=headers,
        empty=_("no relation recorded yet (`crmcli customers relate REF OTHER --as spouse`)"),
    )


def _told(
    db: object,
    customer_id: int,
    kind: str,
    other_id: int | None,
    name: str | None,
    new: bool,
    greet: bool,
) -> str:
    """What was recorded, in words: "#2 Kim Minji is the spouse of #1 Kim Minjun"."""

    def who(cid: int) -> str:
        return f"#{cid} {customers.get(db, cid).fields['name'] or ''}".strip()  # type: ignore[arg-type]

    me, them = who(customer_id), (who(other_id) if other_id is not None else name or "")
    if kind == "referred-by":
        said = f"{me} was referred by {them}"
    elif kind == "referred":
        said = f"{me} referred {them}"
    else:
        said = f"{them} is the {kind} of {me}"
    if not new:
        said += " (already recorded; updated)"
    return said + ("; their birthday is greeted" if greet else "")
