"""Search members by name, phone and the last digits of the ID number (cases/search.py).

Names and phones: pg_trgm GIN indexes, which serve LIKE '%…%'. The last digits of an ID number:
a btree over the reversed number, so "ends with 1234" is the prefix "4321…" read as a range
(a trigram index on the number measured 550 ms for a county at 1M cases: a 4-digit suffix has
few distinct trigrams and matches a large share of the index).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models import Index
from django.db.models.functions import Reverse

from onedoor.lib.pgindexes import AddPostgresIndex


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0004_household_village_created_index"),
    ]

    operations = [
        TrigramExtension(),
        AddPostgresIndex(
            "member",
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="member_name_trgm_idx"),
        ),
        AddPostgresIndex(
            "member",
            GinIndex(fields=["phone"], opclasses=["gin_trgm_ops"], name="member_phone_trgm_idx"),
        ),
        AddPostgresIndex(
            "member",
            Index(
                OpClass(Reverse("id_number"), name="text_pattern_ops"),
                name="member_id_reversed_idx",
            ),
        ),
    ]
