"""``token`` and ``call`` on the command line: a data dir without a token, arguments not JSON."""

import signal
import subprocess
import sys
from pathlib import Path

from tests.backup.test_restore_cli_interrupted import ctrl_c_as_in_a_terminal
from tests.daemon_process import clean_environment, cli, running_daemon


def no_token_message(data_dir: Path) -> str:
    return (
        f"privatefolio-daemon: There is no desktop token in {data_dir}: no daemon has started on "
        "this data dir. Check --data-dir or DATA_LOCATION, or start the daemon there first.\n"
    )


def test_token_of_a_data_dir_where_no_daemon_started_is_refused(tmp_path: Path) -> None:
    typo = tmp_path / "dtaa"
    token = cli("token", "--data-dir", str(typo))
    assert (token.returncode, token.stdout, token.stderr) == (2, "", no_token_message(typo))
    called = cli("call", "--data-dir", str(typo), "getAccountNames")
    assert (called.returncode, called.stdout, called.stderr) == (2, "", no_token_message(typo))
    assert not typo.exists()


def test_token_prints_the_token_of_the_daemon_of_the_data_dir(tmp_path: Path) -> None:
    with running_daemon(tmp_path / "data") as (_, ready):
        token = cli("token", "--data-dir", str(tmp_path / "data"))
    assert token.returncode == 0
    assert token.stdout == Path(ready["tokenFile"]).read_text().strip() + "\n"


def test_an_argument_that_is_not_json_is_named_by_its_position(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    unquoted = cli("call", "--data-dir", data_dir, "setValue", '"main"', "marker", "1")
    assert unquoted.returncode == 2
    assert unquoted.stderr == (
        "privatefolio-daemon: argument 2 is not JSON: marker (a string needs quotes: "
        "'\"marker\"')\n"
    )
    broken = cli("call", "--data-dir", data_dir, "setValue", "{main: 1}")
    assert broken.returncode == 2
    assert broken.stderr.startswith("privatefolio-daemon: argument 1 is not JSON: {main: 1} (")
    assert "a string needs quotes" not in broken.stderr


def test_call_on_a_data_dir_without_a_daemon_sends_its_token_to_no_other(tmp_path: Path) -> None:
    other = tmp_path / "other"
    (other / "auth").mkdir(parents=True)
    (other / "auth" / "token").write_text("0123456789abcdef" * 4)  # no daemon runs on it
    with running_daemon(tmp_path / "data") as (_, ready):
        port = str(ready["port"])
        called = cli("call", "--data-dir", str(other), "--port", port, "getAccountNames")
    assert (called.returncode, called.stdout) == (1, "")
    assert called.stderr == (
        f"privatefolio-daemon: no daemon runs on {other}. Start one with `privatefolio-daemon "
        "serve` on the same --data-dir.\n"
    )


def test_call_and_backup_find_a_daemon_listening_on_ipv6_loopback(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_daemon(data_dir, "--host", "::1"):
        created = cli("call", "--data-dir", str(data_dir), "createAccount", '"main"')
        names = cli("call", "--data-dir", str(data_dir), "getAccountNames")
        backup = cli("backup", "main", "--data-dir", str(data_dir), "-o", str(tmp_path / "b.zip"))
    assert created.returncode == 0, created.stderr
    assert (names.returncode, names.stdout) == (0, '[\n  "main"\n]\n'), names.stderr
    assert backup.returncode == 0, backup.stderr
    assert (tmp_path / "b.zip").stat().st_size > 0


def test_flags_alone_start_the_daemon_and_a_wrong_flag_shows_its_commands_usage(
    tmp_path: Path,
) -> None:
    with running_daemon(tmp_path / "data", command=None) as (_, ready):
        assert ready["dataDir"] == str(tmp_path / "data")
    wrong = cli("serve", "--bogus")
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr.startswith("usage: privatefolio-daemon serve [-h]")
    assert wrong.stderr.endswith(
        "privatefolio-daemon serve: error: unrecognized arguments: --bogus\n"
    )


def test_ctrl_c_stops_a_call_without_a_traceback(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_daemon(data_dir, "--no-crons") as (_, ready):
        at = ["--port", str(ready["port"]), "--data-dir", str(data_dir)]
        assert cli("call", *at, "createAccount", '"main"').returncode == 0
        assert cli("call", *at, "enqueueSleep", '"main"', "600").returncode == 0
        waiting = subprocess.Popen(  # a backup waits behind the running task
            [sys.executable, "-m", "privatefolio_daemon", "call", *at, "enqueueBackup", '"main"'],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_environment(),
            preexec_fn=ctrl_c_as_in_a_terminal,
        )
        try:
            queued = "[]"
            for _ in range(600):
                queued = cli("call", *at, "getTaskQueue", '"main"').stdout
                if '"Backup"' in queued:
                    break
            assert '"Backup"' in queued
            waiting.send_signal(signal.SIGINT)
            stdout, stderr = waiting.communicate(timeout=30)
        finally:  # no process outlives the test
            if waiting.poll() is None:
                waiting.kill()
                waiting.communicate(timeout=30)
    assert (waiting.returncode, stdout, stderr) == (130, "", "privatefolio-daemon: Interrupted.\n")


def test_a_flag_the_environment_overrides_is_named(tmp_path: Path) -> None:
    with running_daemon(tmp_path / "data") as (_, ready):
        token = subprocess.run(
            [sys.executable, "-m", "privatefolio_daemon", "token", "--data-dir", "elsewhere"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**clean_environment(), "DATA_LOCATION": str(tmp_path / "data")},
        )
    assert token.stdout == Path(ready["tokenFile"]).read_text().strip() + "\n"
    assert token.stderr == (
        f"DATA_LOCATION={tmp_path / 'data'} is used: the environment wins over --data-dir "
        "elsewhere\n"
    )
    same = subprocess.run(
        [
            sys.executable,
            "-m",
            "privatefolio_daemon",
            "token",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**clean_environment(), "DATA_LOCATION": f"{tmp_path / 'data'}/"},
    )
    assert (same.stdout, same.stderr) == (token.stdout, "")  # one folder, written two ways
