from django.db import migrations

from kompass.core.migration_helpers import trigram_index


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_service_current_name_index")]

    operations = [
        trigram_index(
            table="catalogue_service", column="search_text", name="catalogue_service_search_trgm"
        )
    ]
