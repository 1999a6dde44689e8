from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_handover"),
        ("directory", "0003_labels_as_english_msgids"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="case", name="case_township_created_idx"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["township", "-created_at"],
                include=("id",),
                name="case_township_created_idx",
            ),
        ),
    ]
