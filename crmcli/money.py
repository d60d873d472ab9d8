"""Money, exactly: integer micro-units in the database, `Decimal` at the edges.

Nothing is rounded on the way in; four-decimal amounts stay four-decimal. Display
shows at least the currency's minor units, and more where the amount has them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from crmcli.errors import InvalidValue
from crmcli.i18n import M_

MICROS = 1_000_000
_SCALE = Decimal(MICROS)

# The largest amount one line (a purchase, a compensation) may have, either sign: a
# trillion in the shop's currency, more than any small shop's sale in won or dong.
MAX_AMOUNT = 10**12
MAX_AMOUNT_MICROS = MAX_AMOUNT * MICROS
# The most all purchase lines together may add up to (their absolute values): so that
# no sum of them (a customer's total, a tier run's revenue) overflows SQLite's 64-bit
# integers (9.22e18 micro-units). Checked whenever purchases are added.
MAX_TOTAL_MICROS = 9 * 10**18
# A line's quantity: finite, at most a billion, at most six decimals.
MAX_QUANTITY = 10**9

# ISO 4217 codes in use (2024), for the `currency` setting.
_ISO_4217 = """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
    MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL
    THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG
    XOF XPF YER ZAR ZMW ZWG ZWL"""
CURRENCIES = frozenset(_ISO_4217.split())

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
        raise InvalidValue(M_("{text} is not an amount").format(text=_shown(raw)))
    if len(text) > 40:  # longer than any amount in range, however it is grouped
        raise _too_large(raw)
    text = _normalise_separators(text, decimal_comma, raw)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidValue(M_("{text} is not an amount").format(text=_shown(raw))) from None
    micros = value * _SCALE
    if micros != micros.to_integral_value():
        raise InvalidValue(M_("{text} has more than six decimals").format(text=_shown(raw)))
    result = check_amount(int(micros), raw)
    return -result if negative else result


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _too_large(raw: str) -> InvalidValue:
    return InvalidValue(
        M_("{text} is larger than the largest amount, {most}").format(
            text=_shown(raw), most=f"{MAX_AMOUNT:,}"
        )
    )


def check_amount(micros: int, raw: str | None = None) -> int:
    """`micros` itself, or InvalidValue when it is beyond ±MAX_AMOUNT."""
    if not -MAX_AMOUNT_MICROS <= micros <= MAX_AMOUNT_MICROS:
        raise _too_large(raw if raw is not None else plain_amount(micros))
    return micros


def parse_quantity(text: str, *, decimal_comma: bool = False) -> int | Decimal:
    """'3', '2.5' (or '2,5' with `decimal_comma`) → a finite quantity, at most MAX_QUANTITY."""
    raw = text
    text = text.strip()
    text = text.replace(",", ".") if decimal_comma else text.replace(",", "")
    # Plain decimals only: no NaN, no Infinity, no 1e20.
    if not re.fullmatch(r"-?\d{1,10}(\.\d{1,6})?", text):
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise InvalidValue(
                M_("quantity {text} is beyond {most} or has more than six decimals").format(
                    text=_shown(raw), most=f"{MAX_QUANTITY:,}"
                )
            )
        raise InvalidValue(M_("{text} is not a quantity").format(text=_shown(raw)))
    value = Decimal(text)
    if abs(value) > MAX_QUANTITY:
        raise InvalidValue(
            M_("quantity {text} is beyond {most}").format(
                text=_shown(raw), most=f"{MAX_QUANTITY:,}"
            )
        )
    return int(value) if value == value.to_integral_value() else value


def check_total(db: object, adding: int = 0) -> None:
    """Refuse purchases that would take the shop's total beyond MAX_TOTAL_MICROS.

    `adding`: micro-units about to be inserted (0 when they already are, in the
    current transaction). `total()` sums as a float, so it never overflows itself.
    """
    row = db.execute("SELECT total(abs(amount_micros)) FROM purchases").fetchone()  # type: ignore[attr-defined]
    if float(row[0] or 0) + abs(adding) > MAX_TOTAL_MICROS:
        limit = MAX_TOTAL_MICROS // MICROS
        raise InvalidValue(
            M_(
                "the shop's purchases would add up to more than {limit:,} (in absolute value), "
                "the most crmcli can sum exactly; check the amounts for a typo"
            ).format(limit=limit)
        )


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


class Money(Decimal):
    """An amount of money, exact: a `Decimal` that says it is money.

    Only the type tells an amount from another decimal (a percentage, a quantity), so
    that every output writes money one way (JSON: a decimal string, cli/json_encoding.py).
    Arithmetic gives a plain `Decimal` back: wrap a computed amount in `Money` again.
    """

    __slots__ = ()


def to_decimal(micros: int) -> Money:
    """Micro-units as the exact amount they stand for (`2000`, `957.5775`)."""
    return Money((Decimal(micros) / _SCALE).normalize())


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
