"""Handover: returns and transfers credited to the agency that sent the referral on.

Filled for work done before from the audit trail (`referral.returned` / `referral.transferred`
events carry the agency before and after, the actor and the reason).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

ACTIONS = {"referral.returned": "return", "referral.transferred": "transfer"}


def from_audit_trail(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Agency = apps.get_model("directory", "Agency")
    Handover = apps.get_model("cases", "Handover")
    agencies = dict(Agency.objects.values_list("code", "pk"))
    batch = []
    events = AuditEvent.objects.filter(action__in=ACTIONS, referral__isnull=False).order_by("pk")
    for event in events.iterator(chunk_size=5000):
        from_agency = agencies.get((event.before or {}).get("agency"))
        if from_agency is None:
            continue
        kind = ACTIONS[event.action]
        to_agency = agencies.get((event.after or {}).get("agency")) if kind == "transfer" else None
        batch.append(
            Handover(
                referral_id=event.referral_id,
                kind=kind,
                from_agency_id=from_agency,
                to_agency_id=to_agency,
                reason=(event.data or {}).get("reason", ""),
                actor_id=event.actor_id,
                at=event.at,
            )
        )
        if len(batch) >= 5000:
            Handover.objects.bulk_create(batch)
            batch = []
    Handover.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("cases", "0005_referral_township"),
        ("directory", "0003_labels_as_english_msgids"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Handover",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("return", "Returned"), ("transfer", "Transferred")], max_length=10)),
                ("reason", models.TextField(verbose_name="Reason")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("actor", models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("from_agency", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="directory.agency")),
                ("referral", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="handovers", to="cases.referral")),
                ("to_agency", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="directory.agency")),
            ],
            options={"ordering": ["at", "pk"]},
        ),
        migrations.RunPython(from_audit_trail, migrations.RunPython.noop),
    ]
