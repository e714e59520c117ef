"""``manage.py import_catalogue [DIR] [--label "…"]``: import a catalogue release from CSV files."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kompass.catalogue.importing import CatalogueImportError
from kompass.catalogue.importing.reader import default_directory
from kompass.catalogue.services import catalogue_import

MAX_ERRORS_SHOWN = 100


class Command(BaseCommand):
    help = _(
        "Liest einen Katalogstand (Themenfelder, Lebenslagen, OZG- und LeiKa-Leistungen) und die "
        "Codelisten aus CSV-Dateien ein und berichtet, was neu, geändert oder entfallen ist."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory",
            nargs="?",
            type=Path,
            help=_("Verzeichnis mit den CSV-Dateien (Standard: KOMPASS_DATA_DIR/catalogue)."),
        )
        parser.add_argument("--label", help=_("Bezeichnung des Katalogstands."))

    def handle(self, *args, directory: Path | None, label: str | None, **options):
        directory = directory or default_directory()
        started = time.perf_counter()
        try:
            release = catalogue_import(directory=directory, label=label)
        except CatalogueImportError as exc:
            shown = exc.errors[:MAX_ERRORS_SHOWN]
            lines = [
                _("Der Katalog wurde nicht eingelesen; nichts wurde geändert. %(count)d Fehler:")
                % {"count": len(exc.errors)},
                *(f"  - {error}" for error in shown),
            ]
            if len(exc.errors) > len(shown):
                lines.append(
                    _("  … und %(count)d weitere.") % {"count": len(exc.errors) - len(shown)}
                )
            raise CommandError("\n".join(lines)) from exc
        elapsed = time.perf_counter() - started

        counts = release.counts
        self.stdout.write(
            _("Katalogstand „%(label)s“ eingelesen aus %(source)s (%(seconds).1f s).")
            % {"label": release.label, "source": release.source, "seconds": elapsed}
        )
        self.stdout.write(
            _(
                "  Themenfelder: %(topics)d, Lebens-/Unternehmenslagen: %(life_situations)d, "
                "OZG-Leistungen: %(ozg_services)d, LeiKa-Leistungen: %(services)d"
            )
            % counts
        )
        self.stdout.write(
            _(
                "  Neu: %(added)d, geändert: %(changed)d, entfallen: %(retired)d, "
                "wieder aufgenommen: %(restored)d"
            )
            % {
                "added": release.added_count,
                "changed": release.changed_count,
                "retired": release.retired_count,
                "restored": release.restored_count,
            }
        )
        if not (release.added_count or release.changed_count or release.retired_count) and not (
            release.restored_count
        ):
            self.stdout.write(_("  Keine Änderungen gegenüber dem bisherigen Stand."))
        for warning in release.warnings:
            self.stdout.write(self.style.WARNING(_("  Hinweis: %(text)s") % {"text": warning}))
        self.stdout.write(self.style.SUCCESS(_("Fertig.")))
