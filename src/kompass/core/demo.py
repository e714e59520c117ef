"""The demo installation that `make run` sets up: reference data, a demo IT provider and accounts.

Each step is skipped when its data is already there, so a second `make run` starts in seconds.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kompass.accounts.services import demo_accounts_create
from kompass.catalogue.selectors import release_count_rows
from kompass.catalogue.services import catalogue_import, catalogue_is_loaded
from kompass.implementation.services import demo_implementation_seed
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Municipality, Provider
from kompass.municipalities.services import (
    gemeindeverzeichnis_import_csv,
    gemeindeverzeichnis_is_loaded,
    provider_members_add,
)
from kompass.relevance.services import demo_relevance_seed
from kompass.reports.services import demo_reports_seed
from kompass.solutions.services import demo_solutions_seed

DEMO_PROVIDER_SLUG = "krz-demo"
DEMO_PROVIDER_NAME = "krz Minden-Ravensberg/Lippe (Demo)"
# Kreise Herford, Lippe and Minden-Lübbecke: the krz's three Kreise in Ostwestfalen-Lippe.
DEMO_DISTRICT_CODES = ("05758", "05766", "05770")
CATALOGUE_LABEL = "OZG-Umsetzungskatalog, KDN OZG-Datenbank NRW (Datenstand 2019)"


@dataclass
class DemoReport:
    steps: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


def demo_provider_ensure() -> tuple[Provider, bool]:
    """Create the demo provider with the three Kreise and their Gemeinden as members (idempotent)."""
    with transaction.atomic():
        provider, created = Provider.objects.get_or_create(
            slug=DEMO_PROVIDER_SLUG, defaults={"name": DEMO_PROVIDER_NAME}
        )
        members = Municipality.objects.active().filter(district_code__in=DEMO_DISTRICT_CODES)
        missing = members.exclude(providers=provider)
        if missing.exists():
            provider_members_add(provider=provider, municipalities=missing)
    return provider, created


def demo_load(*, data_dir: Path | None = None) -> DemoReport:
    """Load everything the demo needs; steps already done are skipped."""
    data_dir = data_dir or settings.KOMPASS_DATA_DIR
    report = DemoReport()

    if catalogue_is_loaded():
        report.steps.append("OZG-Katalog: bereits geladen")
    else:
        release = catalogue_import(directory=data_dir / "catalogue", label=CATALOGUE_LABEL)
        counts = ", ".join(f"{count} {label}" for label, count in release_count_rows(release))
        report.steps.append(f"OZG-Katalog geladen: {release.label} ({counts})")

    if gemeindeverzeichnis_is_loaded():
        report.steps.append("Gemeindeverzeichnis: bereits geladen")
    else:
        result = gemeindeverzeichnis_import_csv(directory=data_dir / "gemeindeverzeichnis")
        report.steps.append("Gemeindeverzeichnis geladen: " + "; ".join(result.summary()))

    provider, created = demo_provider_ensure()
    members = provider.members.count()
    districts = provider.members.filter(level=MunicipalityLevel.DISTRICT).count()
    report.steps.append(
        f"Demo-IT-Dienstleister {'angelegt' if created else 'vorhanden'}: {provider.name} "
        f"({districts} Kreise, {members - districts} Gemeinden)"
    )

    report.logins = demo_accounts_create()
    decisions = demo_relevance_seed()
    if decisions:
        report.steps.append(f"Beispiel-Relevanzentscheidungen des Themenpaten: {decisions}")
    records = demo_implementation_seed()
    if records:
        report.steps.append(f"Beispiel-Umsetzungsdaten für Lemgo: {records} Leistungen")
    seeded = demo_reports_seed()
    if seeded:
        report.steps.append(f"Beispiel-Umsetzungsdaten der Mitgliedskommunen: {seeded} Leistungen")
    solutions = demo_solutions_seed()
    if solutions:
        report.steps.append(f"Beispiel-Lösungen angelegt: {solutions}")
    return report
