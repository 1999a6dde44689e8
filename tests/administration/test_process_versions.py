"""Process definitions as a product, in the browser's terms: the versions of a process, the
difference between two, and a new version uploaded, previewed, confirmed and audited.

Adam administers 海港区 (he reads versions; a deploy changes every county, so he may not
upload); Root is the platform's administrator (a superuser) and deploys; Dave coordinates.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onedoor.audit.models import AuditEvent
from onedoor.directory.models import Division, Staff
from tests.cases.conftest import _staff
from tests.conftest import TEST_BPMN
from workflows.models import ProcessDefinition, ProcessInstance

pytestmark = pytest.mark.django_db

VARIANT = (TEST_BPMN / "one_door_section_review.bpmn").read_bytes()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def adam(county: Division) -> Any:
    return _staff("adam", Staff.Role.ADMINISTRATOR, "130302")


@pytest.fixture
def root(county: Division) -> Any:
    return get_user_model().objects.create_superuser("root", password="x")


def _upload(client: Client, content: bytes = VARIANT, name: str = "one_door.bpmn") -> Any:
    return client.post(
        "/engine/processes/upload/",
        {"file": SimpleUploadedFile(name, content, content_type="application/xml")},
    )


def test_an_upload_is_previewed_then_deployed_once_and_audited(root: Any) -> None:
    before = ProcessDefinition.objects.filter(process_id="one_door").count()
    client = client_for(root)
    preview = _upload(client)
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "section_review" in body and "科长复核" in body
    assert ProcessDefinition.objects.filter(process_id="one_door").count() == before
    assert not AuditEvent.objects.filter(action="process.deployed").exists()
    confirm = {
        "confirm": "1",
        "filename": "one_door.bpmn",
        "content": base64.b64encode(VARIANT).decode(),
    }
    done = client.post("/engine/processes/upload/", confirm, follow=True)
    assert done.redirect_chain[-1][0] == "/engine/processes/one_door/"
    newest = ProcessDefinition.objects.filter(process_id="one_door").latest("version")
    assert newest.deployed_by == root and newest.version == before + 1
    [event] = AuditEvent.objects.filter(action="process.deployed")
    assert event.data["hash"] == newest.content_hash and event.data["version"] == newest.version
    # A second submit of the same confirmation: nothing stored, nothing audited again.
    again = client.post("/engine/processes/upload/", confirm, follow=True)
    assert again.status_code == 200
    assert ProcessDefinition.objects.filter(process_id="one_door").count() == before + 1
    assert AuditEvent.objects.filter(action="process.deployed").count() == 1


def test_a_broken_file_is_refused_in_words_and_stores_nothing(root: Any) -> None:
    before = ProcessDefinition.objects.count()
    client = client_for(root)
    broken = _upload(client, VARIANT.replace(b"accepted == True", b"accepted ==", 1))
    assert broken.status_code == 200
    assert broken.context["form"].errors["file"]
    not_xml = _upload(client, b"not a process")
    assert not_xml.context["form"].errors["file"]
    tampered = client.post(
        "/engine/processes/upload/",
        {"confirm": "1", "filename": "one_door.bpmn", "content": "%%%"},
        follow=True,
    )
    assert tampered.status_code == 200
    assert ProcessDefinition.objects.count() == before
    assert not AuditEvent.objects.filter(action="process.deployed").exists()


def test_the_versions_page_lists_each_version_and_compares_two(root: Any, adam: Any) -> None:
    client_for(root).post(
        "/engine/processes/upload/",
        {
            "confirm": "1",
            "filename": "one_door.bpmn",
            "content": base64.b64encode(VARIANT).decode(),
        },
    )
    newest = ProcessDefinition.objects.filter(process_id="one_door").latest("version")
    page = client_for(adam).get("/engine/processes/one_door/")
    assert page.status_code == 200
    body = page.content.decode()
    assert newest.content_hash[:12] in body and newest.filename in body
    assert "root" in body  # deployed by
    diff = client_for(adam).get(
        f"/engine/processes/one_door/diff/?from={newest.version - 1}&to={newest.version}"
    )
    assert diff.status_code == 200
    assert ("added", "step", "section_review") in {
        (c.kind, c.category, c.element) for c in diff.context["diff"].changes
    }
    # The lane the new step joined is named as the diagrams name it, not by its BPMN name.
    [lane] = [c for c in diff.context["diff"].changes if c.category == "lane"]
    assert lane.name == "窗口工作人员" and "窗口工作人员" in diff.content.decode()
    # No such versions: back to the list, with a message.
    assert client_for(adam).get("/engine/processes/one_door/diff/?from=x&to=99").status_code == 302
    assert client_for(adam).get("/engine/processes/nothing/").status_code == 404


def test_only_the_platforms_administrators_upload(adam: Any, dave: Any) -> None:
    for user in (adam, dave):
        assert client_for(user).get("/engine/processes/upload/").status_code == 403
        assert _upload(client_for(user)).status_code == 403
    assert client_for(dave).get("/engine/processes/one_door/diff/?from=1&to=1").status_code == 403


def test_running_cases_are_checked_moved_audited_and_take_the_new_step(
    root: Any, adam: Any, alice: Any
) -> None:
    """Two cases wait for review on the deployed version; the platform's administrator
    deploys the 科长复核 variant, dry-runs, moves one: it takes the new step, the other stays."""
    from onedoor.cases import services as case_services
    from tests.cases.conftest import register, task_of

    first = register(alice, "yiliao", seq=1)
    second = register(alice, "yiliao", seq=2)
    old = ProcessDefinition.objects.filter(process_id="one_door").latest("version")
    client = client_for(root)
    client.post(
        "/engine/processes/upload/",
        {
            "confirm": "1",
            "filename": "one_door.bpmn",
            "content": base64.b64encode(VARIANT).decode(),
        },
    )
    new = ProcessDefinition.objects.filter(process_id="one_door").latest("version")
    url = f"/engine/processes/one_door/migrate/?from={old.version}"
    dry = client.get(url)
    assert dry.status_code == 200
    assert dry.context["movable"] == 2 and dry.context["total"] == 2
    assert ProcessInstance.objects.filter(definition=new).count() == 0
    assert client_for(adam).get(url).status_code == 403
    assert first.process is not None and second.process is not None
    first_pk, second_pk = first.process.pk, second.process.pk
    done = client.post(url, {"from": old.version, "instance": [first_pk]}, follow=True)
    assert done.status_code == 200
    assert ProcessInstance.objects.get(pk=first_pk).definition_id == new.pk
    assert ProcessInstance.objects.get(pk=second_pk).definition_id == old.pk
    [event] = AuditEvent.objects.filter(action="process.migrated")
    assert event.case_id == first.pk
    assert (event.data["from"], event.data["to"]) == (old.version, new.version)
    # The moved case takes the new path after acceptance.
    case_services.review_application(
        task_of(first, "review_application"), actor=alice, accepted=True
    )
    assert task_of(first, "section_review").name == "科长复核"
    # Sent again: the case is on the new version already, so it stays and says so.
    again = client.post(url, {"from": old.version, "instance": [first_pk]}, follow=True)
    assert AuditEvent.objects.filter(action="process.migrated").count() == 1
    assert again.status_code == 200
