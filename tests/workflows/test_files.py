"""A clear answer to every file: encodings, suffixes, DMN versions, comments, entities, parse
errors, deep chains, process ids owned by another file; and the engine API's own errors."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from tests.conftest import complete, open_task, start_case
from tests.workflows import hostile
from workflows import engine
from workflows.definitions import DefinitionError, deploy_documents, deploy_files
from workflows.errors import InstanceNotFound, InvalidTaskData, TaskNotFound
from workflows.models import ProcessDefinition, ProcessInstance
from workflows.runtime import spec_cache

pytestmark = pytest.mark.django_db


def end_data(instance: ProcessInstance) -> dict[str, Any]:
    workflow = engine.load(instance)
    [end] = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "end"]
    return dict(end.data)


def run(process_id: str = "hostile", **data: Any) -> ProcessInstance:
    spec_cache.clear()  # each run parses the stored text again, as a fresh worker would
    instance = engine.start_process(process_id, subject_type="test", subject_id=1, data=data)
    assert instance.state == ProcessInstance.State.COMPLETED
    return instance


@pytest.mark.parametrize("encoding", ["UTF-16", "ISO-8859-1", "GB18030", "UTF-8"])
def test_a_file_is_read_in_the_encoding_its_declaration_names(db: None, encoding: str) -> None:
    label = "Bénéfice" if encoding == "ISO-8859-1" else "临时救助"
    text = hostile.script(f'label = "{label}"').replace(
        'encoding="UTF-8"', f'encoding="{encoding}"'
    )
    [result] = deploy_documents([("encoded.bpmn", text.encode(encoding))], {})
    assert label in result.definition.source
    assert end_data(run())["label"] == label


@pytest.mark.parametrize("name", ["UPPER.BPMN", "modeler.bpmn20.xml", "Mixed.Bpmn"])
def test_any_case_of_suffix_and_bpmn20_xml_deploy(db: None, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(hostile.script("x = 1"), encoding="utf-8")
    [result] = deploy_files([path])
    assert result.created and result.definition.filename == name


def test_the_command_deploys_every_file_of_the_folder_whatever_its_suffix_case(
    db: None, tmp_path: Path
) -> None:
    (tmp_path / "A.BPMN").write_text(hostile.script("x = 1", process_id="upper"))
    (tmp_path / "b.bpmn20.xml").write_text(hostile.script("x = 2", process_id="modeler"))
    (tmp_path / "notes.txt").write_text("not a process")
    out = StringIO()
    with override_settings(ONEDOOR_BPMN_DIR=str(tmp_path)):
        call_command("deploy_processes", stdout=out)
    deployed = ProcessDefinition.objects.exclude(filename="one_door.bpmn")
    assert set(deployed.values_list("process_id", flat=True)) == {"upper", "modeler"}


def test_a_file_with_another_suffix_is_refused_with_its_reason(db: None, tmp_path: Path) -> None:
    path = tmp_path / "process.xml"
    path.write_text(hostile.script("x = 1"))
    with translation.override("en"), pytest.raises(DefinitionError, match="must end in .bpmn"):
        deploy_files([path])


def test_a_dmn_alone_is_refused_with_its_reason(db: None, tmp_path: Path) -> None:
    path = tmp_path / "decide.DMN"
    path.write_text(hostile.dmn())
    with translation.override("en"), pytest.raises(DefinitionError) as exc:
        deploy_files([path])
    assert exc.value.filename == "decide.DMN"
    assert "with the BPMN files" in exc.value.reason


@pytest.mark.parametrize(
    "namespace",
    [
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "http://www.omg.org/spec/DMN/20191111/MODEL/",
    ],
)
def test_dmn_1_1_to_1_3_deploy_and_decide(db: None, namespace: str) -> None:
    dmn = {"decide.dmn": hostile.dmn(namespace=namespace)}
    deploy_documents([("rule.bpmn", hostile.business_rule().encode())], dmn)
    assert end_data(run(classification="dibao"))["item"] == "medical"


def test_a_dmn_with_a_prefixed_namespace_deploys(db: None) -> None:
    text = (
        hostile.dmn()
        .replace(
            'xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"',
            'xmlns:d="https://www.omg.org/spec/DMN/20191111/MODEL/"',
        )
        .replace("<", "<d:")
        .replace("<d:/", "</d:")
        .replace("<d:?xml", "<?xml")
    )
    deploy_documents([("rule.bpmn", hostile.business_rule().encode())], {"decide.dmn": text})
    assert end_data(run(classification="dibao"))["item"] == "medical"


def test_a_dmn_of_an_unknown_version_is_refused_with_its_reason(db: None) -> None:
    dmn = {"decide.dmn": hostile.dmn(namespace="http://example.org/not-dmn")}
    with translation.override("en"), pytest.raises(DefinitionError) as exc:
        deploy_documents([("rule.bpmn", hostile.business_rule().encode())], dmn)
    assert exc.value.filename == "decide.dmn" and "DMN 1.1, 1.2 or 1.3" in exc.value.reason


def test_comments_anywhere_even_inside_a_script_are_ignored(db: None) -> None:
    text = hostile.script("x = 1\ny = x + 1").replace(
        "<bpmn:script>x = 1\ny", "<bpmn:script><!-- first -->x = 1<!-- why -->\ny"
    )
    text = text.replace("<bpmn:process", "<!-- a comment before the process -->\n<bpmn:process")
    deploy_documents([("commented.bpmn", text.encode())], {})
    assert end_data(run())["y"] == 2


XXE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
)


def test_an_external_entity_is_refused_in_bpmn_and_in_dmn(db: None) -> None:
    bpmn = hostile.script("x = '&secret;'").replace('<?xml version="1.0" encoding="UTF-8"?>\n', XXE)
    with translation.override("en"), pytest.raises(DefinitionError, match="DOCTYPE"):
        deploy_documents([("xxe.bpmn", bpmn.encode())], {})
    dmn = hostile.dmn(output_entry="'&secret;'").replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n', XXE
    )
    with translation.override("en"), pytest.raises(DefinitionError, match="DOCTYPE"):
        deploy_documents([("rule.bpmn", hostile.business_rule().encode())], {"x.dmn": dmn})
    assert ProcessDefinition.objects.exclude(filename="one_door.bpmn").count() == 0


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('<bpmn:scriptTask id="step">', '<bpmn:scriptTask id="step"><bpmn:nonsense />'),
        ('sourceRef="step"', 'sourceRef="nowhere"'),
        ("</bpmn:process>", "</bpmn:proces>"),
    ],
)
def test_a_parse_or_schema_error_names_a_line_and_shows_no_python_repr(
    db: None, old: str, new: str
) -> None:
    text = hostile.script("x = 1").replace(old, new, 1)
    with pytest.raises(DefinitionError) as exc:
        deploy_documents([("broken.bpmn", text.encode())], {})
    assert exc.value.line
    for raw in ("Traceback", "0x", "<Element"):
        assert raw not in str(exc.value)


def chain(length: int) -> str:
    tasks = "".join(
        f'<bpmn:scriptTask id="t{i}"><bpmn:incoming>f{i}</bpmn:incoming>'
        f"<bpmn:outgoing>f{i + 1}</bpmn:outgoing><bpmn:script>n = {i}</bpmn:script>"
        f'</bpmn:scriptTask><bpmn:sequenceFlow id="f{i + 1}" sourceRef="t{i}" '
        f'targetRef="{f"t{i + 1}" if i + 1 < length else "end"}" />'
        for i in range(length)
    )
    return (
        hostile.HEAD + '<bpmn:process id="chain" isExecutable="true">'
        '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="t0" />'
        + tasks
        + f'<bpmn:endEvent id="end"><bpmn:incoming>f{length}</bpmn:incoming></bpmn:endEvent>'
        "</bpmn:process>" + hostile.TAIL
    )


def test_a_chain_too_deep_for_the_parser_gets_a_clear_message(db: None) -> None:
    with translation.override("en"), pytest.raises(DefinitionError) as exc:
        deploy_documents([("chain.bpmn", chain(2000).encode())], {})
    assert "too many elements one after another" in exc.value.reason


def test_a_process_id_another_file_owns_is_refused_naming_both_files(db: None) -> None:
    deploy_documents([("first.bpmn", hostile.script("x = 1").encode())], {})
    with translation.override("en"), pytest.raises(DefinitionError) as exc:
        deploy_documents([("second.bpmn", hostile.script("x = 2").encode())], {})
    assert exc.value.filename == "second.bpmn" and "first.bpmn" in exc.value.reason
    assert ProcessDefinition.objects.exclude(filename="one_door.bpmn").count() == 1
    [replaced] = deploy_documents(
        [("second.bpmn", hostile.script("x = 2").encode())], {}, replace=True
    )
    assert replaced.created and replaced.definition.version == 2


def test_two_files_of_one_deploy_with_the_same_process_id_are_refused(db: None) -> None:
    documents = [
        ("first.bpmn", hostile.script("x = 1").encode()),
        ("second.bpmn", hostile.script("x = 2").encode()),
    ]
    with translation.override("en"), pytest.raises(DefinitionError, match="first.bpmn"):
        deploy_documents(documents, {})


def test_the_command_replaces_only_when_told(db: None, tmp_path: Path) -> None:
    first, second = tmp_path / "first.bpmn", tmp_path / "second.bpmn"
    first.write_text(hostile.script("x = 1"))
    second.write_text(hostile.script("x = 2"))
    call_command("deploy_processes", str(first), stdout=StringIO())
    with pytest.raises(CommandError, match="first.bpmn"):
        call_command("deploy_processes", str(second), stdout=StringIO())
    # Refused: the first file is still the process's only version.
    hostile_versions = ProcessDefinition.objects.filter(process_id="hostile")
    assert list(hostile_versions.values_list("filename", flat=True)) == ["first.bpmn"]
    call_command("deploy_processes", str(second), "--replace", stdout=StringIO())
    newest = hostile_versions.latest("version")
    assert newest.filename == "second.bpmn" and "x = 2" in newest.source


def test_completing_split_case_with_no_data_is_invalid_task_data(one_door: None, alice) -> None:
    case = start_case(1, alice)
    complete(case, "review_application", alice, accepted=True)
    task = open_task(case, "split_case")
    with translation.override("en"), pytest.raises(InvalidTaskData) as exc:
        engine.complete_task(task.task_id, actor=alice, data={})
    assert "split_case" in str(exc.value) or "分办转办" in str(exc.value)
    for raw in ("Traceback", "0x", "<Element"):
        assert raw not in str(exc.value)
    # Nothing was saved: the task is still open for a correct answer.
    assert open_task(case, "split_case").task_id == task.task_id


def test_the_engine_api_answers_bad_ids_with_its_own_errors(db: None) -> None:
    with pytest.raises(TaskNotFound):
        engine.complete_task("not-a-task-id", actor=None, data={})
    with pytest.raises(InstanceNotFound):
        engine.send_message(999_999_999, "anything")
    with pytest.raises(TaskNotFound):
        engine.task_data("not-a-task-id")
    with pytest.raises(InvalidTaskData) as exc:
        engine.start_process("hostile", subject_type="t", subject_id=1, data={object(): 1})  # type: ignore[dict-item]
    assert " at 0x" not in str(exc.value)
