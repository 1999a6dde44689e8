"""The app the Celery runner test starts its worker processes with: the real one, plus the
`test.record` service handler that tests/workflows/bpmn/timer_service.bpmn calls.

A worker is a separate process, so the in-memory recorder of tests/conftest.py cannot see its
calls: this handler appends one line per call (instance, worker pid) to the file named by
ONEDOOR_TEST_CALLS, before the sweep's transaction commits, so a timer fired twice shows up
twice even if one of the two attempts were rolled back.
"""

from __future__ import annotations

import os
import time
from typing import Any

from onedoor.celery import app
from workflows import handlers
from workflows.handlers import ServiceCall

__all__ = ["app"]


@handlers.register("test.record")
def record_in_file(call: ServiceCall) -> dict[str, Any]:
    with open(os.environ["ONEDOOR_TEST_CALLS"], "a", encoding="utf-8") as calls:
        calls.write(f"{call.instance.pk} {os.getpid()}\n")
    # A little work per timer, so the two workers' sweeps overlap instead of the first
    # worker finishing everything before the second has picked up its task.
    time.sleep(float(os.environ.get("ONEDOOR_TEST_HANDLER_SECONDS", "0")))
    return {"ok": True, "pid": os.getpid()}
