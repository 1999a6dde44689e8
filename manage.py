#!/usr/bin/env python
"""Django's command-line utility for OneDoor."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# platform/ is a source root, not a package: a platform/__init__.py would shadow the
# standard-library `platform` module (uuid imports it) and crash every command.
sys.path.insert(0, str(Path(__file__).resolve().parent / "platform"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onedoor.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
