"""`manage.py import_gemeindeverzeichnis FILE` (Destatis GV100AD) or `--csv DIR` (the shipped CSVs)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kompass.municipalities.services import (
    GemeindeverzeichnisError,
    gemeindeverzeichnis_import,
    gemeindeverzeichnis_import_csv,
)


class Command(BaseCommand):
    help = (
        "Lädt das Gemeindeverzeichnis (Länder, Regierungsbezirke, Kreise, Gemeinden): die amtliche "
        "GV100AD-Datei von Destatis oder mit --csv die abgeleiteten CSV-Dateien eines Verzeichnisses. "
        "Aktualisiert nach ARS; fehlende Gemeinden werden als aufgelöst markiert, nie gelöscht."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", type=Path, help="GV100AD-Datei (UTF-8 oder ISO-8859-1)"
        )
        parser.add_argument(
            "--csv",
            dest="csv_dir",
            type=Path,
            help="Verzeichnis mit gemeinden_de_gv100ad_*.csv und den NRW-Listen",
        )
        parser.add_argument(
            "--classification-dir",
            type=Path,
            help="Verzeichnis der NRW-Listen (§ 4 GO NRW, Sonderstatus) für den Import einer "
            "GV100AD-Datei; Standard: KOMPASS_DATA_DIR/gemeindeverzeichnis",
        )

    def handle(self, *args, file: Path | None, csv_dir: Path | None, **options) -> None:
        if (file is None) == (csv_dir is None):
            raise CommandError(
                "Bitte genau eines angeben: eine GV100AD-Datei oder --csv VERZEICHNIS."
            )
        started = time.perf_counter()
        try:
            if csv_dir is not None:
                result = gemeindeverzeichnis_import_csv(directory=csv_dir)
            else:
                result = gemeindeverzeichnis_import(
                    path=file, classification_dir=options["classification_dir"]
                )
        except GemeindeverzeichnisError as exc:
            raise CommandError(
                "Nichts geladen, die Eingabe ist fehlerhaft:\n" + "\n".join(exc.errors)
            ) from exc
        for line in result.summary():
            self.stdout.write(line)
        if options["verbosity"] >= 2:
            for label, keys in (
                ("geändert", result.changed_ars),
                ("aufgelöst", result.dissolved_ars),
            ):
                if keys:
                    self.stdout.write(f"{label}: {', '.join(keys)}")
        self.stdout.write(self.style.SUCCESS(f"Fertig in {time.perf_counter() - started:.1f} s."))
