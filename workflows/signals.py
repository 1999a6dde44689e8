"""Signals the engine room sends inside its transaction, for domain projections.

instance_advanced(sender=ProcessInstance, instance, opened, closed, fired_timers):
    opened / closed are HumanTask rows that became open or stopped being open in this step;
    fired_timers lists the BPMN ids of timer events that fired.

incident_opened(sender=Incident, incident, instance):
    the sweeper opened (or reopened) an incident for an instance that keeps failing; sent
    in the sweep's transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

instance_advanced = Signal()
incident_opened = Signal()
