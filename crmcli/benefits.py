"""What each tier gets (seed 002: discounts, gifts, credit terms for high-value customers).

A benefit is the setting `tiers.benefits.A` (B, C): one line the shop owner types,
in parts separated by `;`. A part is free text ("free alterations"), or one of the
structured parts, written `name=value`:
- `discount=10%` (or `discount=10`): a percentage from 0 to 100;
- `gift=TEXT`: what the customer receives (a mug at New Year);
- `terms=TEXT`: payment terms (30 days, pay on delivery).
A typo in a name (`dicount=10`) is refused at `config set`, not printed to customers.
The text shown everywhere (page, report, offer list, `{benefit}` in greetings) is the
parts in the order typed: "10% discount; gift: mug; payment terms: 30 days".
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, NamedTuple

from crmcli.errors import InvalidValue
from crmcli.i18n import M_

TIERS = ("A", "B", "C")
PARTS = ("discount", "gift", "terms")
LONGEST = 200
_NAMED = re.compile(r"([A-Za-z_-]+)\s*=\s*(.*)", re.S)
_PERCENT = re.compile(r"(100(\.0+)?|\d{1,2}(\.\d{1,2})?)\s*%?")


class Benefit(NamedTuple):
    """One tier's benefit: the structured parts, free text, and the line shown."""

    tier: str
    text: str
    discount_pct: Decimal | None = None
    gift: str | None = None
    terms: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "text": self.text,
            "discount_pct": self.discount_pct,
            "gift": self.gift,
            "terms": self.terms,
            "note": self.note,
        }


def parse(value: str, *, tier: str = "") -> Benefit | None:
    """The benefit a setting's value describes (None when empty); InvalidValue when wrong."""
    error = problem(value)
    if error:
        key = f"tiers.benefits.{tier}"  # a setting's name, as `config set` takes it
        raise InvalidValue(f"{key}: {error}")
    return _parse(value, tier)


def problem(value: str) -> str | None:
    """Why `value` cannot be a benefit, or None (the setting's check)."""
    if "\n" in value or "\r" in value:
        return M_("must be one line (parts separated by ;)")
    if len(value) > LONGEST:
        return M_("must be at most {n} characters").format(n=LONGEST)
    seen: set[str] = set()
    for part in _parts(value):
        named = _NAMED.fullmatch(part)
        if not named:
            continue
        name, body = named.group(1).lower(), named.group(2).strip()
        if name not in PARTS:
            return M_(
                "has an unknown part {name}=; the parts are discount=10%, gift=TEXT, "
                "terms=TEXT, or free text"
            ).format(name=name)
        if name in seen:
            return M_("names {name}= twice").format(name=name)
        seen.add(name)
        if not body:
            return M_("{name}= needs a value").format(name=name)
        if name == "discount" and not _PERCENT.fullmatch(body):
            return M_("discount= must be a percentage from 0 to 100, such as 10%")
    return None


def _parts(value: str) -> list[str]:
    return [p.strip() for p in value.split(";") if p.strip()]


def _parse(value: str, tier: str) -> Benefit | None:
    shown: list[str] = []
    found: dict[str, Any] = {}
    notes: list[str] = []
    for part in _parts(value):
        named = _NAMED.fullmatch(part)
        if not named:
            shown.append(part)
            notes.append(part)
            continue
        name, body = named.group(1).lower(), named.group(2).strip()
        if name == "discount":
            pct = Decimal(body.rstrip("%").strip()).normalize()
            found["discount_pct"] = pct
            shown.append(f"{pct:f}% discount")
        elif name == "gift":
            found["gift"] = body
            shown.append(f"gift: {body}")
        else:
            found["terms"] = body
            shown.append(f"payment terms: {body}")
    if not shown:
        return None
    return Benefit(tier, "; ".join(shown), note="; ".join(notes) or None, **found)
