"""The ``privatefolio-daemon`` command: serve, token, call, backup, restore, autostart.

The signal handlers of start-up go in first thing: what the commands need is imported after
them (argparse, asyncio and the configuration take a tenth of a second to load).
"""

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from privatefolio_daemon import __version__, start_signals

if TYPE_CHECKING:
    import argparse

    from privatefolio_daemon.config import Config


def build_parser() -> "argparse.ArgumentParser":
    import argparse

    parser = argparse.ArgumentParser(
        prog="privatefolio-daemon",
        description="A local-first portfolio daemon for the Privatefolio frontend.",
    )
    parser.add_argument("--version", action="version", version=f"privatefolio-daemon {__version__}")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the daemon (the default command)")
    _add_location_flags(serve)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1; env HOST)")
    serve.add_argument("--port", type=int, help="port (default 5555, 4001 with --dev; env PORT)")
    serve.add_argument(
        "--dev", action="store_true", help="development mode: port 4001, stack traces"
    )
    serve.add_argument("--frontend-dir", help="serve this frontend build (env FRONTEND_DIR)")
    serve.add_argument(
        "--print-ready",
        action="store_true",
        help='print one JSON line {"port", "pid", "dataDir", "tokenFile"} once /ping answers',
    )
    serve.add_argument("--no-crons", action="store_true", help="do not run scheduled jobs")
    serve.add_argument(
        "--log-level", help="DEBUG, INFO, WARNING, ERROR or CRITICAL (env LOG_LEVEL)"
    )

    token = commands.add_parser("token", help="print the desktop token")
    _add_location_flags(token)

    call = commands.add_parser("call", help="call an RPC method of the running daemon")
    _add_location_flags(call)
    call.add_argument("--url", help="the daemon's WebSocket URL (default ws://127.0.0.1:<port>)")
    call.add_argument(
        "--port",
        type=int,
        help="the daemon's port (default: found in the data dir, else 5555; env PORT)",
    )
    call.add_argument("method", help="method name, e.g. getAccountNames")
    call.add_argument("args", nargs="*", help="positional arguments, each as JSON")
    backup = commands.add_parser("backup", help="back an account up to a zip file")
    restore = commands.add_parser("restore", help="restore an account from a backup zip")
    for parser_of_command in (backup, restore):
        _add_location_flags(parser_of_command)
        parser_of_command.add_argument(
            "--port",
            type=int,
            help="the running daemon's port (default: found in the data dir; env PORT)",
        )
        parser_of_command.add_argument("account", help="the account name")
    backup.add_argument(
        "-o",
        "--output",
        help="the zip to write (default <account>-backup-<today>.zip, numbered if it exists)",
    )
    restore.add_argument("file", help="the backup zip to restore")

    autostart = commands.add_parser("autostart", help="start the daemon at login, or stop that")
    autostart.add_argument("state", choices=("on", "off", "status"))
    _add_location_flags(autostart)
    autostart.add_argument("--port", type=int, help="the port the daemon started at login uses")
    return parser


def _parse(argv: list[str]) -> "argparse.Namespace":
    """The arguments; with no command, or flags first, the command is ``serve``. A flag its
    command does not know is reported with that command's usage."""
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["serve", *argv]
    parser = build_parser()
    arguments, unknown = parser.parse_known_args(argv)
    if unknown:
        command_parser: argparse.ArgumentParser = arguments.command_parser
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return arguments


def _add_location_flags(parser: "argparse.ArgumentParser") -> None:
    parser.set_defaults(command_parser=parser)
    parser.add_argument(
        "--data-dir", help="data directory (env DATA_LOCATION, which wins over this flag)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        replaced = start_signals.raise_on_signals()
        arguments = _parse(list(sys.argv[1:] if argv is None else argv))
        if arguments.command not in (None, "serve"):
            start_signals.restore(replaced)
        return _run_command(arguments)
    except start_signals.StoppedEarly as stopped:
        print(f"privatefolio-daemon: {stopped}", file=sys.stderr)
        return start_signals.EXIT_STOPPED


def _run_command(arguments: "argparse.Namespace") -> int:
    from privatefolio_daemon.config import ConfigError, load_config

    command = arguments.command
    try:
        if command == "token":
            return _print_token(load_config(data_dir=arguments.data_dir))
        if command == "call":
            import asyncio

            try:
                return asyncio.run(_call(arguments))
            except KeyboardInterrupt:
                print("privatefolio-daemon: Interrupted.", file=sys.stderr)
                return 130
        if command == "autostart":
            from privatefolio_daemon.cli_autostart import run_autostart

            return run_autostart(arguments)
        if command in ("backup", "restore"):
            from privatefolio_daemon.cli_backup import run_command

            return run_command(arguments)
        return _run_daemon(arguments)
    except ConfigError as error:
        print(f"privatefolio-daemon: {error}", file=sys.stderr)
        return 2


def _run_daemon(arguments: "argparse.Namespace") -> int:
    import os

    import orjson

    from privatefolio_daemon import event_loop
    from privatefolio_daemon.app import Daemon, run_until_signalled
    from privatefolio_daemon.config import check_frontend_dir, create_data_dir, load_config
    from privatefolio_daemon.logging_setup import configure_logging
    from privatefolio_daemon.open_file_limit import raise_open_file_limit
    from privatefolio_daemon.owner_only import make_files_owner_only

    make_files_owner_only()
    config = load_config(
        data_dir=arguments.data_dir,
        host=arguments.host,
        port=arguments.port,
        dev=arguments.dev,
        frontend_dir=arguments.frontend_dir,
        print_ready=arguments.print_ready,
        crons=not arguments.no_crons,
        log_level=arguments.log_level,
    )
    check_frontend_dir(config.frontend_dir)
    create_data_dir(config.data_dir)
    configure_logging(config.log_level)
    raise_open_file_limit()

    def announce(daemon: Daemon) -> None:
        if config.print_ready:
            ready = {
                "port": daemon.port,
                "pid": os.getpid(),
                "dataDir": str(config.data_dir),
                "tokenFile": str(config.token_file),
            }
            print(orjson.dumps(ready).decode(), flush=True)

    return event_loop.run(run_until_signalled(Daemon(config), announce))


def _print_token(config: "Config") -> int:
    print(_existing_token(config))
    return 0


def _existing_token(config: "Config") -> str:
    """The desktop token of the data dir; a data dir where no daemon ever started has none.
    A damaged one is refused, named: the daemon replaces it when it starts."""
    from privatefolio_daemon.config import ConfigError
    from privatefolio_daemon.server.credentials import read_token

    token = read_token(config.token_file)
    if token is None:
        raise ConfigError(
            f"There is no desktop token in {config.data_dir}: no daemon has started on this data "
            "dir. Check --data-dir or DATA_LOCATION, or start the daemon there first."
        )
    return token


async def _call(arguments: "argparse.Namespace") -> int:
    import aiohttp
    import orjson

    from privatefolio_daemon.client import DaemonClient, RpcCallError
    from privatefolio_daemon.config import client_url, load_client_config
    from privatefolio_daemon.token_recipient import NoRecipient, daemon_config

    config = load_client_config(data_dir=arguments.data_dir, port=arguments.port)
    params = [_json_argument(position, text) for position, text in enumerate(arguments.args, 1)]
    token = _existing_token(config)
    try:
        found = daemon_config(config, arguments.url)
        url = arguments.url or client_url(found, "ws")
        async with await DaemonClient.connect(url, token=token) as client:
            result = await client.call(arguments.method, *params)
    except NoRecipient as refused:
        print(f"privatefolio-daemon: {refused}", file=sys.stderr)
        return 1
    except RpcCallError as error:
        print(f"error {error.code}: {error.message}", file=sys.stderr)
        return 1
    except OSError as error:
        print(
            f"privatefolio-daemon: no daemon answers at {url} ({error}). Start one with "
            "`privatefolio-daemon serve` on the same --data-dir.",
            file=sys.stderr,
        )
        return 1
    except aiohttp.ClientError as error:
        print(
            f"privatefolio-daemon: the daemon at {url} closed the connection before it answered "
            f"({error}). Its server log says why.",
            file=sys.stderr,
        )
        return 1
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    return 0


def _json_argument(position: int, text: str) -> Any:
    import shlex

    import orjson

    from privatefolio_daemon.config import ConfigError

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        if text[:1] in ("{", "[", '"'):
            raise ConfigError(f"argument {position} is not JSON: {text} ({error})") from error
        quoted = shlex.quote(orjson.dumps(text).decode())
        raise ConfigError(
            f"argument {position} is not JSON: {text} (a string needs quotes: {quoted})"
        ) from error


if __name__ == "__main__":
    sys.exit(main())
