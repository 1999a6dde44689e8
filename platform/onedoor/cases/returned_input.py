"""A task form sent back with errors: what was typed comes back with the page it is worked on.

The task POST answers an invalid form as every POST does, with its errors said and a redirect
to the page (referral or case) the form is on; the input waits in the session (one slot) and
binds that task's form once, so its fields show what was typed beside their errors: a reason
written out is not lost for an agency not chosen.
"""

from __future__ import annotations

from django.http import HttpRequest, QueryDict

from workflows.models import HumanTask

RETURNED = "returned_task_form"
RETURNED_MAX = 20_000  # characters: every honest task form is far smaller


def keep_returned_input(request: HttpRequest, task: HumanTask) -> None:
    pairs = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in {"csrfmiddlewaretoken", "confirmed", "next"}
        for value in values
    ]
    if sum(len(name) + len(value) for name, value in pairs) <= RETURNED_MAX:
        request.session[RETURNED] = {"task": str(task.task_id), "data": pairs}


def returned_input(request: HttpRequest, task: HumanTask) -> QueryDict | None:
    """What was typed into `task`'s form when it was sent back with errors, once."""
    kept = request.session.get(RETURNED)
    if not isinstance(kept, dict) or kept.get("task") != str(task.task_id):
        return None
    del request.session[RETURNED]
    data = QueryDict(mutable=True)
    for name, value in kept.get("data", []):
        data.appendlist(name, value)
    return data
