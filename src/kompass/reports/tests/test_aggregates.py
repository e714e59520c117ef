"""TopicProgress: the set-based relevance rule equals relevance_list_for, the counters equal the
live dashboard, and they are current right after every kind of edit (never stale)."""

from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.db import connection
from django.urls import reverse

from kompass.catalogue.models import CatalogueRelease, Service
from kompass.catalogue.tests.factories import ServiceFactory
from kompass.implementation.models import Implementation
from kompass.implementation.selectors import workspace_services
from kompass.municipalities.choices import MunicipalityLevel
from kompass.municipalities.models import Municipality, Provider
from kompass.municipalities.tests.factories import MunicipalityTypeFactory
from kompass.relevance.models import Deviation, TypeDecision
from kompass.relevance.selectors import relevant_services_for
from kompass.reports.models import OzgProgress, ProviderProgress, ServiceProgress, TopicProgress
from kompass.reports.selectors import _distributions, default_levels, municipality_dashboard
from kompass.reports.services import (
    progress_rebuild,
    progress_regroup,
    topic_progress_rebuild,
    topic_progress_refresh,
)
from kompass.reports.sql import pairs_sql


@dataclass
class Typed:
    w: object
    services: dict[str, Service]


@pytest.fixture
def typed(ws):
    """Kommunaltypen, type decisions (incl. "durch den Kreis"), deviations and a retired entry."""
    w = ws.w
    city = MunicipalityTypeFactory(code="mittlere-stadt", name="Mittlere Stadt")
    other = MunicipalityTypeFactory(code="gemeinde", name="Gemeinde")
    district = MunicipalityTypeFactory(code="kreis", name="Kreis", level=MunicipalityLevel.DISTRICT)
    Municipality.objects.filter(pk__in=[w.lemgo.pk, w.herford.pk]).update(municipality_type=city)
    Municipality.objects.filter(pk=w.bielefeld.pk).update(municipality_type=other)
    Municipality.objects.filter(pk__in=[w.lippe.pk, w.kreis_herford.pk]).update(
        municipality_type=district
    )
    kinds = {}
    for key, codes, topic in [
        ("type_relevant", "2/3", w.topic),
        ("by_district", "2/3", w.topic),
        ("federal", "1", w.other_topic),
        ("undecided", "4", w.other_topic),
        ("municipal", "5", w.other_topic),
        ("no_topic", "5", None),  # topic removed below
    ]:
        kinds[key] = ServiceFactory(
            name=key,
            leika_type_codes=codes,
            ozg_service__life_situation__topic=topic or w.topic,
        )
    Service.objects.filter(pk=kinds["no_topic"].pk).update(topic=None)
    retired = ServiceFactory(name="retired", leika_type_codes="5")
    Service.objects.filter(pk=retired.pk).update(
        retired_in=CatalogueRelease.objects.create(label="2020")
    )
    TypeDecision.objects.create(
        service=kinds["type_relevant"], municipality_type=city, value="relevant"
    )
    TypeDecision.objects.create(
        service=kinds["type_relevant"], municipality_type=other, value="not_relevant"
    )
    TypeDecision.objects.create(
        service=kinds["by_district"], municipality_type=city, value="by_district"
    )
    TypeDecision.objects.create(
        service=kinds["municipal"], municipality_type=other, value="not_relevant"
    )
    Deviation.objects.create(
        municipality=w.herford, service=kinds["type_relevant"], value="not_relevant"
    )
    Deviation.objects.create(municipality=w.bielefeld, service=kinds["undecided"], value="relevant")
    Deviation.objects.create(municipality=w.bielefeld, service=kinds["municipal"], value="relevant")
    for service, status, level, cases in [
        (ws.services[0], "done", 4, 100),
        (kinds["type_relevant"], "in_progress", 2, 7),
        (kinds["no_topic"], "dropped", None, None),
        (kinds["federal"], "done", 4, 999),  # a record of a Leistung not relevant any more
        (retired, "done", 4, 5),
    ]:
        Implementation.objects.create(
            municipality=w.lemgo,
            service=service,
            status=status,
            current_level=level,
            case_count=cases,
        )
    Implementation.objects.create(
        municipality=w.lippe, service=kinds["by_district"], status="planning", current_level=1
    )
    return Typed(w=w, services=kinds)


def _pairs() -> set[tuple[int, int]]:
    sql, params = pairs_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT m.id, s.id {sql}", params)
        return set(cursor.fetchall())


def test_set_based_relevance_equals_the_relevance_list(typed):
    expected = {
        (m.pk, s.pk)
        for m in Municipality.objects.active()
        for s in relevant_services_for(municipality=m)
    }
    assert _pairs() == expected
    w, kinds = typed.w, typed.services
    # Spot checks of the rules.
    assert (w.lemgo.pk, kinds["type_relevant"].pk) in expected
    assert (w.herford.pk, kinds["type_relevant"].pk) not in expected  # own deviation
    assert (w.lippe.pk, kinds["by_district"].pk) in expected  # for its Gemeinde Lemgo
    assert (w.lemgo.pk, kinds["by_district"].pk) not in expected
    assert (w.bielefeld.pk, kinds["undecided"].pk) in expected
    assert (w.lemgo.pk, kinds["federal"].pk) not in expected


def _assert_global_views_equal_a_check_of_every_kommune() -> None:
    # The records were written directly (not through the services that keep the counters).
    progress_rebuild()
    levels = default_levels()
    expected_relevant: dict[int, int] = defaultdict(int)
    expected_records: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    records = {(r.municipality_id, r.service_id): r for r in Implementation.objects.all()}
    for m in Municipality.objects.active():
        for s in relevant_services_for(municipality=m):
            expected_relevant[s.pk] += 1
            record = records.get((m.pk, s.pk))
            level = (record.current_level or 0) if record else 0
            expected_records[s.pk][(level, record.status if record else "open")] += 1
    services = Service.objects.filter(retired_in__isnull=True)
    ozg_ids = set(services.values_list("ozg_service_id", flat=True))
    assert len(ozg_ids) > 1
    for ozg_id in ozg_ids:
        overall, parts = _distributions(
            "s.ozg_service_id = %s", [ozg_id], label="", levels=levels, threshold=3
        )
        in_ozg = list(services.filter(ozg_service_id=ozg_id).values_list("pk", flat=True))
        assert {p.service_id for p in parts} == {pk for pk in in_ozg if expected_relevant[pk]}
        for part in parts:
            assert part.total == expected_relevant[part.service_id]
            expected = expected_records[part.service_id]
            for status in {status for _level, status in expected} | set(part.by_status):
                assert part.by_status[status] == sum(
                    n for (_level, st), n in expected.items() if st == status
                ), (part.label, status)
            for level in {level for level, _status in expected} | set(part.by_level):
                assert part.by_level[level] == sum(
                    n for (lv, _st), n in expected.items() if lv == level
                ), (part.label, level)
        assert overall.total == sum(expected_relevant[pk] for pk in in_ozg)


def _type_of(municipality) -> int:
    return Municipality.objects.values_list("municipality_type_id", flat=True).get(
        pk=municipality.pk
    )


def test_global_distributions_equal_a_check_of_every_kommune(typed):
    """The global view counts relevant Kommunen and records per Kommunaltyp and checks only
    Kreise and deviations one by one: the result equals asking relevant_services_for of every
    Kommune and reading every record."""
    w, kinds = typed.w, typed.services
    # A Gemeinde without a type (with a record), a dissolved one, a deviation of a Kommune with
    # records, and a record of the Kreis Lippe's own type decision.
    typeless = Municipality.objects.create(
        ars="059999999999", name="Typlos", land=w.lemgo.land, level=MunicipalityLevel.MUNICIPALITY
    )
    Implementation.objects.create(
        municipality=typeless, service=kinds["municipal"], status="done", current_level=4
    )
    gone = Municipality.objects.create(
        ars="059999999998", name="Aufgelöst", land=w.lemgo.land, dissolved_on="2020-01-01"
    )
    Implementation.objects.create(municipality=gone, service=kinds["municipal"], status="done")
    Deviation.objects.create(municipality=w.lemgo, service=kinds["municipal"], value="not_relevant")
    Implementation.objects.create(
        municipality=w.lemgo, service=kinds["municipal"], status="planning", current_level=2
    )
    Implementation.objects.create(
        municipality=w.herford, service=kinds["municipal"], status="open", current_level=1
    )
    Implementation.objects.create(municipality=w.bielefeld, service=kinds["undecided"])
    # A Kreis's deviation against its default, with a record, and one for its own Leistung.
    Deviation.objects.create(
        municipality=w.kreis_herford, service=kinds["municipal"], value="not_relevant"
    )
    Implementation.objects.create(
        municipality=w.kreis_herford, service=kinds["municipal"], status="done", current_level=3
    )
    Deviation.objects.create(municipality=w.lippe, service=kinds["federal"], value="relevant")
    Implementation.objects.create(
        municipality=w.lippe, service=kinds["federal"], status="in_progress", current_level=1
    )
    # Type decisions that agree with the default proposal ("relevant" where the LeiKa-Typ already
    # proposes it: counted once) and that overrule it ("offen" where it proposes "relevant"):
    # the global count adds the decided types to the undecided ones' default.
    TypeDecision.objects.create(
        service=kinds["municipal"], municipality_type_id=_type_of(w.lemgo), value="relevant"
    )
    TypeDecision.objects.create(
        service=kinds["no_topic"], municipality_type_id=_type_of(w.lippe), value="undecided"
    )
    _assert_global_views_equal_a_check_of_every_kommune()
    # The Kreis Lippe counts for the "durch den Kreis" Leistung (its Gemeinde Lemgo's type).
    _overall, parts = _distributions(
        "s.id = %s", [kinds["by_district"].pk], label="", levels=default_levels(), threshold=3
    )
    assert parts[0].by_status["planning"] == 1


def _table(municipality) -> dict:
    return {
        row.topic_id: (
            row.relevant,
            row.open,
            row.planning,
            row.in_progress,
            row.done,
            row.dropped,
            row.compliant,
            row.cases,
            row.compliant_cases,
        )
        for row in TopicProgress.objects.filter(municipality=municipality)
    }


def _live(municipality, user, levels) -> dict:
    dashboard = municipality_dashboard(
        services=workspace_services(municipality=municipality),
        user=user,
        municipality=municipality,
        levels=levels,
    )
    return {
        c.topic_id: (c.relevant, *c.statuses.values(), c.compliant, c.cases, c.compliant_cases)
        for c in dashboard.topics
    }


def test_rebuild_and_refresh_equal_the_live_dashboard(typed):
    from kompass.reports.selectors import default_levels

    levels = default_levels()
    w = typed.w
    count = topic_progress_rebuild()
    assert count == TopicProgress.objects.count() > 0
    for municipality in Municipality.objects.active():
        assert _table(municipality) == _live(municipality, w.operator, levels), municipality
    rebuilt = {m.pk: _table(m) for m in Municipality.objects.all()}
    TopicProgress.objects.all().delete()
    for municipality in Municipality.objects.all():
        topic_progress_refresh(municipality_ids=[municipality.pk])
    assert {m.pk: _table(m) for m in Municipality.objects.all()} == rebuilt
    lemgo = _table(w.lemgo)
    assert lemgo[None][5] == 1  # the dropped Leistung without Themenfeld
    assert lemgo[w.topic.pk][7] == 107  # cases of relevant Leistungen only


def test_refresh_of_one_topic_leaves_the_others(typed):
    w = typed.w
    topic_progress_rebuild()
    before = _table(w.lemgo)
    Implementation.objects.filter(municipality=w.lemgo).update(status="done")
    topic_progress_refresh(municipality_ids=[w.lemgo.pk], topic_ids=[w.topic.pk])
    after = _table(w.lemgo)
    assert after[w.other_topic.pk] == before[w.other_topic.pk]
    assert after[None] == before[None]
    assert after[w.topic.pk] != before[w.topic.pk]
    topic_progress_refresh(municipality_ids=[w.lemgo.pk], topic_ids=[None])
    assert _table(w.lemgo)[None][4] == 1


def _heat_cell(client, w, topic_index=0):
    response = client.get(reverse("reports:heatmap", kwargs={"pk": w.provider.pk}))
    row = next(r for r in response.context["heatmap"].rows if r.municipality.pk == w.lemgo.pk)
    topics = response.context["heatmap"].topics
    return dict(zip([t.pk for t in topics], row.cells, strict=True))[w.topic.pk]


def global_counters() -> tuple[set, set]:
    """The rows of the global view's counters (rows whose counts are all 0 read as missing)."""
    statuses = ["open", "planning", "in_progress", "done", "dropped"]
    by_level = {
        row
        for row in ServiceProgress.objects.values_list("service", "type_key", "level", *statuses)
        if any(row[3:])
    }
    compliant = set(
        OzgProgress.objects.exclude(compliant=0).values_list(
            "municipality", "ozg_service", "compliant"
        )
    )
    return by_level, compliant


def _assert_global_counters_current() -> None:
    kept = global_counters()
    progress_rebuild()
    assert kept == global_counters()
    assert_provider_sums_current()


def assert_provider_sums_current() -> None:
    """ProviderProgress equals the sums of TopicProgress over each provider's active members
    per Kommunaltyp and Themenfeld (rows all of whose Kommunen left may stay with zeros)."""
    kept = {
        (p, t, k): (r, d, x, c)
        for p, t, k, r, d, x, c in ProviderProgress.objects.values_list(
            "provider", "type_key", "topic_key", "relevant", "done", "dropped", "compliant"
        )
        if (r, d, x, c) != (0, 0, 0, 0)
    }
    live: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    members = Provider.members.through.objects.filter(municipality__dissolved_on__isnull=True)
    for provider_id, municipality_id, type_id in members.values_list(
        "provider_id", "municipality_id", "municipality__municipality_type_id"
    ):
        for row in TopicProgress.objects.filter(municipality_id=municipality_id):
            sums = live[(provider_id, type_id or 0, row.topic_id or 0)]
            for i, value in enumerate((row.relevant, row.done, row.dropped, row.compliant)):
                sums[i] += value
    assert kept == {key: tuple(values) for key, values in live.items()}


def test_counters_are_current_after_every_kind_of_edit(client, ws):
    """Edit page, inline row, board move and bulk edit: the heat map shows the change at once,
    and the global view's counters equal a rebuild from the records after each."""
    w = ws.w
    client.force_login(w.operator)
    topic_progress_rebuild()
    progress_rebuild()
    assert _heat_cell(client, w).done == 0
    assert global_counters() == (set(), set())
    service = ws.services[0]
    base = {"pk": w.lemgo.pk, "service_pk": service.pk}
    response = client.post(
        reverse("implementation:edit", kwargs=base),
        {"status": "done", "current_level": "3", "version": "0"},
    )
    assert response.status_code == 302
    cell = _heat_cell(client, w)
    assert (cell.done, cell.compliant) == (1, 1)
    assert global_counters() == (
        {(service.pk, w.lemgo.municipality_type_id or 0, 3, 0, 0, 0, 1, 0)},
        {(w.lemgo.pk, service.ozg_service_id, 1)},
    )
    _assert_global_counters_current()

    response = client.post(
        reverse("implementation:move", kwargs=base), {"status": "in_progress", "version": "1"}
    )
    assert response.status_code == 302
    assert _heat_cell(client, w).done == 0
    _assert_global_counters_current()

    second = ws.services[1]
    response = client.post(
        reverse("implementation:row-edit", kwargs={"pk": w.lemgo.pk, "service_pk": second.pk}),
        {
            f"r{second.pk}-status": "done",
            f"r{second.pk}-version": "0",
            f"r{second.pk}-current_level": "",
            f"r{second.pk}-target_level": "",
            f"r{second.pk}-priority": "",
        },
    )
    assert response.status_code == 302
    assert _heat_cell(client, w).done == 1
    _assert_global_counters_current()

    response = client.post(
        reverse("implementation:bulk-edit", kwargs={"pk": w.lemgo.pk}),
        {
            "bulk-selected": [f"{s.pk}:{v}" for s, v in [(ws.services[2], 0), (ws.services[3], 0)]],
            "bulk-status": "done",
        },
    )
    assert response.status_code == 302
    cell = _heat_cell(client, w)
    assert cell.done == 3
    assert cell.relevant == 4
    _assert_global_counters_current()


def test_a_refused_edit_changes_no_counter(client, ws):
    w = ws.w
    topic_progress_rebuild()
    before = _table(w.lemgo)
    global_before = global_counters()
    client.force_login(w.lemgo_admin)
    response = client.post(
        reverse("implementation:edit", kwargs={"pk": w.lemgo.pk, "service_pk": ws.services[0].pk}),
        {"status": "done", "current_level": "9", "version": "0"},
    )
    assert response.status_code == 400
    assert _table(w.lemgo) == before
    assert global_counters() == global_before


def test_demo_seed_fills_the_members_and_is_idempotent(ws):
    from kompass.reports.services import demo_reports_seed

    w = ws.w
    Implementation.objects.create(municipality=w.lemgo, service=ws.services[0], status="done")
    created = demo_reports_seed(provider_slug=w.provider.slug)
    assert created > 0
    touched = set(Implementation.objects.values_list("municipality_id", flat=True))
    assert touched <= set(w.provider.members.values_list("pk", flat=True))
    assert Implementation.objects.filter(municipality=w.lemgo).count() == 1  # left alone
    assert demo_reports_seed(provider_slug=w.provider.slug) == 0
    from kompass.reports.selectors import default_levels

    for municipality in Municipality.objects.filter(land=w.lemgo.land):
        assert _table(municipality) == _live(municipality, w.operator, default_levels())


def test_counters_follow_relevance_decisions_and_deviations(typed):
    """A type decision (also "durch den Kreis") and a Kommune's deviation change which Leistungen
    count: the counters are refreshed in the same transaction."""
    from kompass.relevance import services as relevance
    from kompass.relevance.choices import DeviationValue, RelevanceValue
    from kompass.relevance.services import CellInput
    from kompass.reports.selectors import default_levels

    levels = default_levels()
    w = typed.w
    topic_progress_rebuild()
    city_type = Municipality.objects.get(pk=w.lemgo.pk).municipality_type
    service = typed.services["type_relevant"]
    relevance.type_decisions_set(
        topic=service.topic,
        land=city_type.land,
        cells=[
            CellInput(
                service_id=service.pk,
                type_id=city_type.pk,
                value=RelevanceValue.BY_DISTRICT,
                reason="Der Kreis ist zuständig",
            )
        ],
        actor=w.operator,
    )
    lemgo = Municipality.objects.get(pk=w.lemgo.pk)
    relevance.deviation_set(
        municipality=lemgo,
        service=typed.services["undecided"],
        value=DeviationValue.RELEVANT,
        reason="eigene Zuständigkeit",
        actor=w.operator,
    )
    for municipality in Municipality.objects.active():
        assert _table(municipality) == _live(municipality, w.operator, levels), municipality
    assert_provider_sums_current()
    relevance.deviation_remove(
        municipality=lemgo, service=typed.services["undecided"], actor=w.operator
    )
    assert _table(lemgo) == _live(lemgo, w.operator, levels)
    assert_provider_sums_current()


def test_the_rebuild_command_repairs_the_counters(typed):
    """After a change the services do not see (here: records written directly), the operator's
    command recomputes every counter from the records."""
    from io import StringIO

    from django.core.management import call_command

    progress_rebuild()
    expected = global_counters()
    ServiceProgress.objects.all().delete()
    OzgProgress.objects.update(compliant=99)
    TopicProgress.objects.all().delete()
    output = StringIO()
    ProviderProgress.objects.update(done=99)
    call_command("rebuild_report_counters", stdout=output)
    assert global_counters() == expected
    assert TopicProgress.objects.exists()
    assert_provider_sums_current()
    assert "Zähler neu berechnet" in output.getvalue()


def test_regrouping_moves_records_between_kommunaltypen_like_a_rebuild(typed):
    """progress_regroup, what an import of the Gemeindeverzeichnis does for the Kommunen it
    regroups: another Kommunaltyp, none, a dissolution and a return leave the global view's
    counters as a rebuild from every record leaves them, and nobody else's change."""
    w = typed.w
    Implementation.objects.create(
        municipality=w.bielefeld, service=typed.services["municipal"], status="in_progress"
    )
    Implementation.objects.create(
        municipality=w.herford, service=typed.services["undecided"], status="done", current_level=4
    )
    Municipality.objects.filter(pk=w.lippe.pk).update(dissolved_on="2025-06-30")
    progress_rebuild()
    before = global_counters()
    city, other, district = (
        Municipality.objects.get(pk=pk).municipality_type_id
        for pk in (w.lemgo.pk, w.bielefeld.pk, w.lippe.pk)
    )
    Municipality.objects.filter(pk=w.lemgo.pk).update(municipality_type_id=other)
    Municipality.objects.filter(pk=w.herford.pk).update(dissolved_on="2026-06-30")
    Municipality.objects.filter(pk=w.bielefeld.pk).update(municipality_type_id=None)
    Municipality.objects.filter(pk=w.lippe.pk).update(dissolved_on=None)

    progress_regroup(
        {
            w.lemgo.pk: (city, other),
            w.herford.pk: (city, None),
            w.bielefeld.pk: (other, 0),
            w.lippe.pk: (None, district),
            w.kreis_herford.pk: (district, district),  # regrouped, but counted as before
        }
    )

    moved = global_counters()
    assert moved != before
    progress_rebuild()
    assert moved == global_counters()


def test_provider_sums_follow_members_joining_leaving_and_dissolved(admin_client, typed):
    """The heat map's kept sums change with the provider's members: joining (the service and
    the admin), leaving (the admin) and a Kommune dissolved by a re-import's regrouping."""
    from kompass.municipalities.services import provider_members_add
    from kompass.reports.services import provider_progress_rebuild

    w = typed.w
    topic_progress_rebuild()
    assert_provider_sums_current()
    provider = w.provider
    outsider = w.bielefeld
    assert not provider.members.filter(pk=outsider.pk).exists()
    assert TopicProgress.objects.filter(municipality=outsider).exists()
    provider_members_add(provider=provider, municipalities=[outsider])
    assert_provider_sums_current()

    members = list(provider.members.exclude(pk=w.lemgo.pk).values_list("pk", flat=True))
    response = admin_client.post(
        reverse("admin:municipalities_provider_change", args=[provider.pk]),
        {"name": provider.name, "slug": provider.slug, "members": members},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not provider.members.filter(pk=w.lemgo.pk).exists()
    assert_provider_sums_current()

    # What the import does for the Kommunen it regrouped (municipalities.services).
    Municipality.objects.filter(pk=w.herford.pk).update(dissolved_on="2025-01-01")
    provider_progress_rebuild(provider_ids=[provider.pk], also_lock=[w.herford.pk])
    assert_provider_sums_current()


def test_heat_map_totals_from_kept_sums_equal_the_live_sums(client, typed):
    """Without a filter and filtered by Kommunaltyp the totals row comes from ProviderProgress;
    it shows what summing every member's counters shows."""
    from kompass.reports.selectors import heatmap_for, provider_members

    w = typed.w
    topic_progress_rebuild()
    members = provider_members(w.provider)
    lemgo_type = Municipality.objects.get(pk=w.lemgo.pk).municipality_type_id
    for type_id, filtered in [
        (None, members),
        (lemgo_type, members.filter(municipality_type_id=lemgo_type)),
    ]:
        page = list(filtered[:2])
        kept = heatmap_for(members=filtered, page=page, sums_of=(w.provider, type_id))
        live = heatmap_for(members=filtered, page=page)
        assert kept.average == live.average
        assert kept.average_total == live.average_total
        assert live.average_total.relevant > 0
    client.force_login(w.operator)
    url = reverse("reports:heatmap", kwargs={"pk": w.provider.pk})
    shown = client.get(url).context["heatmap"]
    assert shown.average_total == heatmap_for(members=members, page=[]).average_total
