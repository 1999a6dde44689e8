"""The layout guard: platform/ is a source root and must never become a package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_platform_is_not_a_package() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists(), (
        "platform/__init__.py shadows the standard-library 'platform' module; remove it"
    )


def test_standard_library_platform_still_works_beside_the_source_root() -> None:
    code = "import sys; sys.path.insert(0, 'platform'); import platform, uuid; print(platform.system())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip()


def test_no_folder_in_the_source_root_shadows_a_standard_library_module() -> None:
    names = {p.name for p in (ROOT / "platform").iterdir() if p.is_dir() or p.suffix == ".py"}
    assert not names & set(sys.stdlib_module_names)


def test_manage_py_runs() -> None:
    out = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr


def test_top_level_is_the_one_the_design_card_fixes() -> None:
    for name in [
        "workflows",
        "bpmn",
        "platform",
        "templates",
        "tests",
        "manage.py",
        "pyproject.toml",
    ]:
        assert (ROOT / name).exists(), name
