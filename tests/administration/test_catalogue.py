"""The item catalogue: read by every county's administrator, changed by the platform's
administrators (superusers) through one audited service; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from onedoor.audit.models import AuditEvent
from onedoor.catalogue.models import Item
from tests.administration.test_pages import adam, messages_of, signed_in, yves

__all__ = ["adam", "yves"]  # fixtures shared with the page tests

pytestmark = pytest.mark.django_db


def _data(item: Item, **changes: Any) -> dict[str, Any]:
    data = {
        "name": item.name,
        "category": item.category,
        "materials": "\n".join(item.materials),
        "serves": item.serves,
        "is_active": "on" if item.is_active else "",
        "pays_money": "on" if item.pays_money else "",
    } | changes
    return {k: v for k, v in data.items() if v != ""}


def test_a_county_administrator_reads_the_catalogue_with_its_limits_and_cannot_change_it(
    adam: Any,
) -> None:
    client = signed_in(adam)
    page = client.get(reverse("administration:items")).content.decode()
    assert "救助事项清单" in page and "最低生活保障" in page
    item = Item.objects.get(code="dibao")
    detail = client.get(reverse("administration:item", args=[item.pk])).content.decode()
    assert "办理时限（工作日）" in detail and 'name="name"' not in detail
    before = (item.name, item.materials)
    response = client.post(reverse("administration:item", args=[item.pk]), _data(item, name="x"))
    assert response.status_code == 403
    item.refresh_from_db()
    assert (item.name, item.materials) == before
    assert not AuditEvent.objects.filter(action="item.changed").exists()


def test_a_platform_administrator_changes_materials_and_takes_an_item_out_of_use(
    adam: Any, yves: Any
) -> None:
    adam.is_superuser = True
    adam.save(update_fields=["is_superuser"])
    item = Item.objects.get(code="dibao")
    client = signed_in(adam)
    response = client.post(
        reverse("administration:item", args=[item.pk]),
        _data(item, materials="户口簿\n\n  身份证  \n收入证明", is_active=""),
        follow=True,
    )
    assert "已保存对“最低生活保障”的修改" in messages_of(response)
    item.refresh_from_db()
    assert item.materials == ["户口簿", "身份证", "收入证明"] and not item.is_active
    event = AuditEvent.objects.get(action="item.changed")
    assert event.actor == adam and event.data["item"] == "dibao"
    # Out of use: the intake form (is_active items) no longer offers it.
    assert not Item.objects.filter(is_active=True, code="dibao").exists()
    # The same form again changes nothing and logs nothing.
    client.post(
        reverse("administration:item", args=[item.pk]),
        _data(item, materials="户口簿\n身份证\n收入证明", is_active=""),
    )
    assert AuditEvent.objects.filter(action="item.changed").count() == 1


@pytest.mark.parametrize(
    "changes",
    [{"name": ""}, {"serves": "aliens"}, {"materials": "材" * 201}, {"name": "名\x00"}],
)
def test_bad_catalogue_input_is_refused_and_changes_nothing(
    adam: Any, changes: dict[str, str]
) -> None:
    adam.is_superuser = True
    adam.save(update_fields=["is_superuser"])
    item = Item.objects.get(code="dibao")
    before = (item.name, item.serves, item.materials)
    response = signed_in(adam).post(
        reverse("administration:item", args=[item.pk]), _data(item, **changes) | changes
    )
    assert response.status_code in {200, 400}
    item.refresh_from_db()
    assert (item.name, item.serves, item.materials) == before
    assert not AuditEvent.objects.filter(action="item.changed").exists()


def test_an_unknown_item_is_not_found(adam: Any) -> None:
    response = signed_in(adam).get(reverse("administration:item", args=[10**9]))
    assert response.status_code == 404
