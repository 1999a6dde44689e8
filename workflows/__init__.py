"""The engine room: BPMN processes run by SpiffWorkflow, persisted with projections.

Knows BPMN and SpiffWorkflow, nothing about households or agencies. Domain code uses the
public API in `workflows.engine` and registers service-task handlers in `workflows.handlers`.
"""
