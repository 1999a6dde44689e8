"""The deployment runner for real: Celery worker processes on Redis sweep the test's database.

The workers are separate processes (`python -m celery -A tests.celery_worker worker`), so they
see only committed rows (transactional tests) and reach the test database through
DATABASE_URL. Each run uses a queue of its own, so runs sharing one Redis never take each
other's sweeps. Redis comes from CELERY_BROKER_URL / REDIS_URL (`.ci/with-redis` sets them).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import time_machine
from celery import Celery
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from tests.conftest import deploy_test_process, open_task
from workflows import engine
from workflows.models import ProcessEvent, ProcessInstance

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

CHECKOUT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30.0


def this_tests_database_url() -> str:
    """The URL of the database this test writes to (pytest-django's test_<name>)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgresql://{auth}{host}{port}/{quote(db['NAME'], safe='')}"


def redis_broker_url() -> str:
    url: str = settings.CELERY_BROKER_URL
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"no Redis answers at {url} ({exc}). Run the tests under `bash .ci/with-redis` "
            "(make test does), start redis-server, or set CELERY_BROKER_URL."
        )
    return url


def die_with_the_test() -> None:
    """In the worker, before exec: on Linux, get SIGTERM when pytest itself dies (killed, not
    torn down), so no worker is left waiting on its queue forever."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class Runner:
    """Celery workers of one test, on a queue of their own, and a client to send them tasks."""

    broker: str
    queue: str
    calls_file: Path
    tmp: Path
    client: Celery
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_worker(self, *, beat: bool = False, env: dict[str, str] | None = None) -> str:
        name = f"w{len(self.workers) + 1}-{self.queue}@localhost"
        log = self.tmp / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.celery_worker",
            "worker",
            "--concurrency=1",
            "--pool=prefork",
            f"--hostname={name}",
            "--loglevel=INFO",
            # Nothing to learn from other workers; mingle alone costs a second at start.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if beat:
            command += ["--beat", f"--schedule={self.tmp / 'beat-schedule'}"]
        self.workers[name] = subprocess.Popen(
            command,
            cwd=CHECKOUT,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join([str(CHECKOUT), str(CHECKOUT / "platform")]),
                "DJANGO_SETTINGS_MODULE": "onedoor.settings",
                "DATABASE_URL": this_tests_database_url(),
                "CELERY_BROKER_URL": self.broker,
                "CELERY_QUEUE": self.queue,
                "ONEDOOR_TEST_CALLS": str(self.calls_file),
                **(env or {}),
            },
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # teardown signals the worker and its pool child together
            preexec_fn=die_with_the_test,
        )
        return name

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        waiting = set(self.workers)
        while waiting:
            for name in waiting:
                if self.workers[name].poll() is not None:
                    pytest.fail(f"worker {name} exited at start:\n{self.log(name)}")
            replies = self.client.control.ping(destination=sorted(waiting), timeout=0.5)
            waiting -= {host for reply in replies for host in reply}
            if waiting and time.monotonic() > deadline:
                pytest.fail(f"workers {waiting} not ready after {STARTUP_SECONDS}s")

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")[-4000:]

    def calls(self) -> list[tuple[int, int]]:
        """(instance pk, worker pid) per call of the test.record handler, in any worker."""
        if not self.calls_file.exists():
            return []
        lines = self.calls_file.read_text().split()
        return [(int(pk), int(pid)) for pk, pid in zip(lines[::2], lines[1::2], strict=True)]

    def stop(self) -> None:
        # SIGTERM is Celery's warm shutdown: a running sweep finishes and commits first.
        for process in self.workers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.workers.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def celery_runner(transactional_db: None, tmp_path: Path) -> Iterator[Runner]:
    broker = redis_broker_url()
    queue = f"onedoor-test-{uuid.uuid4().hex[:12]}"
    client = Celery("onedoor-test", broker=broker, backend=broker)
    runner = Runner(broker, queue, tmp_path / "calls.txt", tmp_path, client)
    try:
        yield runner
    finally:
        runner.stop()
        # The queue and kombu's keys about it carry this run's unique name; leave the shared
        # Redis as it was.
        server = redis.Redis.from_url(broker)
        for key in server.scan_iter(match=f"*{queue}*"):
            server.delete(key)
        client.close()


def start_due_instances(count: int) -> list[ProcessInstance]:
    """Instances of timer_service whose one-hour timer fell due an hour ago by the real clock,
    which is the clock the workers read."""
    deploy_test_process("timer_service.bpmn")
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        return [
            engine.start_process(
                "timer_service", subject_type="test", subject_id=n, data={"explode": False}
            )
            for n in range(count)
        ]


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_two_workers_fire_every_due_timer_exactly_once(celery_runner: Runner) -> None:
    instances = start_due_instances(120)
    # Small batches and a little work per timer, so both workers sweep at the same time and
    # meet on the same rows: that is where a double fire or a lost timer would come from.
    # The result backend carries each sweep's report (which worker, how many fired) back here.
    settings_for_race = {
        "WORKFLOWS_TIMER_BATCH": "4",
        "ONEDOOR_TEST_HANDLER_SECONDS": "0.02",
        "CELERY_RESULT_BACKEND": celery_runner.broker,
    }
    first = celery_runner.start_worker(env=settings_for_race)
    second = celery_runner.start_worker(env=settings_for_race)
    celery_runner.wait_until_ready()

    sweeps = [
        celery_runner.client.send_task("workflows.sweep_due_timers", queue=celery_runner.queue)
        for _ in range(2)
    ]
    reports = [sweep.get(timeout=60) for sweep in sweeps]
    for sweep in sweeps:
        sweep.forget()

    # Both workers did work, and between them they fired every timer, none failed.
    assert {r["worker"] for r in reports if r["fired"] > 0} == {first, second}, reports
    assert sum(r["fired"] for r in reports) == len(instances), reports
    assert sum(r["failed"] for r in reports) == 0, reports

    # The service task behind each timer ran exactly once, in one of two worker processes.
    calls = celery_runner.calls()
    assert Counter(pk for pk, _ in calls) == Counter(i.pk for i in instances)
    assert len({pid for _, pid in calls}) == 2
    # The journal agrees: one timer_fired event per instance, no failure recorded.
    fired = ProcessEvent.objects.filter(kind=ProcessEvent.Kind.TIMER_FIRED).values("instance")
    assert sorted(fired.annotate(n=Count("id")).values_list("instance", "n")) == sorted(
        (i.pk, 1) for i in instances
    )
    assert not ProcessEvent.objects.filter(kind=ProcessEvent.Kind.FAILED).exists()

    # Every process moved on to its next step, with the result the worker's handler gave.
    pid_of = dict(calls)
    for instance in instances:
        instance.refresh_from_db()
        assert instance.next_timer_at is None
        task = open_task(instance, "after_timer")
        assert engine.task_data(task.task_id)["recorded"]["pid"] == pid_of[instance.pk]


def test_beat_schedules_the_sweep_without_anyone_asking(celery_runner: Runner) -> None:
    instances = start_due_instances(10)
    celery_runner.start_worker(beat=True, env={"WORKFLOWS_SWEEP_INTERVAL": "0.5"})
    celery_runner.wait_until_ready()

    def all_fired() -> bool:
        return not ProcessInstance.objects.filter(
            pk__in=[i.pk for i in instances], next_timer_at__isnull=False
        ).exists()

    assert wait_for(all_fired, 20), celery_runner.log(next(iter(celery_runner.workers)))
    assert Counter(pk for pk, _ in celery_runner.calls()) == Counter(i.pk for i in instances)
