"""`crmcli customers dupes | merge`, added to the customers group."""

from typing import Annotated

import typer

from crmcli import customers, merge
from crmcli.cli.customers import app
from crmcli.cli.env import get_env
from crmcli.cli.output import (
    FormatOption,
    emit,
    fields_option,
    pick_fields,
)
from crmcli.i18n import _


@app.command("dupes")
def dupes(
    ctx: typer.Context,
    threshold: Annotated[
        int, typer.Option("--threshold", help="How alike names must be, 1-100.")
    ] = merge.DEFAULT_THRESHOLD,
    fmt: FormatOption = None,
    fields: fields_option(merge.DUPE_FIELDS) = None,  # type: ignore[valid-type]
) -> None:
    """List likely duplicates: a shared phone or e-mail, or names nearly alike."""
    env = get_env(ctx)
    db = env.read_db()
    pairs = list(merge.find(db, threshold=threshold))
    ids = sorted({i for p in pairs for i in (p.a, p.b)})
    labels = {r["id"]: r["name"] or r["code"] or "" for r in customers.rows(db, ids=ids)}
    chosen = pick_fields(fields, allowed=merge.DUPE_FIELDS, default=merge.DUPE_FIELDS)
    emit(
        env,
        (p.row(labels) for p in pairs),
        fields=chosen,
        fmt=fmt,
        empty=_("no likely duplicates"),
    )


@app.command("merge")
def merge_(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="The customer to keep (code, id, phone, e-mail).")],
    other: Annotated[str, typer.Argument(help="The customer merged into it, then removed.")],
) -> None:
    """Merge OTHER into KEEP: purchases, complaints, follow-ups, contacts, tags, phones, dates."""
    env = get_env(ctx)
    db = env.db
    result = merge.merge(db, customers.resolve(db, keep), customers.resolve(db, other))
    moved = ", ".join(f"{n} {table}" for table, n in sorted(result.moved.items()) if n)
    said = _(
        "merged customer #{merged} into #{kept} (moved {moved}); "
        "the merged record is kept as snapshot #{snapshot} in customer_merges"
    )
    env.say(
        said.format(
            merged=result.merged,
            kept=result.kept,
            moved=moved or _("nothing"),
            snapshot=result.merge_id,
        )
    )
