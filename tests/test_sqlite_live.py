"""The embedded default under concurrent use: `make demo`'s web server and timer sweeper on one
SQLite file, while people work cases over HTTP.

The demo is set up as `make demo` does it (migrate, deploy, seed) on a throwaway file; then a
real `runserver` (threaded) and `run_timers` run in subprocesses, and two clients at once
accept applications, sign for referrals and report outcomes while the sweeper sweeps every
fraction of a second. The sweeper once exited with `database is locked`; now every request is
answered without a server error and the sweeper is still running at the end.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.demo_setup import ROOT, demo_copy

# Work a client does: (BPMN task, the form's fields without their t<pk>- prefix).
WORK = {
    "review_application": {"accepted": "yes", "reason": ""},
    "sign_for_referral": {"decision": "sign", "reason": ""},
    "handle_referral": {"handling": "feedback", "outcome": "service", "note": "已提供服务"},
}
# Fields the confirmation page adds (a final feedback is confirmed on its own page; the client
# posts as that page's second submit does).
CONFIRMED = {"handle_referral": {"confirmed": "yes"}}
# Who works a task: the window clerk of its township, the officer of its agency.
WORKERS = """
SELECT t.id, t.task_id, t.bpmn_id, u.username FROM workflows_humantask t
LEFT JOIN directory_agency a ON a.code = t.candidate_group
LEFT JOIN directory_division d ON d.code = t.candidate_group
JOIN directory_staff s ON (s.agency_id = a.id AND s.is_agency_leader = 0)
  OR (s.division_id = d.id AND s.role = 'window')
JOIN auth_user u ON u.id = s.user_id
WHERE t.state = 'open' AND t.bpmn_id IN ('review_application', 'sign_for_referral',
  'handle_referral')
ORDER BY t.id
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """A signed-in user over plain HTTP: cookies, and the CSRF token from each form page."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.get("/login/")[1]
        self.post("/login/", {"username": username, "password": "onedoor-demo"}, page)

    def _token(self, page: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, "no CSRF token on the page"
        return found.group(1)

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str], page: str) -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self._token(page)})
        request = urllib.request.Request(
            self.base + path, data=body.encode(), headers={"Referer": self.base + path}
        )
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")


@pytest.fixture
def demo(
    demo_setup: tuple[Path, str], tmp_path: Path
) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    db = demo_copy(demo_setup, tmp_path)  # set up as `make demo` does, once per run
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DEBUG": "false"}
    port = free_port()
    python = [sys.executable, str(ROOT / "manage.py")]
    logs = tmp_path / "sweeper.log"
    with logs.open("w") as sweeper_log:
        sweeper = subprocess.Popen(
            [*python, "run_timers", "--interval", "0.1"],
            env=env,
            cwd=ROOT,
            stdout=sweeper_log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        web = subprocess.Popen(
            [*python, "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/login/", timeout=5).close()
                    break
                except OSError:
                    time.sleep(0.2)
            yield base, db, sweeper
        finally:
            web.terminate()
            sweeper.terminate()
            web.wait(timeout=30)
            sweeper.wait(timeout=30)
    print(logs.read_text()[-3000:])


def test_people_work_cases_while_the_sweeper_runs_on_sqlite(
    demo: tuple[str, Path, subprocess.Popen[str]],
) -> None:
    base, db, sweeper = demo
    with sqlite3.connect(db) as conn:
        work = conn.execute(WORKERS).fetchall()
    assert len(work) >= 20, work
    statuses: list[int] = []
    browsers: dict[str, Browser] = {}
    lock = threading.Lock()

    def browser(username: str) -> Browser:
        with lock:
            if username not in browsers:
                browsers[username] = Browser(base, username)
            return browsers[username]

    def worker(rows: list[tuple[int, str, str, str]]) -> None:
        for pk, task_id, bpmn_id, username in rows:
            user = browser(username)
            status, page = user.get("/")  # the start page by role: inbox, case list
            statuses.append(status)
            fields = {f"t{pk}-{name}": value for name, value in WORK[bpmn_id].items()}
            fields.update(CONFIRMED.get(bpmn_id, {}))
            status, page = user.post(f"/tasks/{uuid.UUID(task_id)}/", fields, page)
            statuses.append(status)

    threads = [threading.Thread(target=worker, args=(work[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert statuses and all(status < 500 for status in statuses), statuses
    # The sweeper is still running, and it swept while people worked.
    time.sleep(1)
    assert sweeper.poll() is None, "the timer sweeper exited"
    placeholders = ",".join("?" * len(work))
    with sqlite3.connect(db) as conn:
        completed = conn.execute(
            "SELECT count(*) FROM workflows_humantask WHERE state = 'completed'"
            f" AND completed_by_id IS NOT NULL AND task_id IN ({placeholders})",
            [row[1] for row in work],
        ).fetchone()[0]
        failed = conn.execute(
            "SELECT count(*) FROM workflows_processevent WHERE kind = 'failed'"
        ).fetchone()[0]
    # Every task was worked by the person it was for (a timer may have moved a few on).
    assert completed >= len(work) * 0.9, (completed, len(work))
    assert failed == 0
