"""Search cases by any part of their reference (cases/search.py): a pg_trgm GIN index."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from onedoor.lib.pgindexes import AddPostgresIndex


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_consent_record_and_item_members"),
        # pg_trgm is created there.
        ("households", "0005_member_search_indexes"),
    ]

    operations = [
        AddPostgresIndex(
            "case",
            GinIndex(fields=["reference"], opclasses=["gin_trgm_ops"], name="case_reference_trgm_idx"),
        ),
    ]
