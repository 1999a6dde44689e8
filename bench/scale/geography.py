"""The places and people of a scale data set: counties of one province, their townships and
villages, each county's ten member agencies, and staff of every role.

Created with bulk inserts (a few thousand rows); the cases are cloned later (clone.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from onedoor.directory.models import Agency, Division, Staff
from onedoor.directory.seed import AGENCIES

PASSWORD = "onedoor-scale"  # noqa: S105  (generated benchmark data only)
TOWNSHIP_NAMES = "城关 东城 西城 南关 北关 新华 建设 胜利 团结 和平 红星 光明 长安 永安 太平 兴隆"
VILLAGE_NAMES = "东庄 西庄 南村 北村 前营 后营 李家 王家 张庄 刘庄 河口 山前"


@dataclass
class County:
    division: Division
    townships: list[Division]
    villages: dict[int, list[Division]]  # township pk -> its villages
    agencies: dict[str, Agency]  # kind -> agency
    # Staff user ids: window clerks per township pk, officers per agency kind, one coordinator.
    windows: dict[int, int] = field(default_factory=dict)
    officers: dict[str, int] = field(default_factory=dict)
    assistants: dict[int, int] = field(default_factory=dict)  # village pk -> user id
    coordinator: int = 0
    supervisor: int = 0


def county_code(n: int) -> str:
    """Province 13, city 01.., county 02..: six digits, as the first six of an ID number."""
    return f"13{n // 20 + 1:02d}{n % 20 + 2:02d}"


def build_geography(
    counties: int, townships_per_county: int = 8, villages_per_township: int = 6
) -> list[County]:
    """Create (idempotently, by code) the divisions, agencies and staff; return them."""
    for n in range(counties):
        code = county_code(n)
        Division.objects.get_or_create(
            code=code, defaults={"name": f"第{n + 1}县", "level": Division.Level.COUNTY}
        )
    by_code = {d.code: d for d in Division.objects.filter(level=Division.Level.COUNTY)}
    new_divisions: list[Division] = []
    for n in range(counties):
        county = by_code[county_code(n)]
        for t in range(townships_per_county):
            name = TOWNSHIP_NAMES.split()[t % 16]
            new_divisions.append(
                Division(
                    code=f"{county.code}{t if t < 4 else 100 + t:03d}",
                    name=f"{name}{'街道' if t < 4 else '镇'}",
                    level=Division.Level.TOWNSHIP,
                    parent=county,
                )
            )
    Division.objects.bulk_create(new_divisions, ignore_conflicts=True)
    townships = {
        d.code: d
        for d in Division.objects.filter(level=Division.Level.TOWNSHIP, parent__in=by_code.values())
    }
    Division.objects.bulk_create(
        [
            Division(
                code=f"{t.code}{v + 1:03d}",
                name=f"{VILLAGE_NAMES.split()[v % 12]}{'社区' if t.code[-3] == '0' else '村'}",
                level=Division.Level.VILLAGE,
                parent=t,
            )
            for t in townships.values()
            for v in range(villages_per_township)
        ],
        ignore_conflicts=True,
    )
    Agency.objects.bulk_create(
        [
            Agency(
                code=f"{county.code}-{kind}",
                name=f"{county.name}{a_name[1:]}",
                kind=kind,
                county=county,
                responsible_section=section,
                leader_in_charge=leader,
            )
            for county in by_code.values()
            for kind, a_name, section, leader in AGENCIES
        ],
        ignore_conflicts=True,
    )
    result = []
    for n in range(counties):
        county = by_code[county_code(n)]
        ts = sorted(
            (t for t in townships.values() if t.parent_id == county.pk), key=lambda d: d.code
        )
        villages: dict[int, list[Division]] = {t.pk: [] for t in ts}
        for v in Division.objects.filter(parent__in=ts).order_by("code"):
            assert v.parent_id is not None
            villages[v.parent_id].append(v)
        agencies = {a.kind: a for a in Agency.objects.filter(county=county)}
        result.append(County(county, ts, villages, agencies))
    _staff(result)
    return result


def _staff(counties: list[County]) -> None:
    """A window clerk per township, an assistant per village, an officer per agency, and a
    coordinator and supervisor per county. One password hash for all: hashing is slow."""
    User = get_user_model()
    hashed = make_password(PASSWORD)
    wanted: list[tuple[str, str, str, Division, Agency | None]] = []
    for c in counties:
        code = c.division.code
        wanted.append((f"coordinator-{code}", "联席办", Staff.Role.COORDINATOR, c.division, None))
        wanted.append((f"supervisor-{code}", "监督员", Staff.Role.SUPERVISOR, c.division, None))
        for kind, agency in c.agencies.items():
            wanted.append(
                (f"officer-{code}-{kind}", "经办人", Staff.Role.AGENCY_OFFICER, c.division, agency)
            )
        for t in c.townships:
            wanted.append((f"window-{t.code}", "窗口", Staff.Role.WINDOW, t, None))
            for v in c.villages[t.pk]:
                wanted.append(
                    (f"village-{v.code}", "协理员", Staff.Role.VILLAGE_ASSISTANT, v, None)
                )
    User.objects.bulk_create(
        [
            User(username=u, first_name=f"{d.name}{label}", password=hashed)
            for u, label, _r, d, _a in wanted
        ],
        ignore_conflicts=True,
    )
    ids: dict[str, Any] = dict(
        User.objects.filter(username__in=[w[0] for w in wanted]).values_list("username", "pk")
    )
    Staff.objects.bulk_create(
        [
            Staff(user_id=ids[u], role=role, division=d, agency=a)
            for u, _label, role, d, a in wanted
        ],
        ignore_conflicts=True,
    )
    for c in counties:
        code = c.division.code
        c.coordinator = ids[f"coordinator-{code}"]
        c.supervisor = ids[f"supervisor-{code}"]
        c.officers = {kind: ids[f"officer-{code}-{kind}"] for kind in c.agencies}
        for t in c.townships:
            c.windows[t.pk] = ids[f"window-{t.code}"]
            for v in c.villages[t.pk]:
                c.assistants[v.pk] = ids[f"village-{v.code}"]
