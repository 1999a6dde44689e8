"""Reading a BPMN or DMN file safely, with a clear answer for every file.

What any file an administrator hands us may be: of any size, in the encoding its XML
declaration names, with comments anywhere, with a DOCTYPE that declares entities (XXE), a DMN
of version 1.1 to 1.3, names too long for the database, a call activity calling its own process.
Each is read here or refused with a DocumentError naming the line and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.dmn.parser.BpmnDmnParser import XSD_DIR

from .errors import clean_message
from .expressions import BPMN_NS, element_label

MAX_FILE_BYTES = 2 * 1024 * 1024
BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml", ".bpmn2")
DMN_SUFFIXES = (".dmn", ".dmn11.xml", ".dmn12.xml", ".dmn13.xml")

DMN11 = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"
DMN12 = "http://www.omg.org/spec/DMN/20180521/MODEL/"
DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
# Namespaces tools write for the same versions (bpmn.io, Camunda, Trisotech): read as these.
DMN_NAMESPACES = {
    DMN11: DMN11,
    "http://www.omg.org/spec/DMN/20151101/dmn11.xsd": DMN11,
    DMN12: DMN12,
    DMN12.rstrip("/"): DMN12,
    DMN13: DMN13,
    DMN13.rstrip("/"): DMN13,
    "http://www.omg.org/spec/DMN/20191111/MODEL/": DMN13,
}

# Column lengths of the names a deploy stores (workflows.models): checked before storing.
MAX_PROCESS_ID = 200
MAX_NAME = 200
MAX_FILENAME = 300
MAX_LANE = 100


class DocumentError(ValueError):
    def __init__(self, reason: str, element: str = "", line: int | str = "") -> None:
        self.reason = reason
        self.element = element
        self.line = line
        super().__init__(reason)


def kind_of_file(name: str) -> str | None:
    """ "bpmn", "dmn", or None for a name with neither suffix (in any case)."""
    lower = name.lower()
    if lower.endswith(BPMN_SUFFIXES):
        return "bpmn"
    if lower.endswith(DMN_SUFFIXES):
        return "dmn"
    return None


def read_file(path: Path) -> bytes:
    """The file's bytes, refused past MAX_FILE_BYTES before reading it whole."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DocumentError(_too_large(size))
    return path.read_bytes()


def _too_large(size: int) -> str:
    return _("the file is %(size)s bytes; the limit is %(limit)s") % {
        "size": f"{size:,}",
        "limit": f"{MAX_FILE_BYTES:,}",
    }


def _parser() -> etree.XMLParser:
    # No entities, no DTD, no network: an external entity is never fetched nor expanded.
    # Comments and processing instructions dropped: SpiffWorkflow reads an element's
    # `.text`, which stops at the first comment (a script cut short, or None).
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
    )


def parse_xml(content: bytes) -> etree._Element:
    """The document's root, parsed in the encoding its declaration names."""
    if len(content) > MAX_FILE_BYTES:
        raise DocumentError(_too_large(len(content)))
    if not content.strip():
        raise DocumentError(_("the file is empty"))
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise DocumentError(
            _("malformed XML: %(error)s") % {"error": exc.msg}, line=exc.lineno or ""
        ) from None
    except (ValueError, LookupError, RecursionError, MemoryError) as exc:
        reason = _("the file cannot be read as XML: %(error)s") % {"error": exc}
        raise DocumentError(reason) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise DocumentError(
            _("a DOCTYPE declaration (entities and DTDs are not allowed in BPMN or DMN files)"),
            line=1,
        )
    return root


def document_text(content: bytes, root: etree._Element) -> str:
    """The document as text for storage: as written when it is UTF-8, else re-encoded (the
    declaration naming another encoding dropped, since the text is then UTF-8)."""
    encoding = (root.getroottree().docinfo.encoding or "utf-8").lower()
    if encoding in ("utf-8", "utf8", "ascii", "us-ascii"):
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    try:
        text = content.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return etree.tostring(root, encoding="unicode")
    return re.sub(r"^\ufeff?\s*<\?xml[^>]*\?>", "", text, count=1)


def text_bytes(text: str) -> bytes:
    return text.encode("utf-8")


# DMN


@lru_cache(maxsize=8)
def _dmn_schema(namespace: str) -> etree.XMLSchema:
    name = {DMN11: "DMN.xsd", DMN12: "DMN12.xsd", DMN13: "DMN13.xsd"}[namespace]
    tree = etree.parse(str(Path(XSD_DIR) / name))
    if namespace != DMN11:
        # SpiffWorkflow's DMN 1.2/1.3 schemas import a DMNDI schema that does not declare
        # DMNDI (the 1.2 one fails to load): diagram interchange is skipped instead, it
        # draws the table and holds no rule.
        xsd = "http://www.w3.org/2001/XMLSchema"
        for node in list(tree.iter(f"{{{xsd}}}import")):
            node.getparent().remove(node)
        for node in list(tree.iter(f"{{{xsd}}}element")):
            if (node.get("ref") or "").startswith("dmndi:"):
                any_node = etree.Element(
                    f"{{{xsd}}}any",
                    namespace="##other",
                    processContents="skip",
                    minOccurs="0",
                    maxOccurs="unbounded",
                )
                node.getparent().replace(node, any_node)
    return etree.XMLSchema(tree)


def prepare_dmn(root: etree._Element) -> etree._Element:
    """A DMN document of version 1.1-1.3, validated, with its namespace where SpiffWorkflow's
    DMN parser looks for it (the default or the `dmn` prefix)."""
    namespace = etree.QName(root).namespace or ""
    version = DMN_NAMESPACES.get(namespace)
    if version is None or etree.QName(root).localname != "definitions":
        raise DocumentError(
            _("not a DMN 1.1, 1.2 or 1.3 document (root element %(root)s)")
            % {"root": _qname(root)},
            line=root.sourceline or 1,
        )
    if version != namespace:
        root = _renamespaced(root, namespace, version)
    schema = _dmn_schema(version)
    if not schema.validate(root):
        error = schema.error_log.last_error
        raise DocumentError(
            _("the DMN document does not follow the DMN schema: %(error)s")
            % {"error": clean(error.message if error else "")},
            line=(error.line if error else "") or "",
        )
    decisions = root.findall(f"{{{version}}}decision")
    if not decisions or decisions[0].find(f"{{{version}}}decisionTable") is None:
        raise DocumentError(
            _("the DMN document has no decision table (SpiffWorkflow runs decision tables only)"),
            line=root.sourceline or 1,
        )
    _check_rule_shapes(decisions[0].find(f"{{{version}}}decisionTable"), version)
    if root.nsmap.get(None) != version and root.nsmap.get("dmn") != version:
        # SpiffWorkflow's DMN parser finds the namespace only as the root's default or its
        # `dmn` prefix: a root declaring it so, holding the same children.
        nsmap = {k: v for k, v in root.nsmap.items() if k not in (None, "dmn")}
        renamed = etree.Element(root.tag, attrib=dict(root.attrib), nsmap={**nsmap, "dmn": version})
        renamed.text = root.text
        renamed.extend(list(root))
        root = renamed
    return root


def _check_rule_shapes(table: etree._Element, namespace: str) -> None:
    """Each rule has no more input and output entries than the table has columns (the
    parser indexes the columns by the entries' positions)."""
    inputs = len(table.findall(f"{{{namespace}}}input"))
    outputs = len(table.findall(f"{{{namespace}}}output"))
    for rule in table.iterfind(f"{{{namespace}}}rule"):
        for tag, columns in (("inputEntry", inputs), ("outputEntry", outputs)):
            entries = len(rule.findall(f"{{{namespace}}}{tag}"))
            if entries > columns:
                raise DocumentError(
                    _(
                        "the rule has %(entries)s %(tag)s cells "
                        "but the table has %(columns)s columns"
                    )
                    % {"entries": entries, "tag": tag, "columns": columns},
                    element=element_label(rule),
                    line=rule.sourceline or "",
                )


def _renamespaced(root: etree._Element, old: str, new: str) -> etree._Element:
    text = etree.tostring(root, encoding="unicode").replace(f'"{old}"', f'"{new}"')
    return etree.fromstring(text.encode(), parser=_parser())


def _qname(node: etree._Element) -> str:
    qname = etree.QName(node)
    return f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname


# What SpiffWorkflow parses on top of the schema


def check_names(root: etree._Element, filename: str) -> None:
    """Every name a deploy or a running process stores fits its column."""
    if len(filename) > MAX_FILENAME:
        raise DocumentError(
            _("the file name is %(length)s characters long; the limit is %(limit)s")
            % {"length": len(filename), "limit": MAX_FILENAME}
        )
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        lane = etree.QName(node).localname == "lane"
        for attribute, limit in (("id", MAX_PROCESS_ID), ("name", MAX_LANE if lane else MAX_NAME)):
            value = node.get(attribute) or ""
            if len(value) > limit:
                raise DocumentError(
                    _("the %(attribute)s is %(length)s characters long; the limit is %(limit)s")
                    % {"attribute": attribute, "length": len(value), "limit": limit},
                    element=element_label(node)[:120],
                    line=node.sourceline or "",
                )


def check_references(root: etree._Element) -> None:
    """Every sequence flow joins two elements of its process (the schema leaves references
    unchecked, and SpiffWorkflow drops a flow from an element that does not exist)."""
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        ids = {node.get("id") for node in process.iter() if isinstance(node.tag, str)}
        for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            for attribute in ("sourceRef", "targetRef"):
                ref = flow.get(attribute) or ""
                if ref not in ids:
                    raise DocumentError(
                        _("the %(attribute)s “%(ref)s” names no element of the process")
                        % {"attribute": attribute, "ref": ref[:120]},
                        element=element_label(flow),
                        line=flow.sourceline or "",
                    )


@dataclass(frozen=True)
class CallGraph:
    calls: dict[str, list[tuple[str, etree._Element]]]

    @classmethod
    def of(cls, root: etree._Element) -> CallGraph:
        calls: dict[str, list[tuple[str, etree._Element]]] = {}
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            called = [
                (node.get("calledElement") or "", node)
                for node in process.iter(f"{{{BPMN_NS}}}callActivity")
            ]
            calls[process.get("id") or ""] = called
        return cls(calls)

    def check_no_recursion(self) -> None:
        """A call activity may not call its own process, directly or through others."""
        done: set[str] = set()
        for start in self.calls:
            path: list[str] = []
            self._walk(start, path, set(), done)

    def _walk(self, process: str, path: list[str], on_path: set[str], done: set[str]) -> None:
        if process in done or process not in self.calls:
            return
        path.append(process)
        on_path.add(process)
        for called, node in self.calls[process]:
            if called in on_path:
                chain = " → ".join([*path[path.index(called) :], called])
                raise DocumentError(
                    _("the call activity makes the process call itself (%(chain)s)")
                    % {"chain": chain},
                    element=element_label(node),
                    line=node.sourceline or "",
                )
            self._walk(called, path, on_path, done)
        path.pop()
        on_path.discard(process)
        done.add(process)


clean = clean_message
