from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from lxml import etree

from workflows.definitions import DefinitionError, deploy_files
from workflows.diagram import diagram_problems
from workflows.documents import kind_of_file


class Command(BaseCommand):
    help = "部署 BPMN/DMN 流程文件（默认部署 bpmn/ 下的全部文件）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="文件中的流程 ID 已属于另一个文件时，以本文件替换它。",
        )

    def execute(self, *args: Any, **options: Any) -> Any:
        """From the command line, a refusal is its message alone (Django would put the
        English "CommandError:" before it); call_command still raises it."""
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            from_command_line = getattr(self, "_called_from_command_line", False)
            if not from_command_line or options.get("traceback"):
                raise
            self.stderr.write(str(exc))
            sys.exit(exc.returncode)

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = options["files"]
        if not files:
            root = Path(settings.ONEDOOR_BPMN_DIR)
            # Any case of suffix, and .bpmn20.xml: a file of the folder is never skipped
            # for how its name is spelled.
            files = sorted(p for p in root.rglob("*") if p.is_file() and kind_of_file(p.name))
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise CommandError(_("No such file: %(files)s") % {"files": "、".join(missing)})
        try:
            results = deploy_files(files, replace=options["replace"])
        except DefinitionError as exc:
            raise CommandError(
                _("Deploy failed, nothing was stored: %(error)s") % {"error": exc}
            ) from exc
        for result in results:
            d = result.definition
            line = (
                _("%(process)s version %(version)s (%(file)s): new version")
                if result.created
                else _("%(process)s version %(version)s (%(file)s): unchanged")
            )
            self.stdout.write(
                line % {"process": d.process_id, "version": d.version, "file": d.filename}
            )
        # A file runs without a diagram, but nobody can see its path: deploy it, and say so.
        for path in files:
            if path.suffix != ".bpmn":
                continue
            root = etree.fromstring(
                path.read_bytes(), parser=etree.XMLParser(resolve_entities=False)
            )
            for problem in diagram_problems(root):
                self.stderr.write(
                    _(
                        "Warning: %(file)s: diagram: %(problem)s (tools/bpmn_layout.py lays "
                        "it out; see docs/diagrams.md)"
                    )
                    % {"file": path.name, "problem": problem}
                )
