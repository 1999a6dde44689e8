"""Every shipped process has a diagram that draws exactly its elements, and drawing never
changes what a process does."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from lxml import etree

from tests.conftest import TEST_BPMN
from tools.bpmn_layout import LayoutError, with_diagram
from workflows.definitions import deploy_documents
from workflows.diagram import diagram_problems
from workflows.engine import start_process
from workflows.models import HumanTask

SHIPPED = sorted(Path(settings.ONEDOOR_BPMN_DIR).rglob("*.bpmn"))


def _root(text: str | bytes) -> etree._Element:
    return etree.fromstring(text if isinstance(text, bytes) else text.encode())


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_process_has_a_diagram_of_exactly_its_elements(path: Path) -> None:
    assert diagram_problems(_root(path.read_bytes())) == []


def test_the_check_names_what_is_missing_extra_or_doubled() -> None:
    text = (Path(settings.ONEDOOR_BPMN_DIR) / "one_door.bpmn").read_text(encoding="utf-8")
    undrawn = text.replace('bpmnElement="close_case"', 'bpmnElement="close_case_old"')
    problems = diagram_problems(_root(undrawn))
    assert "close_case（userTask）：图中未画出" in problems
    assert "close_case_old：图中画出，但流程中没有该元素" in problems
    doubled = text.replace('bpmnElement="case_closed"', 'bpmnElement="close_case"')
    assert "close_case：图中画了 2 次" in diagram_problems(_root(doubled))
    flow_as_shape = text.replace('bpmnElement="case_closed"', 'bpmnElement="flow_to_close"')
    assert "flow_to_close：连线被画成了图形" in diagram_problems(_root(flow_as_shape))
    assert diagram_problems(_root((TEST_BPMN / "timer_service.bpmn").read_bytes())) == [
        "没有流程图（缺少 bpmndi:BPMNDiagram）"
    ]


def test_the_layout_tool_draws_a_file_without_a_diagram_and_keeps_its_text() -> None:
    original = (TEST_BPMN / "one_door_transfer_approval.bpmn").read_text(encoding="utf-8")
    laid_out = with_diagram(original)
    assert diagram_problems(_root(laid_out)) == []
    # The process text is untouched: only namespaces and the diagram are added.
    body = original[original.index("<bpmn:process") :]
    assert body[: body.rindex("</bpmn:definitions>")] in laid_out
    assert with_diagram(laid_out) == laid_out  # laying out again gives the same drawing


TWO_POOLS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:collaboration id="c">
    <bpmn:participant id="window" name="窗口" processRef="a" />
    <bpmn:participant id="meeting" name="联席会议" processRef="b" />
    <bpmn:messageFlow id="topic" sourceRef="submit" targetRef="received" />
  </bpmn:collaboration>
  <bpmn:process id="a" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="submit" />
    <bpmn:sendTask id="submit" name="提交议题"><bpmn:incoming>f1</bpmn:incoming></bpmn:sendTask>
  </bpmn:process>
  <bpmn:process id="b" isExecutable="false">
    <bpmn:startEvent id="received"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="g1" sourceRef="received" targetRef="meet" />
    <bpmn:subProcess id="meet" name="会议"><bpmn:incoming>g1</bpmn:incoming>
      <bpmn:userTask id="decide" name="议定" /></bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>
"""


def test_the_layout_tool_stacks_pools_and_draws_message_flows() -> None:
    root = _root(with_diagram(TWO_POOLS))
    assert diagram_problems(root) == []
    shapes = {
        s.get("bpmnElement"): s.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
        for s in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape")
    }
    assert float(shapes["meeting"].get("y")) >= float(shapes["window"].get("y")) + float(
        shapes["window"].get("height")
    )


def test_the_layout_tool_refuses_a_nested_subprocess_with_the_reason() -> None:
    nested = TWO_POOLS.replace(
        '<bpmn:userTask id="decide" name="议定" />',
        '<bpmn:subProcess id="decide"><bpmn:task id="inner" /></bpmn:subProcess>',
    )
    with pytest.raises(LayoutError, match="subprocess decide inside subprocess meet"):
        with_diagram(nested)


@pytest.mark.django_db
def test_deploy_warns_about_a_file_without_a_diagram_and_deploys_it(tmp_path: Path) -> None:
    path = tmp_path / "timer_service.bpmn"
    path.write_bytes((TEST_BPMN / "timer_service.bpmn").read_bytes())
    out, err = StringIO(), StringIO()
    call_command("deploy_processes", str(path), stdout=out, stderr=err)
    assert "：新版本" in out.getvalue()
    assert "timer_service.bpmn" in err.getvalue() and "没有流程图" in err.getvalue()
    out, err = StringIO(), StringIO()
    call_command("deploy_processes", stdout=out, stderr=err)
    assert err.getvalue() == ""


# Both conditions hold; the engine tries the gateway's flows in document order (first_flow
# first), and the diagram draws the second target above the first. SpiffWorkflow alone would
# follow the drawing (it sorts outgoing flows by their targets' y): the engine must not.
OVERLAPPING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d" targetNamespace="t">
  <bpmn:process id="overlap" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>to_gateway</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="to_gateway" sourceRef="start" targetRef="choose" />
    <bpmn:exclusiveGateway id="choose" default="fallback">
      <bpmn:incoming>to_gateway</bpmn:incoming>
      <bpmn:outgoing>first_flow</bpmn:outgoing><bpmn:outgoing>second_flow</bpmn:outgoing>
      <bpmn:outgoing>fallback</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="first_flow" sourceRef="choose" targetRef="first">
      <bpmn:conditionExpression>True</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="second_flow" sourceRef="choose" targetRef="second">
      <bpmn:conditionExpression>True</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fallback" sourceRef="choose" targetRef="second" />
    <bpmn:userTask id="first"><bpmn:incoming>first_flow</bpmn:incoming></bpmn:userTask>
    <bpmn:userTask id="second"><bpmn:incoming>second_flow</bpmn:incoming>
      <bpmn:incoming>fallback</bpmn:incoming></bpmn:userTask>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="overlap">
    <bpmndi:BPMNShape id="first_di" bpmnElement="first"><dc:Bounds x="300" y="400" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="second_di" bpmnElement="second"><dc:Bounds x="300" y="100" width="100" height="80" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


@pytest.mark.django_db
def test_moving_a_shape_does_not_change_which_way_a_gateway_goes() -> None:
    [result] = deploy_documents([("overlap.bpmn", OVERLAPPING.encode())], {})
    instance = start_process(result.definition.process_id, subject_type="test", subject_id="1")
    assert list(HumanTask.objects.filter(instance=instance).values_list("bpmn_id", flat=True)) == [
        "first"
    ]
