from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("solutions", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="solutionusage",
            name="solutions_s_service_90db16_idx",
        ),
        migrations.AddIndex(
            model_name="solutionusage",
            index=models.Index(
                fields=["service", "solution"],
                include=("municipality", "state", "contact_person", "id"),
                name="usage_by_service_solution",
            ),
        ),
    ]
