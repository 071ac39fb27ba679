"""The ``backup ACCOUNT [-o FILE]`` and ``restore ACCOUNT FILE`` commands of privatefolio-daemon.

When a daemon runs on the data dir (it holds the single-instance lock), both go through it: the
task over RPC and the bytes over HTTP with the desktop token. Otherwise they work on the data
dir directly, holding the lock themselves so that no daemon starts meanwhile. A restore into an
account that does not exist creates it (and the data dir, on a new machine), and deletes it
again if the restore fails; one into an account whose database is damaged sets that account's
items aside first, and puts them back if it fails. An offline backup of an account whose
database an older version wrote leaves it as it is: opening it would upgrade it.
"""

import argparse
import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tqdm import tqdm  # type: ignore[import-untyped]

from privatefolio_daemon.config import Config, client_url, load_client_config
from privatefolio_daemon.relayer.cancellation import CancelToken, TaskAborted

if TYPE_CHECKING:
    from privatefolio_daemon.client import DaemonClient
    from privatefolio_daemon.domain.accounts import AccountRegistry
    from privatefolio_daemon.domain.backup.swap import StepHook
    from privatefolio_daemon.domain.damaged_accounts import SetAside
    from privatefolio_daemon.store.instance_lock import InstanceLock, LockHolder

CHUNK = 1024 * 1024
_INTERRUPTED = "Interrupted."
_RESTORE_INTERRUPTED = "The restore was interrupted; the account is as it was."


class CommandError(Exception):
    """The command failed; the message is for the user."""


def run_command(arguments: argparse.Namespace) -> int:
    from privatefolio_daemon.owner_only import make_files_owner_only

    make_files_owner_only()  # the data dir's files; the zip written too holds the portfolio
    config = load_client_config(data_dir=arguments.data_dir, port=arguments.port)
    try:
        if arguments.command == "backup":
            output = _writable_output(arguments.output or _default_output(arguments.account))
            older = asyncio.run(backup(config, arguments.account, output))
            print(f"Backed up {arguments.account} to {output}")
            if older is not None:
                print(_left_as_it_is(arguments.account, older))
        else:
            if not Path(arguments.file).is_file():
                raise CommandError(f"{arguments.file} does not exist or is not a file")
            kept = asyncio.run(restore(config, arguments.account, Path(arguments.file).resolve()))
            print(f"Restored {arguments.account} from {arguments.file}")
            if kept is not None:
                print(f"The damaged database it replaced is kept as {kept}")
    except CommandError as error:
        print(f"privatefolio-daemon: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"privatefolio-daemon: {_INTERRUPTED}", file=sys.stderr)
        return 130
    return 0


def _default_output(account: str) -> str:
    """``<account>-backup-<today>.zip`` in the working directory, numbered when that file exists:
    a backup made without -o never replaces an earlier one."""
    stem = f"{account}-backup-{time.strftime('%Y-%m-%d')}"
    name, number = f"{stem}.zip", 1
    while Path(name).exists():
        number += 1
        name = f"{stem}-{number}.zip"
    return name


def _writable_output(name: str) -> Path:
    """The zip to write, checked before any backup is made."""
    output = Path(name).resolve()
    if output.is_dir():
        raise CommandError(f"Cannot write {output}: it is a directory; give a file name with -o")
    if not output.parent.is_dir():
        raise CommandError(f"Cannot write {output}: the directory {output.parent} does not exist")
    if not os.access(output.parent, os.W_OK):
        raise CommandError(f"Cannot write {output}: the directory {output.parent} is not writable")
    return output


async def backup(config: Config, account: str, output: Path) -> int | None:
    """Back ``account`` up to ``output``; returns the schema version of its database when an
    older version wrote it, and it was left as it is."""
    async with _access(config, account, "backup") as (client, registry, _):
        if client is not None:
            await _backup_online(config, client, account, output)
        elif registry is not None:
            return await _backup_offline(registry, account, output)
    return None


def _left_as_it_is(account: str, version: int) -> str:
    from privatefolio_daemon.resources import schema_dir
    from privatefolio_daemon.store.migrations import latest_version, load_migrations

    latest = latest_version(load_migrations(schema_dir("account")))
    return (
        f"The database of {account}, of schema version {version} (an older version wrote it), "
        f"is left as it is: privatefolio-daemon upgrades it to version {latest} when it next "
        "opens it."
    )


async def restore(
    config: Config, account: str, archive: Path, step: "StepHook | None" = None
) -> Path | None:
    """Restore ``archive`` into ``account``; returns where the damaged database it replaced is
    kept, if it replaced one."""
    async with _access(config, account, "restore") as (client, registry, aside):
        if client is not None:
            await _restore_online(config, client, account, archive)
        elif registry is not None:
            await _restore_offline(config, registry, account, archive, step, aside)
    return None if aside is None else aside.database


# -- reaching the data -----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _access(
    config: Config, account: str, command: str
) -> AsyncIterator[tuple["DaemonClient | None", "AccountRegistry | None", "SetAside | None"]]:
    """The running daemon's client, or (when none runs) the data dir with ``account`` opened
    (another account that cannot be opened is no concern of this command); a restore's, with
    the items of the account set aside when its database is damaged."""
    from privatefolio_daemon.config import create_data_dir
    from privatefolio_daemon.store.instance_lock import InstanceLock

    if command == "restore":  # a new machine: the data dir is made as the daemon makes it
        create_data_dir(config.data_dir)
    elif not (config.data_dir / "databases").is_dir():
        raise CommandError(f"There is no privatefolio data in {config.data_dir}")
    lock = InstanceLock(config.data_dir, holder=command)
    holder = _took(lock)
    if holder is not None:
        async with _connect(config) as client:
            yield client, None, None
        return
    try:
        async with _open_accounts(config, account, mend=command == "restore") as (registry, aside):
            yield None, registry, aside
    finally:
        lock.release()


def _took(lock: "InstanceLock") -> "LockHolder | None":
    """Lock the data dir; else the daemon that holds it. An offline backup or restore that
    holds it is waited for by no one: the command is refused, saying so."""
    from privatefolio_daemon.store.instance_lock import AlreadyRunning

    try:
        lock.acquire()
    except AlreadyRunning as running:
        if not running.holder.is_daemon:
            data_dir = lock.path.parent
            raise CommandError(
                f"{running.holder.using(data_dir)}; wait for it to finish, then try again."
            ) from running
        return running.holder
    return None


@contextlib.asynccontextmanager
async def _connect(config: Config) -> AsyncIterator["DaemonClient"]:
    """The daemon holding the data dir, reached at the address it wrote down: the desktop
    token goes to no other listener."""
    from privatefolio_daemon.client import DaemonClient
    from privatefolio_daemon.server.credentials import read_or_create_token
    from privatefolio_daemon.token_recipient import NoRecipient, daemon_config

    try:
        url = client_url(daemon_config(config), "ws")
    except NoRecipient as refused:
        raise CommandError(str(refused)) from refused
    try:
        client = await DaemonClient.connect(url, token=read_or_create_token(config.token_file))
    except OSError as error:
        raise CommandError(
            f"A daemon is running on {config.data_dir}, but it cannot be reached at {url} "
            f"({error})."
        ) from error
    async with client:
        yield client


@contextlib.asynccontextmanager
async def _open_accounts(
    config: Config, account: str, *, mend: bool
) -> AsyncIterator[tuple["AccountRegistry", "SetAside | None"]]:
    """The registry with ``account`` opened; with ``mend`` (a restore), an account whose
    database is damaged has its items set aside instead, and is restored as a new one. Without
    it (a backup), an account whose database is of an older schema is not opened, which would
    upgrade it."""
    from privatefolio_daemon.domain.accounts import AccountOpenError, AccountRegistry
    from privatefolio_daemon.domain.backup.swap import recover_restores
    from privatefolio_daemon.domain.damaged_accounts import set_aside, with_damaged_advice
    from privatefolio_daemon.domain.events import EventBus
    from privatefolio_daemon.resources import schema_dir
    from privatefolio_daemon.store.migrations import load_migrations

    registry = AccountRegistry(
        config.data_dir, EventBus(), load_migrations(schema_dir("account")), config.limits
    )
    await asyncio.to_thread(recover_restores, registry.databases_dir, config.data_dir)
    aside = None
    try:
        if mend or await asyncio.to_thread(_older_schema, registry, account) is None:
            await registry.open_existing(only=account)
    except AccountOpenError as error:
        if not (mend and error.damaged):
            message = f"Could not open the account: {error}"
            advice = with_damaged_advice(message, config.data_dir, error, at_start=False)
            raise CommandError(advice) from error
        aside = await asyncio.to_thread(set_aside, registry, account)
    try:
        yield registry, aside
    finally:
        await registry.close_all()


def _older_schema(registry: "AccountRegistry", account: str) -> int | None:
    """The schema version of the account's database, when an older version wrote it."""
    from privatefolio_daemon.domain.backup.older_schema import older_schema
    from privatefolio_daemon.domain.errors import NotFoundError
    from privatefolio_daemon.resources import schema_dir
    from privatefolio_daemon.store.migrations import load_migrations

    try:
        path = registry.db_path(account)
    except NotFoundError:  # no name of an account: the backup says it does not exist
        return None
    return older_schema(path, load_migrations(schema_dir("account")))


def _restorable_older_schema(registry: "AccountRegistry", account: str) -> int | None:
    """``_older_schema``, once sure that a restore would accept a backup of it as it is."""
    from privatefolio_daemon.domain.backup.older_schema import refuse_unrestorable
    from privatefolio_daemon.resources import schema_dir
    from privatefolio_daemon.store.migrations import load_migrations

    version = _older_schema(registry, account)
    if version is not None:
        migrations = load_migrations(schema_dir("account"))
        refuse_unrestorable(registry.db_path(account), account, migrations, version)
    return version


def _files_of(registry: "AccountRegistry") -> Callable[[str], Any]:
    from privatefolio_daemon.domain.events import EventBus
    from privatefolio_daemon.domain.server_files import ServerFiles

    def files_of(account: str) -> ServerFiles:
        return ServerFiles(account, registry.get(account), EventBus(), registry.files_dir(account))

    return files_of


# -- without a daemon ----------------------------------------------------------------------------


async def _backup_offline(registry: "AccountRegistry", account: str, output: Path) -> int | None:
    from privatefolio_daemon import __version__
    from privatefolio_daemon.domain.backup.backups import Backups
    from privatefolio_daemon.domain.backup.progress_bridge import no_checkpoint
    from privatefolio_daemon.domain.errors import DomainError

    backups = Backups(registry, _files_of(registry), app_version=__version__, keep_last=0)
    older = None
    partial = output.with_name(f"{output.name}.partial")
    try:
        if not registry.exists(account):  # _open_accounts left an older schema's one closed
            older = await asyncio.to_thread(_restorable_older_schema, registry, account)
        with _percent_bar(f"Backup of {account}") as report:
            if older is None:
                await backups.write(account, partial, report, no_checkpoint)
            else:
                await backups.write_unopened(account, partial, report, no_checkpoint)
        partial.replace(output)
    except DomainError as error:
        raise CommandError(str(error)) from error
    except sqlite3.DatabaseError as error:  # read as it is, an older schema's may be damaged
        raise _unreadable(registry, account, error) from error
    finally:
        partial.unlink(missing_ok=True)
    return older


def _unreadable(registry: "AccountRegistry", account: str, error: Exception) -> CommandError:
    """The account's database could not be read: said as opening it would say it."""
    from privatefolio_daemon.domain.accounts import AccountOpenError
    from privatefolio_daemon.domain.damaged_accounts import with_damaged_advice

    unread = AccountOpenError(account, registry.db_path(account), error)
    message = f"Could not back up the account: {unread}"
    return CommandError(with_damaged_advice(message, registry.data_dir, unread, at_start=False))


async def _restore_offline(
    config: Config,
    registry: "AccountRegistry",
    account: str,
    archive: Path,
    step: "StepHook | None",
    aside: "SetAside | None",
) -> None:
    from privatefolio_daemon.domain.backup.archive_reader import RestoreLimits
    from privatefolio_daemon.domain.backup.restore import Restores
    from privatefolio_daemon.domain.errors import DomainError
    from privatefolio_daemon.domain.events import EventBus
    from privatefolio_daemon.resources import schema_dir
    from privatefolio_daemon.store.migrations import load_migrations

    limits = RestoreLimits(
        config.limits.backup_max_uncompressed_bytes, config.limits.backup_max_ratio
    )
    restores = Restores(registry, EventBus(), load_migrations(schema_dir("account")), limits)
    if aside is not None:  # a backup among the account's files moved with them
        archive = aside.followed(archive)
    created = False

    async def undo() -> None:
        try:
            if created:
                await registry.delete(account)
        finally:
            if aside is not None:  # the damaged account is back as it was
                await asyncio.to_thread(aside.put_back)

    try:
        async with _undone_on_failure(undo):
            created = await registry.create(account)
            with _percent_bar(f"Restore of {account}") as report, _interruptible() as checkpoint:
                if step is None:
                    await restores.restore(account, archive, report, checkpoint)
                else:
                    await restores.restore(account, archive, report, checkpoint, step)
    except DomainError as error:
        raise CommandError(str(error)) from error
    except TaskAborted as aborted:
        raise CommandError(_RESTORE_INTERRUPTED) from aborted


@contextlib.contextmanager
def _interruptible() -> Iterator[Callable[[], None]]:
    """A checkpoint that Ctrl-C trips: the restore stops at its next check, before the swap,
    and leaves nothing behind (a swap, which takes moments, is finished)."""
    token = CancelToken()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, token.cancel, "interrupted")
    try:
        yield token.checkpoint
    finally:
        loop.remove_signal_handler(signal.SIGINT)


# -- through the daemon ----------------------------------------------------------------------------


async def _backup_online(
    config: Config, client: "DaemonClient", account: str, output: Path
) -> None:
    from privatefolio_daemon.client import RpcCallError

    with _percent_bar(f"Backup of {account}") as report:
        follow = asyncio.create_task(_follow_running_task(client, account, "Backup", report))
        made = asyncio.ensure_future(client.call("enqueueBackup", account, "user"))
        try:
            record = await asyncio.shield(made)
        except RpcCallError as error:
            raise CommandError(error.message) from error
        except asyncio.CancelledError:  # Ctrl-C
            await _stop_backup(client, account, made)
            raise
        finally:
            follow.cancel()
        report(100, None)
    try:
        await _download(config, account, record, output)
    finally:  # the zip is the user's file now: the daemon keeps no copy of it
        with contextlib.suppress(RpcCallError, OSError):
            await client.call("deleteServerFile", account, record["id"])


async def _stop_backup(
    client: "DaemonClient", account: str, made: "asyncio.Future[dict[str, Any]]"
) -> None:
    """Cancel the daemon's backup task (the user's: not a scheduled one running meanwhile); a
    backup it finished meanwhile is deleted."""
    from privatefolio_daemon.client import RpcCallError

    with contextlib.suppress(RpcCallError):
        queue = await client.call("getTaskQueue", account)
        for task in [queue.get("running"), *queue.get("queued", [])]:
            if task is not None and (task["name"], task["trigger"]) == ("Backup", "user"):
                await client.call("cancelTask", account, task["id"])
    with contextlib.suppress(Exception):
        record = await made
        await client.call("deleteServerFile", account, record["id"])


async def _restore_online(
    config: Config, client: "DaemonClient", account: str, archive: Path
) -> None:
    from privatefolio_daemon.client import RpcCallError

    try:
        created = account not in await client.call("getAccountNames")
        if created:
            await client.call("createAccount", account)
    except RpcCallError as failure:
        raise CommandError(failure.message) from failure
    delete = (lambda: client.call("deleteAccount", account)) if created else None
    async with _undone_on_failure(delete):
        await _upload_and_restore(config, client, account, archive)


async def _upload_and_restore(
    config: Config, client: "DaemonClient", account: str, archive: Path
) -> None:
    from privatefolio_daemon.client import RpcCallError

    size = await asyncio.to_thread(lambda: archive.stat().st_size)
    try:
        record = await client.call(
            "upsertServerFile",
            account,
            {
                "createdBy": "user",
                "metadata": {"lastModified": int(time.time() * 1000), "size": size},
                "name": archive.name,
                "status": "scheduled",
            },
        )
    except RpcCallError as failure:
        raise CommandError(failure.message) from failure
    try:
        await _restore_uploaded(config, client, account, archive, record["id"], size)
    except BaseException:
        # A restore that failed leaves the account as it was: without the uploaded backup,
        # which every later backup would carry.
        with contextlib.suppress(RpcCallError, OSError):
            await client.call("deleteServerFile", account, record["id"])
        raise


async def _restore_uploaded(
    config: Config, client: "DaemonClient", account: str, archive: Path, file_id: int, size: int
) -> None:
    from privatefolio_daemon.client import RpcCallError

    try:
        uploaded = await _upload(config, account, file_id, archive, size)
        done: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        with _percent_bar(f"Restore of {account}") as report:
            enqueued = asyncio.ensure_future(
                client.call(
                    "enqueueRestore", account, "user", uploaded, lambda error: _settle(done, error)
                )
            )
            try:  # a Ctrl-C while the task is being queued still gets its id, to cancel it
                task_id = await asyncio.shield(enqueued)
                with contextlib.suppress(RpcCallError):  # the account is closed while it swaps
                    await client.call(
                        "subscribeToServerTaskProgress",
                        account,
                        task_id,
                        lambda line: _report_line(report, line),
                    )
                error = await _outcome(client, done)
            except asyncio.CancelledError:
                error = await _stopped(client, account, await enqueued, done)
    except RpcCallError as failure:
        raise CommandError(failure.message) from failure
    if error is not None:
        raise CommandError(str(error).removeprefix("Error: "))


async def _stopped(
    client: "DaemonClient", account: str, task_id: int, done: "asyncio.Future[str | None]"
) -> str | None:
    """Ctrl-C: cancel the daemon's restore task. It stops unless it has begun the swap, which
    finishes: then the restore completed (None)."""
    from privatefolio_daemon.client import RpcCallError

    with contextlib.suppress(RpcCallError):
        await client.call("cancelTask", account, task_id)
    if await _outcome(client, done) is None:
        return None
    raise CommandError(_RESTORE_INTERRUPTED)


async def _outcome(client: "DaemonClient", done: "asyncio.Future[str | None]") -> str | None:
    """How the restore ended, or a clear error if the daemon went away before it said."""
    closed = asyncio.ensure_future(client.wait_closed())
    try:
        await asyncio.wait((done, closed), return_when=asyncio.FIRST_COMPLETED)
    finally:
        closed.cancel()
    if not done.done():
        raise CommandError(
            "The daemon closed the connection before the restore ended. Start it again: a "
            "restore cut off before it finished is rolled back at start, one that finished is kept."
        )
    return done.result()


@contextlib.asynccontextmanager
async def _undone_on_failure(
    undo: Callable[[], Awaitable[object]] | None,
) -> AsyncIterator[None]:
    """A restore that fails leaves nothing behind: ``undo`` removes the account it created."""
    try:
        yield
    except (Exception, TaskAborted, asyncio.CancelledError) as failure:
        if undo is not None:
            with contextlib.suppress(Exception):  # the restore's error is the one to report
                await undo()
        if isinstance(failure, asyncio.CancelledError):  # Ctrl-C
            raise CommandError(_RESTORE_INTERRUPTED) from failure
        raise


async def _follow_running_task(
    client: "DaemonClient", account: str, name: str, report: Callable[..., None]
) -> None:
    """Show the progress of the account's running task called ``name`` once it starts."""
    with contextlib.suppress(Exception):
        while True:
            running = (await client.call("getTaskQueue", account)).get("running")
            if running is not None and running["name"] == name:
                await client.call(
                    "subscribeToServerTaskProgress",
                    account,
                    running["id"],
                    lambda line: _report_line(report, line),
                )
                return
            await asyncio.sleep(0.05)


def _settle(future: "asyncio.Future[str | None]", error: str | None) -> None:
    if not future.done():
        future.set_result(error)


def _report_line(report: Callable[..., None], line: str) -> None:
    import orjson

    with contextlib.suppress(ValueError, IndexError, TypeError):
        update = orjson.loads(line[25:]) if len(line) > 25 else []
        report(update[0] if update else None, update[1] if len(update) > 1 else None)


async def _download(config: Config, account: str, record: dict[str, Any], output: Path) -> None:
    import aiohttp

    url = client_url(config, "http", "/download")
    partial = output.with_name(f"{output.name}.partial")
    size = int(record.get("metadata", {}).get("size") or 0)
    try:
        async with (
            _http(config) as session,
            session.get(url, params={"accountName": account, "fileId": str(record["id"])}) as got,
        ):
            if got.status != 200:
                raise CommandError(f"The download failed: {await _error_text(got)}")
            with (
                partial.open("wb") as writer,
                tqdm(total=size, unit="B", unit_scale=True, desc="Download") as bar,
            ):
                async for chunk in got.content.iter_chunked(CHUNK):
                    writer.write(chunk)
                    bar.update(len(chunk))
        partial.replace(output)
    except aiohttp.ClientError as error:
        raise CommandError(f"The download failed: {error}") from error
    finally:
        partial.unlink(missing_ok=True)


async def _upload(
    config: Config, account: str, file_id: int, archive: Path, size: int
) -> dict[str, Any]:
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("accountName", account)
    form.add_field("fileId", str(file_id))
    with (
        archive.open("rb") as reader,
        tqdm(total=size, unit="B", unit_scale=True, desc="Upload") as bar,
    ):
        form.add_field(
            "file",
            _chunks_of(reader, bar),
            filename=archive.name,
            content_type="application/zip",
        )
        try:
            async with (
                _http(config) as session,
                session.post(client_url(config, "http", "/upload"), data=form) as sent,
            ):
                if sent.status != 200:
                    raise CommandError(f"The upload failed: {await _error_text(sent)}")
                result: dict[str, Any] = await sent.json()
                return result
        except aiohttp.ClientError as error:
            raise CommandError(f"The upload failed: {error}") from error


def _http(config: Config) -> Any:
    import aiohttp

    from privatefolio_daemon.server.credentials import read_or_create_token

    token = read_or_create_token(config.token_file)
    return aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"})


async def _error_text(response: Any) -> str:
    with contextlib.suppress(Exception):
        return str((await response.json())["error"])
    return f"HTTP {response.status}"


async def _chunks_of(reader: IO[bytes], bar: Any) -> AsyncIterator[bytes]:
    """The file in chunks, advancing the progress bar."""
    while chunk := await asyncio.to_thread(reader.read, CHUNK):
        bar.update(len(chunk))
        yield chunk


@contextlib.contextmanager
def _percent_bar(title: str) -> Iterator[Callable[..., None]]:
    with tqdm(total=100, desc=title, unit="%", bar_format="{l_bar}{bar}| {postfix}") as bar:

        def report(percent: float | None = None, message: str | None = None) -> None:
            if percent is not None and percent > bar.n:
                bar.update(percent - bar.n)
            if message:
                bar.set_postfix_str(message)

        yield report
