"""The layout guard: platform/ is a source root, and the import layers hold."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
from itertools import combinations
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = ROOT / "platform"
# What the domain may use of the engine room (DESIGN §5: deploy, start, complete, message,
# fire timers; the task projections it reads; the service-task registry it fills).
ENGINE_PUBLIC = {
    "workflows.definitions",
    "workflows.diagram",
    "workflows.engine",
    "workflows.errors",
    "workflows.handlers",
    "workflows.incidents",
    "workflows.migration",
    "workflows.models",
    "workflows.signals",
    "workflows.timers",
    "workflows.versions",
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("onedoor", "workflows", exclude_type_checking_imports=True)


def _apps() -> set[str]:
    return {
        f"onedoor.{p.name}"
        for p in (PLATFORM / "onedoor").iterdir()
        if (p / "__init__.py").exists()
    }


def test_platform_is_not_a_package() -> None:
    assert not (PLATFORM / "__init__.py").exists(), (
        "platform/__init__.py shadows the standard-library 'platform' module; remove it"
    )


def test_standard_library_platform_still_wins_beside_the_source_root() -> None:
    code = "import sys; sys.path.insert(0, 'platform'); import platform, uuid; print(platform.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert Path(out.stdout.strip()).parent == Path(sysconfig.get_paths()["stdlib"])


def test_no_folder_in_the_source_root_shadows_a_standard_library_module() -> None:
    names = {p.name for p in PLATFORM.iterdir() if p.is_dir() or p.suffix == ".py"}
    assert not names & set(sys.stdlib_module_names)


def test_manage_py_runs() -> None:
    out = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    # Not a warning either (a warning still exits 0).
    assert "System check identified no issues (0 silenced)." in out.stdout, out.stdout + out.stderr


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run(
        [str(lint_imports), "--no-logo", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(PLATFORM), "PATH": str(lint_imports.parent)},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_every_app_has_its_place_in_the_layers() -> None:
    """A new app must be placed in the layers contract, or nothing checks what it imports."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    placed = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    assert _apps() <= placed, f"not in the layers contract: {sorted(_apps() - placed)}"


def test_no_two_apps_import_each_other(graph: grimp.ImportGraph) -> None:
    """No cycle between the apps, even through an import inside a function."""
    # Seeding the catalogue seeds its time limits: the one upward import (see pyproject.toml).
    graph.remove_import(importer="onedoor.catalogue.seed", imported="onedoor.deadlines.seed")
    cycles = [
        (a, b)
        for a, b in combinations(sorted(_apps()), 2)
        if graph.chain_exists(a, b, as_packages=True) and graph.chain_exists(b, a, as_packages=True)
    ]
    assert not cycles


def test_the_domain_reaches_the_engine_room_only_through_its_public_modules(
    graph: grimp.ImportGraph,
) -> None:
    private = {
        (importer, imported)
        for importer in graph.find_descendants("onedoor")
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported.startswith("workflows") and imported not in ENGINE_PUBLIC | {"workflows"}
    }
    assert not private


def test_the_engine_room_imports_no_domain_code(graph: grimp.ImportGraph) -> None:
    assert not graph.chain_exists("workflows", "onedoor", as_packages=True)
