"""Deploying BPMN/DMN files: read, validate, and store immutable versions by content hash.

Every file gets a clear answer: it deploys, or a DefinitionError names the file, the element,
the line and the reason (workflows.documents reads files safely, workflows.expressions
compiles every expression with the sandbox). Nothing is stored unless every file passes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from . import handlers
from .diagram import without_diagram
from .documents import MAX_FILE_BYTES as MAX_FILE_BYTES  # an upload's limit is deploy's
from .documents import (
    CallGraph,
    DocumentError,
    check_names,
    check_references,
    clean,
    document_text,
    kind_of_file,
    parse_xml,
    prepare_dmn,
    read_file,
    text_bytes,
)
from .errors import causes
from .expressions import BPMN_NS, SPIFF_NS, ExpressionRefused, check_document, element_label
from .models import Actor, ProcessDefinition, actor_id
from .runtime import ParsedDefinition

# SpiffWorkflow validates a DMN against its own schema for the namespace; ours are checked
# by workflows.documents.prepare_dmn (its 1.2 schema does not load). A mapping that matches
# no namespace turns its check off (an empty one would mean "the defaults").
_NO_DMN_SCHEMAS = {"urn:onedoor:dmn-checked-on-deploy": ""}


class DefinitionError(Exception):
    """A BPMN/DMN file that cannot be deployed: says which file, which element, and why."""

    def __init__(self, filename: str, reason: str, element: str = "", line: int | str = "") -> None:
        self.filename = filename
        self.element = clean(element)
        self.line = line
        self.reason = clean(reason)
        where = filename
        if element:
            where += _(": element “%(element)s”") % {"element": self.element}
        if line:
            where += _(" (line %(line)s)") % {"line": line}
        super().__init__(f"{where}: {self.reason}")


@dataclass(frozen=True)
class DeployResult:
    definition: ProcessDefinition
    created: bool


def _from_document_error(filename: str, exc: DocumentError) -> DefinitionError:
    return DefinitionError(filename, exc.reason, exc.element, exc.line)


def _definition_error(exc: ValidationException, filename: str) -> DefinitionError:
    """SpiffWorkflow's validation error, as ours: file, element, line, reason."""
    return DefinitionError(
        exc.file_name or filename,
        str(exc.args[0] if exc.args else exc),
        f"{exc.id} ({exc.tag})" if getattr(exc, "id", "") else "",
        getattr(exc, "line_number", ""),
    )


def _new_parser() -> SpiffBpmnParser:
    return SpiffBpmnParser(validator=VALIDATOR, dmn_schemas=_NO_DMN_SCHEMAS)


def _parse_failure(filename: str, exc: BaseException, element: str = "") -> DefinitionError:
    # SpiffWorkflow's parser reports a RecursionError inside its own ValidationException.
    if any(isinstance(e, RecursionError) for e in causes(exc)) or "RecursionError" in str(exc):
        return DefinitionError(
            filename,
            _(
                "the process chains too many elements one after another for the parser; "
                "split it into subprocesses or call activities"
            ),
            element,
        )
    if isinstance(exc, ValidationException):
        return _definition_error(exc, filename)
    return DefinitionError(
        filename,
        _("cannot parse the process (%(error)s)")
        % {"error": f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__},
        element,
    )


def _add_documents(
    parser: SpiffBpmnParser,
    filename: str,
    root: etree._Element,
    dmn: dict[str, etree._Element],
) -> None:
    for dmn_name, dmn_root in dmn.items():
        try:
            parser.add_dmn_xml(dmn_root, filename=dmn_name)
        except Exception as exc:  # any parser failure becomes an answer
            raise _parse_failure(dmn_name, exc) from None
    try:
        parser.add_bpmn_xml(etree.ElementTree(without_diagram(root)), filename=filename)
    except Exception as exc:
        raise _parse_failure(filename, exc) from None


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
    except Exception as exc:  # the parser raises plain errors for some models
        raise _parse_failure(filename, exc, process_id) from None
    return ParsedDefinition(spec=spec, subprocess_specs=subprocess_specs)


def _read(filename: str, content: bytes) -> etree._Element:
    try:
        return parse_xml(content)
    except DocumentError as exc:
        raise _from_document_error(filename, exc) from None


def _read_dmn(
    filename: str, text: str | bytes, *, check: bool = True
) -> tuple[str, etree._Element]:
    """A DMN document as stored (text) and as the parser takes it (its expressions checked
    unless it is a stored one being parsed again: the sandbox holds those when they run)."""
    content = text_bytes(text) if isinstance(text, str) else text
    root = _read(filename, content)
    stored = document_text(content, root)
    try:
        root = prepare_dmn(root)
        if check:
            check_document(root)
    except DocumentError as exc:
        raise _from_document_error(filename, exc) from None
    except ExpressionRefused as exc:
        raise DefinitionError(filename, exc.reason, exc.element, exc.line) from None
    return stored, root


def parse_definition(definition: ProcessDefinition) -> ParsedDefinition:
    """Parse a stored definition version (for the spec cache)."""
    parser = _new_parser()
    root = _read(definition.filename, text_bytes(definition.source))
    dmn = {
        name: _read_dmn(name, text, check=False)[1]
        for name, text in definition.dependencies.items()
    }
    _add_documents(parser, definition.filename, root, dmn)
    return _parse_spec(parser, definition.filename, definition.process_id)


def _check_service_operators(filename: str, root: etree._Element) -> None:
    for node in root.iter(f"{{{SPIFF_NS}}}serviceTaskOperator"):
        operator = node.get("id", "")
        if handlers.get(operator) is None:
            raise DefinitionError(
                filename,
                _("no handler registered for service “%(operator)s”") % {"operator": operator},
                element_label(node),
                node.sourceline or "",
            )


def validate_document(
    filename: str, content: bytes, dmn: dict[str, etree._Element]
) -> tuple[str, list[tuple[str, str]]]:
    """Read and check one BPMN document: its text for storage and its executable
    (process id, name) pairs."""
    root = _read(filename, content)
    if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        raise DefinitionError(
            filename,
            _("not a BPMN 2.0 document (the root element is not bpmn:definitions)"),
            line=root.sourceline or 1,
        )
    try:
        check_names(root, filename)
        check_references(root)
        CallGraph.of(root).check_no_recursion()
        check_document(root)
    except DocumentError as exc:
        raise _from_document_error(filename, exc) from None
    except ExpressionRefused as exc:
        raise DefinitionError(filename, exc.reason, exc.element, exc.line) from None
    _check_service_operators(filename, root)
    parser = _new_parser()
    _add_documents(parser, filename, root, dmn)
    processes = _executable_process_ids(root)
    if not processes:
        raise DefinitionError(filename, _('no process with isExecutable="true" in the file'))
    for process_id, _name in processes:
        _parse_spec(parser, filename, process_id)
    return document_text(content, root), processes


Checked = list[tuple[str, bytes, str, list[tuple[str, str]]]]


def content_hash(content: bytes, dmn: dict[str, str]) -> str:
    digest = hashlib.sha256(content)
    for name in sorted(dmn):
        digest.update(b"\0" + name.encode() + b"\0" + dmn[name].encode())
    return digest.hexdigest()


def deploy_files(paths: list[Path], *, replace: bool = False) -> list[DeployResult]:
    """Validate every file first, then store new versions; a broken file stores nothing.

    DMN files in `paths` are parsed together with every BPMN file (business-rule tasks may
    reference them) and become part of each BPMN definition's content hash. A process id
    that a definition from another file already has is refused unless `replace`.
    """
    documents: list[tuple[str, bytes]] = []
    dmn: dict[str, bytes] = {}
    for path in paths:
        kind = kind_of_file(path.name)
        if kind is None:
            raise DefinitionError(
                path.name, _("not a BPMN or DMN file (the name must end in .bpmn or .dmn)")
            )
        try:
            content = read_file(path)
        except DocumentError as exc:
            raise _from_document_error(path.name, exc) from None
        except OSError as exc:
            raise DefinitionError(
                path.name, _("cannot read the file (%(error)s)") % {"error": exc.strerror}
            ) from None
        if kind == "dmn":
            dmn[path.name] = content
        else:
            documents.append((path.name, content))
    return deploy_documents(documents, dmn, replace=replace)


def check_documents(
    documents: list[tuple[str, bytes]],
    dmn: dict[str, str] | dict[str, bytes],
) -> tuple[Checked, dict[str, str]]:
    """Every check deploy_documents makes before it stores anything: (file name, content,
    text for storage, executable processes) per BPMN document, and the DMN as stored."""
    if dmn and not documents:
        names = ", ".join(sorted(dmn))
        raise DefinitionError(
            names,
            _(
                "a DMN file is deployed with the BPMN files whose business-rule tasks use it: "
                "give them together"
            ),
        )
    read_dmn = {name: _read_dmn(name, text) for name, text in dmn.items()}
    stored_dmn = {name: text for name, (text, _root) in read_dmn.items()}
    parsed_dmn = {name: root for name, (_text, root) in read_dmn.items()}
    checked = [
        (name, content, *validate_document(name, content, parsed_dmn))
        for name, content in documents
    ]
    _check_ids_unique_across_files(checked)
    return checked, stored_dmn


def deploy_documents(
    documents: list[tuple[str, bytes]],
    dmn: dict[str, str] | dict[str, bytes],
    *,
    replace: bool = False,
    actor: Actor = None,
) -> list[DeployResult]:
    """deploy_files for documents in memory: (file name, content) pairs and DMN by name.
    `actor`, a user, is recorded as who deployed the new versions."""
    checked, stored_dmn = check_documents(documents, dmn)
    results: list[DeployResult] = []
    with transaction.atomic():
        for filename, content, text, processes in checked:
            digest = content_hash(content, stored_dmn)
            for process_id, name in processes:
                results.append(
                    _store_version(
                        process_id,
                        name,
                        filename,
                        text,
                        stored_dmn,
                        digest,
                        replace=replace,
                        actor=actor,
                    )
                )
    return results


def _check_ids_unique_across_files(checked: Checked) -> None:
    owner: dict[str, str] = {}
    for filename, _content, _text, processes in checked:
        for process_id, _name in processes:
            other = owner.setdefault(process_id, filename)
            if other != filename:
                raise DefinitionError(
                    filename,
                    _("the process id “%(id)s” is also defined in %(other)s")
                    % {"id": process_id, "other": other},
                )


def _store_version(
    process_id: str,
    name: str,
    filename: str,
    text: str,
    dmn: dict[str, str],
    digest: str,
    *,
    replace: bool,
    actor: Actor = None,
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
    _check_owner(latest, process_id, filename, replace=replace)
    definition = ProcessDefinition.objects.create(
        process_id=process_id,
        name=name,
        version=(latest.version + 1) if latest else 1,
        content_hash=digest,
        filename=filename,
        source=text,
        dependencies=dmn,
        deployed_by_id=actor_id(actor),
    )
    return DeployResult(definition, created=True)


def _check_owner(
    latest: ProcessDefinition | None, process_id: str, filename: str, *, replace: bool
) -> None:
    if latest is not None and latest.filename != filename and not replace:
        # Another file owns this id: a new version from it would send new cases down an
        # unrelated process. The administrator says so when it is meant (--replace).
        raise DefinitionError(
            filename,
            _(
                "the process id “%(id)s” belongs to %(other)s (version %(version)s); deploy "
                "with --replace if this file is to replace it"
            )
            % {"id": process_id, "other": latest.filename, "version": latest.version},
        )


@dataclass(frozen=True)
class Preview:
    """A version a deploy would store (unsaved), the newest stored one it would follow (None
    for a new process), and the parsed specs, for the difference shown before confirming."""

    definition: ProcessDefinition
    latest: ProcessDefinition | None
    parsed: ParsedDefinition

    @property
    def unchanged(self) -> bool:
        return self.latest is not None and self.latest.content_hash == self.definition.content_hash


def preview_documents(
    documents: list[tuple[str, bytes]],
    dmn: dict[str, str] | dict[str, bytes],
    *,
    replace: bool = False,
) -> list[Preview]:
    """What deploy_documents would store, checked the same way (check_documents and the
    ownership rule), stored nowhere."""
    checked, stored_dmn = check_documents(documents, dmn)
    previews = []
    for filename, content, text, processes in checked:
        digest = content_hash(content, stored_dmn)
        for process_id, name in processes:
            latest = (
                ProcessDefinition.objects.filter(process_id=process_id).order_by("-version").first()
            )
            if latest is None or latest.content_hash != digest:
                _check_owner(latest, process_id, filename, replace=replace)
            definition = ProcessDefinition(
                process_id=process_id,
                name=name,
                version=(latest.version + 1) if latest else 1,
                content_hash=digest,
                filename=filename,
                source=text,
                dependencies=stored_dmn,
            )
            previews.append(Preview(definition, latest, parse_definition(definition)))
    return previews


def latest_definition(process_id: str) -> ProcessDefinition:
    definition = (
        ProcessDefinition.objects.filter(process_id=process_id).order_by("-version").first()
    )
    if definition is None:
        raise ProcessDefinition.DoesNotExist(
            _("The process “%(id)s” is not deployed") % {"id": process_id}
        )
    return definition
