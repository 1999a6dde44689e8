"""Every expression and script of a BPMN or DMN document, compiled at deploy.

The places are those SpiffWorkflow's parsers read and its specs evaluate (read in
SpiffWorkflow 3.2's bpmn/, spiff/ and dmn/ parsers): whatever the tag, each goes through
workflows.safety.restricted_code, as it will at run time. A refusal names the file, the
element (the nearest ancestor with an id), the line in the file and the construct.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _
from lxml import etree

from .safety import Mode, UnsafeExpression, restricted_code
from .timerbounds import TIME_CYCLE, TIME_DATE, TIME_DURATION, check_timer_value

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _spiff(tag: str) -> str:
    return f"{{{SPIFF_NS}}}{tag}"


# Elements whose text SpiffWorkflow evaluates ("eval") or runs ("exec").
TEXT_SOURCES: dict[str, Mode] = {
    _bpmn("conditionExpression"): "eval",  # sequence flows out of gateways and tasks
    _bpmn("condition"): "eval",  # conditional events
    _bpmn("completionCondition"): "eval",  # multi-instance, ad-hoc processes
    _bpmn("loopCardinality"): "eval",
    _bpmn("loopCondition"): "eval",
    _bpmn(TIME_DATE): "eval",
    _bpmn(TIME_DURATION): "eval",
    _bpmn(TIME_CYCLE): "eval",
    _bpmn("script"): "exec",
    _spiff("preScript"): "exec",
    _spiff("postScript"): "exec",
    _spiff("messagePayload"): "eval",
    _spiff("payloadExpression"): "eval",  # signal, error and escalation payloads
    _spiff("expression"): "eval",  # processVariableCorrelation
}
# Attributes SpiffWorkflow evaluates: service-task parameters; task properties (the engine
# evaluates candidateGroup, dueAt ... on every user task).
ATTRIBUTE_SOURCES = {(_spiff("parameter"), "value"), (_spiff("property"), "value")}
# Elements naming a variable SpiffWorkflow writes into task data.
VARIABLE_NAMES = {
    _spiff("messageVariable"),
    _spiff("variableName"),
    _bpmn("loopDataInputRef"),
    _bpmn("loopDataOutputRef"),
}
_TIMER_KINDS = {_bpmn(kind): kind for kind in (TIME_DATE, TIME_DURATION, TIME_CYCLE)}


@dataclass(frozen=True)
class Source:
    """One expression or script of a document, where it stands."""

    text: str
    mode: Mode
    node: etree._Element
    line: int  # the document's line where the text starts


class ExpressionRefused(ValueError):
    def __init__(self, element: str, line: int, reason: str) -> None:
        self.element = element
        self.line = line
        self.reason = reason
        super().__init__(reason)


def element_label(node: etree._Element) -> str:
    """The nearest id at or above `node` (a condition's id is its sequence flow's), with the
    tag of `node`."""
    tag = etree.QName(node).localname
    ident = node.get("id") or ""
    parent = node
    while not ident and parent is not None:
        parent = parent.getparent()
        ident = (parent.get("id") or "") if parent is not None else ""
    return f"{ident} ({tag})" if ident else tag


def _text_line(node: etree._Element) -> int:
    return node.sourceline or 1


def _sources(root: etree._Element) -> Iterator[Source]:
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        mode = TEXT_SOURCES.get(node.tag)
        if mode is None and node.tag == _bpmn("formalExpression"):
            parent = node.getparent()
            if parent is not None and etree.QName(parent).localname.startswith(
                "correlationPropertyRetrievalExpression"
            ):
                mode = "eval"
        if mode is not None and node.text and node.text.strip():
            yield Source(node.text, mode, node, _text_line(node))
        for tag, attribute in ATTRIBUTE_SOURCES:
            if node.tag == tag and node.get(attribute):
                yield Source(node.get(attribute, ""), "eval", node, _text_line(node))
    yield from _dmn_sources(root)


def _dmn_sources(root: etree._Element) -> Iterator[Source]:
    """DMN cells, in the forms SpiffWorkflow's DMNEngine evaluates them."""
    for table in root.iter("{*}decisionTable"):
        inputs = [(_first_text(i, "inputExpression") or "") for i in table.iterchildren("{*}input")]
        for node in table.iter("{*}inputExpression"):
            text = _first_text(node, None)
            if text:
                yield Source(text, "eval", node, _text_line(node))
        for rule in table.iterchildren("{*}rule"):
            entries = list(rule.iterchildren("{*}inputEntry"))
            for index, entry in enumerate(entries):
                text = _first_text(entry, "text")
                if not text or text == "-":
                    continue
                expression = inputs[index] if index < len(inputs) else ""
                yield Source(_dmn_match(expression, text), "eval", entry, _text_line(entry))
            for entry in rule.iterchildren("{*}outputEntry"):
                text = _first_text(entry, "text")
                if text and text.strip():
                    yield Source(text, "eval", entry, _text_line(entry))


def _first_text(node: etree._Element, child: str | None) -> str | None:
    if child is None:
        target: etree._Element | None = node.find("{*}text")
    else:
        target = node.find(f"{{*}}{child}")
        if target is not None and child != "text":
            target = target.find("{*}text")
    return target.text if target is not None and target.text else None


_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def _dmn_match(input_expression: str, entry: str) -> str:
    """What DMNEngine.evaluate gives the script engine for an input entry."""
    if _QUESTION_MARK.search(entry):
        return _QUESTION_MARK.sub("dmninputexpr", entry)
    try:
        ast.parse(entry.strip(), mode="eval")
    except SyntaxError:
        return f"{input_expression}{entry}"
    return f"({input_expression}) == ({entry})"


def check_document(root: etree._Element) -> int:
    """Compile every expression and script of the document; raise ExpressionRefused at the
    first the sandbox refuses. Returns how many were checked."""
    count = 0
    for source in _sources(root):
        try:
            restricted_code(source.text, source.mode)
        except UnsafeExpression as exc:
            # The text of an element starts on its tag's line; a script's line N is N-1 below.
            first_line = source.text.lstrip("\n") if source.mode == "exec" else source.text
            offset = len(source.text) - len(first_line)
            line = source.line + source.text[:offset].count("\n") + exc.line - 1
            raise ExpressionRefused(
                element_label(source.node),
                line,
                _("“%(source)s”: %(construct)s")
                % {"source": _excerpt(source.text), "construct": exc.construct},
            ) from None
        count += 1
        _check_constant_timer(source)
    _check_variable_names(root)
    return count


def _excerpt(text: str, limit: int = 80) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _check_constant_timer(source: Source) -> None:
    kind = _TIMER_KINDS.get(str(source.node.tag))
    if kind is None:
        return
    try:
        value = ast.literal_eval(source.text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return  # computed from task data: checked when it is evaluated
    reason = check_timer_value(kind, value)
    if reason:
        raise ExpressionRefused(element_label(source.node), source.line, reason)


def _check_variable_names(root: etree._Element) -> None:
    for node in root.iter():
        if isinstance(node.tag, str) and node.tag in VARIABLE_NAMES and node.text:
            name = node.text.strip()
            if name and (not name.isidentifier() or name.startswith("_")):
                raise ExpressionRefused(
                    element_label(node),
                    _text_line(node),
                    _("“%(name)s” cannot name a variable (a name starting with “_”, or not a name)")
                    % {"name": _excerpt(name)},
                )
