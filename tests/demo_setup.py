"""`make demo`'s setup on SQLite, built once per run for tests/test_demo.py and
tests/test_sqlite_live.py (registered as a plugin in tests/conftest.py)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="session")
def demo_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`make demo`'s setup, once per run: migrate, deploy_processes and seed_demo on a SQLite
    file, and what seed_demo printed. Each test works on its own copy (`demo_copy`). Under
    pytest-xdist the first worker to ask builds it and another waits for it (a file lock in
    the run's shared temporary directory)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, above each worker's own
    built, printed = shared / "demo-seeded.sqlite3", shared / "demo-seeded.out"
    with (shared / "demo-seeded.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            building = shared / "demo-building.sqlite3"
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{building}"}
            manage("migrate", "--noinput", env=env)
            manage("deploy_processes", env=env)
            printed.write_text(manage("seed_demo", env=env))
            building.rename(built)
    return built, printed.read_text()


def demo_copy(setup: tuple[Path, str], folder: Path) -> Path:
    """A copy of the seeded demo file of this test's own (the commands exit with the WAL
    checkpointed into the file)."""
    db = folder / "demo.sqlite3"
    shutil.copyfile(setup[0], db)
    return db
