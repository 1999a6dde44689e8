"""Real runs of bpmn/one_door.bpmn that the scale data set is cloned from.

Each scenario works one case through the real services (cases/services.py, cases/clock.py)
at back-dated clock times (time-machine), and fires its timers with the real sweeper, up to
one interesting step: registered, awaiting signature, handling, overdue with 督办, escalated,
extension pending, awaiting materials, returned, transferred, feedback given, closed, refused.
Only the task names the services themselves need appear here; everything else (the tasks the
BPMN file opens, their due dates, the timers) comes from running the current files.

`weight` is the share of cases in the data set; finished cases are spread over two years,
open ones stay as recent as their next timer allows (see clone.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from bench.scale.geography import County
from onedoor.cases import clock as clocks
from onedoor.cases import registration, services
from onedoor.cases.models import Case, Referral, SupervisionNotice
from onedoor.catalogue.models import Item
from onedoor.deadlines.workdays import WorkingCalendar
from onedoor.households.idnumber import check_character
from onedoor.households.models import Member
from workflows.models import HumanTask, ProcessInstance
from workflows.timers import fire_due_timers


@dataclass
class Run:
    """What a scenario script works with: the place, the people, the clock, the case."""

    county: County
    township: Any
    village: Any
    items: list[Item]
    traveller: Any
    rng: random.Random
    case: Case | None = None

    def user(self, pk: int) -> Any:
        return get_user_model().objects.get(pk=pk)

    @property
    def window(self) -> Any:
        return self.user(self.county.windows[self.township.pk])

    @property
    def coordinator(self) -> Any:
        return self.user(self.county.coordinator)

    def officer(self, referral: Referral) -> Any:
        return self.user(self.county.officers[referral.agency.kind])

    def at(self, when: datetime) -> None:
        self.traveller.move_to(when)

    def later(self, **delta: float) -> None:
        self.traveller.shift(timedelta(**delta))

    def working_days_later(self, days: int, hour: int = 10) -> None:
        """Move to `hour` o'clock `days` working days on (the official calendar)."""
        today = timezone.localdate()
        county = self.county.division.code
        day = WorkingCalendar.load(today, county).add(today, days).day
        self.at(_local(day, time(hour, self.rng.randrange(60))))

    def task(self, bpmn_id: str) -> HumanTask:
        assert self.case is not None
        return HumanTask.objects.filter(
            subject_type="case",
            subject_id=str(self.case.pk),
            bpmn_id=bpmn_id,
            state=HumanTask.State.OPEN,
        ).order_by("id")[0]

    def referrals(self) -> list[Referral]:
        assert self.case is not None
        return list(self.case.referrals.select_related("agency", "current_task").order_by("pk"))

    def sweep_after(self, due: datetime | None, hours: float = 1) -> None:
        """Let a due time pass and run the real sweeper, as the timer runner would."""
        assert due is not None
        self.at(due + timedelta(hours=hours))
        fire_due_timers()


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


# --- the steps --------------------------------------------------------------------------


def register(run: Run) -> None:
    run.case = registration.register_application(
        actor=run.window,
        township=run.township,
        village=run.village,
        members=[
            registration.MemberData(
                name="模板户主", id_number=_template_id(run.rng), relation="head"
            )
        ],
        items=run.items,
        channel=run.rng.choice([c for c, _ in Case.Channel.choices]),
        statement=run.rng.choice(["因病致贫", "子女上学负担重", "房屋年久失修", "失业无收入"]),
        consent=True,
    )


def _template_id(rng: random.Random) -> str:
    """A valid ID number no household of the database has (templates are deleted later)."""
    while True:
        region, month, seq = (
            rng.randrange(110000, 660000),
            rng.randrange(1, 13),
            rng.randrange(1000),
        )
        first17 = f"{region}1975{month:02d}15{seq:03d}"
        number = first17 + check_character(first17)
        if not Member.objects.filter(id_number=number).exists():
            return number


def accept(run: Run) -> None:
    run.later(hours=1)
    services.review_application(run.task("review_application"), actor=run.window, accepted=True)


def refuse(run: Run) -> None:
    run.later(hours=1)
    services.review_application(
        run.task("review_application"),
        actor=run.window,
        accepted=False,
        reason="经核查，家庭人均收入高于本地低收入标准",
    )


def refer(run: Run) -> None:
    assert run.case is not None
    run.later(minutes=40)
    choices = [(item, run.county.agencies[item.agency_kind]) for item in run.items]
    services.refer_case(run.task("split_case"), actor=run.window, choices=choices)


def sign(run: Run) -> None:
    run.working_days_later(1, hour=9)
    for r in run.referrals():
        if r.current_task is None or r.current_task.bpmn_id != "sign_for_referral":
            continue  # withdrawn
        services.sign_referral(r.current_task, actor=run.officer(r), decision="sign")
        run.later(minutes=20)


def return_first(run: Run) -> None:
    run.working_days_later(1, hour=9)
    r = run.referrals()[0]
    assert r.current_task is not None
    services.sign_referral(
        r.current_task, actor=run.officer(r), decision="return", reason="不属于本部门职责"
    )


def reroute_first(run: Run, withdraw: bool = False) -> None:
    run.later(hours=2)
    r = run.referrals()[0]
    assert r.current_task is not None
    to = None if withdraw else run.county.agencies["civil"]
    services.reroute_referral(r.current_task, actor=run.window, to=to, reason="已与申请人核实")


def transfer_first(run: Run) -> None:
    run.working_days_later(1, hour=9)
    r = run.referrals()[0]
    assert r.current_task is not None
    to = run.county.agencies["charity" if r.agency.kind != "charity" else "civil"]
    services.sign_referral(
        r.current_task,
        actor=run.officer(r),
        decision="transfer",
        reason="应由其他部门办理",
        transfer_to=to,
    )


def feedback(run: Run, days: int = 4) -> None:
    run.working_days_later(days, hour=15)
    for r in run.referrals():
        if r.current_task is None or r.current_task.bpmn_id != "handle_referral":
            continue
        outcome = run.rng.choice(["granted", "granted", "service", "refused"])
        services.give_feedback(
            r.current_task,
            actor=run.officer(r),
            outcome=outcome,
            amount_fen=run.rng.randrange(500, 5000) * 100 if outcome == "granted" else None,
            note="经审核，不符合条件" if outcome == "refused" else "已按标准给予救助",
        )
        run.later(minutes=30)


def notify(run: Run) -> None:
    run.working_days_later(1, hour=10)
    services.notify_applicant(
        run.task("notify_applicant"),
        actor=run.window,
        channel="writing",
        text="您申请的事项已办结。",
    )


def close(run: Run) -> None:
    run.later(minutes=10)
    services.close_case(run.task("close_case"), actor=run.window)


def overdue(run: Run) -> None:
    """Let the first referral's open step pass its due time: the sweeper raises level-1 督办."""
    run.sweep_after(run.referrals()[0].due_at)


def answer_notice(run: Run) -> None:
    run.later(hours=3)
    r = run.referrals()[0]
    notice = SupervisionNotice.objects.filter(referral=r).order_by("-issued_at").first()
    assert notice is not None
    clocks.answer_supervision_notice(
        notice,
        actor=run.officer(r),
        answer="人手不足，正在核查",
        promised_date=timezone.localdate() + timedelta(days=5),
    )


def escalate(run: Run) -> None:
    """Still overdue at the escalation date: the sweeper raises level-2 督办."""
    r = run.referrals()[0]
    instance = ProcessInstance.objects.get(subject_type="case", subject_id=str(r.case_id))
    run.sweep_after(instance.next_timer_at)


def ask_extension(run: Run) -> None:
    run.working_days_later(3)
    r = run.referrals()[0]
    assert r.current_task is not None
    clocks.request_extension(r.current_task, actor=run.officer(r), days=5, reason="需入户核查")


def approve_extension(run: Run) -> None:
    run.later(hours=4)
    r = run.referrals()[0]
    assert r.current_task is not None
    clocks.decide_extension(r.current_task, actor=run.coordinator, approved=True, note="同意")


def ask_materials(run: Run) -> None:
    run.working_days_later(2)
    r = run.referrals()[0]
    assert r.current_task is not None
    clocks.request_materials(r.current_task, actor=run.officer(r), materials="医疗费用票据原件")


def receive_materials(run: Run) -> None:
    run.working_days_later(2)
    r = run.referrals()[0]
    assert r.current_task is not None
    clocks.receive_materials(r.current_task, actor=run.window, note="已补齐")


Step = Callable[[Run], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: float
    steps: tuple[Step, ...]
    # Working days before today the case is registered (open cases must stay this recent).
    started_days_ago: int = 30


def _withdraw(run: Run) -> None:
    reroute_first(run, withdraw=True)


FINISHED = [
    Scenario("closed", 0.60, (register, accept, refer, sign, feedback, notify, close)),
    Scenario("refused", 0.10, (register, refuse)),
    Scenario(
        "closed_late",
        0.06,
        (register, accept, refer, sign, overdue, answer_notice, feedback, notify, close),
    ),
    Scenario(
        "closed_extended",
        0.03,
        (register, accept, refer, sign, ask_extension, approve_extension, feedback, notify, close),
    ),
    Scenario(
        "closed_materials",
        0.03,
        (register, accept, refer, sign, ask_materials, receive_materials, feedback, notify, close),
    ),
    Scenario(
        "closed_returned",
        0.03,
        (register, accept, refer, return_first, reroute_first, sign, feedback, notify, close),
    ),
    Scenario(
        "closed_transferred",
        0.03,
        (register, accept, refer, transfer_first, sign, feedback, notify, close),
    ),
    Scenario(
        "closed_withdrawn",
        0.02,
        (register, accept, refer, return_first, _withdraw, sign, feedback, notify, close),
    ),
]
OPEN = [
    Scenario("registered", 0.004, (register,), 0),
    Scenario("awaiting_split", 0.002, (register, accept), 0),
    Scenario("awaiting_sign", 0.006, (register, accept, refer), 1),
    Scenario("handling", 0.02, (register, accept, refer, sign), 3),
    Scenario("sign_overdue", 0.002, (register, accept, refer, overdue), 4),
    Scenario(
        "handling_overdue", 0.006, (register, accept, refer, sign, overdue, answer_notice), 13
    ),
    Scenario("escalated", 0.004, (register, accept, refer, sign, overdue, escalate), 20),
    Scenario("extension_pending", 0.002, (register, accept, refer, sign, ask_extension), 5),
    Scenario("awaiting_materials", 0.002, (register, accept, refer, sign, ask_materials), 4),
    Scenario("returned", 0.002, (register, accept, refer, return_first), 2),
    Scenario("transferred", 0.002, (register, accept, refer, transfer_first), 2),
    Scenario("awaiting_notify", 0.008, (register, accept, refer, sign, feedback), 6),
    Scenario("awaiting_close", 0.002, (register, accept, refer, sign, feedback, notify), 8),
]
SCENARIOS = FINISHED + OPEN


def run_scenario(
    scenario: Scenario, county: County, items: list[Item], rng: random.Random, now: datetime
) -> Case:
    """Work one case through `scenario`, starting `started_days_ago` working days ago."""
    township = rng.choice(county.townships)
    village = rng.choice(county.villages[township.pk])
    today = timezone.localdate(now)
    cal = WorkingCalendar.load(today, county.division.code)
    day = today
    # Finished cases start far enough back for every step to be over before today.
    back = scenario.started_days_ago + rng.randrange(0, 2)
    for _ in range(back):
        day = cal.previous(day, 1).day
    start = _local(day, time(9, rng.randrange(60)))
    with time_machine.travel(start, tick=False) as traveller:
        run = Run(county, township, village, items, traveller, rng)
        for step in scenario.steps:
            step(run)
    assert run.case is not None
    return run.case
