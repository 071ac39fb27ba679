"""Every tunable default in one place: limits, intervals, sizes and setting defaults."""

from dataclasses import dataclass
from typing import Any

DEFAULT_PORT = 5555
DEV_PORT = 4001
DEFAULT_HOST = "127.0.0.1"
APP_NAME = "privatefolio"
HOMEPAGE = "https://privatefolio.app"


@dataclass(frozen=True, slots=True)
class Limits:
    rpc_max_concurrent_calls: int = 64
    rpc_max_queued_frames: int = 2048
    rpc_close_timeout_seconds: float = 5.0
    shutdown_grace_seconds: float = 5.0
    client_sql_time_budget_seconds: float = 5.0
    db_readers_per_account: int = 2
    db_busy_timeout_ms: int = 5000
    jwt_lifetime_days: int = 30
    password_min_length: int = 4
    upload_max_bytes: int = 512 * 2**20
    #: How many accounts may run a task at the same time (each account runs one at a time).
    max_concurrent_account_tasks: int = 2
    task_cancel_grace_seconds: float = 5.0


#: Account settings (KV ``settings``) and their defaults, as the Privatefolio frontend expects.
ACCOUNT_SETTINGS_DEFAULTS: dict[str, Any] = {
    "assistantModel": "gpt-4.1-mini",
    "kioskMode": False,
    "metadataRefreshInterval": 10080,
    "networthRefreshInterval": 60,
}

#: Server settings (server KV ``settings``), intervals in minutes.
SERVER_SETTINGS_DEFAULTS: dict[str, Any] = {
    "healthMetricsInterval": 60,
    "systemInfoInterval": 10080,
}
