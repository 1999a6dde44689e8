"""Items carried their handling limit as columns; they become time-limit rules with a source."""

import datetime

from django.db import migrations


def copy_limits(apps, schema_editor):
    Item = apps.get_model("catalogue", "Item")
    TimeLimitRule = apps.get_model("deadlines", "TimeLimitRule")
    for item in Item.objects.all():
        TimeLimitRule.objects.get_or_create(
            item=item,
            step="handle",
            effective_from=datetime.date(2020, 1, 1),
            defaults={"working_days": item.handle_days, "source": item.limit_source or "县级惯例"},
        )
        if item.sign_days != 2:
            TimeLimitRule.objects.get_or_create(
                item=item,
                step="sign",
                effective_from=datetime.date(2020, 1, 1),
                defaults={"working_days": item.sign_days, "source": item.limit_source or "县级惯例"},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("deadlines", "0001_time_limits"),
    ]

    operations = [migrations.RunPython(copy_limits, migrations.RunPython.noop)]
