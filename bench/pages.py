"""The web layer's CPU per page, in process: the real views through Django's test Client.

    DATABASE_URL=postgres://…/seeded python -m bench.pages [--repeat 200] [--profile inbox]
        [--posts 100] [--save DIR]

On a database seeded by bench.load / bench.seed_scale (it seeds none itself), logged in as
the personas bench.load measures one request at a time (the last officer, window clerk and
coordinator by username), it requests each page `--repeat` times after a warm-up and prints,
per page, the mean process CPU (time.process_time: this process only, the database's
backend not counted) and wall time per request, and the statements one request runs. On a
shared machine the CPU time is the figure to compare; wall time moves with the load.

`--posts N` signs for N referrals awaiting signature, and `--feedback N` feeds N signed ones
back (granted, with an amount and a note: the first POST renders the confirmation page, the
second, confirmed, completes the task); each a real completion, so the database changes: run
them on a copy. `--profile KIND` prints cProfile's top functions over
the requests of that page. `--save DIR` writes each page's HTML, rendered at a fixed instant
with the CSRF tokens blanked, so that two versions of the code can be diffed for what the
user sees.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onedoor.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.load import accounts  # noqa: E402

LINK_REFERRAL = re.compile(r'href="(/referrals/\d+/)"')
LINK_CASE = re.compile(r'href="(/cases/\d+/)"')
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')
TASK_ACTION = re.compile(r'action="(/tasks/[0-9a-f-]+/)"')


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def pages() -> dict[str, tuple[Client, str]]:
    """Each measured page: (the client of its persona, its address)."""
    names = accounts()
    officer = client_for(names["officer"][-1])
    clerk = client_for(names["window"][-1])
    coordinator = client_for(names["coordinator"][-1])
    inbox = officer.get("/inbox/").content.decode()
    referral = LINK_REFERRAL.findall(inbox)[0]
    listing = clerk.get("/cases/?stage=review_application").content.decode()
    case = (LINK_CASE.findall(listing) or LINK_CASE.findall(clerk.get("/cases/").content.decode()))[
        0
    ]
    return {
        "inbox": (officer, "/inbox/"),
        "referral page": (officer, referral),
        "case list": (clerk, "/cases/"),
        "case list, a step": (clerk, "/cases/?stage=review_application"),
        "case page": (clerk, case),
        "board": (coordinator, "/board/"),
        "bell": (officer, "/notifications/bell/"),
    }


def measure(run: Callable[[], Any], repeat: int, profile: Any) -> tuple[float, float]:
    """(mean CPU ms, mean wall ms) over `repeat` calls after a warm-up."""
    for _ in range(5):
        run()
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        if profile is not None:
            profile.enable()
        run()
        if profile is not None:
            profile.disable()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.mean(cpu) * 1000, statistics.mean(wall) * 1000


def statements(run: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def get(client: Client, path: str) -> Callable[[], Any]:
    headers = {"HX-Request": "true"} if path.startswith("/notifications/bell") else {}

    def run() -> Any:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        return response

    return run


def sign_for(client: Client, paths: list[str]) -> Callable[[], Any]:
    """Each call signs for the next referral: GET its page for the form, then POST it."""
    queue = list(paths)

    def run() -> Any:
        path = queue.pop()
        page = client.get(path).content.decode()
        action = TASK_ACTION.search(page)
        assert action is not None, path
        task = action.group(1).split("/")[2]
        prefix = re.search(r'name="(t\d+)-decision"', page)
        assert prefix is not None, path
        with CaptureQueriesContext(connection) as captured:
            c0 = time.process_time()
            response = client.post(
                action.group(1), {f"{prefix.group(1)}-decision": "sign", "next": path}
            )
            run.post_cpu.append(time.process_time() - c0)  # type: ignore[attr-defined]
        run.post_statements.append(len(captured))  # type: ignore[attr-defined]
        assert response.status_code == 302, (task, response.status_code)
        return response

    run.post_cpu = []  # type: ignore[attr-defined]
    run.post_statements = []  # type: ignore[attr-defined]
    return run


def feed_back(client: Client, paths: list[str]) -> Callable[[], Any]:
    """Each call feeds the next referral back: GET its page for the form, POST it (the
    confirmation page comes back), then POST the confirmation."""
    queue = list(paths)
    times: dict[str, list[float]] = {"ask": [], "confirm": []}
    counts: dict[str, list[int]] = {"ask": [], "confirm": []}

    def post(kind: str, action: str, data: dict[str, str], status: int) -> Any:
        with CaptureQueriesContext(connection) as captured:
            c0 = time.process_time()
            response = client.post(action, data)
            times[kind].append(time.process_time() - c0)
        counts[kind].append(len(captured))
        assert response.status_code == status, (action, kind, response.status_code)
        return response

    def run() -> Any:
        path = queue.pop()
        page = client.get(path).content.decode()
        action = TASK_ACTION.search(page)
        prefix = re.search(r'name="(t\d+)-handling"', page)
        assert action is not None and prefix is not None, path
        p = prefix.group(1)
        answers = {
            f"{p}-handling": "feedback",
            f"{p}-outcome": "granted",
            f"{p}-amount_yuan": "500",
            f"{p}-note": "已按规定办理",
        }
        asked = post("ask", action.group(1), {**answers, "next": path}, 200).content.decode()
        assert 'class="confirm-form"' in asked, path
        return post("confirm", action.group(1), {**answers, "next": path, "confirmed": "yes"}, 302)

    run.times = times  # type: ignore[attr-defined]
    run.counts = counts  # type: ignore[attr-defined]
    return run


def awaiting(username: str, n: int, step: str = "sign_for_referral") -> list[str]:
    """The first `n` referrals of the user's agency whose open task is `step`."""
    from onedoor.cases.models import Referral
    from onedoor.directory.models import Staff

    staff = Staff.objects.select_related("agency").get(user__username=username)
    pks = (
        Referral.objects.filter(agency=staff.agency, current_task__bpmn_id=step)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )
    return [f"/referrals/{pk}/" for pk in pks]


def awaiting_signature(username: str, n: int) -> list[str]:
    return awaiting(username, n)


INBOX_TABS = ("all", "overdue", "soon", "unanswered")
STEPS = ("review_application", "split_case", "notify_applicant", "close_case")


def snapshot_pages() -> dict[str, tuple[Client, str]]:
    """More than the measured pages: every inbox tab, each window step's list, and the first
    pages they link to, so that a diff covers rows of every kind."""
    names = accounts()
    officer = client_for(names["officer"][-1])
    clerk = client_for(names["window"][-1])
    coordinator = client_for(names["coordinator"][-1])
    found: dict[str, tuple[Client, str]] = {}
    for client, lists, link in (
        (officer, [f"/inbox/?show={s}" for s in INBOX_TABS], LINK_REFERRAL),
        (clerk, ["/cases/", "/cases/?page=2"] + [f"/cases/?stage={s}" for s in STEPS], LINK_CASE),
        (coordinator, ["/board/"], LINK_REFERRAL),
    ):
        for path in lists:
            found[path] = (client, path)
            for target in link.findall(get(client, path)().content.decode())[:3]:
                found.setdefault(target, (client, target))
    found["bell"] = (officer, "/notifications/bell/")
    return found


def save(directory: Path, at: str) -> None:
    import time_machine

    directory.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(datetime.fromisoformat(at), tick=False):
        for path, (client, url) in snapshot_pages().items():
            html = CSRF.sub(r'\1-"', get(client, url)().content.decode())
            name = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_") or "root"
            (directory / f"{name}.html").write_text(html)
    print(f"pages saved in {directory}, rendered at {at}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--only", action="append", default=[], help="page kinds to measure")
    parser.add_argument("--profile", default="", help="a page kind to profile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--posts", type=int, default=0, help="sign-fors measured (changes the DB)")
    parser.add_argument(
        "--feedback", type=int, default=0, help="feedbacks measured (changes the DB)"
    )
    parser.add_argument("--save", type=Path, default=None)
    parser.add_argument("--at", default="2026-12-07T10:00:00+08:00", help="--save's instant")
    args = parser.parse_args()
    if args.save is not None:
        save(args.save, args.at)
        return
    print(f"{'page':<20} {'CPU ms':>8} {'wall ms':>8} {'statements':>10}")
    for kind, (client, path) in pages().items():
        if args.only and kind not in args.only:
            continue
        run = get(client, path)
        profile = cProfile.Profile() if args.profile == kind else None
        cpu, wall = measure(run, args.repeat, profile)
        print(f"{kind:<20} {cpu:8.2f} {wall:8.2f} {statements(run):10d}", flush=True)
        if profile is not None:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    if args.posts:
        officer = accounts()["officer"][-1]
        client = client_for(officer)
        paths = awaiting_signature(officer, args.posts + 6)
        run = sign_for(client, paths)
        profile = cProfile.Profile() if args.profile == "task POST" else None
        for _ in range(5):
            run()
        run.post_cpu.clear()  # type: ignore[attr-defined]
        run.post_statements.clear()  # type: ignore[attr-defined]
        n = min(args.posts, len(paths) - 5)
        cpu0 = time.process_time()
        repeat(run, n, profile)
        post = statistics.mean(run.post_cpu) * 1000  # type: ignore[attr-defined]
        both = (time.process_time() - cpu0) / n * 1000
        print(f"{'task POST (sign)':<20} {post:8.2f} {'':>8} {'':>10}  (page + POST {both:.1f} ms;")
        count = max(run.post_statements)  # type: ignore[attr-defined]
        print(f"{'':<20} {'':>8} {'':>8} {count:10d}  statements at most, {n} signed)")
        if profile is not None:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    if args.feedback:
        feedbacks(args.feedback, args.profile == "confirm POST", args)


def repeat(run: Callable[[], Any], n: int, profile: cProfile.Profile | None) -> None:
    """`run` n times, each profiled when `profile` is given."""
    for _ in range(n):
        if profile is not None:
            profile.enable()
        run()
        if profile is not None:
            profile.disable()


def feedbacks(n: int, profiled: bool, args: Any) -> None:
    """The feedback's two POSTs: the one that asks for confirmation, the confirmed one."""
    officer = accounts()["officer"][-1]
    paths = awaiting(officer, n + 5, "handle_referral")
    run = feed_back(client_for(officer), paths)
    for _ in range(5):
        run()
    for kind in ("ask", "confirm"):  # the warm-up's reads once per process left out
        run.times[kind].clear()  # type: ignore[attr-defined]
        run.counts[kind].clear()  # type: ignore[attr-defined]
    profile = cProfile.Profile() if profiled else None
    done = min(n, len(paths) - 5)
    repeat(run, done, profile)
    for kind, label in (("ask", "feedback POST"), ("confirm", "confirm POST")):
        cpu = statistics.mean(run.times[kind]) * 1000  # type: ignore[attr-defined]
        most = max(run.counts[kind])  # type: ignore[attr-defined]
        print(f"{label:<20} {cpu:8.2f} {'':>8} {most:10d}  (statements at most, {done} sent)")
    if profile is not None:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
