"""Deploying BPMN/DMN files: parse, validate, and store immutable versions by content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from . import handlers
from .diagram import without_diagram
from .models import ProcessDefinition
from .runtime import ParsedDefinition
from .safety import UnsafeExpression, check_expression

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# Elements whose text SpiffWorkflow evaluates as a Python expression, or runs as a script.
EXPRESSION_TAGS = {
    f"{{{BPMN_NS}}}conditionExpression": "eval",
    f"{{{BPMN_NS}}}completionCondition": "eval",
    f"{{{BPMN_NS}}}loopCardinality": "eval",
    f"{{{BPMN_NS}}}loopCondition": "eval",
    f"{{{BPMN_NS}}}timeDate": "eval",
    f"{{{BPMN_NS}}}timeDuration": "eval",
    f"{{{BPMN_NS}}}timeCycle": "eval",
    f"{{{BPMN_NS}}}formalExpression": "eval",
    f"{{{BPMN_NS}}}script": "exec",
    f"{{{SPIFF_NS}}}preScript": "exec",
    f"{{{SPIFF_NS}}}postScript": "exec",
    f"{{{SPIFF_NS}}}messagePayload": "eval",
}
# Attributes holding expressions: (element tag, attribute).
EXPRESSION_ATTRIBUTES = {
    (f"{{{SPIFF_NS}}}parameter", "value"),
    (f"{{{SPIFF_NS}}}property", "value"),
}


class DefinitionError(Exception):
    """A BPMN/DMN file that cannot be deployed: says which file, which element, and why."""

    def __init__(self, filename: str, reason: str, element: str = "", line: int | str = "") -> None:
        self.filename = filename
        self.element = element
        self.line = line
        self.reason = reason
        where = filename
        if element:
            where += f": element '{element}'"
        if line:
            where += f" (line {line})"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class DeployResult:
    definition: ProcessDefinition
    created: bool


def _element_label(node: etree._Element) -> str:
    tag = etree.QName(node).localname
    ident = node.get("id") or ""
    parent = node
    while not ident and parent is not None:  # a condition's id is on its sequence flow
        parent = parent.getparent()
        ident = parent.get("id") if parent is not None else ""
    return f"{ident} ({tag})" if ident else tag


def check_document_expressions(filename: str, root: etree._Element) -> None:
    """Refuse any expression or script in the document that safety.check_expression refuses."""
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        sources: list[tuple[str, str]] = []
        mode = EXPRESSION_TAGS.get(node.tag)
        if mode and node.text and node.text.strip():
            sources.append((node.text, mode))
        for tag, attribute in EXPRESSION_ATTRIBUTES:
            if node.tag == tag and node.get(attribute):
                sources.append((node.get(attribute, ""), "eval"))
        if node.tag == f"{{{SPIFF_NS}}}serviceTaskOperator":
            operator = node.get("id", "")
            if handlers.get(operator) is None:
                raise DefinitionError(
                    filename,
                    f"服务任务的处理程序 '{operator}' 未注册 "
                    f"(no handler registered for service '{operator}')",
                    _element_label(node),
                    node.sourceline or "",
                )
        for source, source_mode in sources:
            try:
                check_expression(source, mode=source_mode)
            except SyntaxError as exc:
                raise DefinitionError(
                    filename,
                    f"表达式语法错误 (syntax error in expression {source.strip()!r}: {exc.msg})",
                    _element_label(node),
                    node.sourceline or "",
                ) from exc
            except UnsafeExpression as exc:
                raise DefinitionError(
                    filename,
                    f"不安全的表达式 {source.strip()!r}: {exc}",
                    _element_label(node),
                    node.sourceline or "",
                ) from exc


def _parse_xml(filename: str, content: bytes) -> etree._Element:
    try:
        return etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise DefinitionError(
            filename, f"XML 格式错误 (malformed XML: {exc.msg})", line=exc.lineno or ""
        ) from exc


def _definition_error(exc: ValidationException, filename: str) -> DefinitionError:
    """SpiffWorkflow's validation error, as ours: file, element, line, reason."""
    return DefinitionError(
        exc.file_name or filename,
        str(exc.args[0] if exc.args else exc),
        f"{exc.id} ({exc.tag})" if getattr(exc, "id", "") else "",
        getattr(exc, "line_number", ""),
    )


def _new_parser() -> SpiffBpmnParser:
    return SpiffBpmnParser(validator=VALIDATOR)


def _add_documents(
    parser: SpiffBpmnParser, filename: str, root: etree._Element, dmn: dict[str, str]
) -> None:
    try:
        for dmn_name, dmn_source in dmn.items():
            parser.add_dmn_xml(etree.fromstring(dmn_source.encode()), filename=dmn_name)
        parser.add_bpmn_xml(etree.ElementTree(without_diagram(root)), filename=filename)
    except ValidationException as exc:
        raise _definition_error(exc, filename) from exc


def _executable_process_ids(root: etree._Element) -> list[tuple[str, str]]:
    return [
        (p.get("id", ""), p.get("name") or "")
        for p in root.iter(f"{{{BPMN_NS}}}process")
        if p.get("isExecutable", "false") == "true"
    ]


def _parse_spec(parser: SpiffBpmnParser, filename: str, process_id: str) -> ParsedDefinition:
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise _definition_error(exc, filename) from exc
    except Exception as exc:  # the parser raises plain errors for some malformed models
        raise DefinitionError(
            filename, f"无法解析流程 (cannot parse process: {exc})", process_id
        ) from exc
    return ParsedDefinition(spec=spec, subprocess_specs=subprocess_specs)


def parse_definition(definition: ProcessDefinition) -> ParsedDefinition:
    """Parse a stored definition version (for the spec cache)."""
    parser = _new_parser()
    root = _parse_xml(definition.filename, definition.source.encode())
    _add_documents(parser, definition.filename, root, definition.dependencies)
    return _parse_spec(parser, definition.filename, definition.process_id)


def validate_document(filename: str, content: bytes, dmn: dict[str, str]) -> list[tuple[str, str]]:
    """Parse and check one BPMN document; return its executable (process id, name) pairs."""
    root = _parse_xml(filename, content)
    check_document_expressions(filename, root)
    for dmn_name, dmn_source in dmn.items():
        check_document_expressions(dmn_name, _parse_xml(dmn_name, dmn_source.encode()))
    parser = _new_parser()
    _add_documents(parser, filename, root, dmn)
    processes = _executable_process_ids(root)
    if not processes:
        raise DefinitionError(
            filename, '文件中没有可执行流程 (no process with isExecutable="true")'
        )
    for process_id, _name in processes:
        _parse_spec(parser, filename, process_id)
    return processes


def content_hash(content: bytes, dmn: dict[str, str]) -> str:
    digest = hashlib.sha256(content)
    for name in sorted(dmn):
        digest.update(b"\0" + name.encode() + b"\0" + dmn[name].encode())
    return digest.hexdigest()


def deploy_files(paths: list[Path]) -> list[DeployResult]:
    """Validate every file first, then store new versions; a broken file stores nothing.

    DMN files in `paths` are parsed together with every BPMN file (business-rule tasks may
    reference them) and become part of each BPMN definition's content hash.
    """
    dmn = {p.name: p.read_text(encoding="utf-8") for p in paths if p.suffix == ".dmn"}
    documents = [(p.name, p.read_bytes()) for p in paths if p.suffix == ".bpmn"]
    return deploy_documents(documents, dmn)


def deploy_documents(documents: list[tuple[str, bytes]], dmn: dict[str, str]) -> list[DeployResult]:
    checked = [
        (name, content, validate_document(name, content, dmn)) for name, content in documents
    ]
    results: list[DeployResult] = []
    with transaction.atomic():
        for filename, content, processes in checked:
            digest = content_hash(content, dmn)
            for process_id, name in processes:
                results.append(_store_version(process_id, name, filename, content, dmn, digest))
    return results


def _store_version(
    process_id: str, name: str, filename: str, content: bytes, dmn: dict[str, str], digest: str
) -> DeployResult:
    # Serialise concurrent deploys of one process id on its newest row.
    latest = (
        ProcessDefinition.objects.select_for_update()
        .filter(process_id=process_id)
        .order_by("-version")
        .first()
    )
    if latest is not None and latest.content_hash == digest:
        return DeployResult(latest, created=False)
    definition = ProcessDefinition.objects.create(
        process_id=process_id,
        name=name,
        version=(latest.version + 1) if latest else 1,
        content_hash=digest,
        filename=filename,
        source=content.decode("utf-8"),
        dependencies=dmn,
    )
    return DeployResult(definition, created=True)


def latest_definition(process_id: str) -> ProcessDefinition:
    definition = (
        ProcessDefinition.objects.filter(process_id=process_id).order_by("-version").first()
    )
    if definition is None:
        raise ProcessDefinition.DoesNotExist(
            f"流程 '{process_id}' 尚未部署 (process '{process_id}' is not deployed)"
        )
    return definition
