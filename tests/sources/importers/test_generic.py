"""Our generic CSV for stocks, funds and metals (docs/generic-csv.md)."""

from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal

import pytest

from privatefolio_daemon.sources.importers.base import ImportFormatError
from privatefolio_daemon.sources.importers.parse_file import parse_text

HEADER = "date,type,asset,assetType,quantity,price,priceCurrency,fee,feeCurrency,wallet,notes"


def _parse(*rows: str):  # type: ignore[no-untyped-def]
    result = parse_text("\n".join((HEADER, *rows)), file_name="generic.csv")
    return (
        result,
        [log.to_wire() for log in result.logs],
        [tx.to_wire() for tx in result.transactions],
    )


def test_a_stock_buy_pays_quantity_times_price_plus_a_fee() -> None:
    result, logs, txs = _parse("2024-03-01,buy,AAPL,stock,10,170.50,USD,1.5,,Broker,first lot")

    assert [(log["operation"], log["assetId"], log["change"], log["wallet"]) for log in logs] == [
        ("Buy", "stock:AAPL", "10", "Broker"),
        ("Sell", "fiat:USD", "-1705", "Broker"),
        ("Fee", "fiat:USD", "-1.5", "Broker"),
    ]
    tx = txs[0]
    assert (tx["type"], tx["incoming"], tx["outgoing"], tx["fee"], tx["price"], tx["notes"]) == (
        "Buy", "10", "1705", "1.5", "170.5", "first lot",
    )  # fmt: skip
    assert (tx["timestamp"], tx["platformId"]) == (1709251200000, "app.generic")
    assert result.meta.assetIds == ["fiat:USD", "stock:AAPL"]


def test_a_dividend_is_a_reward_in_the_price_currency() -> None:
    _, logs, txs = _parse("2024-03-01 12:00:00,dividend,TI2,fund,4,0.25,EUR,,,,")

    assert [(log["operation"], log["assetId"], log["change"]) for log in logs] == [
        ("Reward", "fiat:EUR", "1")
    ]
    assert (txs[0]["type"], txs[0]["metadata"], txs[0]["wallet"]) == (
        "Reward",
        {"dividendOf": "fund:TI2"},
        "Generic",
    )


def test_a_metal_sale_and_a_custody_fee() -> None:
    _, logs, _ = _parse(
        "2024-03-02,sell,XAU,metal,0.5,2000,crypto:USDC,,,Vault,",
        "2024-03-03,fee,XAU,metal,0.001,,,,,Vault,storage",
    )

    assert [(log["operation"], log["assetId"], log["change"]) for log in logs] == [
        ("Buy", "crypto:USDC", "1000"),
        ("Sell", "metal:XAU", "-0.5"),
        ("Fee", "metal:XAU", "-0.001"),
    ]


def test_cash_is_deposited_and_withdrawn_as_fiat() -> None:
    _, logs, txs = _parse(
        "2024-01-02,deposit,usd,fiat,5000,,,,,Broker,",
        "2024-03-01,buy,AAPL,stock,10,170.50,USD,,,Broker,",
        "2024-04-01,withdraw,USD,Fiat,1000,,,2,USD,Broker,",
    )

    assert [(log["operation"], log["assetId"], log["change"]) for log in logs] == [
        ("Deposit", "fiat:USD", "5000"),
        ("Buy", "stock:AAPL", "10"),
        ("Sell", "fiat:USD", "-1705"),
        ("Withdraw", "fiat:USD", "-1000"),
        ("Fee", "fiat:USD", "-2"),
    ]
    assert [tx["type"] for tx in txs] == ["Deposit", "Buy", "Withdraw"]


def test_a_fiat_currency_written_with_its_prefix_is_put_in_upper_case_as_without() -> None:
    """``fiat:usd`` was an asset of its own, so the cash a buy spent did not add up with the
    ``USD`` deposited; a prefix other than ``fiat`` keeps its symbol as written."""
    result, logs, _ = _parse(
        "2024-01-02,deposit,USD,fiat,5000,,,,,Broker,",
        "2024-03-01,buy,AAPL,stock,10,170.50,fiat:usd,1,fiat: Usd,Broker,",
        "2024-03-02,buy,ETH,crypto,1,3000,crypto:usdc,,,Broker,",
    )

    assert [(log["operation"], log["assetId"], log["change"]) for log in logs] == [
        ("Deposit", "fiat:USD", "5000"),
        ("Buy", "stock:AAPL", "10"),
        ("Sell", "fiat:USD", "-1705"),
        ("Fee", "fiat:USD", "-1"),
        ("Buy", "crypto:ETH", "1"),
        ("Sell", "crypto:usdc", "-3000"),
    ]
    assert result.meta.assetIds == ["crypto:ETH", "crypto:usdc", "fiat:USD", "stock:AAPL"]


@pytest.mark.parametrize(
    ("date", "timestamp"),
    [
        ("2024-03-01T09:30:00-05:00", 1709303400000),
        ("2024-03-01 09:30-0500", 1709303400000),
        ("2024-03-01T09:30:00.250-05", 1709303400000),
        ("2024-03-01T16:00:00+02:00", 1709301600000),
        ("2024-03-01T14:00:00+00:00", 1709301600000),
        ("2024-03-01T14:00:00Z", 1709301600000),
    ],
)
def test_a_time_with_an_offset_from_utc_is_converted_to_utc(date: str, timestamp: int) -> None:
    _, _, txs = _parse(f"{date},buy,AAPL,stock,1,1,USD,,,,")

    assert txs[0]["timestamp"] == timestamp


def test_a_time_tomorrow_is_accepted_whatever_its_offset() -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    rows = [f"{tomorrow}T23:30:00{zone},buy,AAPL,stock,1,1,USD,,,," for zone in ("Z", "+00:00")]
    _, _, txs = _parse(*rows)

    assert txs[0]["timestamp"] == txs[1]["timestamp"]


def test_a_time_with_an_offset_is_checked_on_its_utc_day() -> None:
    """Its date where it was written may be after tomorrow, or before 1970, while in UTC it is
    neither."""
    after_tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    rows = [
        f"{after_tomorrow}T01:00:00+05:00,deposit,USD,fiat,1,,,,,,",
        "1969-12-31T23:00:00-02:00,deposit,USD,fiat,1,,,,,,",
    ]
    _, _, txs = _parse(*rows)

    midnight = datetime.combine(after_tomorrow, datetime.min.time(), UTC)
    assert [tx["timestamp"] for tx in txs] == [
        int((midnight - timedelta(hours=4)).timestamp() * 1000),
        3_600_000,
    ]


def test_a_time_with_an_offset_out_of_span_in_utc_is_refused_with_its_utc_time() -> None:
    after_tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    reasons = {
        f"{after_tomorrow}T05:00:00+05:00": f"({after_tomorrow} 00:00:00 UTC) is in the future",
        "1969-12-31T21:00:00-02:00": "(1969-12-31 23:00:00 UTC) is before 1970",
    }
    for date, reason in reasons.items():
        with pytest.raises(ImportFormatError) as raised:
            _parse(f"{date},deposit,USD,fiat,1,,,,,,")

        assert (str(raised.value), raised.value.column) == (
            f'Cannot parse row 1: Invalid timestamp in column "date": {date} {reason}',
            "date",
        )


def test_empty_rows_import_nothing_and_an_empty_date_is_missing() -> None:
    result, logs, _ = _parse(
        "2024-03-01,buy,AAPL,stock,10,170.50,USD,,,Broker,", ",,,,,,,,,,", " , ,,,,,,,,,"
    )
    assert (result.meta.rows, len(logs)) == (3, 2)

    with pytest.raises(ImportFormatError) as raised:
        _parse(",buy,AAPL,stock,10,170.50,USD,,,Broker,")
    assert (str(raised.value), raised.value.column) == (
        'Cannot parse row 1: Missing value in column "date"',
        "date",
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "2024-02-29T12:00:00+15:00,buy,AAPL,stock,1,1,USD,,,,",
            'Cannot parse row 1: Invalid timestamp in column "date": 2024-02-29T12:00:00+15:00 '
            "(the offset from UTC is out of range)",
        ),
        (
            "2024-03-01,swap,AAPL,stock,1,1,USD,,,,",
            'Cannot parse row 1: Unknown type "swap" (expected one of: buy, sell, deposit, '
            "withdraw, dividend, fee)",
        ),
        (
            "2024-03-01,buy,AAPL,bond,1,1,USD,,,,",
            'Cannot parse row 1: Unknown assetType "bond" (expected one of: crypto, stock, fund, '
            "metal, fiat)",
        ),
        (
            "2024-03-01,buy,AAPL,stock,ten,1,USD,,,,",
            'Cannot parse row 1: Invalid number in column "quantity": "ten"',
        ),
        (
            "2024-03-01,buy,AAPL,stock,-1,1,USD,,,,",
            'Cannot parse row 1: Invalid number in column "quantity": "-1" '
            "(expected a positive number)",
        ),
        (
            "01/03/2024,buy,AAPL,stock,1,1,USD,,,,",
            'Cannot parse row 1: Invalid timestamp in column "date": 01/03/2024 '
            "(expected YYYY-MM-DD)",
        ),
        (
            "2024-03-01,buy,AAPL,stock,1,1,,,,,",
            'Cannot parse row 1: Missing value in column "priceCurrency"',
        ),
        (
            "2024-03-01,buy,AAPL,stock,1,1,USD",
            "Cannot parse row 1: Invalid number of columns: expected 11, received 7",
        ),
        (
            "2024-03-01,buy,AAPL,stock,1,,USD,,,,",
            'Cannot parse row 1: Missing value in column "price"',
        ),
        (
            "2024-03-01,fee,USD,stock,1,,,0.5,,,",
            'Cannot parse row 1: A "fee" row charges its quantity; leave the "fee" column empty',
        ),
        (
            '2024-03-01,deposit,AAPL,stock,1,,,,,Broker,5" screen\n'
            "2024-03-02,deposit,A,stock,1,,,,,,",
            'Cannot parse row 1: Invalid CSV row: the " in column "notes" opens a quote that is '
            'never closed; write a value holding " in quotes, with the " doubled: "5"" screen"',
        ),
        (
            '2024-03-01,deposit,AAPL,stock,1,,,,,"My, broker",5" screen\n'
            "2024-03-02,deposit,A,stock,1,,,,,,",
            'Cannot parse row 1: Invalid CSV row: the " in column "notes" opens a quote that is '
            'never closed; write a value holding " in quotes, with the " doubled: "5"" screen"',
        ),
        (
            '2024-03-01,deposit,AAPL,stock,1,,,,,Broker,5" screen',
            'Cannot parse row 1: Invalid CSV row: the " in column "notes" opens a quote that is '
            'never closed; write a value holding " in quotes, with the " doubled: "5"" screen"',
        ),
        (
            '2024-03-01,deposit,AAPL,stock,1,,,,,Broker,"5" screen\n'
            "2024-03-02,deposit,A,stock,1,,,,,,",
            'Cannot parse row 1: Invalid CSV row: the value in column "notes" goes on after its '
            'closing "; write a value holding " in quotes, with the " doubled: "5"" screen"',
        ),
        (
            '2024-03-01,deposit,AAPL,stock,1,,,,,"My\nbroker" main,"5"" screen"',
            'Cannot parse row 1: Invalid CSV row: the value in column "wallet" goes on after its '
            'closing "; write a value holding " in quotes, with the " doubled: "5"" screen"',
        ),
    ],
    ids=[
        "offset",
        "type",
        "assetType",
        "number",
        "negative",
        "date",
        "currency",
        "columns",
        "no price",
        "fee of a fee row",
        "stray quote",
        "stray quote after a quoted comma",
        "stray quote in the last row",
        "text after a quoted value",
        "text after a quoted value of two lines",
    ],
)
def test_invalid_rows_are_rejected_with_the_column(row: str, message: str) -> None:
    with pytest.raises(ImportFormatError) as raised:
        parse_text(f"{HEADER}\n{row}", file_name="generic.csv")

    assert str(raised.value) == message


CURRENCIES = (
    "expected an ISO 4217 code such as USD or EUR, metal:XAU or metal:XAG, or an asset id such "
    "as crypto:BTC"
)
MISSPELT_CURRENCIES = ("EURO", "€", "US$", "XYZ", "BTC", "XAU", "fiat:euro")


@pytest.mark.parametrize(
    ("row", "message", "column"),
    [
        *[
            (
                f"2024-03-01,buy,SAP,stock,1,190,{currency},,,Broker,",
                f'Unknown currency "{currency}" in column "priceCurrency" ({CURRENCIES})',
                "priceCurrency",
            )
            for currency in MISSPELT_CURRENCIES
        ],
        (
            "2024-03-01,buy,SAP,stock,1,190,EUR,1,dollars,Broker,",
            f'Unknown currency "dollars" in column "feeCurrency" ({CURRENCIES})',
            "feeCurrency",
        ),
        (
            "2024-03-01,buy,SAP,stock,1,190,metal:GOLD,,,Broker,",
            'Unknown metal "GOLD" in column "priceCurrency" (expected one of: XAU, XAG)',
            "priceCurrency",
        ),
        (
            "2024-03-01,deposit,dollars,fiat,100,,,,,Broker,",
            'Unknown fiat code "dollars" in column "asset" (expected an ISO 4217 code such as USD '
            "or EUR)",
            "asset",
        ),
        (
            "2024-03-01,buy,GOLD,metal,0.1,2000,USD,,,Vault,",
            'Unknown metal "GOLD" in column "asset" (expected one of: XAU, XAG)',
            "asset",
        ),
        (
            "2024-03-01,buy,XPT,metal,0.1,900,USD,,,Vault,",
            'Unknown metal "XPT" in column "asset" (expected one of: XAU, XAG)',
            "asset",
        ),
    ],
    ids=[
        *(f"priceCurrency {currency}" for currency in MISSPELT_CURRENCIES),
        "feeCurrency dollars",
        "metal:GOLD",
        "fiat asset",
        "metal asset GOLD",
        "metal asset XPT",
    ],
)
def test_a_currency_or_asset_no_provider_prices_is_refused(
    row: str, message: str, column: str
) -> None:
    """``fiat:EURO`` would be an asset without prices, whose trades then cost nothing."""
    with pytest.raises(ImportFormatError) as raised:
        _parse("2024-03-01,deposit,EUR,fiat,1000,,,,,Broker,", row)

    assert (str(raised.value), raised.value.column) == (f"Cannot parse row 2: {message}", column)


def test_a_code_withdrawn_from_iso_4217_is_taken_for_an_old_row() -> None:
    """Kuna, Deutsche Mark and lev rows keep a ledger's history."""
    _, logs, _ = _parse(
        "2019-05-02,buy,KOEI,stock,3,120.5,hrk,2,HRK,Zagreb,",
        "2001-03-01,deposit,DEM,fiat,1000,,,,,Bank,",
        "2025-06-01,buy,SOFIX,fund,1,50,BGN,,,Sofia,",
    )

    assert [(log["assetId"], log["change"]) for log in logs] == [
        ("stock:KOEI", "3"),
        ("fiat:HRK", "-361.5"),
        ("fiat:HRK", "-2"),
        ("fiat:DEM", "1000"),
        ("fund:SOFIX", "1"),
        ("fiat:BGN", "-50"),
    ]


def test_iso_codes_in_any_case_priced_metals_and_other_asset_ids_are_currencies() -> None:
    _, logs, _ = _parse(
        "2024-03-01,deposit,try,fiat,1000,,,,,Broker,",
        "2024-03-01,buy,xag,metal,1,20,chf,1,fiat:Jpy,Vault,",
        "2024-03-02,sell,XAU,metal,0.5,2000,metal:xag,,,Vault,",
        "2024-03-03,buy,ETH,crypto,1,3000,crypto:anything,1,stock:MSFT,,",
    )

    assert [log["assetId"] for log in logs] == [
        "fiat:TRY",
        "metal:xag",
        "fiat:CHF",
        "fiat:JPY",
        "metal:xag",
        "metal:XAU",
        "crypto:ETH",
        "crypto:anything",
        "stock:MSFT",
    ]


def test_a_quoted_header_is_read_and_an_upper_case_one_gets_a_hint() -> None:
    quoted = ",".join(f'"{column}"' for column in HEADER.split(","))
    parsed = parse_text(f"{quoted}\n2024-03-01,deposit,AAPL,stock,1,,,,,,", file_name="g.csv")
    assert (parsed.meta.parserId, parsed.meta.rows) == ("generic-csv", 1)
    with pytest.raises(ImportFormatError) as raised:
        parse_text(f"{HEADER.upper()}\n2024-03-01,deposit,AAPL,stock,1,,,,,,", file_name="g.csv")
    assert str(raised.value) == (
        f"File import unsupported, unknown header: {HEADER.upper()} (did you mean {HEADER}?)"
    )


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        (HEADER.replace("quantity", "qty"), f"did you mean {HEADER}?"),
        (HEADER.removesuffix(",notes"), f"did you mean {HEADER}?"),
        (f"{HEADER},", f"did you mean {HEADER}?"),
        (
            HEADER.replace(",", ";"),
            f"its names are separated by semicolons; save the file with commas: did you mean "
            f"{HEADER}?",
        ),
        ("Datum;Art;Menge", "its names are separated by semicolons; save the file with commas"),
    ],
)
def test_a_nearly_right_header_gets_a_hint(header: str, hint: str) -> None:
    with pytest.raises(ImportFormatError) as raised:
        parse_text(f"{header}\n2024-03-01,deposit,AAPL,stock,1,,,,,,", file_name="g.csv")
    assert str(raised.value) == f"File import unsupported, unknown header: {header} ({hint})"


def test_blank_lines_between_rows_are_skipped() -> None:
    rows = [
        "2024-03-01,deposit,AAPL,stock,1,,,,,Broker,",
        "",
        "  ",
        "2024-03-02,deposit,AAPL,stock,2,,,,,Broker,",
    ]
    result = parse_text("\n".join([HEADER, *rows]), file_name="generic.csv")

    assert [log.change for log in result.logs] == ["1", "2"]


def test_quantity_times_price_keeps_every_digit() -> None:
    quantity, price = "1234567890.1234567890123456789", "1." + "0" * 55 + "7"
    _, logs, _ = _parse(f"2024-03-01,buy,AAPL,stock,{quantity},{price},USD,,,,")
    product = Context(prec=400).multiply(Decimal(quantity), Decimal(price))
    assert len(product.as_tuple().digits) == 85  # more than an 80-digit context keeps
    assert logs[1]["change"] == f"-{product:f}"


def test_a_cost_out_of_range_is_refused() -> None:
    quantity = "9" * 80 + "." + "1" * 80
    with pytest.raises(ImportFormatError) as raised:
        parse_text(
            f"{HEADER}\n2024-03-01,buy,AAPL,stock,{quantity},3,USD,,,,", file_name="generic.csv"
        )
    assert str(raised.value) == (
        "Cannot parse row 1: quantity × price: Number out of range: "
        f"'{'2' + '9' * 39}…' (at most 80 digits before and after the point)"
    )


def test_a_field_longer_than_the_csv_modules_default_limit_is_read_whole() -> None:
    notes = "x" * 200_000
    _, _, txs = _parse(f"2024-03-01,buy,AAPL,stock,1,170,USD,,,Broker,{notes}")
    assert txs[0]["notes"] == notes
