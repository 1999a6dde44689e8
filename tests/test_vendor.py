"""Vendored front-end builds: exactly the files `make vendor` fetched, with their licenses, and
the pages load that version (no CDN)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"


def test_vendored_files_match_their_recorded_hashes() -> None:
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    assert lines
    recorded = {}
    for line in lines:
        digest, name = line.split(maxsplit=1)
        recorded[name.lstrip("*")] = digest
    on_disk = {
        str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file() and p.parent != VENDOR
    }
    assert on_disk == set(recorded), "a vendored file is not in SHA256SUMS, or one is missing"
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    for package in {name.split("/")[0] for name in recorded}:
        assert (VENDOR / package / "LICENSE").is_file(), package


def test_the_pages_load_the_vendored_version_and_keep_the_watermark() -> None:
    scripts = (ROOT / "templates" / "cases" / "_process_scripts.html").read_text()
    for path in re.findall(r"static '(vendor/[^']+)'", scripts):
        assert (ROOT / "static" / path).is_file(), path
    assert "http" not in scripts
    version = re.search(r"^BPMN_JS_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert version is not None and f"vendor/bpmn-js-{version.group(1)}/" in scripts
    # bpmn-js's license: the bpmn.io watermark stays fully visible.
    for css in (ROOT / "static").rglob("*.css"):
        if "vendor" not in css.parts:
            assert "bjs-powered-by" not in css.read_text(), css
