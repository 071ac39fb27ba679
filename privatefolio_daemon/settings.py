"""Every tunable default in one place: limits, intervals, sizes and setting defaults."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from privatefolio_daemon.rpc.dialects import MAX_BATCH_CALLS
from privatefolio_daemon.sources.prices.price_settings import PriceSettings

DEFAULT_PORT = 5555
DEV_PORT = 4001
DEFAULT_HOST = "127.0.0.1"
APP_NAME = "privatefolio"
HOMEPAGE = "https://privatefolio.app"


@dataclass(frozen=True, slots=True)
class Limits:
    rpc_max_concurrent_calls: int = 64
    #: What the frames waiting for one client may hold (a client past it is closed with 1013),
    #: and what those of every client may hold together (past it, the client holding the most).
    rpc_max_queued_bytes: int = 128 * 2**20
    rpc_max_queued_bytes_total: int = 256 * 2**20
    rpc_max_batch_calls: int = MAX_BATCH_CALLS
    rpc_max_batch_answer_bytes: int = 64 * 2**20
    #: The change feed's replay to a client waits while the frames waiting for it hold more.
    rpc_pace_queued_bytes: int = 8 * 2**20
    #: A connection still open this long after its close began is dropped.
    rpc_close_timeout_seconds: float = 5.0
    #: Callbacks one connection may hold at once (its subscriptions and the callbacks still to
    #: be called); a call past it is refused (-32004) until the client unsubscribes.
    rpc_max_callbacks: int = 10_000
    #: A WebSocket that sends nothing this long is pinged; one that sends no pong within half
    #: of it is closed.
    rpc_heartbeat_seconds: float = 30.0
    #: What the values read for large answers may hold together, from their reads until their
    #: frames are written; a large read past it waits until those before it are sent
    #: (``answer_memory``, decision 0021). The daemon holds about 9 times this at the peak.
    rpc_large_answers_max_bytes: int = 32 * 2**20
    shutdown_grace_seconds: float = 5.0
    client_sql_time_budget_seconds: float = 5.0
    db_readers_per_account: int = 2
    #: Readers of their own for the SQL the frontend writes, so that slow queries there never
    #: hold up the daemon's reads; a query waits at most its time budget for one.
    db_client_readers_per_account: int = 2
    db_busy_timeout_ms: int = 5000
    jwt_lifetime_days: int = 30
    password_min_length: int = 8
    upload_max_bytes: int = 512 * 2**20
    #: How many accounts may run a task at the same time (each account runs one at a time).
    max_concurrent_account_tasks: int = 2
    task_cancel_grace_seconds: float = 5.0
    #: Finished tasks (completed, failed, aborted, cancelled) and their log files are deleted
    #: this many days after they ended, at start-up and daily; 0 keeps every task.
    task_history_days: int = 90
    #: The newest finished tasks an account keeps whatever their age, so its task list never
    #: goes empty.
    task_history_keep_newest: int = 100
    #: How long the "Refetch assets" task waits for the coin list download.
    coin_list_timeout_seconds: float = 60.0
    #: How long a push service may take to accept a notification for one device.
    push_timeout_seconds: float = 10.0
    #: Backups: a restore refuses archives that expand beyond this, and archives or entries over
    #: 16 MiB that expand more than ``backup_max_ratio`` times (zip-bomb defence).
    backup_max_uncompressed_bytes: int = 64 * 2**30
    backup_max_ratio: int = 200
    #: How many scheduled and manual backup files an account keeps (older ones are deleted).
    backup_keep_last: int = 5
    #: A stop waits this long for a restore that swaps an account's files (it takes moments);
    #: one still swapping then is rolled back at the next start.
    restore_finish_wait_seconds: float = 60.0
    #: Imports of files from this size up are parsed by several processes at once.
    parallel_import_min_bytes: int = 4 * 2**20
    #: How many processes parse such an import: 0 is one per core (at most 8), 1 is none.
    import_workers: int = 0
    #: Balance passes over this many audit logs or more read the logs in a worker process
    #: while the account's writer writes the results (with 2 cores or more); 0 is never.
    parallel_balances_min_logs: int = 10_000
    #: A trades refresh that reads this many audit logs again or more is computed from a snapshot
    #: off the account's writer and swapped in, as every run that starts over is; 0 is never.
    trades_off_writer_min_logs: int = 10_000
    #: Once no account's tasks have ended for this long, the C heap's free memory is given back
    #: to the system (glibc keeps it otherwise, and the daemon stays at its peak); 0 never.
    heap_trim_quiet_seconds: float = 5.0
    #: Removing a file import or a connection is followed by "Compact database" (a ``VACUUM``)
    #: when at least this much of the account's file is then free, in bytes and as a share.
    compact_min_free_bytes: int = 32 * 2**20
    compact_min_free_fraction: float = 0.25


#: Account settings (KV ``settings``) and their defaults, as the Privatefolio frontend expects.
ACCOUNT_SETTINGS_DEFAULTS: dict[str, Any] = {
    "assistantModel": "gpt-4.1-mini",
    "backupInterval": 0,  # minutes between scheduled backups; 0: none
    "kioskMode": False,
    "metadataRefreshInterval": 10080,
    "networthRefreshInterval": 60,
}

#: Where "Refetch assets" downloads the coin list ([{id, symbol, name, platforms}]) unless the
#: server setting ``coinListUrl`` names another.
DEFAULT_COIN_LIST_URL = "https://api.coingecko.com/api/v3/coins/list?include_platform=true"

#: Server settings (server KV ``settings``), intervals in minutes.
SERVER_SETTINGS_DEFAULTS: dict[str, Any] = {
    "healthMetricsInterval": 60,
    "systemInfoInterval": 10080,
}


@dataclass(frozen=True, slots=True)
class ConnectionSourceSettings:
    """How connection syncs reach their networks (see ``domain/connection_sources.py``)."""

    #: ccxt exchange id → a base URL that replaces the host of every URL of the exchange's API.
    #: For tests against the stand-ins (``tests/standins/exchanges``) only; empty in production.
    exchange_api_urls: Mapping[str, str] = field(default_factory=dict)
    #: Waits before the retries of a rate-limited or failed exchange call (a server's longer
    #: ``Retry-After``, up to 30 s, wins).
    exchange_retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0)
    exchange_timeout_ms: int = 10_000
    #: Tokens per ms for ccxt's throttler; ``None`` keeps each exchange's own rate limit.
    exchange_refill_rate: float | None = None


@dataclass(frozen=True, slots=True)
class PriceFetchSettings:
    """How the "Fetch asset prices" task reaches the price providers (``domain/prices.py``)."""

    #: Provider base URLs, timeouts, retries, per-host rate limits and the ccxt exchanges.
    providers: PriceSettings = field(default_factory=PriceSettings)
    #: ccxt exchange id → a base URL that replaces the host of every URL of the exchange's API.
    #: For tests against the stand-ins (``tests/standins/exchanges``) only; empty in production.
    exchange_api_urls: Mapping[str, str] = field(default_factory=dict)
    #: Waits before the retries of a rate-limited or failed exchange call.
    exchange_retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0)
    #: How many assets are fetched at the same time.
    assets_per_batch: int = 10
