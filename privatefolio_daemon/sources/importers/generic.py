"""Our own generic CSV for holdings beyond crypto: stocks, funds, metals (docs/generic-csv.md).

Unlike the Privatefolio-compatible formats this one is strict RFC 4180 CSV (empty fields are
kept) and every problem is reported with its column.
"""

import csv
import re
from dataclasses import dataclass
from decimal import Decimal

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import parse_amount
from privatefolio_daemon.sources.importers.base import (
    ImportFormatError,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import MAX_ROW_CHARS
from privatefolio_daemon.sources.importers.currency_codes import (
    PRICED_METALS,
    is_fiat_code,
    is_priced_metal,
)
from privatefolio_daemon.sources.importers.fast_hash import fast_string_hash
from privatefolio_daemon.sources.importers.timestamps import (
    parse_datetime_with_offset,
    parse_utc_date,
    parse_utc_datetime,
)

PLATFORM_ID = "app.generic"
DEFAULT_WALLET = "Generic"
COLUMNS = (
    "date",
    "type",
    "asset",
    "assetType",
    "quantity",
    "price",
    "priceCurrency",
    "fee",
    "feeCurrency",
    "wallet",
    "notes",
)
TYPES = ("buy", "sell", "deposit", "withdraw", "dividend", "fee")
ASSET_TYPES = ("crypto", "stock", "fund", "metal", "fiat")


@dataclass(slots=True)
class _Amount:
    asset: str
    value: Decimal

    @property
    def text(self) -> str:
        return decimals.to_fixed(self.value)


def _timestamp(text: str) -> int:
    text = text.strip()
    if len(text) == 10:
        return parse_utc_date(text, "date")
    with_offset = parse_datetime_with_offset(text, "date")
    return parse_utc_datetime(text, "date") if with_offset is None else with_offset


def _choice(text: str, column: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise ImportFormatError(
            f'Unknown {column} "{text}" (expected one of: {", ".join(allowed)})', column=column
        )
    return text


def _number(text: str, column: str, *, positive: bool) -> Decimal:
    if not text.strip():
        raise ImportFormatError(f'Missing value in column "{column}"', column=column)
    value = parse_amount(text, column)
    if value < 0 or (positive and value == 0):
        kind = "a positive" if positive else "a non-negative"
        raise ImportFormatError(
            f'Invalid number in column "{column}": "{text}" (expected {kind} number)',
            column=column,
        )
    return value


def _cost(quantity: Decimal, price: Decimal) -> Decimal:
    try:
        return decimals.exact_product(quantity, price)
    except decimals.InvalidAmount as error:
        raise ImportFormatError(f"quantity × price: {error}", column="price") from None


_FIAT_CODES = "an ISO 4217 code such as USD or EUR"
_CURRENCIES = (
    f"{_FIAT_CODES}, {' or '.join(f'metal:{metal}' for metal in PRICED_METALS)}, "
    "or an asset id such as crypto:BTC"
)


def _asset(asset_type: str, symbol: str) -> str:
    """The id of a row's asset; a fiat code is put in upper case."""
    written = symbol.strip()
    if not written:
        raise ImportFormatError('Missing value in column "asset"', column="asset")
    code = written.upper() if asset_type == "fiat" else written
    if asset_type == "fiat" and not is_fiat_code(code):
        raise ImportFormatError(
            f'Unknown fiat code "{written}" in column "asset" (expected {_FIAT_CODES})',
            column="asset",
        )
    if asset_type == "metal" and not is_priced_metal(code):
        raise _unknown_metal(written, "asset")
    return f"{asset_type}:{code}"


def _unknown_metal(symbol: str, column: str) -> ImportFormatError:
    return ImportFormatError(
        f'Unknown metal "{symbol}" in column "{column}" '
        f"(expected one of: {', '.join(PRICED_METALS)})",
        column=column,
    )


def _currency(text: str, column: str) -> str:
    """``USD`` and ``fiat:usd`` → ``fiat:USD``, as the ``asset`` of a ``fiat`` row; other ids
    (``crypto:BTC``) are taken as they are."""
    code = text.strip()
    if not code:
        raise ImportFormatError(f'Missing value in column "{column}"', column=column)
    kind, separator, symbol = code.partition(":")
    if not separator:
        kind, symbol = "fiat", code
    _choice(kind, column + " type", ASSET_TYPES)
    if not symbol:
        raise ImportFormatError(f'Missing symbol in column "{column}": "{code}"', column=column)
    if kind == "metal" and not is_priced_metal(symbol):
        raise _unknown_metal(symbol, column)
    if kind != "fiat":
        return code
    if not is_fiat_code(symbol.strip().upper()):
        raise ImportFormatError(
            f'Unknown currency "{code}" in column "{column}" (expected {_CURRENCIES})',
            column=column,
        )
    return f"fiat:{symbol.strip().upper()}"


# A row may hold up to MAX_ROW_CHARS characters, so one field may too (the module's default is
# 131,072, and its error names no row).
csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW_CHARS))


def _fields(row: str) -> list[str]:
    fields = next(csv.reader([row], strict=True), [])
    if len(fields) != len(COLUMNS):
        raise ImportFormatError(
            f"Invalid number of columns: expected {len(COLUMNS)}, received {len(fields)}"
        )
    return fields


_DOUBLE_THE_QUOTE = 'write a value holding " in quotes, with the " doubled: "5"" screen"'
#: A field as the CSV reader reads it: quoted (up to its closing quote), or not starting with one.
_FIELD = re.compile(r'"(?:[^"]|"")*"|[^",][^,]*|')


def _invalid_row(row: str, error: csv.Error) -> ImportFormatError:
    """A row the CSV reader refused: most often a ``"`` written inside an unquoted field, which
    the row splitter took for a quote running on into the next line, or text after a quoted
    value (``"5" screen``)."""
    if not row.count('"') % 2:
        going_on = _column_going_on_after_its_quote(row)
        if going_on is not None:
            return ImportFormatError(
                f'Invalid CSV row: the value in column "{going_on}" goes on after its closing "; '
                + _DOUBLE_THE_QUOTE,
                column=going_on,
            )
    first_line = row.split("\n", 1)[0]
    fields = next(csv.reader([first_line]), [])  # a quoted field comes back without its quotes
    for column, text in zip(COLUMNS, fields, strict=False):
        if '"' in text:
            return ImportFormatError(
                f'Invalid CSV row: the " in column "{column}" opens a quote that is never '
                "closed; " + _DOUBLE_THE_QUOTE,
                column=column,
            )
    return ImportFormatError(f"Invalid CSV row: {error}")


def _column_going_on_after_its_quote(row: str) -> str | None:
    """The column of the first quoted value with more after its closing quote, in a row whose
    quotes all close."""
    position = 0
    for column in COLUMNS:
        field = _FIELD.match(row, position)
        assert field is not None  # its empty alternative matches anywhere
        position = field.end()
        if position < len(row) and row[position] != ",":
            return column
        position += 1
    return None


def parse_row(row: str, index: int, file_import_id: str, _context: ParserContext) -> RowResult:
    if not row.strip():  # a blank line between rows holds nothing to import
        return RowResult()
    try:
        if row.count('"') % 2:  # a quote never closed: the splitter ran it on to the file's end
            raise csv.Error("a quote is never closed")
        fields = _fields(row)
    except csv.Error as error:
        raise _invalid_row(row, error) from None
    (
        date,
        kind,
        symbol,
        asset_type,
        quantity,
        price,
        currency,
        fee,
        fee_currency,
        wallet,
        notes,
    ) = fields
    if not date.strip():
        if not any(map(str.strip, fields)):  # an empty row, as a spreadsheet writes one
            return RowResult()
        raise ImportFormatError('Missing value in column "date"', column="date")
    timestamp = _timestamp(date)
    kind = _choice(kind.strip().lower(), "type", TYPES)
    asset_type = _choice(asset_type.strip().lower(), "assetType", ASSET_TYPES)
    asset = _Amount(_asset(asset_type, symbol), _number(quantity, "quantity", positive=True))
    counter: _Amount | None = None
    if kind in ("buy", "sell", "dividend"):
        unit_price = _number(price, "price", positive=False)
        counter = _Amount(_currency(currency, "priceCurrency"), _cost(asset.value, unit_price))
    if kind == "fee" and fee.strip():
        raise ImportFormatError(
            'A "fee" row charges its quantity; leave the "fee" column empty', column="fee"
        )
    paid_fee: _Amount | None = None
    if fee.strip():
        fee_asset = fee_currency if fee_currency.strip() else currency
        paid_fee = _Amount(_currency(fee_asset, "feeCurrency"), _number(fee, "fee", positive=False))
    if kind == "fee":
        paid_fee = asset
    tx_id = f"{file_import_id}_{fast_string_hash(f'{index}_{row}')}"
    wallet = wallet.strip() or DEFAULT_WALLET
    incoming, outgoing = _sides(kind, asset, counter)
    tx_type = {"dividend": "Reward", "fee": "Other"}.get(kind, kind.capitalize())

    def log(suffix: str, operation: str, amount: _Amount, sign: str) -> AuditLog:
        return AuditLog(
            id=f"{tx_id}_{suffix}",
            assetId=amount.asset,
            change=f"{sign}{amount.text}" if amount.text != "0" else "0",
            fileImportId=file_import_id,
            importIndex=index,
            operation=operation,
            platformId=PLATFORM_ID,
            timestamp=timestamp,
            txId=tx_id,
            wallet=wallet,
        )

    in_operation, out_operation = {
        "buy": ("Buy", "Sell"),
        "sell": ("Buy", "Sell"),
        "dividend": ("Reward", ""),
    }.get(kind, ("Deposit", "Withdraw"))
    logs: list[AuditLog] = []
    if incoming is not None:
        logs.append(log(in_operation.upper(), in_operation, incoming, ""))
    if outgoing is not None:
        logs.append(log(out_operation.upper(), out_operation, outgoing, "-"))
    if paid_fee is not None:
        logs.append(log("FEE", "Fee", paid_fee, "-"))
    transaction = Transaction(
        id=tx_id,
        incomingAsset=incoming.asset if incoming else None,
        incoming=incoming.text if incoming else None,
        feeAsset=paid_fee.asset if paid_fee else None,
        fee=paid_fee.text if paid_fee else None,
        fileImportId=file_import_id,
        importIndex=index,
        outgoingAsset=outgoing.asset if outgoing else None,
        outgoing=outgoing.text if outgoing else None,
        notes=notes or None,
        platformId=PLATFORM_ID,
        price=decimals.to_fixed(decimals.parse(price)) if kind in ("buy", "sell") else None,
        timestamp=timestamp,
        type=tx_type,
        wallet=wallet,
        metadata={"dividendOf": asset.asset} if kind == "dividend" else {},
    )
    return RowResult(logs, [transaction])


def _sides(
    kind: str, asset: _Amount, counter: _Amount | None
) -> tuple[_Amount | None, _Amount | None]:
    """(incoming, outgoing) of the transaction."""
    if kind == "buy":
        return asset, counter
    if kind == "sell":
        return counter, asset
    if kind == "deposit":
        return asset, None
    if kind == "withdraw":
        return None, asset
    if kind == "dividend":
        return counter, None
    return None, None


PARSER = Parser(
    parser_id="generic-csv",
    extension_id="generic-file-import",
    platform_id=PLATFORM_ID,
    headers=(",".join(COLUMNS), ",".join(f'"{column}"' for column in COLUMNS)),
    parse_row=parse_row,
    row_ids_hashed=True,
)
