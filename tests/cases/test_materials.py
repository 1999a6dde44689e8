"""The window's materials checklist and the case's scanned documents.

Alice registers 张三's application for medical aid (yiliao: ID card, household register,
hospital receipts, the insurance statement) and compulsory-education aid (edu_compulsory: ID
card, household register, school certificate). Bob (medical) reads the medical lines and
their scans only; Carol (education) reads nothing of a case not referred to her.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from onedoor.audit.models import AuditEvent
from onedoor.cases import materials
from onedoor.cases.models import Attachment, CaseMaterial
from onedoor.cases.services import ActionError
from tests.personas import password_of

from .conftest import refer_all, register

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Attachments in a folder of this test's own (the deployment's is settings.STORAGES)."""
    field = Attachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path))
    return tmp_path


def signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=password_of(user.username))
    return client


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_checklist_is_the_union_of_the_items_materials_and_a_tick_records_the_day(
    alice: Any,
) -> None:
    case = register(alice)
    lines = {line.name: line.items for line in materials.checklist(case)}
    assert set(lines["申请人身份证"]) == {"医疗救助", "教育救助（义务教育）"}
    assert "医保结算单" in lines and "在校证明" in lines
    client = signed_in(alice)
    today = timezone.localdate()
    for _twice in range(2):
        response = client.post(
            reverse("cases:materials", args=[case.pk]),
            {"name": "户口簿", "received": "on", "received_on": today.isoformat()},
            follow=True,
        )
    assert "已登记收件" in messages_of(response)
    row = CaseMaterial.objects.get(case=case)
    assert (row.name, row.received_on, row.recorded_by) == ("户口簿", today, alice)
    assert AuditEvent.objects.filter(action="case.material_received").count() == 1
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert "户口簿" in page and today.strftime("%Y-%m-%d") in page
    client.post(reverse("cases:materials", args=[case.pk]), {"name": "户口簿"})
    assert not CaseMaterial.objects.exists()
    assert AuditEvent.objects.filter(action="case.material_unticked").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "户口簿", "received": "on", "received_on": "2099-12-31"}, "不能晚于今天"),
        ({"name": "户口簿", "received": "on", "received_on": "9999-12-31"}, "2099"),
        ({"name": "户口簿", "received": "on"}, "收到的日期"),
        ({"name": "不在清单上", "received": "on", "received_on": "today"}, "清单"),
    ],
)
def test_a_tick_that_cannot_be_right_is_refused(
    alice: Any, data: dict[str, str], message: str
) -> None:
    case = register(alice)
    if data.get("received_on") == "today":
        data["received_on"] = timezone.localdate().isoformat()
    response = signed_in(alice).post(reverse("cases:materials", args=[case.pk]), data, follow=True)
    assert message in messages_of(response), messages_of(response)
    assert not CaseMaterial.objects.exists()


def test_a_scan_is_kept_and_served_to_the_window_and_the_agency_of_its_item_only(
    alice: Any, bob: Any, carol: Any, storage: Path
) -> None:
    case = register(alice)
    refer_all(case, alice)
    client = signed_in(alice)
    upload = SimpleUploadedFile("住院发票.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("cases:attach", args=[case.pk]),
        {"file": upload, "material": "住院或门诊费用票据"},
        follow=True,
    )
    assert "已上传" in messages_of(response)
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type) == (
        "住院发票.pdf",
        "application/pdf",
    )
    stored = str(attachment.file.name)
    assert (storage / stored).read_bytes() == PDF
    assert "住院发票.pdf" not in stored  # stored under a random name
    url = reverse("cases:attachment", args=[attachment.pk])
    served = client.get(url)
    assert served.status_code == 200 and served.getvalue() == PDF
    assert served["Content-Type"] == "application/pdf"
    assert signed_in(bob).get(url).status_code == 200  # the medical agency's item
    assert signed_in(carol).get(url).status_code == 404  # nothing of this case is hers
    # A school certificate is the education agency's line: not Bob's to read.
    school = client.post(
        reverse("cases:attach", args=[case.pk]),
        {"file": SimpleUploadedFile("在校证明.png", PNG), "material": "在校证明"},
    )
    assert school.status_code == 302
    school_scan = Attachment.objects.get(material="在校证明")
    assert signed_in(bob).get(reverse("cases:attachment", args=[school_scan.pk])).status_code == 404
    referral_page = signed_in(bob).get(
        reverse("cases:referral", args=[case.referrals.get(item__code="yiliao").pk])
    )
    assert "住院发票.pdf" in referral_page.content.decode()
    assert "在校证明.png" not in referral_page.content.decode()
    assert AuditEvent.objects.filter(action="case.attachment_added").count() == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.pdf", b"MZ\x90\x00 not a pdf", "PDF"),  # an executable named .pdf
        ("empty.pdf", b"", "空"),
        ("big.pdf", PDF + b"0" * (2 * 1024 * 1024), "MB"),
    ],
)
def test_a_file_that_is_not_a_scan_or_too_big_is_refused_and_nothing_is_kept(
    alice: Any, storage: Path, settings: Any, name: str, content: bytes, message: str
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    case = register(alice)
    response = signed_in(alice).post(
        reverse("cases:attach", args=[case.pk]),
        {"file": SimpleUploadedFile(name, content), "material": ""},
        follow=True,
    )
    assert message in messages_of(response), messages_of(response)
    assert not Attachment.objects.exists()
    assert not any(storage.rglob("*.*"))


def test_the_same_file_twice_is_kept_once(alice: Any) -> None:
    case = register(alice)
    materials.attach(case, actor=alice, upload=SimpleUploadedFile("a.pdf", PDF), material="")
    with pytest.raises(ActionError):
        materials.attach(case, actor=alice, upload=SimpleUploadedFile("b.pdf", PDF), material="")
    assert Attachment.objects.count() == 1


def test_only_the_window_keeps_materials_and_not_after_the_case_is_closed(
    alice: Any, bob: Any, dave: Any
) -> None:
    case = register(alice)
    refer_all(case, alice)
    for user in (bob, dave):
        response = signed_in(user).post(
            reverse("cases:materials", args=[case.pk]),
            {"name": "户口簿", "received": "on", "received_on": timezone.localdate().isoformat()},
        )
        assert response.status_code == 403
    case.closed_at = timezone.now() - timedelta(minutes=1)
    case.save(update_fields=["closed_at"])
    response = signed_in(alice).post(
        reverse("cases:attach", args=[case.pk]), {"file": SimpleUploadedFile("a.pdf", PDF)}
    )
    assert response.status_code == 403
    assert not Attachment.objects.exists()
