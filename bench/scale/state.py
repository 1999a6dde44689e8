"""The engine state of a template and of its clones, through the engine room's own functions.

The data set reads a case's state as plain JSON data and writes each clone's back as stored
bytes without knowing how the engine stores it (compression, task layout, text reuse): it
loads with `workflows.engine.load`, turns the workflow into data with the serializer's
`serialize_json`, and after a clone's ids and times are filled in, restores a workflow with
the serializer (migrate, then from_dict with the spec by reference, as
`workflows.runtime.load_state` does) and stores it
with `workflows.runtime.dump_state`. If the engine room changes its stored form, these two
functions are where the data set follows.
"""

from __future__ import annotations

import json
from typing import Any

from workflows import engine
from workflows.models import ProcessInstance
from workflows.runtime import ParsedDefinition, dump_state, serializer, spec_cache


def state_data(instance: ProcessInstance) -> tuple[dict[str, Any], ParsedDefinition]:
    """The instance's workflow as the serializer's JSON data, and the spec it runs on."""
    workflow = engine.load(instance)
    return json.loads(serializer.serialize_json(workflow)), spec_cache.get(instance.definition_id)


def stored_state(data: dict[str, Any], spec: ParsedDefinition) -> bytes:
    """What the engine stores for the workflow that `data` (serialize_json's form) describes."""
    serializer.migrate(data)  # takes the version stamp off, as load_state does before from_dict
    workflow = serializer.from_dict(data, spec=spec.spec, subprocess_specs=spec.subprocess_specs)
    return dump_state(workflow)
