"""Instructions per persisted task completion, counted by valgrind (callgrind), not timed.

    python -m bench.instructions [--cases A B] [--no-state-cache]
    (make bench-instructions: PostgreSQL)

Seconds on a shared 2-core machine move by 20% from one run to the next, more than most single
changes to the engine save. Instructions do not: callgrind counts those this process executes
(the Python side of a completion: SpiffWorkflow, serializing, Django, psycopg; PostgreSQL's own
work is in its server process and is not counted), the same for the same code whatever else the
machine does. The one-door path of bench.engine runs twice under callgrind, for A and for B
cases; the difference, divided by the completions between them, leaves out what both runs share
(starting Python and Django, the test database, deploying the process).
Compare two versions of the code by running this on each; valgrind runs Python ~50x slower.
--no-state-cache counts a process that never saved the previous step (another web worker did),
so every step deserializes, as bench.engine --no-state-cache.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def inner(cases: int, *, state_cache: bool) -> None:
    """The persisted one-door path for `cases` cases, as bench.engine runs it."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench import engine as bench  # sets up Django (before workflows)
    from workflows.definitions import deploy_files
    from workflows.statecache import workflow_cache

    if not state_cache:
        workflow_cache.size = 0

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        deploy_files([bench.ROOT / "bpmn" / "one_door.bpmn"])
        actor = get_user_model().objects.create_user("bench")
        bench.run_in_memory(2)  # the spec cache and the interpreter warm, as in bench.engine
        with bench.NextTasks().following() as tasks:
            bench.run_persisted(cases, actor, bench.Clock(), tasks)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def count(valgrind: str, cases: int, *, state_cache: bool) -> int:
    """Instructions of a whole run of `inner(cases)` under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(  # noqa: S603 - our own command line
            [
                valgrind,
                "--tool=callgrind",
                f"--callgrind-out-file={tmp}/callgrind.out",
                sys.executable,
                "-m",
                "bench.instructions",
                "--inner",
                str(cases),
                *([] if state_cache else ["--no-state-cache"]),
            ],
            capture_output=True,
            text=True,
            check=False,
            # The same string hashes in both runs (sets and dicts of names iterate alike).
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None:
        sys.exit(f"valgrind run failed:\n{result.stdout}\n{result.stderr}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs=2, default=[5, 35], metavar=("A", "B"))
    parser.add_argument(
        "--no-state-cache",
        action="store_true",
        help="deserialize every step, as a process that did not save the previous one would",
    )
    parser.add_argument("--inner", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cached = not args.no_state_cache
    if args.inner is not None:
        inner(args.inner, state_cache=cached)
        return
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("bench.instructions needs valgrind (Debian: apt-get install valgrind)")
    from bench.engine import PATH

    low, high = sorted(args.cases)
    counts = [count(valgrind, n, state_cache=cached) for n in (low, high)]
    completions = (high - low) * len(PATH)
    per = (counts[1] - counts[0]) / completions
    print(
        f"one_door.bpmn, persisted{'' if cached else ', no state cache'}, {low} and {high} "
        f"cases under callgrind: "
        f"{per / 1e6:.2f} M instructions per task completion (this process; "
        f"{counts[0] / 1e9:.2f} and {counts[1] / 1e9:.2f} G in all)"
    )


if __name__ == "__main__":
    main()
