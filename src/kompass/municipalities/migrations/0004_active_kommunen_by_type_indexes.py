from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("municipalities", "0003_municipality_search_trigram_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="municipality",
            index=models.Index(
                condition=models.Q(("dissolved_on__isnull", True)),
                fields=["municipality_type"],
                name="municipality_active_type",
            ),
        ),
        migrations.AddIndex(
            model_name="municipality",
            index=models.Index(
                condition=models.Q(("dissolved_on__isnull", True)),
                fields=["level", "municipality_type"],
                name="municipality_active_level",
            ),
        ),
    ]
