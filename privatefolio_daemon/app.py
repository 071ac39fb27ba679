"""The composition root: builds every part, and owns start-up and shutdown order.

Start-up: take the data-dir lock, open the server DB, migrate and open the account DBs, then
listen (``/ping`` answers from then on). Shutdown runs the same steps in reverse: stop accepting,
drain and close the sockets within the grace period, close the DBs, release the lock. A signal
during start-up cuts it off, and what it had built is shut down the same way.
"""

import asyncio
import errno
import gc
import importlib
import logging
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from privatefolio_daemon import __version__
from privatefolio_daemon.answer_memory import AnswerMemory
from privatefolio_daemon.api.accounts import AccountsApi
from privatefolio_daemon.api.channels import add_channel_subscriptions
from privatefolio_daemon.api.errors import domain_error_to_rpc
from privatefolio_daemon.api.file_transfer import file_transfer_routes
from privatefolio_daemon.api.guest_reading import guest_access
from privatefolio_daemon.api.observability import ObservabilityApi
from privatefolio_daemon.api.server import ServerApi
from privatefolio_daemon.api.server_files import ServerFilesApi
from privatefolio_daemon.api.tasks import TasksApi
from privatefolio_daemon.collector import collect_rarely
from privatefolio_daemon.config import Config, ConfigError, url_host
from privatefolio_daemon.domain.account_settings import kiosk_mode
from privatefolio_daemon.domain.accounts import AccountRegistry
from privatefolio_daemon.domain.damaged_accounts import with_damaged_advice
from privatefolio_daemon.domain.derived_steps import placeholder_steps
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.health import HealthMonitor
from privatefolio_daemon.domain.server_files import ServerFiles
from privatefolio_daemon.domain.server_state import ServerState
from privatefolio_daemon.heap_trim import HeapTrimmer
from privatefolio_daemon.owner_only import warn_if_others_can_enter
from privatefolio_daemon.relayer.crons import Crons
from privatefolio_daemon.relayer.relayer import Relayer, RelayerSettings
from privatefolio_daemon.relayer.server_jobs import ServerJobs
from privatefolio_daemon.relayer.task_history import TaskHistoryRetention
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.rpc.builtins import add_builtin_methods
from privatefolio_daemon.rpc.connection import ConnectionLimits
from privatefolio_daemon.rpc.registry import MethodTable
from privatefolio_daemon.rpc.stats import RpcStats
from privatefolio_daemon.server.credentials import Credentials, TokenFileError
from privatefolio_daemon.server.http_app import build_http_app, warn_if_the_lan_is_refused
from privatefolio_daemon.server.websocket import WebSocketHub
from privatefolio_daemon.server_log import ServerLogHandler
from privatefolio_daemon.settings import APP_NAME, PriceFetchSettings
from privatefolio_daemon.start_signals import EXIT_STOPPED, stop_signals, stopped_during_start_up
from privatefolio_daemon.store.cron_runs import CronRuns
from privatefolio_daemon.store.cut_short import empty_and_alone, refuse_cut_short
from privatefolio_daemon.store.daemon_address import remove_address, write_address
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.instance_lock import AlreadyRunning, InstanceLock
from privatefolio_daemon.store.migrations import (
    OPEN_ERRORS,
    DatabaseOpenError,
    load_migrations,
    migrate,
    refuse_newer,
)
from privatefolio_daemon.store.open_failures import is_damaged
from privatefolio_daemon.store.read_only import described, probe_write
from privatefolio_daemon.worker_processes import uses_workers, warm_up_in_background

if TYPE_CHECKING:
    from privatefolio_daemon.features import Features

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The daemon cannot start; ``exit_code`` tells the shell why."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


EXIT_CONFIG = 2
EXIT_ALREADY_RUNNING = 3
EXIT_PORT_IN_USE = 4
EXIT_DATABASE = 5
SERVER_DB_DAMAGED_ADVICE = (
    "It holds the server's settings, server values and health history, no account's data: "
    "move it aside to start with new ones."
)

#: SO_REUSEADDR lets a restarted daemon listen while its last connections are in TIME-WAIT;
#: on POSIX it never lets two sockets listen on one port. On Windows it would let another
#: program take the port from under the daemon, so it stays off there.
REUSE_ADDRESS = sys.platform != "win32"


@dataclass
class Daemon:
    config: Config
    events: EventBus = field(default_factory=EventBus)
    stats: RpcStats = field(default_factory=RpcStats)

    def __post_init__(self) -> None:
        data_dir = self.config.data_dir
        limits = self.config.limits
        self.lock = InstanceLock(data_dir)
        self.credentials = Credentials(
            data_dir / "auth",
            jwt_lifetime_days=limits.jwt_lifetime_days,
            password_min_length=limits.password_min_length,
        )
        self.server_db = Database(data_dir / "server.sqlite", readers=1)
        self.server_state = ServerState(self.server_db, self.events, self.config.version)
        self.accounts = AccountRegistry(
            data_dir, self.events, load_migrations(schema_dir("account")), limits
        )
        self.health = HealthMonitor(
            self.server_db, self.events, data_dir, self.server_state.started_monotonic
        )
        self.crons = Crons(enabled=self.config.crons, runs=CronRuns(self.server_db))
        #: Derived-data steps by task name; features replace the placeholders with real steps.
        self.steps = placeholder_steps()
        #: Where price fetches go (tests point the providers at stand-ins); read at each run.
        self.price_settings = PriceFetchSettings()
        self.relayer = Relayer(
            self.events,
            self.accounts.logs_dir,
            self.steps,
            self.crons,
            RelayerSettings(
                max_concurrent_accounts=limits.max_concurrent_account_tasks,
                cancel_grace_seconds=limits.task_cancel_grace_seconds,
                task_history=TaskHistoryRetention(
                    days=limits.task_history_days, keep_newest=limits.task_history_keep_newest
                ),
            ),
        )
        self.accounts.add_lifecycle(self.relayer)
        self.heap_trimmer = HeapTrimmer(
            limits.heap_trim_quiet_seconds, self.accounts.release_memory
        )
        self.relayer.on_idle = self.heap_trimmer.work_ended
        self.answer_memory = AnswerMemory(limits.rpc_large_answers_max_bytes)
        #: Everything beyond the core, loaded once the server listens (``load_features``).
        self.features: Features | None = None
        self.methods = self._build_method_table()
        self.hub = WebSocketHub(
            self.methods,
            self.credentials,
            self.stats,
            limits=ConnectionLimits(
                max_concurrent_calls=limits.rpc_max_concurrent_calls,
                max_queued_bytes=limits.rpc_max_queued_bytes,
                max_queued_bytes_total=limits.rpc_max_queued_bytes_total,
                max_batch_calls=limits.rpc_max_batch_calls,
                max_batch_answer_bytes=limits.rpc_max_batch_answer_bytes,
                pace_queued_bytes=limits.rpc_pace_queued_bytes,
                close_timeout_seconds=limits.rpc_close_timeout_seconds,
                max_callbacks=limits.rpc_max_callbacks,
            ),
            dev=self.config.dev,
            map_error=domain_error_to_rpc,
            guests_allowed=self._kiosk_mode,
            guests_still_allowed=self._kiosk_mode_kept,
            guest_access=guest_access(self.accounts.get, limits.client_sql_time_budget_seconds),
            heartbeat_seconds=limits.rpc_heartbeat_seconds,
            large_answer_sent=self.heap_trimmer.answer_sent,
            answer_memory=self.answer_memory,
        )
        self.http_app = build_http_app(
            self.config,
            self.credentials,
            self.hub,
            file_transfer_routes(self.server_files, limits.upload_max_bytes),
        )
        self.http_app.cleanup_ctx.append(self._server_log)
        self.http_app.cleanup_ctx.append(self._databases)
        self.http_app.cleanup_ctx.append(self._relayer)
        self.http_app.on_shutdown.append(self._close_sockets)
        self.http_app.on_cleanup.append(self._close_features)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def _build_method_table(self) -> MethodTable:
        table = MethodTable()
        add_builtin_methods(table, title=f"{APP_NAME}-daemon", version=__version__)
        table.add_object(AccountsApi(self.accounts, self.events, self.relayer))
        table.add_object(ServerApi(self.config, self.server_state, self.stats, self.answer_memory))
        limits = self.config.limits
        table.add_object(TasksApi(self.accounts, self.relayer, self.events, limits))
        table.add_object(
            ObservabilityApi(
                self.server_logs_dir,
                self.health,
                self.server_state,
                self.server_db,
                limits.client_sql_time_budget_seconds,
            )
        )
        table.add_object(
            ServerFilesApi(
                self.server_files, self.accounts.get, limits.client_sql_time_budget_seconds
            )
        )
        add_channel_subscriptions(table, self.accounts, self.events)
        return table

    def server_files(self, account: str) -> ServerFiles:
        return ServerFiles(
            account, self.accounts.get(account), self.events, self.accounts.files_dir(account)
        )

    @property
    def server_logs_dir(self) -> Path:
        return self.config.data_dir / "server-logs"

    async def _server_log(self, _: web.Application) -> AsyncIterator[None]:
        handler = ServerLogHandler(self.server_logs_dir, lambda: self.events.emit("server-logs"))
        handler.setLevel(logging.INFO)
        logging.getLogger().addHandler(handler)
        try:
            yield
        finally:
            logging.getLogger().removeHandler(handler)
            handler.close()

    async def _relayer(self, _: web.Application) -> AsyncIterator[None]:
        await self.crons.load_last_runs()  # the crons start once the features are loaded
        jobs = ServerJobs(
            self.crons, self.events, self.server_state, self.health, self.server_logs_dir
        )
        unsubscribe = await jobs.schedule()
        try:
            yield
        finally:
            unsubscribe()
            await self.relayer.stop()
            await self.heap_trimmer.close()

    async def _databases(self, _: web.Application) -> AsyncIterator[None]:
        await self._open_server_db()
        try:
            from privatefolio_daemon.domain.backup.swap import recover_restores

            await asyncio.to_thread(
                recover_restores, self.accounts.databases_dir, self.config.data_dir
            )
            await self.accounts.open_existing()
            yield
        finally:
            await self.accounts.close_all()
            await self.server_db.close()

    async def _open_server_db(self) -> None:
        """Migrate the server database, and refuse it when it cannot be written; an error names
        its file, as an account database's does."""
        migrations = load_migrations(schema_dir("server"))
        path = self.server_db.path
        try:
            await asyncio.to_thread(_refuse_a_cut_short_server_db, path)
            await asyncio.to_thread(refuse_newer, path, migrations)
            await self.server_db.write(lambda conn: migrate(conn, migrations, path))
            await self.server_db.write(probe_write)
        except OPEN_ERRORS as error:
            await self.server_db.close()
            message = f"{path}: {described(error)}"
            if is_damaged(error):
                message += f". {SERVER_DB_DAMAGED_ADVICE}"
            raise DatabaseOpenError(message) from error

    async def _kiosk_mode(self) -> bool:
        """Whether an open account turns kiosk mode on (one being restored or reset is skipped)."""
        return await kiosk_mode(self.accounts.open_databases())

    async def _kiosk_mode_kept(self) -> bool:
        """For a guest already let in: kiosk mode is on, or an account being restored may turn it
        on again (its settings cannot be read until it reopens; a reset empties them)."""
        return self.accounts.any_being_restored() or await self._kiosk_mode()

    def load_features(self) -> "Features":
        """Build everything beyond the core and add its methods and steps (once)."""
        if self.features is None:
            from privatefolio_daemon.features import Features

            self.features = Features(self)
            self.features.register(self.methods)
            self.hub.ready.set()
        return self.features

    @property
    def backups(self) -> Any:
        return self.load_features().backups

    @property
    def derived(self) -> Any:
        return self.load_features().derived

    @property
    def connection_sources(self) -> Any:
        return self.load_features().connection_sources

    async def _close_features(self, _: web.Application) -> None:
        if self.features is not None:
            await self.features.close()

    async def _close_sockets(self, _: web.Application) -> None:
        # The tasks stop first: a call that waits for one (an export, say) is answered that it
        # was cancelled, and no queued task starts while the calls in flight get their grace.
        # A restore that swaps an account's files ends first, and one whose check ended as
        # its task stopped too: cut off, the swap would be undone at the next start.
        await self._let_restores_finish()
        await self.relayer.stop()
        await self._let_restores_finish()
        await self.hub.shutdown(self.config.limits.shutdown_grace_seconds)

    async def _let_restores_finish(self) -> None:
        if self.features is not None:
            wait = self.config.limits.restore_finish_wait_seconds
            await self.features.backups.let_swaps_finish(wait)

    async def start(self) -> None:
        """Lock the data dir, open the databases and listen. Raises ``StartupError``."""
        self._check_binding()
        warn_if_the_lan_is_refused(self.config)
        try:
            self.config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_probe(self.config.data_dir)
            self.lock.acquire()
            warn_if_others_can_enter(self.config.data_dir)
        except AlreadyRunning as error:
            raise StartupError(str(error), EXIT_ALREADY_RUNNING) from error
        except OSError as error:
            message = f"The data directory {self.config.data_dir} cannot be written: {error}"
            raise StartupError(message, EXIT_CONFIG) from error
        try:
            await asyncio.to_thread(self.credentials.desktop_token)
        except TokenFileError as error:
            self.lock.release()
            raise StartupError(str(error), EXIT_CONFIG) from error
        runner = web.AppRunner(
            self.http_app,
            access_log=None,
            handle_signals=False,
            # aiohttp waits 60 s by default for requests still running (a stalled upload).
            shutdown_timeout=self.config.limits.shutdown_grace_seconds,
        )
        self._runner = runner  # a stop during the set-up undoes what it did (``stop``)
        try:
            await runner.setup()
        except Exception as error:
            self._runner = None
            self.lock.release()
            message = with_damaged_advice(
                f"Could not open the databases: {error}", self.config.data_dir, error, at_start=True
            )
            raise StartupError(message, EXIT_DATABASE) from error
        site = web.TCPSite(runner, self.config.host, self.config.port, reuse_address=REUSE_ADDRESS)
        try:
            await site.start()
        except OSError as error:
            await self.stop()
            raise self._port_error(error) from error
        self.port = runner.addresses[0][1]
        write_address(self.config.data_dir, self.config.host, self.port)
        if uses_workers(self.config.limits):
            warm_up_in_background()
        await asyncio.to_thread(importlib.import_module, "privatefolio_daemon.features")
        self.load_features()
        self.crons.start()  # after the features: a job overdue at start runs at once
        # What start-up built lives as long as the process: keep the collector from rescanning it.
        gc.freeze()
        collect_rarely()

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        remove_address(self.config.data_dir)
        self.lock.release()

    def _check_binding(self) -> None:
        if not self.config.binds_loopback_only and not self.credentials.is_password_set():
            raise StartupError(
                f"Refusing to listen on {self.config.host}: binding an address other than "
                "127.0.0.1 exposes your portfolio to the network, so it needs a password first. "
                "Start once on 127.0.0.1 and set one (POST /api/setup), then try again.",
                EXIT_CONFIG,
            )

    def _port_error(self, error: OSError) -> StartupError:
        where = f"{url_host(self.config.host)}:{self.config.port}"
        if error.errno == errno.EADDRINUSE:
            return StartupError(
                f"Port {self.config.port} on {self.config.host} is already in use. Another program "
                "(or another daemon on another data dir) holds it: choose another with --port "
                "or PORT.",
                EXIT_PORT_IN_USE,
            )
        return StartupError(f"Could not listen on {where}: {error.strerror}", EXIT_PORT_IN_USE)


def _write_probe(directory: Path) -> None:
    """Raises ``OSError`` when no file can be made in ``directory`` (SQLite would then open the
    databases read-only, and every write would fail)."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:  # named after the directory, not the temporary file's random name
        raise OSError(error.errno, error.strerror) from error


async def run_until_signalled(
    daemon: Daemon, on_ready: Callable[[Daemon], None] | None = None
) -> int:
    """Start, report readiness, and run until SIGINT, SIGTERM or SIGHUP; returns the exit code. A
    signal during start-up (a long schema upgrade, say) stops it too."""
    stop = _StopSignal(asyncio.get_running_loop())
    starting = asyncio.ensure_future(daemon.start())
    first: set[asyncio.Future[Any]] = {starting, stop.received}
    await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        return await _stop_starting(daemon, starting, stop.received.result())
    try:
        starting.result()
    except (StartupError, ConfigError) as error:
        return _refused(error)
    if on_ready is not None:
        on_ready(daemon)
    log.info(
        "Listening on http://%s:%s (data in %s)",
        url_host(daemon.config.host),
        daemon.port,
        daemon.config.data_dir,
    )
    await stop.received
    log.info("Shutting down")
    await daemon.stop()
    return EXIT_STOPPED


class _StopSignal:
    """SIGINT, SIGTERM and SIGHUP (``stop_signals``), caught from the start: ``received`` is the
    first one to come."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.received: asyncio.Future[signal.Signals] = loop.create_future()
        for signum in stop_signals():
            loop.add_signal_handler(signum, self._receive, signum)

    def _receive(self, signum: signal.Signals) -> None:
        if not self.received.done():
            self.received.set_result(signum)


async def _stop_starting(
    daemon: Daemon, starting: "asyncio.Future[None]", signum: signal.Signals
) -> int:
    """A signal during start-up: the start is cut off (an upgrade under way stops, its copy
    removed, and runs again at the next start), and what it built is stopped as at a shutdown."""
    starting.cancel()
    try:
        await starting
    except asyncio.CancelledError:
        pass
    except (StartupError, ConfigError) as error:  # it failed before the signal could stop it
        return _refused(error)
    await daemon.stop()
    print(f"privatefolio-daemon: {stopped_during_start_up(signum)}", file=sys.stderr, flush=True)
    return EXIT_STOPPED


def _refused(error: StartupError | ConfigError) -> int:
    """The reason, one line on stderr, as a bad configuration's: stdout is for --print-ready."""
    print(f"privatefolio-daemon: {error}", file=sys.stderr, flush=True)
    return error.exit_code if isinstance(error, StartupError) else EXIT_CONFIG


def _refuse_a_cut_short_server_db(path: Path) -> None:
    """A cut-short server database is damaged; an empty one with nothing beside it holds nothing
    to lose, so it opens as a new one, with a warning."""
    if empty_and_alone(path):
        log.warning("%s was empty (0 bytes): it starts again as a new server database", path)
        return
    refuse_cut_short(path)
