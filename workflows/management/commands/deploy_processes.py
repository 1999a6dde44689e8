from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from lxml import etree

from workflows.definitions import DefinitionError, deploy_files
from workflows.diagram import diagram_problems
from workflows.documents import kind_of_file


class Command(BaseCommand):
    help = "部署 BPMN/DMN 流程文件（默认 bpmn/ 下全部）。Deploy BPMN/DMN files (default: bpmn/*)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help=(
                "文件中的流程 ID 已属于另一个文件时，以本文件替换它。"
                "Let a file replace the process of the same id from another file."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = options["files"]
        if not files:
            root = Path(settings.ONEDOOR_BPMN_DIR)
            # Any case of suffix, and .bpmn20.xml: a file of the folder is never skipped
            # for how its name is spelled.
            files = sorted(p for p in root.rglob("*") if p.is_file() and kind_of_file(p.name))
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise CommandError(f"文件不存在 (no such file): {', '.join(missing)}")
        try:
            results = deploy_files(files, replace=options["replace"])
        except DefinitionError as exc:
            raise CommandError(
                f"部署失败，未作任何更改 (deploy failed, nothing stored): {exc}"
            ) from exc
        for result in results:
            d = result.definition
            status = "新版本 new version" if result.created else "未变化 unchanged"
            self.stdout.write(f"{d.process_id} v{d.version} ({d.filename}): {status}")
        # A file runs without a diagram, but nobody can see its path: deploy it, and say so.
        for path in files:
            if path.suffix != ".bpmn":
                continue
            root = etree.fromstring(
                path.read_bytes(), parser=etree.XMLParser(resolve_entities=False)
            )
            for problem in diagram_problems(root):
                self.stderr.write(
                    f"警告 warning: {path.name}: 流程图 diagram: {problem} "
                    "(tools/bpmn_layout.py lays it out; see docs/diagrams.md)"
                )
