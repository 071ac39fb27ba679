"""A CLI backup made while a scheduled backup waits in the queue: each is its own backup, so the
CLI deleting its server file after the download leaves the scheduled one in place."""

import asyncio
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.backup.test_backup_cli_interrupted import busy_daemon
from tests.daemon_process import clean_environment


async def test_the_scheduled_backup_keeps_its_file(tmp_path: Path) -> None:
    data_dir, output = tmp_path / "data", tmp_path / "main.zip"
    async with busy_daemon(data_dir) as (port, client, sleeping):
        scheduled = asyncio.ensure_future(client.call("enqueueBackup", "main", "cron"))
        command = [sys.executable, "-m", "privatefolio_daemon", "backup", "main"]
        process = await asyncio.create_subprocess_exec(
            *command, "-o", str(output), "--data-dir", str(data_dir), "--port", port,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_environment(),
        )  # fmt: skip
        for _ in range(200):  # the CLI's backup is queued within a second or two
            queued = (await client.call("getTaskQueue", "main"))["queued"]
            if len(queued) == 2:
                break
            await asyncio.sleep(0.05)
        await client.call("cancelTask", "main", sleeping)
        async with asyncio.timeout(60):
            _, stderr = await process.communicate()
            kept = await scheduled

        assert process.returncode == 0, stderr.decode()
        assert [(task["name"], task["trigger"]) for task in queued] == [
            ("Backup", "cron"),
            ("Backup", "user"),
        ]
        files = await client.call("getServerFiles", "main")
        assert [(file["id"], file["status"]) for file in files] == [(kept["id"], "completed")]
    with zipfile.ZipFile(output) as archive:
        assert "manifest.json" in archive.namelist()
    with zipfile.ZipFile(data_dir / "files" / "main" / str(kept["id"])) as archive:
        assert "manifest.json" in archive.namelist()
