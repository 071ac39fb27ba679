"""Where a server task's log lives: one file per task in the account's logs directory."""

from pathlib import Path


def task_log_path(logs_dir: Path, task_id: int) -> Path:
    """Where a task's progress lines go: ``<logs>/<account>/server_task_<id>.log``."""
    return logs_dir / f"server_task_{task_id}.log"
