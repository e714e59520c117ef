"""The evaluation pages in a real browser: axe-core WCAG 2.1 AA on every page, and the dashboard's
charts drawn under the strict Content-Security-Policy (no bypass)."""

import re

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kompass.accounts.tests.factories import PASSWORD
from kompass.implementation.models import Implementation
from kompass.municipalities.tests.factories import MunicipalityFactory
from kompass.reports.services import topic_progress_rebuild

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.goto(reverse("accounts:login"))
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill(username)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/konto/anmelden" not in url)


@pytest.fixture
def data(ws):
    w = ws.w
    for municipality in [w.lemgo, w.herford, w.lippe, w.kreis_herford, w.bielefeld]:
        Implementation.objects.create(
            municipality=municipality,
            service=ws.services[0],
            status="done",
            current_level=3,
            case_count=120,
            case_count_year=2024,
            department=w.lemgo_department if municipality == w.lemgo else None,
        )
    Implementation.objects.create(
        municipality=w.lemgo,
        service=ws.services[1],
        status="in_progress",
        current_level=1,
        planned_date="2020-01-01",
    )
    for n in range(5):
        MunicipalityFactory(name=f"Nachbar {n}", district=w.lippe)
    topic_progress_rebuild()
    return ws


@pytest.fixture
def strict_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.csp_violations = violations
    yield page
    context.close()


def test_dashboard_draws_its_charts_under_the_strict_policy(strict_page, data):
    w = data.w
    sign_in(strict_page, "lemgo-admin")
    strict_page.goto(reverse("reports:dashboard", kwargs={"pk": w.lemgo.pk}))
    strict_page.wait_for_load_state("networkidle")
    canvases = strict_page.locator("canvas[data-chart]")
    assert canvases.count() == 3
    strict_page.wait_for_selector("canvas[data-chart-ready='true']")
    assert strict_page.locator("canvas[data-chart-ready='true']").count() == 3
    # Chart.js drew pixels (a blank canvas has only transparent ones).
    painted = strict_page.evaluate(
        """() => {
            const canvas = document.querySelector("canvas[data-chart='chart-status']");
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) n++; }
            return n;
        }"""
    )
    assert painted > 100
    assert strict_page.evaluate("() => typeof window.Chart") == "function"
    assert strict_page.csp_violations == []


def test_every_evaluation_page_is_accessible(page, assert_accessible, data):
    w = data.w
    sign_in(page, "betrieb")
    service = data.services[0]
    for url in [
        reverse("reports:overview"),
        reverse("reports:dashboard", kwargs={"pk": w.lemgo.pk}),
        reverse("reports:dashboard", kwargs={"pk": w.lemgo.pk})
        + f"?department={w.lemgo_department.pk}",
        reverse("reports:dashboard-print", kwargs={"pk": w.lemgo.pk}),
        reverse("reports:benchmark", kwargs={"pk": w.lemgo.pk}),
        reverse("reports:service-global", kwargs={"service_pk": service.pk}),
        reverse("reports:ozg-global", kwargs={"ozg_id": service.ozg_service.ozg_id}),
        reverse("reports:heatmap", kwargs={"pk": w.provider.pk}),
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").count() == 1, url
        assert_accessible(page)
    # The print layout hides navigation and forms.
    page.goto(reverse("reports:dashboard-print", kwargs={"pk": w.lemgo.pk}))
    page.emulate_media(media="print")
    assert not page.locator(".kompass-header").is_visible()
    assert page.locator("#table-topics").is_visible()


def test_reader_sees_only_allowed_data(page, assert_accessible, data):
    w = data.w
    sign_in(page, "leser")
    page.goto(reverse("reports:overview"))
    assert_accessible(page)
    assert page.get_by_role("link", name="Lemgo, Stadt").count() == 1
    assert page.get_by_role("link", name="Herford, Hansestadt").count() == 0
    page.get_by_role("link", name="Lemgo, Stadt").click()
    page.get_by_role("heading", name="Lemgo, Stadt", level=1).wait_for()
    assert_accessible(page)
    response = page.goto(reverse("reports:dashboard", kwargs={"pk": w.herford.pk}))
    assert response.status == 404
    response = page.goto(reverse("reports:heatmap", kwargs={"pk": w.provider.pk}))
    assert response.status == 404


def test_the_heat_map_export_shows_its_progress_and_is_downloaded(page, assert_accessible, data):
    from django.core.management import call_command

    w = data.w
    sign_in(page, "betrieb")
    page.goto(reverse("reports:heatmap", kwargs={"pk": w.provider.pk}))
    page.get_by_role("button", name="Heatmap als Excel (XLSX) erstellen").click()
    page.get_by_role("heading", name="Heatmap krz", level=1).wait_for()
    assert page.get_by_text("Wartet auf den Hintergrunddienst").is_visible()
    assert_accessible(page)
    # The worker runs while the page is open; the page learns of the file without a reload.
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page.get_by_text("Die Datei ist fertig").first.wait_for()
    members = w.provider.members.filter(dissolved_on=None).count()
    # Announced once, through the page's live region (the progress itself is not read out).
    assert page.get_by_role("status").inner_text() == f"Die Datei ist fertig ({members} Zeilen)."
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("herunterladen")).click()
    download = download_info.value
    assert download.suggested_filename.startswith("heatmap-krz-")
    assert download.suggested_filename.endswith(".xlsx")
    workbook = CalamineWorkbook.from_path(download.path())
    rows = workbook.get_sheet_by_name("Heatmap").to_python()
    assert len(rows) - 1 == members
    page.goto(reverse("reports:export-list"))
    assert page.get_by_role("link", name="Heatmap krz").count() == 1
    assert_accessible(page)


def test_a_failed_export_is_explained_and_asked_for_again(page, assert_accessible, data):
    from kompass.reports.choices import ExportStatus
    from kompass.reports.models import Export

    w = data.w
    failed = Export.objects.create(
        requested_by=w.operator,
        kind="heatmap",
        fmt="csv",
        params={"provider": w.provider.pk, "query": ""},
        title="Heatmap krz",
        status=ExportStatus.FAILED,
        error="Der Export ist fehlgeschlagen; es wurde keine Datei erstellt.",
    )
    sign_in(page, "betrieb")
    page.goto(reverse("reports:export", kwargs={"pk": failed.pk}))
    assert page.get_by_role("alert").inner_text().startswith("Der Export ist fehlgeschlagen.")
    assert_accessible(page)
    page.get_by_role("button", name="Export erneut anfordern").click()
    page.get_by_text("Wartet auf den Hintergrunddienst").wait_for()
    assert page.url.endswith(f"/exporte/{Export.objects.exclude(pk=failed.pk).get().pk}/")
