"""Demo data: one county, its agencies and staff of every role, households and cases in every
state. Cases are worked at back-dated clock times (time-machine), so due dates, reminders and
overdue notices are real outcomes of the process, fired by the sweeper."""

from __future__ import annotations

import functools
import random
from datetime import date, timedelta
from typing import Any

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from onedoor.cases import clock as clock_services
from onedoor.cases import registration, services
from onedoor.cases.models import Case
from onedoor.catalogue.models import Item
from onedoor.catalogue.seed import seed_catalogue
from onedoor.directory.models import Agency, Division, Staff
from onedoor.directory.seed import seed_county
from onedoor.households.idnumber import check_character
from workflows.models import HumanTask
from workflows.timers import fire_due_timers

PASSWORD = "onedoor-demo"  # noqa: S105  (demo data only; printed by make demo)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "丽娟",
    "海燕",
    "国华",
    "淑珍",
    "小明",
    "文静",
    "玉梅",
    "德胜",
]


def _demo_password_hash() -> str:
    """The demo's one (printed) password, hashed once for every demo login: the hasher costs
    ~0.3 s by design, which was most of `make demo`'s seeding for 27 people."""
    return _hashed(PASSWORD, tuple(settings.PASSWORD_HASHERS))


@functools.cache
def _hashed(password: str, hashers: tuple[str, ...]) -> str:
    return make_password(password)  # by the first of `hashers`: the cache's key


def _user(
    username: str,
    name: str,
    role: str,
    division: Division,
    agency: Agency | None = None,
    leader: bool = False,
) -> Any:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": name})
    if created:
        user.password = _demo_password_hash()
        user.is_staff = role == Staff.Role.ADMINISTRATOR
        user.is_superuser = role == Staff.Role.ADMINISTRATOR
        user.save()
        Staff.objects.create(
            user=user, role=role, division=division, agency=agency, is_agency_leader=leader
        )
    return user


def seed_people(county: Division) -> dict[str, Any]:
    townships = list(county.children.order_by("code"))
    people = {
        "admin": _user("admin", "系统管理员", Staff.Role.ADMINISTRATOR, county),
        "coordinator": _user("coordinator", "联席办刘主任", Staff.Role.COORDINATOR, county),
        "supervisor": _user("supervisor", "纪检监督员", Staff.Role.SUPERVISOR, county),
        "village": _user(
            "village",
            "红旗社区协理员",
            Staff.Role.VILLAGE_ASSISTANT,
            townships[0].children.order_by("code")[0],
        ),
    }
    for i, township in enumerate(townships, start=1):
        people[f"window{i}"] = _user(
            f"window{i}", f"{township.name}窗口", Staff.Role.WINDOW, township
        )
    for agency in Agency.objects.filter(county=county):
        people[agency.kind] = _user(
            f"officer-{agency.kind}",
            f"{agency.name}经办人",
            Staff.Role.AGENCY_OFFICER,
            county,
            agency,
        )
        # The leader in charge (分管领导) hears of level-2 督办.
        people[f"leader-{agency.kind}"] = _user(
            f"leader-{agency.kind}",
            agency.leader_in_charge or f"{agency.name}分管领导",
            Staff.Role.AGENCY_OFFICER,
            county,
            agency,
            leader=True,
        )
    return people


def _id_number(born: date, seq: int) -> str:
    first17 = f"130302{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_character(first17)


def _born(rng: random.Random, first_year: int, last_year: int) -> date:
    start = date(first_year, 1, 1)
    return start + timedelta(days=rng.randrange(0, (date(last_year, 12, 31) - start).days))


def demo_members(rng: random.Random, n: int, today: date) -> list[registration.MemberData]:
    """A plausible household: a head of 35 to 70, often a spouse of about the same age,
    children born when the head was 20 to 38 (students among them at school age), sometimes
    a parent of the head 20 to 35 years older. Each member's ID number is unique (`n`)."""
    head_born = _born(rng, today.year - 70, today.year - 35)
    seq = iter(range(n * 6, n * 6 + 6))
    name = lambda: rng.choice(SURNAMES) + rng.choice(GIVEN)  # noqa: E731

    def age(born: date) -> int:
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    members = [
        registration.MemberData(
            name=name(),
            id_number=_id_number(head_born, next(seq)),
            relation="head",
            phone=f"138{rng.randrange(10**7, 10**8)}",
            serious_illness=rng.random() < 0.3,
        )
    ]
    if rng.random() < 0.7:
        spouse_born = _born(rng, head_born.year - 5, min(head_born.year + 5, today.year - 22))
        members.append(
            registration.MemberData(
                name=name(),
                id_number=_id_number(spouse_born, next(seq)),
                relation="spouse",
                disability=rng.choice(["none"] * 6 + ["2", "3"]),
            )
        )
    for _child in range(rng.choice([1, 1, 2, 2, 3])):
        first, last = head_born.year + 20, min(head_born.year + 38, today.year - 1)
        child_born = _born(rng, first, last)
        child_age = age(child_born)
        members.append(
            registration.MemberData(
                name=name(),
                id_number=_id_number(child_born, next(seq)),
                relation="child",
                work_capacity="none" if child_age < 16 else "full",
                in_school=3 <= child_age <= 22 and rng.random() < 0.9,
                disability=rng.choice(["none"] * 9 + ["1"]),
            )
        )
    if rng.random() < 0.25 and head_born.year - 35 >= 1925:
        parent_born = _born(rng, head_born.year - 35, head_born.year - 20)
        members.append(
            registration.MemberData(
                name=name(),
                id_number=_id_number(parent_born, next(seq)),
                relation="parent",
                work_capacity="none",
                serious_illness=rng.random() < 0.5,
            )
        )
    return members


def _task(case: Case, bpmn_id: str) -> HumanTask:
    return HumanTask.objects.filter(
        subject_type="case", subject_id=str(case.pk), bpmn_id=bpmn_id, state=HumanTask.State.OPEN
    ).order_by("id")[0]


def _current(referral: Any) -> HumanTask:
    task = referral.current_task
    assert task is not None, f"referral {referral.pk} has no open task"
    return task


# What happens to each demo case, and how many days ago it was registered.
SCENARIOS = (
    [("review", 1)] * 5
    + [("refused", 20)] * 3
    + [("split", 2)] * 4
    + [("sign", 3)] * 6
    + [("handle", 4)] * 5
    + [("overdue", 40)] * 5
    + [("returned", 6)] * 2
    + [("transferred", 8)] * 2
    + [("notify", 15)] * 4
    + [("closed", 30)] * 4
    + [("sign", 10)] * 2  # not signed for in time: the sweeper raises the sign-for 督办
    + [("extension", 12)] * 2  # the agency asked for more days; the coordinator decides
    + [("materials", 9)] * 2  # clock stopped until the window has the missing materials
    + [("answered", 45)] * 2  # 督办 answered with a promise that has since passed
)


def seed_cases(people: dict[str, Any], rng: random.Random) -> int:
    county = people["coordinator"].staff.division
    townships = list(county.children.order_by("code"))
    items = list(Item.objects.all())
    households: list[Any] = []
    now = timezone.now()
    for n, (scenario, days_ago) in enumerate(SCENARIOS):
        t_index = n % len(townships)
        township = townships[t_index]
        window = people[f"window{t_index + 1}"]
        village = township.children.order_by("code")[n % 2]
        with time_machine.travel(
            now - timedelta(days=days_ago, hours=rng.randrange(1, 8)), tick=True
        ) as clock:
            picked = rng.sample(
                [i for i in items if i.agency_kind != "civil"], k=rng.choice([1, 2])
            )
            reuse = (
                households[n - 30] if n >= 30 and households[n - 30].village == village else None
            )
            case = registration.register_application(
                actor=window if n % 7 else (people["village"] if t_index == 0 else window),
                township=township,
                village=village,
                members=[] if reuse else demo_members(rng, n, timezone.localdate()),
                household=reuse,
                items=picked,
                channel=rng.choice([c for c, _ in Case.Channel.choices]),
                statement=rng.choice(
                    [
                        "因病致贫，主要劳动力患重病住院",
                        "子女上学负担重",
                        "房屋年久失修",
                        "失业后家庭无收入",
                    ]
                ),
                # One case waits at 分办转办 for the applicant's consent, to be recorded late.
                consent=n != SCENARIOS.index(("split", 2)),
            )
            households.append(case.household)
            _advance(case, scenario, window, people, clock)
    return len(SCENARIOS)


def _advance(case: Case, scenario: str, window: Any, people: dict[str, Any], clock: Any) -> None:
    if scenario == "review":
        return
    clock.shift(timedelta(hours=2))
    if scenario == "refused":
        services.review_application(
            _task(case, "review_application"),
            actor=window,
            accepted=False,
            reason="经核查，家庭人均收入高于本地低收入标准",
        )
        return
    services.review_application(_task(case, "review_application"), actor=window, accepted=True)
    if scenario == "split":
        return
    clock.shift(timedelta(hours=1))
    choices = [
        (ci.item, Agency.objects.get(county=case.township.parent, kind=ci.item.agency_kind))
        for ci in case.items.select_related("item")
    ]
    services.refer_case(_task(case, "split_case"), actor=window, choices=choices)
    if scenario == "sign":
        return
    for referral in case.referrals.select_related("agency"):
        officer = people[referral.agency.kind]
        clock.shift(timedelta(days=1))
        task = _current(referral)
        if scenario == "returned":
            services.sign_referral(
                task, actor=officer, decision="return", reason="该事项不属于本部门职责，请重新分办"
            )
            return
        if scenario == "transferred":
            other = Agency.objects.get(county=referral.agency.county, kind="civil")
            services.sign_referral(
                task,
                actor=officer,
                decision="transfer",
                reason="应由民政部门临时救助",
                transfer_to=other,
            )
            referral.refresh_from_db()
            task = _current(referral)
            officer = people["civil"]
        services.sign_referral(task, actor=officer, decision="sign")
        if scenario in {"handle", "overdue", "transferred"}:
            continue
        if scenario in {"extension", "materials", "answered"}:
            _clock_scenario(scenario, referral, officer, clock)
            continue
        clock.shift(timedelta(days=3))
        referral.refresh_from_db()
        services.give_feedback(
            _current(referral),
            actor=officer,
            outcome="granted",
            amount_fen=200000,
            note="已按标准给予救助",
        )
    if scenario in {"notify", "closed"}:
        clock.shift(timedelta(days=1))
        if scenario == "closed":
            services.notify_applicant(
                _task(case, "notify_applicant"),
                actor=window,
                channel="writing",
                text="您申请的救助事项均已办结，详见各部门答复。",
            )
            services.close_case(_task(case, "close_case"), actor=window)


def _clock_scenario(scenario: str, referral: Any, officer: Any, clock: Any) -> None:
    referral.refresh_from_db()
    if scenario == "extension":
        clock.shift(timedelta(days=2))
        clock_services.request_extension(
            _current(referral), actor=officer, days=5, reason="需入户核查家庭经济状况"
        )
    elif scenario == "materials":
        clock.shift(timedelta(days=1))
        clock_services.request_materials(
            _current(referral), actor=officer, materials="近三个月医疗费用票据原件、诊断证明"
        )
    elif scenario == "answered":
        assert referral.handle_due_at is not None
        clock.move_to(referral.handle_due_at + timedelta(hours=10))
        fire_due_timers()
        notice = referral.supervision_notices.order_by("issued_at").first()
        if notice is not None:
            clock_services.answer_supervision_notice(
                notice,
                actor=officer,
                answer="待医院出具费用结算单后办理",
                promised_date=timezone.localdate() + timedelta(days=3),
            )


def seed_demo() -> tuple[dict[str, Any], int]:
    seed_catalogue()
    county = seed_county()
    people = seed_people(county)
    created = 0 if Case.objects.exists() else seed_cases(people, random.Random(20261122))
    from onedoor.meetings.demo import seed_meetings  # here: a colleague edits the imports

    seed_meetings(people)  # the joint conference: convenor login, a past plenary, next agenda
    return people, created
