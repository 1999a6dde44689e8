"""Engine benchmark: the one-door path in memory and persisted on PostgreSQL, in one run.

    python -m bench.engine [--cases N] [--threads N] [--processes N] [--no-state-cache]
                           [--profile N]
    (make bench: PostgreSQL)

Each case: review (accept), split into two referrals, two sign-fors, two handle-and-feedback,
notify, close: eight user-task completions. "In memory" drives SpiffWorkflow directly with
the same parsed spec and script engine; "persisted" goes through workflows.engine: row lock,
load, advance, serialize, save, projections and journal, one transaction per completion.
Both run the domain's real service-task handlers (deadline clocks on working days).
The task to complete next is taken from what the previous step opened (the rows the
instance_advanced signal carries), as a page that follows the case from step to step would:
finding it with a query of its own is not part of a completion.
It also prints where a persisted completion's time goes: the service handlers (domain code,
with their queries), the other SQL statements as the driver sees them, COMMIT (the WAL
flush), and the rest (SpiffWorkflow and Python). --no-state-cache measures a process that
never saved the previous step (another web worker did), so every step deserializes.
--threads N also runs the persisted path in N threads of this one process, each with its own
connection and its own cases, as a threaded web server (gunicorn --threads) serves several
users at once: one thread's waits on PostgreSQL (the statements, the WAL flush at COMMIT) are
another's turn to compute. make bench runs it with 4.
--processes N runs it in N processes at once (gunicorn's workers), each its own connection and
cases: what the machine does, past one process's GIL. make bench runs it with 2.
The peer line (bench.peer) drives the same cases through SpiffWorkflow used plainly, as a
straightforward integration stores it (serialize_json with the spec embedded, one row per
instance in a table of its own, locked, read, advanced and written back, no cache), in one
thread and, with --threads N, in N threads; the last line compares the engine with it.
--profile N prints the N costliest functions of the persisted part (cProfile, cumulative time,
or their own time with --profile-own; the profiler itself slows the run, so its rate is not the
benchmark's).
Creates and drops its own test database.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import multiprocessing
import os
import pstats
import statistics
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onedoor.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, connections  # noqa: E402
from SpiffWorkflow.task import TaskState  # noqa: E402

from bench import peer  # noqa: E402
from workflows import engine, handlers, stepping  # noqa: E402
from workflows.definitions import deploy_files, latest_definition  # noqa: E402
from workflows.models import HumanTask, ProcessInstance  # noqa: E402
from workflows.runtime import (  # noqa: E402
    EngineWorkflow,
    current_instance,
    script_engine,
    serializer,
    spec_cache,
)
from workflows.signals import instance_advanced  # noqa: E402
from workflows.statecache import workflow_cache  # noqa: E402

REFERRALS = [
    {"item": "医疗救助", "agency": "health", "handle_days": 10},
    {"item": "教育救助", "agency": "education", "handle_days": 5},
]
# (bpmn id, form data) in the order a case is worked; sign and handle come once per referral.
PATH: list[tuple[str, dict[str, Any]]] = [
    ("review_application", {"accepted": True}),
    ("split_case", {"referrals": REFERRALS}),
    ("sign_for_referral", {"decision": "sign"}),
    ("sign_for_referral", {"decision": "sign"}),
    ("handle_referral", {"outcome": "granted", "amount_fen": 100000, "note": ""}),
    ("handle_referral", {"outcome": "granted", "amount_fen": 50000, "note": ""}),
    ("notify_applicant", {"channel": "书面", "text": "已告知"}),
    ("close_case", {}),
]
START_DATA = {"township": "130302001", "county": "130302"}
OPEN_CASE_STEP = 4  # after both sign-fors: the largest state a case has while open


@dataclass
class Clock:
    """Seconds spent in service handlers, in SQL statements outside them, and in COMMIT;
    of the rest, in the engine's advance (SpiffWorkflow running the step, handlers excluded),
    serializing the state and taking the workflow to advance (state cache or deserialize)."""

    service: float = 0.0
    sql: float = 0.0
    statements: int = 0
    commit: float = 0.0
    depth: int = 0  # > 0 while a handler runs: its queries count as handler time
    advance: float = 0.0
    serialize: float = 0.0
    load: float = 0.0
    # CPU seconds of this process and of its database server process (where it runs on this
    # machine), read around the persisted part.
    client_cpu: float = 0.0
    server_cpu: float | None = None

    def timed_handler(self, handler: handlers.Handler) -> handlers.Handler:
        def run(call: handlers.ServiceCall) -> dict[str, Any]:
            start = time.perf_counter()
            self.depth += 1
            try:
                return handler(call)
            finally:
                self.depth -= 1
                self.service += time.perf_counter() - start

        return run

    def statement(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not self.depth:
                self.sql += time.perf_counter() - start
                self.statements += 1

    @contextmanager
    def watching(self) -> Iterator[None]:
        plain = {name: handlers.get(name) for name in handlers.registered()}
        for name, handler in plain.items():
            assert handler is not None
            handlers.register(name)(self.timed_handler(handler))
        plain_commit = connection._commit  # type: ignore[attr-defined]

        def timed_commit() -> None:
            start = time.perf_counter()
            try:
                plain_commit()
            finally:
                self.commit += time.perf_counter() - start

        connection._commit = timed_commit  # type: ignore[attr-defined]
        plain_advance, plain_dump, plain_load = (
            engine.advance,
            stepping.dump_state,
            engine.load_locked,
        )

        def timed_advance(*args: Any, **kwargs: Any) -> Any:
            start, service, sql = time.perf_counter(), self.service, self.sql
            try:
                return plain_advance(*args, **kwargs)
            finally:
                inside = (self.service - service) + (self.sql - sql)
                self.advance += time.perf_counter() - start - inside

        def timed(plain: Callable[..., Any], field: str) -> Callable[..., Any]:
            def run(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return plain(*args, **kwargs)
                finally:
                    setattr(self, field, getattr(self, field) + time.perf_counter() - start)

            return run

        engine.advance = timed_advance
        # persist (workflows.stepping) serializes the state: it is timed where it is looked up.
        stepping.dump_state = timed(plain_dump, "serialize")
        engine.load_locked = timed(plain_load, "load")
        try:
            with connection.execute_wrapper(self.statement):
                yield
        finally:
            engine.advance, stepping.dump_state = plain_advance, plain_dump
            engine.load_locked = plain_load
            del connection._commit  # type: ignore[attr-defined]
            for name, handler in plain.items():
                assert handler is not None
                handlers.register(name)(handler)

    def per(self, n: int, elapsed: float) -> str:
        ms = 1000 / n
        rest = elapsed - self.service - self.sql - self.commit
        line = (
            f"service handlers {self.service * ms:.2f} ms, "
            f"other SQL {self.sql * ms:.2f} ms ({self.statements / n:.1f} statements), "
            f"COMMIT {self.commit * ms:.2f} ms, SpiffWorkflow + Python {rest * ms:.2f} ms"
        )
        if self.advance:
            other = rest - self.advance - self.serialize - self.load
            line += (
                f"\n    of which: advance {self.advance * ms:.2f} ms, "
                f"serialize {self.serialize * ms:.2f} ms, load {self.load * ms:.2f} ms, "
                f"the rest {other * ms:.2f} ms (projections, journal rows, ORM, signal)"
            )
        if self.client_cpu:
            line += f"\n    CPU: this process {self.client_cpu * ms:.2f} ms"
            if self.server_cpu is not None:
                line += f", its PostgreSQL backend {self.server_cpu * ms:.2f} ms"
            waited = elapsed - self.client_cpu - (self.server_cpu or 0.0)
            line += f", neither (waits: WAL flush, round trips) {waited * ms:.2f} ms"
        return line


def run_in_memory(cases: int) -> tuple[float, int]:
    parsed = spec_cache.get(latest_definition("one_door").pk)
    token = current_instance.set(ProcessInstance(pk=0))
    completions = 0
    start = time.perf_counter()
    try:
        for _ in range(cases):
            workflow = EngineWorkflow(
                parsed.spec, parsed.subprocess_specs, script_engine=script_engine
            )
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(START_DATA)
            workflow.do_engine_steps()
            for bpmn_id, data in PATH:
                task = next(
                    t
                    for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                    if t.task_spec.bpmn_id == bpmn_id
                )
                task.data.update(data)
                task.run()
                workflow.do_engine_steps()
                completions += 1
            assert workflow.is_completed()
    finally:
        current_instance.reset(token)
    return time.perf_counter() - start, completions


class NextTasks:
    """The open user tasks of each instance by BPMN id, kept from the rows every step opened
    and closed (the instance_advanced signal), so the bench never queries for them."""

    def __init__(self) -> None:
        self.open: dict[int, dict[str, list[UUID]]] = {}

    def __call__(
        self, instance: ProcessInstance, opened: list[HumanTask], closed: list[HumanTask], **_: Any
    ) -> None:
        tasks = self.open.setdefault(instance.pk, {})
        for row in closed:
            tasks[row.bpmn_id].remove(row.task_id)
        for row in opened:
            tasks.setdefault(row.bpmn_id, []).append(row.task_id)

    def take(self, instance_id: int, bpmn_id: str) -> UUID:
        waiting = self.open.get(instance_id, {}).get(bpmn_id)
        assert waiting, f"{bpmn_id} not open on {instance_id}"
        return waiting[0]

    @contextmanager
    def following(self) -> Iterator[NextTasks]:
        instance_advanced.connect(self, sender=ProcessInstance, weak=False)
        try:
            yield self
        finally:
            instance_advanced.disconnect(self, sender=ProcessInstance)


def backend_cpu(pids: list[int]) -> float | None:
    """CPU seconds the PostgreSQL backends `pids` have used, if they run on this machine."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def start_cases(cases: int, actor: Any) -> list[ProcessInstance]:
    instances = [
        engine.start_process(
            "one_door",
            subject_type="bench",
            subject_id=n,
            data=START_DATA,
            actor=actor,
        )
        for n in range(cases)
    ]
    with connection.cursor() as cursor:  # fresh tables: give the planner statistics first
        cursor.execute("ANALYZE")
    return instances


def run_persisted(
    cases: int, actor: Any, clock: Clock, tasks: NextTasks
) -> tuple[float, int, list[int], list[int]]:
    instances = start_cases(cases, actor)
    compressed: list[int] = []
    raw: list[int] = []
    completions = 0
    pids = [backend_pid()]
    server = backend_cpu(pids)
    cpu = time.process_time()
    start = time.perf_counter()
    for step, (bpmn_id, data) in enumerate(PATH):
        if step == OPEN_CASE_STEP:
            pause, sql, statements = time.perf_counter(), clock.sql, clock.statements
            pause_cpu = time.process_time()
            for instance in ProcessInstance.objects.filter(subject_type="bench"):
                blob = bytes(instance.serialized)
                compressed.append(len(blob))
                raw.append(len(zlib.decompress(blob)))
            start += time.perf_counter() - pause  # measuring size is not part of the rate
            cpu += time.process_time() - pause_cpu
            clock.sql, clock.statements = sql, statements
        for instance in instances:
            engine.complete_task(tasks.take(instance.pk, bpmn_id), actor=actor, data=data)
            completions += 1
    elapsed = time.perf_counter() - start
    clock.client_cpu = time.process_time() - cpu
    after = backend_cpu(pids)
    clock.server_cpu = after - server if after is not None and server is not None else None
    done = ProcessInstance.objects.filter(subject_type="bench", state="completed").count()
    assert done == cases, f"only {done} of {cases} cases completed"
    return elapsed, completions, compressed, raw


def run_threaded(
    cases: int, threads: int, actor: Any, tasks: NextTasks
) -> tuple[float, int, float, float | None]:
    """The persisted path in `threads` threads of this process, each on its own connection
    and share of the cases. Returns (seconds, completions, this process's CPU seconds, the
    backends' CPU seconds or None)."""
    instances = start_cases(cases, actor)
    pids: list[int] = []
    errors: list[BaseException] = []
    ready, done = threading.Barrier(threads + 1), threading.Barrier(threads + 1)
    release = threading.Event()

    def work(share: list[ProcessInstance]) -> None:
        try:
            pids.append(backend_pid())
            ready.wait()
            for bpmn_id, data in PATH:
                for instance in share:
                    task_id = tasks.take(instance.pk, bpmn_id)
                    engine.complete_task(task_id, actor=actor, data=data)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            ready.abort()
        finally:
            with suppress(threading.BrokenBarrierError):
                done.wait()
            release.wait()
            connection.close()

    workers = [threading.Thread(target=work, args=(instances[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    try:
        ready.wait()
        server = backend_cpu(pids)
        cpu = time.process_time()
        start = time.perf_counter()
        done.wait()
        elapsed = time.perf_counter() - start
        client_cpu = time.process_time() - cpu
        after = backend_cpu(pids)
    except threading.BrokenBarrierError:
        done.abort()
    finally:
        release.set()
        for worker in workers:
            worker.join()
    if errors:
        raise errors[0]
    completions = len(PATH) * cases
    done_cases = ProcessInstance.objects.filter(
        pk__in=[instance.pk for instance in instances], state="completed"
    ).count()
    assert done_cases == cases, f"only {done_cases} of {cases} cases completed"
    server_cpu = after - server if after is not None and server is not None else None
    return elapsed, completions, client_cpu, server_cpu


def run_processes(cases: int, processes: int, actor: Any, tasks: NextTasks) -> tuple[float, int]:
    """The persisted path in `processes` worker processes at once (forked after the cases are
    started, each with its own connection and share of the cases), as gunicorn's workers
    (`WEB_CONCURRENCY`) serve users side by side: what the machine does, where the threads
    show what one process does. Returns (seconds, completions)."""
    instances = start_cases(cases, actor)
    connections.close_all()  # each process opens its own
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(processes + 1, timeout=300)
    reports: Any = context.Queue()
    shares = [[instance.pk for instance in instances[i::processes]] for i in range(processes)]
    workers = [
        context.Process(target=_work_in_process, args=(share, actor, tasks, ready, reports))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    ready.wait()
    start = time.perf_counter()
    done = [reports.get(timeout=600) for _ in workers]
    elapsed = time.perf_counter() - start
    for worker in workers:
        worker.join()
    failed = [error for _n, error in done if error]
    if failed:
        raise RuntimeError(f"a worker process failed: {failed[0]}")
    completions = sum(n for n, _error in done)
    done_cases = ProcessInstance.objects.filter(
        pk__in=[instance.pk for instance in instances], state="completed"
    ).count()
    assert done_cases == cases, f"only {done_cases} of {cases} cases completed"
    return elapsed, completions


def _work_in_process(
    share: list[int], actor: Any, tasks: NextTasks, ready: Any, reports: Any
) -> None:
    completions, error = 0, ""
    try:
        backend_pid()  # connected before the clock starts
        ready.wait()
        for bpmn_id, data in PATH:
            for instance_id in share:
                engine.complete_task(tasks.take(instance_id, bpmn_id), actor=actor, data=data)
                completions += 1
    except BaseException as exc:  # reported by the parent
        error = repr(exc)
        ready.abort()
    finally:
        connection.close()
        reports.put((completions, error))


def embedded_spec_size() -> int:
    """State size if the spec were embedded in every instance (what spec-by-reference saves)."""
    parsed = spec_cache.get(latest_definition("one_door").pk)
    spec_json = json.dumps(
        {
            "spec": serializer.to_dict(parsed.spec),
            "subprocess_specs": {
                k: serializer.to_dict(v) for k, v in parsed.subprocess_specs.items()
            },
        }
    )
    return len(spec_json)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        metavar="N",
        help="also run the persisted path in N threads of this process (0: not)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        metavar="N",
        help="also run the persisted path in N processes at once (0: not)",
    )
    parser.add_argument(
        "--no-state-cache",
        action="store_true",
        help="deserialize every step, as a process that did not save the previous one would",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile the persisted part and print its N costliest functions (cumulative)",
    )
    parser.add_argument(
        "--profile-own",
        action="store_true",
        help="with --profile: the functions with the most time of their own, not cumulative",
    )
    args = parser.parse_args()
    if args.no_state_cache:
        workflow_cache.size = 0
    if connection.vendor != "postgresql":
        sys.exit("bench.engine measures PostgreSQL: set DATABASE_URL (make bench does)")

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        deploy_files([ROOT / "bpmn" / "one_door.bpmn"])
        actor = get_user_model().objects.create_user("bench")
        run_in_memory(20)  # warm up the spec cache and the interpreter
        mem_clock, db_clock = Clock(), Clock()
        with mem_clock.watching():
            mem_s, mem_n = run_in_memory(args.cases)
        hits, misses = workflow_cache.hits, workflow_cache.misses
        profiler = cProfile.Profile() if args.profile else None
        with NextTasks().following() as tasks:
            with db_clock.watching():
                if profiler is not None:
                    profiler.enable()
                db_s, db_n, compressed, raw = run_persisted(args.cases, actor, db_clock, tasks)
                if profiler is not None:
                    profiler.disable()
            hits, misses = workflow_cache.hits - hits, workflow_cache.misses - misses
            threaded = (
                run_threaded(args.cases, args.threads, actor, tasks) if args.threads else None
            )
            in_processes = (
                run_processes(args.cases, args.processes, actor, tasks) if args.processes else None
            )
        peer.create_table()
        peer_one = peer.run(args.cases, 1, PATH, START_DATA)
        peer_threaded = (
            peer.run(args.cases, args.threads, PATH, START_DATA) if args.threads else None
        )
        spec_bytes = embedded_spec_size()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    mem_rate, db_rate = mem_n / mem_s, db_n / db_s
    print(
        f"one_door.bpmn, {args.cases} cases x {len(PATH)} user tasks, "
        f"PostgreSQL {connection.pg_version}, "  # type: ignore[attr-defined]
        f"gc threshold {gc.get_threshold()[0]}"
        + (", state cache off (every step deserializes)" if args.no_state_cache else "")
    )
    print(f"in memory:  {mem_rate:8.0f} task completions/s  ({mem_s * 1000 / mem_n:.2f} ms each)")
    print(
        f"persisted:  {db_rate:8.0f} task completions/s  ({db_s * 1000 / db_n:.2f} ms each, "
        "lock + load + advance + save + projections + journal, one transaction each)"
    )
    if threaded is not None:
        th_s, th_n, th_cpu, th_server = threaded
        print(
            f"persisted:  {th_n / th_s:8.0f} task completions/s  in {args.threads} threads of one "
            f"process ({th_s * 1000 / th_n:.2f} ms each; CPU per completion: this process "
            f"{th_cpu * 1000 / th_n:.2f} ms"
            + (f", PostgreSQL {th_server * 1000 / th_n:.2f} ms)" if th_server is not None else ")")
        )
    if in_processes is not None:
        pr_s, pr_n = in_processes
        print(
            f"persisted:  {pr_n / pr_s:8.0f} task completions/s  in {args.processes} processes "
            f"at once ({pr_s * 1000 / pr_n:.2f} ms each; this machine, as {args.processes} "
            "web workers share it)"
        )
    peer_s, peer_n = peer_one
    print(
        f"peer:       {peer_n / peer_s:8.0f} task completions/s  (SpiffWorkflow used plainly: "
        "serialize_json with the spec, one row per instance, locked, read, advanced, written back)"
    )
    if peer_threaded is not None:
        pt_s, pt_n = peer_threaded
        print(f"peer:       {pt_n / pt_s:8.0f} task completions/s  in {args.threads} threads")
    print(f"ratio:      {mem_rate / db_rate:8.1f} x  (in memory / persisted)")
    print(
        f"ratios:     persisted / in memory {db_rate / mem_rate:.3f}, "
        f"persisted / peer {db_rate / (peer_n / peer_s):.2f}"
        + (
            f"; in {args.threads} threads: persisted / in memory "
            f"{th_n / th_s / mem_rate:.3f}, persisted / peer {(th_n / th_s) / (pt_n / pt_s):.2f}"
            if threaded is not None and peer_threaded is not None
            else ""
        )
    )
    print(f"in memory, per completion:  {mem_clock.per(mem_n, mem_s)}")
    print(f"persisted, per completion:  {db_clock.per(db_n, db_s)}")
    print(
        f"state cache: {hits} of {hits + misses} steps reused the saved workflow"
        + (" (turned off)" if args.no_state_cache else "")
    )
    print(
        f"state per open case: {statistics.mean(compressed):.0f} bytes stored (zlib), "
        f"{statistics.mean(raw):.0f} bytes JSON; an embedded spec would add {spec_bytes} bytes JSON"
    )

    if profiler is not None:
        print(f"\npersisted part under cProfile, per completion ({db_n} completions):")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative")
        _print_per_completion(stats, db_n, args.profile, by_own=args.profile_own)


def _print_per_completion(stats: pstats.Stats, n: int, limit: int, *, by_own: bool) -> None:
    """The `limit` functions with the most cumulative time, in ms and calls per completion."""
    rows = sorted(
        stats.stats.items(),  # type: ignore[attr-defined]
        key=lambda row: row[1][2 if by_own else 3],
        reverse=True,
    )
    print(f"{'cum ms':>8} {'own ms':>8} {'calls':>8}  function")
    for (path, line, name), (_cc, calls, own, cumulative, _callers) in rows[:limit]:
        where = f"{Path(path).name}:{line}" if line else path
        print(
            f"{cumulative * 1000 / n:8.3f} {own * 1000 / n:8.3f} {calls / n:8.1f}  {name} ({where})"
        )


if __name__ == "__main__":
    main()
