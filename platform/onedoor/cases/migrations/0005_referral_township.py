"""Referral.township: the case's township copied onto each referral (README "Scale").

Added nullable, filled from the cases in one statement (fine for SQLite and PostgreSQL;
1.4M referrals take seconds), then made required; plus a partial index on open referrals by
township and due date for the coordinator's board.
"""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
UPDATE cases_referral SET township_id = (
    SELECT cases_case.township_id FROM cases_case WHERE cases_case.id = cases_referral.case_id
) WHERE township_id IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_open_referral_indexes"),
        ("directory", "0003_labels_as_english_msgids"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="township",
            field=models.ForeignKey(
                null=True,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="directory.division",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="referral",
            name="township",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="directory.division",
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=models.Q(("current_task__isnull", False)),
                fields=["township", "due_at"],
                name="referral_open_township_due_idx",
            ),
        ),
    ]
