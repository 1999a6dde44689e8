"""The figures page and its Excel downloads, as the coordinator and supervisor use them."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from onedoor.directory.models import Division

from .conftest import make_referral
from .test_figures import NOW, scenario

__all__ = ["scenario"]


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sheet_rows(response: Any) -> list[tuple[Any, ...]]:
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(min_row=4, values_only=True)]


@pytest.mark.django_db
def test_the_coordinator_reads_the_figures_of_this_year(scenario: None, dave: Any) -> None:
    page = client_for(dave).get("/supervision/").content.decode()
    assert "海港区：2026-01-01 至 2026-10-12 期间收到的转办事项" in page
    # The medical agency's row: 6 received, 3 signed on time, 3 completed, 2 on time, 50 %,
    # median 10, p90 21.2, one overdue by 4 working days, one return.
    assert (
        '<th scope="row">县医疗保障局</th>\n  <td>6</td><td>3</td><td>3</td><td>2</td>\n'
        "  <td>50.0%</td><td>10</td><td>21.2</td>" in page
    )
    # 慢作为: medical is listed, education (exactly 80 %) is not.
    slow = page.split('id="slow-heading"')[1].split("</section>")[0]
    assert "低于 80.0%" in slow and "县医疗保障局" in slow and "县教育局" not in slow


@pytest.mark.django_db
def test_the_charts_are_inline_svg_with_their_numbers(scenario: None, erin: Any) -> None:
    page = client_for(erin).get("/supervision/").content.decode()
    assert "<script" not in page.split("<main>")[1]  # drawn on the server, no chart library
    assert (
        'role="img"' in page
        and '<title id="chart-agency-rate-title">按部门的按时办结率</title>' in page
    )
    # Each bar names itself and its number; medical is under the line, education is not.
    assert '<g class="bar low">\n    <title>县医疗保障局: 50.0%</title>' in page
    assert '<g class="bar ok">\n    <title>县教育局: 80.0%</title>' in page
    assert "<title>县民政局: —</title>" in page  # nothing decided yet: no bar, no number
    # The threshold line sits at 80 % of the 420-pixel plot, after the 190-pixel labels.
    assert 'x1="526.0"' in page
    assert "<title>县医疗保障局: 1</title>" in page  # overdue-now chart


@pytest.mark.django_db
def test_a_chosen_period_and_a_preset(scenario: None, dave: Any) -> None:
    client = client_for(dave)
    march = client.get("/supervision/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert "2026-03-01 至 2026-03-31" in march.content.decode()
    assert march.context["figures"].total.received == 2
    month = client.get("/supervision/", {"preset": "month"}).context["figures"]
    assert (str(month.start), str(month.end), month.total.received) == (
        "2026-10-01",
        "2026-10-12",
        1,
    )
    quarter = client.get("/supervision/", {"preset": "quarter"}).context["figures"]
    assert (str(quarter.start), quarter.total.received) == ("2026-10-01", 1)


@pytest.mark.django_db
def test_a_backwards_period_says_so_and_shows_this_year(scenario: None, dave: Any) -> None:
    client = client_for(dave)
    response = client.get("/supervision/", {"start": "2026-05-01", "end": "2026-04-01"})
    page = response.content.decode()
    assert "开始日期不能晚于结束日期" in page
    assert response.context["figures"].start.isoformat() == "2026-01-01"
    bad = client.get(
        "/supervision/export/agency.xlsx", {"start": "2026-05-01", "end": "2026-04-01"}
    )
    assert bad.status_code == 400


@pytest.mark.django_db
def test_the_agency_table_downloads_with_the_same_numbers(scenario: None, dave: Any) -> None:
    response = client_for(dave).get(
        "/supervision/export/agency.xlsx", {"start": "2026-01-01", "end": "2026-12-31"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="supervision-agency-2026-01-01-2026-12-31.xlsx"'
    )
    header, *rows = sheet_rows(response)
    assert header[:7] == ("部门", "编码", "收到", "按时签收", "已办结", "按时办结", "按时办结率")
    by_name = {r[0]: r for r in rows}
    assert by_name["县医疗保障局"] == (
        "县医疗保障局",
        "130302-medical",
        6,
        3,
        3,
        2,
        0.5,
        10.0,
        pytest.approx(21.2),
        1,
        4,
        1,
        0,
        3,  # granted
        0.0,  # yuan paid (the scenario records no amounts)
    )
    assert by_name["县民政局"][2:7] == (0, 0, 0, 0, None)
    assert by_name["合计"][2] == 11 and by_name["合计"][6] == pytest.approx(6 / 9)
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    assert sheet["G5"].number_format == "0.0%"


@pytest.mark.django_db
def test_the_overdue_and_slow_lists_download(scenario: None, erin: Any) -> None:
    client = client_for(erin)
    header, *rows = sheet_rows(client.get("/supervision/export/overdue.xlsx"))
    assert header[-2] == "逾期工作日"
    assert [(r[2], r[5], r[6]) for r in rows] == [
        ("县医疗保障局", "2026-09-30 17:00", 4),
        ("县教育局", "2026-10-09 17:00", 2),
    ]
    # The level in words, as on every page (none raised in this scenario: the cell is empty).
    assert header[-1] == "督办级别" and all(
        r[-1] in (None, "", "一级督办", "二级督办") for r in rows
    )
    _header, *slow = sheet_rows(client.get("/supervision/export/slow.xlsx"))
    assert [r[0] for r in slow] == ["县医疗保障局"]
    assert client.get("/supervision/export/secrets.xlsx").status_code == 404


@pytest.mark.django_db
def test_a_coordinator_sees_only_their_own_county(scenario: None, zoe: Any) -> None:
    make_referral(township="130303001", referred="2026-05-01 09:00")
    response = client_for(zoe).get("/supervision/")
    assert response.context["figures"].total.received == 1
    page = response.content.decode()
    assert "北戴河区" in page and "西山街道" in page and "文化路街道" not in page
    _h, *rows = sheet_rows(client_for(zoe).get("/supervision/export/township.xlsx"))
    assert [r[0] for r in rows] == ["西山街道", "合计"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/supervision/", "/supervision/export/agency.xlsx"])
def test_agency_officers_and_window_staff_are_refused(
    scenario: None, url: str, alice: Any, bob: Any, client: Client
) -> None:
    assert client_for(bob).get(url).status_code == 403
    assert client_for(alice).get(url).status_code == 403
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


@pytest.mark.django_db
def test_the_navigation_links_the_figures_for_coordinators_only(
    county: Division, dave: Any, bob: Any
) -> None:
    assert 'href="/supervision/"' in client_for(dave).get("/board/").content.decode()
    assert 'href="/supervision/"' not in client_for(bob).get("/inbox/").content.decode()


@pytest.mark.django_db
def test_the_date_inputs_show_the_period_on_screen(scenario: None, dave: Any) -> None:
    page = client_for(dave).get("/supervision/", {"preset": "quarter"}).content.decode()
    assert 'name="start" id="id_start" value="2026-10-01"' in page
    assert 'name="end" id="id_end" value="2026-10-12"' in page
