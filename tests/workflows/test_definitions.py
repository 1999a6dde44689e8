"""Deploying BPMN: idempotence, versions, broken files, and expressions that are refused."""

from __future__ import annotations

import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.conftest import ONE_DOOR, TEST_BPMN, complete, open_task, open_tasks, refer, start_case
from workflows.definitions import DefinitionError, deploy_documents, deploy_files
from workflows.models import ProcessDefinition, ProcessInstance
from workflows.runtime import script_engine
from workflows.sandbox_builtins import SAFE_BUILTINS

pytestmark = pytest.mark.django_db
VARIANT = TEST_BPMN / "one_door_transfer_approval.bpmn"


def stored_versions() -> set[tuple[str, int]]:
    """The definitions stored (the run's baseline deployed bpmn/one_door.bpmn before any test)."""
    return set(ProcessDefinition.objects.values_list("process_id", "version"))


def test_deploying_the_same_file_twice_stores_one_version(db: None) -> None:
    out = StringIO()
    call_command("deploy_processes", stdout=out)
    call_command("deploy_processes", stdout=out)
    assert ProcessDefinition.objects.filter(process_id="one_door").count() == 1
    assert "：未变化" in out.getvalue()


def test_a_changed_file_becomes_a_new_version_and_new_cases_take_it(
    one_door: None, alice, dave
) -> None:
    old_case = start_case(1, alice)
    assert old_case.definition.version == 1
    [result] = deploy_files([VARIANT], replace=True)
    assert result.created and result.definition.version == 2
    new_case = start_case(2, alice)
    assert new_case.definition.version == 2
    # The variant asks the coordinator to approve a transfer: no Python knows about it.
    refer(new_case, alice, {"item": "医疗救助", "agency": "education"})
    complete(new_case, "sign_for_referral", alice, decision="transfer", transfer_to="health")
    approval = open_task(new_case, "approve_transfer")
    assert (approval.lane, approval.candidate_group) == ("coordinator", "130302")
    assert open_tasks(new_case, "sign_for_referral") == []
    complete(new_case, "approve_transfer", dave, approved=True)
    assert open_task(new_case, "sign_for_referral").candidate_group == "health"


def test_a_case_started_on_v1_finishes_on_v1_after_v2_is_deployed(
    one_door: None, alice, bob
) -> None:
    case = start_case(1, alice)
    refer(case, alice, {"item": "医疗救助", "agency": "education"})
    deploy_files([VARIANT], replace=True)
    complete(case, "sign_for_referral", bob, decision="transfer", transfer_to="health")
    # v1 has no approval step: the transfer goes straight to the new agency.
    assert open_tasks(case, "approve_transfer") == []
    complete(case, "sign_for_referral", bob, decision="sign")
    complete(case, "handle_referral", bob, outcome="granted", amount_fen=0, note="")
    complete(case, "notify_applicant", alice)
    complete(case, "close_case", alice)
    case.refresh_from_db()
    assert case.state == ProcessInstance.State.COMPLETED and case.definition.version == 1


def test_going_back_to_an_earlier_file_is_a_new_version(one_door: None) -> None:
    deploy_files([VARIANT], replace=True)
    results = {r.definition.process_id: r for r in deploy_files([ONE_DOOR], replace=True)}
    back = results["one_door"]
    assert back.created and back.definition.version == 3
    # The referral process it calls, in the same file, is unchanged by the variant.
    assert not results["referral_handling"].created


def _broken(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _variant_with(old: str, new: str) -> str:
    text = ONE_DOOR.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def test_malformed_xml_is_refused_with_file_and_line(db: None, tmp_path: Path) -> None:
    before = stored_versions()
    path = _broken(tmp_path, "bad.bpmn", "<bpmn:definitions>\n<oops>\n")
    with pytest.raises(DefinitionError) as exc:
        deploy_files([path])
    assert exc.value.filename == "bad.bpmn" and exc.value.line
    assert stored_versions() == before


def test_a_flow_to_a_missing_element_is_refused_naming_the_element(
    db: None, tmp_path: Path
) -> None:
    before = stored_versions()
    text = _variant_with('targetRef="review_application" />', 'targetRef="no_such_task" />')
    with pytest.raises(DefinitionError) as exc:
        deploy_files([_broken(tmp_path, "one_door.bpmn", text)])
    assert "no_such_task" in str(exc.value) or "flow_to_review" in str(exc.value)
    assert stored_versions() == before


def test_a_broken_file_stores_nothing_even_beside_good_ones(db: None, tmp_path: Path) -> None:
    # The good file is one the run's baseline has not deployed: alone, it would be stored.
    before = stored_versions()
    bad = _broken(tmp_path, "zz_bad.bpmn", "not xml at all")
    with pytest.raises(DefinitionError):
        deploy_files([VARIANT, bad])
    assert stored_versions() == before


def test_the_command_reports_a_broken_file_and_fails(db: None, tmp_path: Path) -> None:
    bad = _broken(tmp_path, "bad.bpmn", "<x/>")
    with pytest.raises(CommandError, match="bad.bpmn"):
        call_command("deploy_processes", str(bad))


def test_an_unknown_service_operator_is_refused(db: None, tmp_path: Path) -> None:
    text = _variant_with('id="deadline.remind"', 'id="deadline.nobody_handles_this"')
    with pytest.raises(DefinitionError, match="deadline.nobody_handles_this"):
        deploy_files([_broken(tmp_path, "one_door.bpmn", text)])


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("accepted == True", '__import__("os").system("touch /tmp/pwned")', "__import__"),
        ("accepted == True", "accepted.__class__", "__class__"),
        ("accepted == True", 'getattr(accepted, "real")', "getattr"),
        ("accepted == True", "open('/etc/passwd').read()", "open"),
        ('referral["agency"] = reroute_to', "import os\nos.system('id')", "import"),
        (
            'referral["agency"] = reroute_to',
            "x = ().__class__.__bases__[0].__subclasses__()",
            "__subclasses__",
        ),
        ("accepted == True", "accepted ==", "syntax"),
        ('value="referral"', 'value="eval(referral)"', "eval"),
        ('<bpmn:timeDate>clock["remind_at"]', "<bpmn:timeDate>exec('1')", "exec"),
    ],
)
def test_unsafe_expressions_are_refused_at_deploy_with_the_reason(
    db: None, tmp_path: Path, old: str, new: str, reason: str
) -> None:
    before = stored_versions()
    text = _variant_with(old, new)
    with translation.override("en"), pytest.raises(DefinitionError) as exc:
        deploy_files([_broken(tmp_path, "evil.bpmn", text)])
    assert reason in str(exc.value)
    assert "evil.bpmn" in str(exc.value)
    assert stored_versions() == before
    assert not Path("/tmp/pwned").exists()


def test_scripts_run_with_restricted_builtins(one_door: None, alice) -> None:
    assert "open" not in SAFE_BUILTINS and "__import__" not in SAFE_BUILTINS
    case = start_case(1, alice)
    task = open_task(case, "review_application")
    from workflows import engine

    workflow = engine.load(case)
    spiff_task = workflow.get_task_from_id(task.task_id)
    assert script_engine.evaluate(spiff_task, "len(township)") == 9
    with pytest.raises(Exception, match="open"):
        script_engine.evaluate(spiff_task, "open('/etc/passwd')")
    # Task data cannot bring the builtins back.
    spiff_task.data["__builtins__"] = __builtins__
    with pytest.raises(Exception, match="__import__"):
        script_engine.evaluate(spiff_task, "__import__('os')")


def test_deploying_documents_in_memory_names_the_document(db: None) -> None:
    with pytest.raises(DefinitionError, match="upload.bpmn"):
        deploy_documents([("upload.bpmn", b"<definitions/>")], {})


CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORDS = re.compile(
    r"\b(new version|unchanged|warning|diagram|deploy failed|nothing stored|no such file|"
    r"CommandError|drawn)\b",
    re.IGNORECASE,
)


def _chinese_lines(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert CJK.search(line), line
        assert not ENGLISH_WORDS.search(line), line
    return lines


def test_deploy_speaks_the_users_language_on_every_line(db: None, tmp_path: Path) -> None:
    path = tmp_path / "timer_service.bpmn"  # no diagram: a warning too
    path.write_bytes((TEST_BPMN / "timer_service.bpmn").read_bytes())
    out, err = StringIO(), StringIO()
    call_command("deploy_processes", str(path), stdout=out, stderr=err)
    call_command("deploy_processes", str(path), stdout=out, stderr=err)
    assert _chinese_lines(out.getvalue()) == [
        "timer_service 第 1 版（timer_service.bpmn）：新版本",
        "timer_service 第 1 版（timer_service.bpmn）：未变化",
    ]
    assert "没有流程图" in _chinese_lines(err.getvalue())[0]
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<bpmn:definitions", encoding="utf-8")
    for args in ([str(tmp_path / "missing.bpmn")], [str(broken)]):
        # From the command line, as an administrator runs it: the refusal alone, in Chinese.
        run = subprocess.run(
            [sys.executable, "manage.py", "deploy_processes", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert run.returncode == 1
        assert _chinese_lines(run.stderr)
        assert run.stdout == ""
