"""Load benchmark over HTTP: the deployment as the Procfile starts it, worked by simulated staff.

    python -m bench.load [--cases N] [--users U] [--duration S] [--warmup S] [--think S]

`make bench-load` runs it on PostgreSQL (.ci/with-postgres). What it does, in one run:

1. Data: on an empty database it migrates and seeds N cases (bench.seed_scale's data set,
   password `onedoor-scale`); a database that holds cases is measured as it is.
2. Server: the Procfile's `web:` line, run as written (gunicorn, WEB_CONCURRENCY workers x
   WEB_THREADS threads, its access log to a file as a log collector would take it), on a free
   port. The Celery worker and beat are not started (the timer sweep is not what is measured).
3. Users: U simulated staff, each a real login through /login/ (CSRF token and cookie, the
   redirect followed): agency officers (sign for referrals, then feed them back, from the
   inbox and the referral page, confirming the final step as the page asks), window clerks
   (the case list filtered by the window's steps, the case page, its task form: review,
   split with the catalogue's suggested agencies, notify, close) and coordinators (the board,
   a referral from it). Every page also fires what its HTML asks a browser to fetch from
   the bell (`hx-trigger` "load" and "every Ns" on #bell). No static files are fetched.
   Each user works with no think time (--think 0) or a think time of ~S seconds between pages.
4. Measured: after --warmup seconds (logins and work, not counted), --duration seconds of
   work: per request type p50/p95/p99 and counts, requests/s, task completions/s (a task
   POST counts when the page after it says it was done; after the run each one is checked
   against the database: the task completed, by that user), errors (HTTP >= 400 or no
   answer), the server's CPU (gunicorn master and workers, and the database's backends when
   PostgreSQL runs on this machine, from /proc) per request and per completion, and this
   load generator's own CPU.
5. Per request type, server CPU: one user of each role, one request at a time, the workers'
   CPU read before and after each request.
6. `bench.engine --processes 2` in the same run (its own database), and the ratio of HTTP
   completions/s to its persisted rate in two processes.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onedoor.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402

from bench.scale.geography import PASSWORD  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
KEEP_ALIVE = 1.5  # seconds a connection is reused after its last answer (gunicorn's is 2)

# --- the server ---------------------------------------------------------------------------


def procfile_web() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise SystemExit("bench.load: no web: line in the Procfile")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads), from /proc; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


class Server:
    """The Procfile's web process, and the CPU of it and of its database backends."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        env = {
            **os.environ,
            "BIND": f"127.0.0.1:{port}",
            "PATH": f"{ROOT / '.venv' / 'bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        env.setdefault("WEB_CONCURRENCY", "2")  # gunicorn's worker count: 2 cores
        self.command = procfile_web()
        self.log = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (our own Procfile, as a shell runs it)
            ["/bin/sh", "-c", "exec " + self.command],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.db_pids_ok = True

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench.load: gunicorn exited ({self.process.returncode})")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login/")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("bench.load: gunicorn did not answer")

    def pids(self) -> list[int]:
        return [self.process.pid, *children_of(self.process.pid)]

    def workers(self) -> list[int]:
        return children_of(self.process.pid)

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def db_backends(self) -> dict[int, float]:
        """The CPU of PostgreSQL's backends serving this database (when they run here)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            pids = [row[0] for row in cursor.fetchall()]
        return {pid: cpu_seconds(pid) for pid in pids}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def db_cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- a browser, cheaply -------------------------------------------------------------------

LINK_REFERRAL = re.compile(r'href="(/referrals/\d+/)"')
LINK_CASE = re.compile(r'href="(/cases/\d+/)"')
TASK_FORM = re.compile(r'<form method="post" action="(/tasks/[0-9a-f-]+/)"[^>]*>(.*?)</form>', re.S)
INPUT = re.compile(r"<input\b([^>]*)>", re.S)
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)
OPTION = re.compile(r"<option\b([^>]*)>", re.S)
TEXTAREA = re.compile(r"<textarea\b([^>]*)>(.*?)</textarea>", re.S)
ATTR = re.compile(r'([\w-]+)(?:="([^"]*)")?')
BELL = re.compile(r'<a id="bell"[^>]*hx-trigger="([^"]*)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUCCESS = re.compile(r'<li class="success">')


def attrs(text: str) -> dict[str, str]:
    return {m.group(1): unescape(m.group(2) or "") for m in ATTR.finditer(text)}


def form_fields(body: str) -> list[tuple[str, str, dict[str, str]]]:
    """(name, value, attributes) a browser would send by default, and the radio choices."""
    found: list[tuple[str, str, dict[str, str]]] = []
    for m in INPUT.finditer(body):
        a = attrs(m.group(1))
        if "name" not in a:
            continue
        kind = a.get("type", "text")
        if kind in {"radio", "checkbox"} and "checked" not in a:
            found.append((a["name"], "", {**a, "unchecked": "1"}))
            continue
        found.append((a["name"], a.get("value", "on" if kind == "checkbox" else ""), a))
    for m in SELECT.finditer(body):
        a = attrs(m.group(1))
        options = [attrs(o.group(1)) for o in OPTION.finditer(m.group(2))]
        chosen = next((o for o in options if "selected" in o), options[0] if options else {})
        found.append((a.get("name", ""), chosen.get("value", ""), a))
    for m in TEXTAREA.finditer(body):
        a = attrs(m.group(1))
        found.append((a.get("name", ""), unescape(m.group(2)).strip("\n"), a))
    return found


# What each kind of staff answers on a task form, by field name without its prefix.
ANSWERS = {
    "accepted": "yes",
    "decision": "sign",
    "handling": "feedback",
    "outcome": "granted",
    "amount_yuan": "500",
    "note": "已按规定办理",
    "confirm": "on",
}


def fill(body: str) -> list[tuple[str, str]]:
    """The form as a user fills it: the answers above, the rest as the page offers it."""
    data: dict[str, str] = {}
    order: list[str] = []
    for name, value, a in form_fields(body):
        short = name.split("-", 1)[-1]
        if name not in order:
            order.append(name)
        if short in ANSWERS:
            if a.get("unchecked") and a.get("type") == "radio":
                if a.get("value") == ANSWERS[short]:
                    data[name] = a["value"]
                continue
            if a.get("type") == "checkbox":
                data[name] = "on"
                continue
            if a.get("type") != "radio" and a.get("type") != "hidden":
                data[name] = ANSWERS[short]
                continue
        if a.get("unchecked"):
            continue
        data.setdefault(name, value)
    return [(name, data[name]) for name in order if name in data]


@dataclass
class Sample:
    kind: str
    began: float
    seconds: float
    status: int


@dataclass
class Stats:
    samples: list[Sample] = field(default_factory=list)
    completions: list[tuple[float, str, str]] = field(default_factory=list)  # at, task, user
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def completed(self, at: float, task: str, user: str) -> None:
        with self.lock:
            self.completions.append((at, task, user))


class Browser:
    """One user's session: a kept connection, cookies, the bell as the page asks for it."""

    def __init__(self, port: int, stats: Stats, username: str) -> None:
        self.port = port
        self.stats = stats
        self.username = username
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None
        self.used = 0.0
        self.bell_every: float | None = None
        self.bell_due = 0.0
        self.csrf = ""
        # A CPU probe for the per-request phase: called around each request when set.
        self.probe: Any = None

    def _connection(self) -> http.client.HTTPConnection:
        # gunicorn closes a kept-alive connection idle for --keep-alive (2 s): after a pause
        # a browser opens a new one rather than send a form into a closed socket.
        if self.conn is not None and time.monotonic() - self.used > KEEP_ALIVE:
            self.conn.close()
            self.conn = None
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return self.conn

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        data: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        """(status, body, Location); one sample of `kind`."""
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        sent.update(headers or {})
        if self.probe is not None:
            self.probe.start()
        began = time.monotonic()
        status, text, location = 0, "", ""
        for attempt in range(2):
            try:
                conn = self._connection()
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                status = response.status
                location = response.getheader("Location") or ""
                for header in response.headers.get_all("Set-Cookie") or []:
                    cookie = SimpleCookie(header)
                    for key, morsel in cookie.items():
                        self.cookies[key] = morsel.value
                break
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 1 or method == "POST":
                    status = 0
                    break
        self.used = time.monotonic()
        seconds = self.used - began
        if self.probe is not None:
            self.probe.stop(kind)
        self.stats.add(Sample(kind, began, seconds, status))
        return status, text, location

    def page(self, kind: str, path: str) -> str:
        """A full page, as a browser loads it: then the bell, if the page fires it now."""
        status, text, _location = self.request(kind, "GET", path)
        self._bell_of(text)
        return text if status == 200 else ""

    def _bell_of(self, html: str) -> None:
        match = BELL.search(html)
        if match is None:
            return
        trigger = match.group(1)
        every = re.search(r"every (\d+)s", trigger)
        self.bell_every = float(every.group(1)) if every else None
        now = time.monotonic()
        if "load" in trigger.split(",")[0] or re.search(r"\bload\b", trigger):
            self.bell()
        elif self.bell_every is not None:
            # A new page starts its poll afresh: the first one an interval after loading.
            self.bell_due = now + self.bell_every

    def tick(self) -> None:
        """The bell's poll, while the user looks at the page."""
        if self.bell_every is not None and time.monotonic() >= self.bell_due:
            self.bell()

    def bell(self) -> None:
        self.request("bell", "GET", "/notifications/bell/", headers={"HX-Request": "true"})
        if self.bell_every is not None:
            self.bell_due = time.monotonic() + self.bell_every

    def post_form(self, kind: str, action: str, data: list[tuple[str, str]], then: str) -> str:
        """POST a form and follow its redirect as a page of kind `then`."""
        csrf = next((v for k, v in data if k == "csrfmiddlewaretoken"), "")
        if not csrf:
            data = [("csrfmiddlewaretoken", self.cookies.get("csrftoken", "")), *data]
        status, text, location = self.request(kind, "POST", action, data)
        if status in {301, 302, 303} and location:
            return self.page(then, urllib.parse.urlsplit(location).path)
        if status == 200:
            self._bell_of(text)
            return text
        return ""

    def login(self, password: str) -> bool:
        status, text, _l = self.request("login page", "GET", "/login/")
        token = CSRF.search(text)
        if status != 200 or token is None:
            return False
        data = [
            ("csrfmiddlewaretoken", token.group(1)),
            ("username", self.username),
            ("password", password),
            ("next", ""),
        ]
        status, _text, location = self.request("login POST", "POST", "/login/", data)
        if status != 302:
            return False
        self.page("start page", urllib.parse.urlsplit(location).path or "/")
        return True


# --- the users ----------------------------------------------------------------------------

WINDOW_STEPS = ["review_application", "split_case", "notify_applicant", "close_case"]


class User:
    role = ""

    def __init__(self, browser: Browser, rng: random.Random, think: float) -> None:
        self.b = browser
        self.rng = rng
        self.think = think

    def pause(self, stop: threading.Event) -> None:
        """Think time, with the bell polling as the page asks."""
        if self.think <= 0:
            self.b.tick()
            return
        end = time.monotonic() + self.rng.uniform(0.5, 1.5) * self.think
        while not stop.is_set() and time.monotonic() < end:
            self.b.tick()
            stop.wait(min(1.0, max(0.0, end - time.monotonic())))

    def work_task(self, kind: str, html: str, then: str, stop: threading.Event) -> bool:
        """Fill and send the page's first task form; the confirm step when one comes."""
        match = TASK_FORM.search(html)
        if match is None:
            return False
        action, body = match.group(1), match.group(2)
        self.pause(stop)
        after = self.b.post_form(kind, action, fill(body), then)
        if 'class="confirm-form"' in after:
            confirm = re.search(
                r'<form method="post" action="([^"]+)" class="confirm-form">(.*?)</form>',
                after,
                re.S,
            )
            if confirm is None:
                return False
            self.pause(stop)
            after = self.b.post_form("confirm POST", confirm.group(1), fill(confirm.group(2)), then)
        if SUCCESS.search(after):
            self.b.stats.completed(time.monotonic(), action.split("/")[2], self.b.username)
            return True
        return False

    def step(self, stop: threading.Event) -> None:
        raise NotImplementedError


class Officer(User):
    role = "officer"

    def step(self, stop: threading.Event) -> None:
        inbox = self.b.page("inbox", "/inbox/")
        links = LINK_REFERRAL.findall(inbox)
        if not links:
            self.pause(stop)
            return
        self.pause(stop)
        page = self.b.page("referral page", self.rng.choice(links))
        self.work_task("task POST", page, "referral page", stop)
        self.pause(stop)


class Clerk(User):
    role = "window"

    def step(self, stop: threading.Event) -> None:
        steps = WINDOW_STEPS[:]
        self.rng.shuffle(steps)
        for stage in steps:
            listing = self.b.page("case list", f"/cases/?stage={stage}")
            links = LINK_CASE.findall(listing)
            self.pause(stop)
            if links:
                page = self.b.page("case page", self.rng.choice(links))
                self.work_task("task POST", page, "case page", stop)
                self.pause(stop)
                return


class Coordinator(User):
    role = "coordinator"

    def step(self, stop: threading.Event) -> None:
        board = self.b.page("board", "/board/")
        links = LINK_REFERRAL.findall(board)
        self.pause(stop)
        if links:
            self.b.page("referral page", self.rng.choice(links))
            self.pause(stop)


def accounts() -> dict[str, list[str]]:
    from onedoor.directory.models import Staff

    by_role: dict[str, list[str]] = {}
    for role, key in (
        (Staff.Role.AGENCY_OFFICER, "officer"),
        (Staff.Role.WINDOW, "window"),
        (Staff.Role.COORDINATOR, "coordinator"),
    ):
        by_role[key] = list(
            Staff.objects.filter(role=role, user__username__contains="-")
            .order_by("user__username")
            .values_list("user__username", flat=True)
        )
    return by_role


def make_users(n: int, port: int, stats: Stats, think: float, seed: int) -> list[User]:
    """Officers, clerks and coordinators about 6 : 3 : 1 (at least one coordinator)."""
    names = accounts()
    coordinators = max(1, n // 10)
    clerks = max(1, (n * 3) // 10) if n > 2 else 0
    officers = max(0, n - coordinators - clerks)
    users: list[User] = []
    rng = random.Random(seed)
    for kind, count, cls in (
        ("officer", officers, Officer),
        ("window", clerks, Clerk),
        ("coordinator", coordinators, Coordinator),
    ):
        pool = names[kind]
        for i in range(count):
            browser = Browser(port, stats, pool[i % len(pool)])
            users.append(cls(browser, random.Random(rng.random()), think))
    return users


def run_user(user: User, stop: threading.Event, logged_in: threading.Semaphore) -> None:
    try:
        if not user.b.login(PASSWORD):
            user.b.stats.add(Sample("login failed", time.monotonic(), 0.0, 0))
            return
    finally:
        logged_in.release()
    while not stop.is_set():
        try:
            user.step(stop)
        except Exception as exc:  # a broken page is an error of the run, counted
            user.b.stats.add(Sample(f"client error {type(exc).__name__}", time.monotonic(), 0, 0))


# --- figures ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def verify(completions: list[tuple[float, str, str]]) -> int:
    """How many claimed completions the database agrees with: that task, done by that user."""
    from workflows.models import HumanTask

    wanted = {(task, user) for _at, task, user in completions}
    if not wanted:
        return 0
    connections.close_all()
    rows = HumanTask.objects.filter(
        task_id__in=[t for t, _u in wanted], state=HumanTask.State.COMPLETED
    ).values_list("task_id", "completed_by__username")
    done = {(str(t), u) for t, u in rows}
    return len(wanted & done)


class Probe:
    """Server CPU around each request of a single sequential user, by request kind."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.by_kind: dict[str, list[float]] = defaultdict(list)
        self._began = 0.0
        self.pids = server.pids()

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    def start(self) -> None:
        self._began = self.cpu()

    def stop(self, kind: str) -> None:
        # The workers account CPU in clock ticks at the end of a request's last slice: wait
        # a moment so the request's own ticks land before reading.
        time.sleep(0.002)
        self.by_kind[kind].append(self.cpu() - self._began)


def per_request_cpu(server: Server, port: int, seconds: float, seed: int) -> dict[str, float]:
    """One user of each role in turn, one request at a time: server CPU per request kind."""
    probe = Probe(server)
    stats = Stats()
    for cls, kind in ((Officer, "officer"), (Clerk, "window"), (Coordinator, "coordinator")):
        browser = Browser(port, stats, accounts()[kind][-1])
        user = cls(browser, random.Random(seed), 0)
        if not browser.login(PASSWORD):
            continue
        browser.probe = probe
        stop = threading.Event()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            user.step(stop)
    return {kind: statistics.mean(v) * 1000 for kind, v in probe.by_kind.items() if v}


def engine_rate(cases: int) -> float | None:
    """`bench.engine`'s persisted rate in two processes, run now (its own database)."""
    command = [sys.executable, "-m", "bench.engine", "--cases", str(cases), "--processes", "2"]
    done = subprocess.run(  # noqa: S603
        command, cwd=ROOT, capture_output=True, text=True, check=False, env=os.environ.copy()
    )
    match = re.search(r"persisted:\s+(\d+) task completions/s\s+in 2 processes", done.stdout)
    if match is None:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        return None
    return float(match.group(1))


def ensure_data(cases: int) -> None:
    from django.core.management import call_command

    from bench.scale import build
    from onedoor.cases.models import Case

    call_command("migrate", verbosity=0)
    if not Case.objects.exists():
        print(f"seeding {cases} cases (bench.seed_scale) ...", flush=True)
        build.seed_scale(build.Options(cases=cases))
    connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000, help="seeded if the DB is empty")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=15, help="seconds of work not counted")
    parser.add_argument("--think", type=float, default=0, help="~seconds between a user's pages")
    parser.add_argument("--per-request", type=float, default=15, help="seconds per role, 0: skip")
    parser.add_argument("--engine-cases", type=int, default=100, help="0: skip bench.engine")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench.load measures PostgreSQL: set DATABASE_URL (make bench-load does)")
    ensure_data(args.cases)
    from onedoor.cases.models import Case, Referral

    print(
        f"data: {Case.objects.count():,} cases, {Referral.objects.open().count():,} open "
        f"referrals; accounts: " + ", ".join(f"{len(v)} {k}" for k, v in accounts().items()),
        flush=True,
    )
    connections.close_all()
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="onedoor-load-")) / "gunicorn.log"
    server = Server(port, log)
    try:
        server.wait_ready()
        print(
            f"server: {server.command}  (WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY', '2')}"
            f", {len(server.workers())} workers; log {log})",
            flush=True,
        )
        stats = Stats()
        users = make_users(args.users, port, stats, args.think, args.seed)
        stop = threading.Event()
        logged_in = threading.Semaphore(0)
        threads = [
            threading.Thread(target=run_user, args=(u, stop, logged_in), daemon=True) for u in users
        ]
        print(
            f"users: {args.users} ({sum(isinstance(u, Officer) for u in users)} officers, "
            f"{sum(isinstance(u, Clerk) for u in users)} clerks, "
            f"{sum(isinstance(u, Coordinator) for u in users)} coordinators), think time "
            f"{args.think:g} s; warm-up {args.warmup:g} s, measured {args.duration:g} s",
            flush=True,
        )
        started = time.monotonic()
        for t in threads:
            t.start()
        # Everyone logs in first (the shift starting: each login hashes a password), then
        # works for the warm-up before the measured window.
        for _ in threads:
            logged_in.acquire(timeout=300)
        logins = [s.seconds * 1000 for s in stats.samples if s.kind == "login POST"]
        print(
            f"logins: {len(logins)} in {time.monotonic() - started:.1f} s, login POST p50 "
            f"{statistics.median(logins) if logins else 0:.0f} ms, max {max(logins, default=0):.0f}"
            " ms",
            flush=True,
        )
        time.sleep(args.warmup)
        began = time.monotonic()
        cpu0, db0, me0 = (
            server.cpu(),
            server.db_backends(),
            resource.getrusage(resource.RUSAGE_SELF),
        )
        time.sleep(args.duration)
        ended = time.monotonic()
        cpu1, db1, me1 = (
            server.cpu(),
            server.db_backends(),
            resource.getrusage(resource.RUSAGE_SELF),
        )
        stop.set()
        for t in threads:
            t.join(70)
        window = ended - began
        samples = [s for s in stats.samples if began <= s.began < ended]
        completions = [c for c in stats.completions if began <= c[0] < ended]
        report(samples, window)
        requests = len(samples)
        server_cpu = cpu1 - cpu0
        db_cpu = db_cpu_between(db0, db1)
        me_cpu = (me1.ru_utime - me0.ru_utime) + (me1.ru_stime - me0.ru_stime)
        verified = verify(completions)
        print(
            f"completions: {len(completions)} counted in the window, {verified} of them found "
            f"in the database (task completed, by that user) = {verified / window:.1f} /s"
        )
        print(
            f"server CPU: gunicorn {server_cpu:.1f} s ({server_cpu / window * 100:.0f}% of one "
            f"core), PostgreSQL backends {db_cpu:.1f} s; per request "
            f"{server_cpu / max(1, requests) * 1000:.1f}"
            f" ms (+{db_cpu / max(1, requests) * 1000:.1f} ms PostgreSQL); per completion "
            f"{server_cpu / max(1, verified) * 1000:.0f} ms "
            f"(+{db_cpu / max(1, verified) * 1000:.0f} ms)"
        )
        print(
            f"load generator CPU: {me_cpu:.1f} s ({me_cpu / window * 100:.0f}% of one core, "
            f"{me_cpu / max(1, requests) * 1000:.2f} ms per request)"
        )
        if args.per_request > 0:
            per = per_request_cpu(server, port, args.per_request, args.seed)
            print("server CPU per request, one request at a time (gunicorn, mean ms):")
            for kind, ms in sorted(per.items()):
                print(f"  {kind:22s} {ms:6.1f}")
    finally:
        server.stop()
    if args.engine_cases > 0:
        rate = engine_rate(args.engine_cases)
        if rate is not None:
            http_rate = verified / window
            print(
                f"bench.engine, same run: {rate:.0f} completions/s persisted in 2 processes; "
                f"over HTTP / engine = {http_rate / rate:.3f} (1/{rate / max(http_rate, 1e-9):.0f})"
            )


def report(samples: list[Sample], window: float) -> None:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    errors = [s for s in samples if s.status == 0 or s.status >= 400]
    print(
        f"{'request':22s} {'count':>7s} {'per s':>7s} {'p50 ms':>8s} {'p95 ms':>8s} "
        f"{'p99 ms':>8s} errors"
    )
    for kind, group in sorted(by_kind.items()):
        ms = [s.seconds * 1000 for s in group]
        bad = sum(1 for s in group if s.status == 0 or s.status >= 400)
        print(
            f"{kind:22s} {len(group):7d} {len(group) / window:7.1f} {statistics.median(ms):8.1f} "
            f"{percentile(ms, 0.95):8.1f} {percentile(ms, 0.99):8.1f} {bad}"
        )
    print(
        f"all: {len(samples)} requests = {len(samples) / window:.1f} /s, {len(errors)} errors"
        + (
            " (" + ", ".join(sorted({f"{s.kind} {s.status}" for s in errors})[:8]) + ")"
            if errors
            else ""
        )
    )


if __name__ == "__main__":
    main()
