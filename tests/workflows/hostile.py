"""Small BPMN and DMN documents with one expression or script put where SpiffWorkflow
evaluates it: the sandbox tests and the corpus generator (tests/workflows/corpus/make.py)
build their hostile files from these."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' id="defs" targetNamespace="http://onedoor.example/corpus">\n'
)
TAIL = "</bpmn:definitions>\n"


def process(body: str, process_id: str = "hostile", extra: str = "") -> str:
    """A process start → `body` (an element "step" between flows in_flow and out_flow) → end.

    (A plain bpmn:task waits for a person in SpiffWorkflow: automatic steps are script tasks.)"""
    return (
        HEAD + extra + f'  <bpmn:process id="{process_id}" isExecutable="true">\n'
        '    <bpmn:startEvent id="start"><bpmn:outgoing>in_flow</bpmn:outgoing></bpmn:startEvent>\n'
        f"{body}\n"
        '    <bpmn:endEvent id="end"><bpmn:incoming>out_flow</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="in_flow" sourceRef="start" targetRef="step" />\n'
        '    <bpmn:sequenceFlow id="out_flow" sourceRef="step" targetRef="end" />\n'
        "  </bpmn:process>\n" + TAIL
    )


def _flows() -> str:
    return "<bpmn:incoming>in_flow</bpmn:incoming><bpmn:outgoing>out_flow</bpmn:outgoing>"


def script(source: str, process_id: str = "hostile") -> str:
    return process(
        f'    <bpmn:scriptTask id="step">{_flows()}'
        f"<bpmn:script>{escape(source)}</bpmn:script></bpmn:scriptTask>",
        process_id,
    )


def pre_script(source: str, which: str = "preScript") -> str:
    """A user task's pre-script (run as it opens) or post-script (run as it completes)."""
    return process(
        f'    <bpmn:userTask id="step"><bpmn:extensionElements>'
        f"<spiffworkflow:{which}>{escape(source)}</spiffworkflow:{which}>"
        f"</bpmn:extensionElements>{_flows()}</bpmn:userTask>"
    )


def conditional_event(expression: str) -> str:
    return process(
        f'    <bpmn:intermediateCatchEvent id="step">{_flows()}'
        '<bpmn:conditionalEventDefinition id="step_condition">'
        f'<bpmn:condition xsi:type="bpmn:tFormalExpression">{escape(expression)}</bpmn:condition>'
        "</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>"
    )


def correlation(expression: str) -> str:
    extra = '  <bpmn:message id="msg" name="hostile_message" />\n'
    return process(
        f'    <bpmn:intermediateCatchEvent id="step">{_flows()}'
        '<bpmn:messageEventDefinition id="step_message" messageRef="msg">'
        "<bpmn:extensionElements><spiffworkflow:processVariableCorrelation>"
        "<spiffworkflow:propertyId>case_key</spiffworkflow:propertyId>"
        f"<spiffworkflow:expression>{escape(expression)}</spiffworkflow:expression>"
        "</spiffworkflow:processVariableCorrelation></bpmn:extensionElements>"
        "</bpmn:messageEventDefinition></bpmn:intermediateCatchEvent>",
        extra=extra,
    )


def gateway_condition(expression: str) -> str:
    return (
        HEAD + '  <bpmn:process id="hostile" isExecutable="true">\n'
        '    <bpmn:startEvent id="start"><bpmn:outgoing>in_flow</bpmn:outgoing></bpmn:startEvent>\n'
        '    <bpmn:exclusiveGateway id="step" default="no_flow"><bpmn:incoming>in_flow</bpmn:incoming>'
        "<bpmn:outgoing>yes_flow</bpmn:outgoing><bpmn:outgoing>no_flow</bpmn:outgoing>"
        "</bpmn:exclusiveGateway>\n"
        '    <bpmn:endEvent id="yes"><bpmn:incoming>yes_flow</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:endEvent id="no"><bpmn:incoming>no_flow</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="in_flow" sourceRef="start" targetRef="step" />\n'
        '    <bpmn:sequenceFlow id="yes_flow" sourceRef="step" targetRef="yes">'
        f"<bpmn:conditionExpression>{escape(expression)}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>\n"
        '    <bpmn:sequenceFlow id="no_flow" sourceRef="step" targetRef="no" />\n'
        "  </bpmn:process>\n" + TAIL
    )


def loop(condition: str) -> str:
    """A BPMN cycle with no wait: count = count + 1 while `condition` holds."""
    return (
        HEAD + '  <bpmn:process id="hostile" isExecutable="true">\n'
        '    <bpmn:startEvent id="start"><bpmn:outgoing>in_flow</bpmn:outgoing></bpmn:startEvent>\n'
        '    <bpmn:scriptTask id="init"><bpmn:incoming>in_flow</bpmn:incoming>'
        "<bpmn:outgoing>init_flow</bpmn:outgoing><bpmn:script>count = 0</bpmn:script>"
        "</bpmn:scriptTask>\n"
        '    <bpmn:scriptTask id="step"><bpmn:incoming>init_flow</bpmn:incoming>'
        "<bpmn:incoming>again_flow</bpmn:incoming><bpmn:outgoing>test_flow</bpmn:outgoing>"
        "<bpmn:script>count = count + 1</bpmn:script></bpmn:scriptTask>\n"
        '    <bpmn:exclusiveGateway id="again" default="out_flow">'
        "<bpmn:incoming>test_flow</bpmn:incoming><bpmn:outgoing>again_flow</bpmn:outgoing>"
        "<bpmn:outgoing>out_flow</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        '    <bpmn:endEvent id="end"><bpmn:incoming>out_flow</bpmn:incoming></bpmn:endEvent>\n'
        '    <bpmn:sequenceFlow id="in_flow" sourceRef="start" targetRef="init" />\n'
        '    <bpmn:sequenceFlow id="init_flow" sourceRef="init" targetRef="step" />\n'
        '    <bpmn:sequenceFlow id="test_flow" sourceRef="step" targetRef="again" />\n'
        '    <bpmn:sequenceFlow id="again_flow" sourceRef="again" targetRef="step">'
        f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>\n"
        '    <bpmn:sequenceFlow id="out_flow" sourceRef="again" targetRef="end" />\n'
        "  </bpmn:process>\n" + TAIL
    )


def timer(kind: str, expression: str) -> str:
    return process(
        f'    <bpmn:intermediateCatchEvent id="step">{_flows()}'
        f'<bpmn:timerEventDefinition id="step_timer"><bpmn:{kind}>{escape(expression)}'
        f"</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )


def multi_instance(cardinality: str | None = None, completion: str | None = None) -> str:
    inner = ""
    if cardinality is not None:
        inner += f"<bpmn:loopCardinality>{escape(cardinality)}</bpmn:loopCardinality>"
    else:
        inner += "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
        inner += '<bpmn:inputDataItem id="item" name="item" />'
    if completion is not None:
        inner += f"<bpmn:completionCondition>{escape(completion)}</bpmn:completionCondition>"
    return process(
        f'    <bpmn:scriptTask id="step">{_flows()}'
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="true">{inner}'
        "</bpmn:multiInstanceLoopCharacteristics><bpmn:script>done = True</bpmn:script>"
        "</bpmn:scriptTask>"
    )


def user_task_property(expression: str, name: str = "candidateGroup") -> str:
    return process(
        f'    <bpmn:userTask id="step"><bpmn:extensionElements><spiffworkflow:properties>'
        f"<spiffworkflow:property name={quoteattr(name)} value={quoteattr(expression)} />"
        f"</spiffworkflow:properties></bpmn:extensionElements>{_flows()}</bpmn:userTask>"
    )


def call_activity(process_ids: list[str]) -> str:
    """Processes each calling the next, the last calling the first (a recursion)."""
    parts = [HEAD]
    for index, pid in enumerate(process_ids):
        called = process_ids[(index + 1) % len(process_ids)]
        parts.append(
            f'  <bpmn:process id="{pid}" isExecutable="true">\n'
            f'    <bpmn:startEvent id="{pid}_start"><bpmn:outgoing>{pid}_in</bpmn:outgoing>'
            "</bpmn:startEvent>\n"
            f'    <bpmn:callActivity id="{pid}_call" calledElement="{called}">'
            f"<bpmn:incoming>{pid}_in</bpmn:incoming><bpmn:outgoing>{pid}_out</bpmn:outgoing>"
            "</bpmn:callActivity>\n"
            f'    <bpmn:endEvent id="{pid}_end"><bpmn:incoming>{pid}_out</bpmn:incoming>'
            "</bpmn:endEvent>\n"
            f'    <bpmn:sequenceFlow id="{pid}_in" sourceRef="{pid}_start" targetRef="{pid}_call" />\n'
            f'    <bpmn:sequenceFlow id="{pid}_out" sourceRef="{pid}_call" targetRef="{pid}_end" />\n'
            "  </bpmn:process>\n"
        )
    parts.append(TAIL)
    return "".join(parts)


DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def business_rule(decision_id: str = "hostile_decision") -> str:
    return process(
        f'    <bpmn:businessRuleTask id="step"><bpmn:extensionElements>'
        f"<spiffworkflow:calledDecisionId>{decision_id}</spiffworkflow:calledDecisionId>"
        f"</bpmn:extensionElements>{_flows()}</bpmn:businessRuleTask>"
    )


def dmn(
    output_entry: str = '"medical"',
    input_entry: str = '"dibao"',
    input_expression: str = "classification",
    namespace: str = DMN13,
    decision_id: str = "hostile_decision",
) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<definitions xmlns="{namespace}" id="hostile_dmn" name="Hostile" '
        'namespace="http://onedoor.example/dmn">\n'
        f'  <decision id="{decision_id}" name="Decide">\n'
        '    <decisionTable id="table">\n'
        '      <input id="in1" label="classification">'
        f'<inputExpression id="in1_expr" typeRef="string"><text>{escape(input_expression)}</text>'
        "</inputExpression></input>\n"
        '      <output id="out1" name="item" typeRef="string" />\n'
        '      <rule id="rule1">'
        f'<inputEntry id="rule1_in"><text>{escape(input_entry)}</text></inputEntry>'
        f'<outputEntry id="rule1_out"><text>{escape(output_entry)}</text></outputEntry></rule>\n'
        "    </decisionTable>\n"
        "  </decision>\n"
        "</definitions>\n"
    )
