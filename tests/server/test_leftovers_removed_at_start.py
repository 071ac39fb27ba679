"""What work cut off by a stop or a crash leaves on disk is removed at the next start."""

from pathlib import Path

from tests.conftest import make_config, offline_daemon


async def test_scratch_files_of_cut_off_work_are_removed_at_start(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")
    daemon = offline_daemon(config)
    await daemon.start()
    try:
        await daemon.accounts.create("main")
        files_dir = daemon.accounts.files_dir("main")
        databases = daemon.accounts.databases_dir
    finally:
        await daemon.stop()
    shards = files_dir / ".import-k2j4"
    shards.mkdir(parents=True)
    (shards / "shard-0.sqlite").write_bytes(b"x" * 1000)
    (files_dir / ".upload-3-ab12").write_bytes(b"half")
    (files_dir / "3").write_bytes(b"a finished upload stays")
    scratch = databases / ".main-trades.scratch"
    scratch.write_bytes(b"x")
    scratch.with_name(".main-trades.scratch-journal").write_bytes(b"x")

    daemon = offline_daemon(config)
    await daemon.start()
    try:
        assert sorted(path.name for path in files_dir.iterdir()) == ["3"]
        assert not list(databases.glob(".main-trades.scratch*"))
    finally:
        await daemon.stop()
