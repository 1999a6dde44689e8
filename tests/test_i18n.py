"""Translations: English msgids in code, the Chinese users see in the zh_Hans catalogue.

The compiled .mo files are committed (a checkout runs without GNU gettext), so these tests
check the two steps a developer can forget: filling a msgstr, and recompiling after it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.utils import translation

from onedoor.households.idnumber import validate_id_number
from onedoor.households.models import Member

ROOT = Path(__file__).resolve().parent.parent
LOCALE = Path(settings.LOCALE_PATHS[0])
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
CJK = re.compile("[\u4e00-\u9fff]")

Key = tuple[str | None, str]


def _translations(catalog: Catalog) -> dict[Key, Any]:
    """(context, msgid) -> msgstr of every entry a running Django would use."""
    found: dict[Key, Any] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        # Babel's .mo reader gives the context as bytes, its .po reader as str.
        context = (
            message.context.decode() if isinstance(message.context, bytes) else message.context
        )
        msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if all(strings):
            found[(context, msgid)] = tuple(strings)
    return found


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def test_every_catalogue_is_compiled_from_its_current_source() -> None:
    sources = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
    assert ZH_PO in sources
    for po in sources:
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo.relative_to(ROOT)} is missing: run `make messages`"
        with mo.open("rb") as f:
            compiled = _translations(read_mo(f))
        assert compiled == _translations(_read_po(po)), (
            f"{mo.relative_to(ROOT)} is stale: {po.name} changed since it was compiled; "
            "run `make messages` and commit the .mo"
        )


@pytest.fixture(scope="module")
def used_msgids(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Run makemessages on a copy of the sources, so the checked-in catalogue is untouched."""
    tmp_path = tmp_path_factory.mktemp("makemessages")
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: run `make gettext` (apt-get install gettext)")
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "locale", "migrations")
    for name in ("templates", "workflows", "platform"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans"],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "onedoor.settings"},
        check=True,
        capture_output=True,
    )
    return _read_po(copy / LOCALE.relative_to(ROOT) / "zh_Hans" / "LC_MESSAGES" / "django.po")


def test_every_english_ui_string_has_a_chinese_translation(used_msgids: Catalog) -> None:
    translated = _translations(_read_po(ZH_PO))
    missing = [
        (m.context, m.id)
        for m in used_msgids
        if m.id
        and not CJK.search(str(m.id))
        and (m.context, m.id[0] if isinstance(m.id, tuple | list) else m.id) not in translated
    ]
    assert not missing, (
        "English would leak into the Chinese UI; add these to "
        f"{ZH_PO.relative_to(ROOT)} (`make messages`, fill msgstr, `make messages`): {missing}"
    )


def test_no_msgid_is_chinese(used_msgids: Catalog) -> None:
    """UI text is written in English in code (STYLE.md); the catalogue supplies the Chinese."""
    offenders = sorted(
        f"{path}:{line}"
        for message in used_msgids
        if message.id and CJK.search(str(message.id))
        for path, line in message.locations
    )
    assert not offenders, f"Chinese msgids (write the msgid in English): {offenders}"


def test_templates_hold_no_chinese_text() -> None:
    """Text typed into a template outside {% translate %} is invisible to makemessages."""
    comment = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(
            # A comment keeps its line breaks, so the numbers below match the file.
            comment.sub(
                lambda m: "\n" * m[0].count("\n"), path.read_text(encoding="utf-8")
            ).splitlines(),
            start=1,
        )
        if CJK.search(line)
    ]
    assert not offenders, f"Chinese text in templates (use {{% translate %}}): {offenders}"


# Rendering: Chinese by default, English on request.


@pytest.mark.django_db
def test_pages_are_in_chinese_by_default(client: Client) -> None:
    page = client.get("/login/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "用户名" in page and "登录" in page
    # The switcher offers the other language, in its own name.
    assert ">English</button>" in page


@pytest.mark.django_db
def test_a_browser_asking_for_english_gets_english(client: Client) -> None:
    page = client.get("/login/", headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in page
    assert "Username" in page and "Log in" in page
    assert "用户名" not in page
    assert ">简体中文</button>" in page


@pytest.mark.django_db
def test_the_switcher_changes_the_language_of_the_next_pages(
    client: Client, django_user_model: Any
) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "Username" in client.get("/login/").content.decode()

    django_user_model.objects.create_superuser("root", password="pw")
    client.login(username="root", password="pw")
    page = client.get("/engine/").content.decode()
    assert "Process engine overview" in page and "流程引擎概况" not in page

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/engine/"})
    assert "流程引擎概况" in client.get("/engine/").content.decode()


def test_labels_and_errors_built_in_python_follow_the_language() -> None:
    member = Member(relation=Member.Relation.HEAD, work_capacity=Member.WorkCapacity.PARTIAL)
    bad_check_digit = "110105194912310021"
    with translation.override("zh-hans"):
        assert member.get_relation_display() == "户主"
        assert str(Member._meta.get_field("id_number").verbose_name) == "身份证号码"
        with pytest.raises(Exception, match="校验位错误"):
            validate_id_number(bad_check_digit)
    with translation.override("en"):
        assert member.get_relation_display() == "Head of household"
        assert member.get_work_capacity_display() == "Partly unable to work"
        with pytest.raises(Exception, match="check digit is wrong"):
            validate_id_number(bad_check_digit)
