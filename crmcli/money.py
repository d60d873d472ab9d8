"""Money, exactly: integer micro-units in the database, `Decimal` at the edges.

Nothing is rounded on the way in; four-decimal amounts stay four-decimal. Display
shows at least the currency's minor units, and more where the amount has them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from crmcli.errors import InvalidValue

MICROS = 1_000_000
_SCALE = Decimal(MICROS)

# ISO 4217 minor units for currencies a shop is likely to use; others default to 2.
MINOR_UNITS = {"KRW": 0, "JPY": 0, "VND": 0, "CLP": 0, "ISK": 0, "TWD": 2, "BHD": 3, "KWD": 3}

_SYMBOLS = re.compile(r"[\s\u00a0\u2009\u202f$€£¥₩₽֏元円원'’]|[A-Z]{3}")


def minor_units(currency: str, override: str = "") -> int:
    return int(override) if override else MINOR_UNITS.get(currency.upper(), 2)


def parse_amount(text: str, *, decimal_comma: bool | None = None) -> int:
    """'1,234.50', '1.234,50', '₩10,000', '(12.50)', '-3' → micro-units.

    With `decimal_comma` None, a lone comma followed by exactly three digits is a
    thousands separator ('1,234'); otherwise the last of ',' and '.' is the decimal
    point. Importers that know the file's convention pass it explicitly.
    """
    raw = text
    text = text.strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    text = _SYMBOLS.sub("", text)
    if text.endswith("-"):
        negative, text = not negative, text[:-1]
    if text.startswith(("-", "−")):
        negative, text = not negative, text[1:]
    elif text.startswith("+"):
        text = text[1:]
    if not text or not re.fullmatch(r"[\d.,]+", text):
        raise InvalidValue(f"{raw!r} is not an amount")
    text = _normalise_separators(text, decimal_comma, raw)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidValue(f"{raw!r} is not an amount") from None
    micros = value * _SCALE
    if micros != micros.to_integral_value():
        raise InvalidValue(f"{raw!r} has more than six decimals")
    result = int(micros)
    return -result if negative else result


def _normalise_separators(text: str, decimal_comma: bool | None, raw: str) -> str:
    if decimal_comma is True:
        return text.replace(".", "").replace(",", ".")
    if decimal_comma is False:
        return text.replace(",", "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    if text.count(",") == 1 and not re.search(r",\d{3}$", text):
        return text.replace(",", ".")
    if text.count(".") > 1:  # 1.234.567: dots as thousands separators
        return text.replace(".", "")
    return text.replace(",", "")


def to_decimal(micros: int) -> Decimal:
    return (Decimal(micros) / _SCALE).normalize()


def format_amount(micros: int | None, *, places: int = 2, grouping: bool = True) -> str:
    """Show an amount with at least `places` decimals, and every real one beyond."""
    if micros is None:
        return ""
    value = Decimal(micros) / _SCALE
    exponent = value.normalize().as_tuple().exponent
    digits = max(places, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    quantized = value.quantize(Decimal(1).scaleb(-digits))
    return f"{quantized:,}" if grouping else f"{quantized}"


def plain_amount(micros: int | None) -> str:
    """The exact amount as a plain decimal string, for machine formats ('957.5775')."""
    if micros is None:
        return ""
    value = to_decimal(micros)
    text = f"{value:f}"
    return text


def display_places(db: object) -> int:
    """Decimal places to show for the configured currency."""
    from crmcli import settings

    return minor_units(settings.get(db, "currency"), settings.get(db, "currency.minor_units"))  # type: ignore[arg-type]
