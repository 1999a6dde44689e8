"""Indexes that only PostgreSQL has (trigram GIN, expression btree with an operator class),
added by migrations without entering the models' state.

Why not `Meta.indexes`: SQLite (the one-command demo) cannot build a GIN index, and it alters
a table by copying it and re-creating every index the state names, so a GIN index in the state
would break the demo at the next migration that alters the table. Kept out of the state, the
index exists where it serves (PostgreSQL) and the demo searches the same columns without it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Index


class AddPostgresIndex(migrations.operations.base.Operation):
    """Create `index` on `model_name` on PostgreSQL; nothing elsewhere, no state change."""

    reversible = True

    def __init__(self, model_name: str, index: Index) -> None:
        self.model_name = model_name
        self.index = index

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.add_index(model, self.index)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            model = from_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_index(model, self.index)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "index": self.index},
        )

    def describe(self) -> str:
        return f"Create PostgreSQL index {self.index.name} on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.index.name.lower()}"
