"""Account records a test registers on the fake Binance, in the shapes the real API answers."""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

DAY_MS = 86_400_000


def now_ms() -> int:
    return int(time.time() * 1000)


def binance_datetime(ms: int) -> str:
    """``2019-10-12 11:12:02``: how the withdrawal history prints times (UTC)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class BinanceTrade:
    symbol: str
    id: int
    order_id: int
    price: str
    qty: str
    commission: str
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "id": self.id,
            "orderId": self.order_id,
            "orderListId": -1,
            "price": self.price,
            "qty": self.qty,
            "quoteQty": str(Decimal(self.price) * Decimal(self.qty)),
            "commission": self.commission,
            "commissionAsset": self.commission_asset,
            "time": self.time,
            "isBuyer": self.is_buyer,
            "isMaker": self.is_maker,
            "isBestMatch": True,
        }


@dataclass(frozen=True, slots=True)
class BinanceDeposit:
    id: str
    coin: str
    amount: str
    network: str
    address: str
    tx_id: str
    insert_time: int
    status: int = 1  # 1 = success

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "amount": self.amount,
            "coin": self.coin,
            "network": self.network,
            "status": self.status,
            "address": self.address,
            "addressTag": "",
            "txId": self.tx_id,
            "insertTime": self.insert_time,
            "completeTime": self.insert_time,
            "transferType": 0,
            "confirmTimes": "12/12",
            "unlockConfirm": 0,
            "walletType": 0,
        }


@dataclass(frozen=True, slots=True)
class BinanceWithdrawal:
    id: str
    coin: str
    amount: str
    fee: str
    network: str
    address: str
    tx_id: str
    apply_time: int
    status: int = 6  # 6 = completed

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "amount": self.amount,
            "transactionFee": self.fee,
            "coin": self.coin,
            "status": self.status,
            "address": self.address,
            "txId": self.tx_id,
            "applyTime": binance_datetime(self.apply_time),
            "network": self.network,
            "transferType": 0,
            "info": "",
            "confirmNo": 12,
            "walletType": 0,
            "txKey": "",
            "completeTime": binance_datetime(self.apply_time),
        }


@dataclass(frozen=True, slots=True)
class BinanceConvert:
    """One Convert order, as ``GET /sapi/v1/convert/tradeFlow`` lists it."""

    order_id: int
    from_asset: str
    from_amount: str
    to_asset: str
    to_amount: str
    create_time: int
    status: str = "SUCCESS"

    def to_json(self) -> dict[str, Any]:
        ratio = Decimal(self.to_amount) / Decimal(self.from_amount)
        return {
            "quoteId": f"{self.order_id:032x}",
            "orderId": self.order_id,
            "orderStatus": self.status,
            "fromAsset": self.from_asset,
            "fromAmount": self.from_amount,
            "toAsset": self.to_asset,
            "toAmount": self.to_amount,
            "ratio": f"{ratio:.8f}",
            "inverseRatio": f"{1 / ratio:.8f}",
            "createTime": self.create_time,
        }


@dataclass(frozen=True, slots=True)
class DustDetail:
    """One asset of a conversion of small balances: ``amount`` of it became
    ``transfered_amount`` BNB, of which ``service_charge`` BNB is the fee."""

    from_asset: str
    amount: str
    transfered_amount: str
    service_charge: str


@dataclass(frozen=True, slots=True)
class BinanceDribblet:
    """One conversion of small balances to BNB, as ``GET /sapi/v1/asset/dribblet`` lists it."""

    trans_id: int
    operate_time: int
    details: tuple[DustDetail, ...]

    def to_json(self) -> dict[str, Any]:
        total = sum((Decimal(d.transfered_amount) for d in self.details), Decimal(0))
        charge = sum((Decimal(d.service_charge) for d in self.details), Decimal(0))
        return {
            "operateTime": self.operate_time,
            "totalTransferedAmount": f"{total:.8f}",
            "totalServiceChargeAmount": f"{charge:.8f}",
            "transId": self.trans_id,
            "userAssetDribbletDetails": [
                {
                    "transId": self.trans_id,
                    "serviceChargeAmount": d.service_charge,
                    "amount": d.amount,
                    "operateTime": self.operate_time,
                    "transferedAmount": d.transfered_amount,
                    "fromAsset": d.from_asset,
                }
                for d in self.details
            ],
        }


def default_restrictions() -> dict[str, Any]:
    """A read-only key, as ``GET /sapi/v1/account/apiRestrictions`` describes it."""
    return {
        "ipRestrict": False,
        "createTime": 1_700_000_000_000,
        "enableReading": True,
        "enableSpotAndMarginTrading": False,
        "enableWithdrawals": False,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": False,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enablePortfolioMarginTrading": False,
    }


@dataclass
class BinanceAccount:
    """One API key's view of an account. ``balances`` maps asset → (free, locked);
    ``refusals`` maps a path to the ``(status, code, msg)`` Binance answers there instead."""

    api_key: str
    secret: str
    balances: dict[str, tuple[str, str]] = field(default_factory=dict)
    trades: list[BinanceTrade] = field(default_factory=list)
    deposits: list[BinanceDeposit] = field(default_factory=list)
    withdrawals: list[BinanceWithdrawal] = field(default_factory=list)
    converts: list[BinanceConvert] = field(default_factory=list)
    dribblets: list[BinanceDribblet] = field(default_factory=list)
    refusals: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    restrictions: dict[str, Any] = field(default_factory=default_restrictions)


@dataclass(frozen=True, slots=True)
class Candle:
    """One kline; prices are decimal strings as Binance sends them."""

    open_time: int
    open: str
    high: str
    low: str
    close: str
    volume: str

    def to_kline(self, interval_ms: int) -> list[Any]:
        return [
            self.open_time,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
            self.open_time + interval_ms - 1,
            str(Decimal(self.close) * Decimal(self.volume)),
            100,
            "0",
            "0",
            "0",
        ]


def synthetic_daily_candles(first_day_ms: int, count: int, start_price: int = 100) -> list[Candle]:
    """Deterministic daily candles: day i opens at ``start_price + i`` and closes 1 higher."""
    candles = []
    for i in range(count):
        open_price = start_price + i
        candles.append(
            Candle(
                open_time=first_day_ms + i * DAY_MS,
                open=f"{open_price}.00",
                high=f"{open_price + 2}.00",
                low=f"{open_price - 1}.00",
                close=f"{open_price + 1}.00",
                volume=f"{10 + i}.5",
            )
        )
    return candles
