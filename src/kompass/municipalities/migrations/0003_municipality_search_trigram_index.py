from django.db import migrations

from kompass.core.migration_helpers import trigram_index


class Migration(migrations.Migration):
    dependencies = [("municipalities", "0002_association_kind_several_postal_codes")]

    operations = [
        trigram_index(
            table="municipalities_municipality",
            column="search_text",
            name="municipalities_municipality_search_trgm",
        )
    ]
