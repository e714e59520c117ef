import time

from django.core.management.base import BaseCommand

from kompass.reports.services import progress_rebuild, topic_progress_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the counters of the comparisons and the global view from the records "
        "(TopicProgress, ServiceProgress, OzgProgress), e.g. after the default Reifegradmodell "
        "was changed in the admin. Edits keep them current on their own."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        topics = topic_progress_rebuild()
        counters = progress_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Zähler neu berechnet: {topics} Zeilen je Themenfeld, {counters} Zeilen für die "
                f"globale Sicht ({time.monotonic() - started:.1f} s)."
            )
        )
