"""vCards out (via `vobject`): vCard 3.0 that phones and mail apps read, with every field
crmcli has also written as an `X-CRMCLI-…` property, so crmcli reads its own export back
field by field (`crmcli.imports.vcards` is the reader)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from crmcli import customer_fields
from crmcli.customers import Customer

CODE_PROPERTY = "X-CRMCLI-CODE"


def to_vcard(customer: Any, exact: Mapping[str, Any] | None = None) -> str:
    """A customer (`customers.Customer`) as one vCard 3.0.

    `exact`: the customer's fields (structured, as `customers.rows` gives them), each
    written again as an `X-CRMCLI-FIELD` property, so crmcli reads back every field as
    it was; other apps read the standard properties.
    """
    import vobject

    f = customer.fields
    card = vobject.vCard()
    card.add("fn").value = customer.display_name
    card.add("n").value = vobject.vcard.Name(
        family=f.get("family_name") or "", given=f.get("given_name") or ""
    )
    if f.get("name_reading"):  # as Apple and Google write it: family half, given half
        family, _, given = f["name_reading"].partition(" ")
        card.add("x-phonetic-last-name").value = family
        if given:
            card.add("x-phonetic-first-name").value = given
    if f.get("code"):
        card.add(CODE_PROPERTY.lower()).value = f["code"]
    for phone in customer.phones:
        tel = card.add("tel")
        tel.value = phone.raw
        if phone.e164:
            tel.params["X-E164"] = [phone.e164]
        if phone.label:
            tel.type_param = phone.label.upper()
    if f.get("email"):
        card.add("email").value = f["email"]
    if f.get("birthday"):
        day = f["birthday"]
        if f.get("birthday_lunar"):
            alt = card.add("x-altbday")
            alt.value = day.replace("-", "") if not day.startswith("--") else day
            alt.params["CALSCALE"] = ["chinese"]
        else:
            card.add("bday").value = day
    for n, d in enumerate(customer.dates, start=1):
        if d.lunar:
            alt = card.add("x-altbday")
            alt.value = d.date
            alt.params["CALSCALE"] = ["chinese"]
            continue
        # X-ANNIVERSARY carries no label: only a plain anniversary may use it, or a
        # wedding read back would come home as 'anniversary'. The grouped X-ABDATE keeps
        # any label (Apple's own marker for the plain one).
        if d.label == "anniversary":
            card.add("x-anniversary").value = d.date
        item = card.add("x-abdate", group=f"item{n}")
        item.value = d.date
        card.add("x-ablabel", group=f"item{n}").value = (
            "_$!<Anniversary>!$_" if d.label == "anniversary" else d.label
        )
    if f.get("address"):
        card.add("adr").value = vobject.vcard.Address(
            street=f["address"], code=f.get("postcode") or ""
        )
    if f.get("company"):
        card.add("org").value = [f["company"]]
    if f.get("occupation"):
        card.add("title").value = f["occupation"]
    if f.get("notes"):
        card.add("note").value = f["notes"]
    if customer.tags:
        card.add("categories").value = list(customer.tags)
    if f.get("gender"):
        card.add("x-gender").value = f["gender"]
    for name, value in (exact or {}).items():
        if name == "extra":
            if value:
                card.add(customer_fields.vcard_property(name).lower()).value = json.dumps(
                    value, ensure_ascii=False
                )
            continue
        text = customer_fields.flat(value, name)
        if text not in (None, "", "no"):
            card.add(customer_fields.vcard_property(name).lower()).value = str(text)
    return str(card.serialize())


def write_vcards(customers_iter: Iterable[Any], out: Any) -> int:
    """Write vCards for (customer, exact fields) pairs, or for customers alone."""
    count = 0
    for item in customers_iter:
        # A Customer is a named tuple itself: tell it from a pair by its class.
        customer, exact = (item, None) if isinstance(item, Customer) else item
        out.write(to_vcard(customer, exact))
        count += 1
    return count
