from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kompass.core.demo import demo_load


class Command(BaseCommand):
    help = "Load reference data and the demo provider with demo accounts (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="where the development server will listen (for the printed link)",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo-Daten und Demo-Zugänge (Passwort 'demo') werden nur in der Entwicklung "
                "angelegt (DEBUG=true), nie in Produktion."
            )
        report = demo_load()
        for step in report.steps:
            self.stdout.write(f"  {step}")
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"OZG-Kompass läuft gleich auf http://{options['address']}/")
        )
        if report.logins:
            self.stdout.write("Demo-Zugänge (Passwort jeweils: demo):")
            width = max(len(username) for username, _ in report.logins)
            for username, description in report.logins:
                self.stdout.write(f"  {username.ljust(width)}  {description}")
        self.stdout.write("")
