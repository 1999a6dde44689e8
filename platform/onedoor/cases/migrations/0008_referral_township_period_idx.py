from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_case_township_index_includes_id"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["township", "referred_at"], name="referral_township_period_idx"
            ),
        ),
    ]
