from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("municipalities", "0004_active_kommunen_by_type_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="municipality",
            index=models.Index(
                fields=["id"], include=("name", "municipality_type"), name="municipality_name_type"
            ),
        ),
    ]
