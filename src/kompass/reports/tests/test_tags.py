"""The heat map cells and the dashboard's rows, rendered in Python."""

import datetime
import re
from types import SimpleNamespace

import pytest

from kompass.implementation.selectors import PageService, RowTexts, WorkspaceRow
from kompass.reports.selectors import Counters, Distribution, HeatCell, HeatRow
from kompass.reports.templatetags.reports_tags import (
    dashboard_rows,
    global_part_rows,
    heat_cell,
    heat_cells,
    heat_rows,
    topic_rows,
)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, '<td class="kern-table__cell reports-heat reports-heat--none">–</td>'),
        (HeatCell(relevant=4, done=0, dropped=4, compliant=0), 'reports-heat--none">–<'),
        (HeatCell(relevant=10, done=0, dropped=0, compliant=0), 'reports-heat--0">0<'),
        (HeatCell(relevant=40, done=17, dropped=0, compliant=0), 'reports-heat--2">43<'),
        (HeatCell(relevant=200, done=39, dropped=0, compliant=0), 'reports-heat--0">20<'),
        (HeatCell(relevant=5, done=1, dropped=0, compliant=0), 'reports-heat--1">20<'),
        (HeatCell(relevant=7, done=7, dropped=0, compliant=0), 'reports-heat--4">100<'),
    ],
)
def test_heat_cell_shows_whole_percent_in_fifths(cell, expected):
    assert expected in heat_cell(cell)


def test_heat_cells_render_a_row_and_its_total_in_order():
    cells = [HeatCell(10, 0, 0, 0), None, HeatCell(7, 7, 0, 0)]
    total = HeatCell(17, 7, 0, 0)
    html = heat_cells(cells, total)
    assert html == "".join(heat_cell(cell) for cell in (*cells, total))
    assert [part.split('">')[1] for part in html.split("</td>")[:-1]] == ["0", "–", "100", "41"]


def _counters(label, *, relevant, statuses, compliant=0, cases=0, compliant_cases=0):
    return Counters(
        label=label,
        relevant=relevant,
        statuses={"open": 0, "planning": 0, "in_progress": 0, "done": 0, "dropped": 0, **statuses},
        compliant=compliant,
        cases=cases,
        compliant_cases=compliant_cases,
    )


def test_topic_rows_show_counts_shares_and_the_total_last():
    topic = _counters(
        "Bauen & <Wohnen>",
        relevant=8,
        statuses={"open": 2, "planning": 1, "in_progress": 2, "done": 2, "dropped": 1},
        compliant=3,
        cases=400,
        compliant_cases=100,
    )
    empty = _counters("Leer", relevant=0, statuses={})
    total = _counters("Alle", relevant=8, statuses={"done": 2, "dropped": 1, "open": 5})
    html = topic_rows([topic, empty], total)
    rows = html.split("\n")
    assert len(rows) == 3
    assert "Bauen &amp; &lt;Wohnen&gt;" in rows[0]
    assert "<Wohnen>" not in rows[0]
    cells = re.findall(r'reports-number">(.*?)</td>', rows[0])
    # relevant, done, planning + in progress, open, dropped, progress (2 of 7), compliant, cases
    assert cells == ["8", "2", "3", "2", "1", "28,6 %", "3 (37,5 %)", "25,0 %"]
    assert rows[1].count(">–<") == 2  # no Umsetzungsquote, no case share
    assert rows[2].startswith('<tr class="kern-table__row" data-total>')
    assert "<strong>Alle</strong>" in rows[2]


@pytest.mark.django_db
def test_dashboard_rows_link_the_record_and_the_global_view_and_escape_names():
    service = PageService(
        pk=42,
        name="Hund <anmelden>",
        impl_status="planning",
        impl_current_level=None,
        impl_target_level=3,
        impl_case_count=12345,
        impl_planned_date=datetime.date(2026, 3, 9),
        impl_priority="",
    )
    row = WorkspaceRow(
        service=service,
        can_edit=False,
        suggested="high",
        suggested_reason="viele Fälle",
        overdue=False,
        texts=RowTexts(),
        detail_url="/umsetzung/kommune/7/leistung/42/",
    )
    html = dashboard_rows([row])
    assert (
        '<a class="kern-link" href="/umsetzung/kommune/7/leistung/42/">Hund &lt;anmelden&gt;</a>'
        in html
    )
    assert "– → 3" in html
    assert ">12.345<" in html
    assert ">09.03.2026<" in html
    assert '<a class="kern-link" href="/auswertungen/leistung/42/">Globaler Reifegrad' in html
    assert '<span class="kern-sr-only"> von Hund &lt;anmelden&gt;</span>' in html
    assert "<anmelden>" not in html
    empty = PageService(**{**vars(service), "impl_case_count": None, "impl_planned_date": None})
    html = dashboard_rows([WorkspaceRow(**{**vars(row), "service": empty})])
    assert html.count(">–<") == 2


def test_heat_rows_link_each_kommune_and_escape_its_name():
    municipality = SimpleNamespace(pk=6594, name="Bad <Salzuflen> & Co")
    row = HeatRow(
        municipality=municipality, cells=[HeatCell(10, 5, 0, 0), None], total=HeatCell(10, 5, 0, 0)
    )
    html = heat_rows([row, row])
    lines = html.split("\n")
    assert len(lines) == 2
    assert lines[0].startswith('<tr class="kern-table__row" data-municipality="6594">')
    assert (
        '<a class="kern-link" href="/auswertungen/kommune/6594/">Bad &lt;Salzuflen&gt; &amp; Co</a>'
        in lines[0]
    )
    assert lines[0].endswith(heat_cells(row.cells, row.total) + "</tr>")


def test_global_part_rows_link_each_leistung_and_hide_small_groups():
    enough = Distribution(label="Hund <anmelden>", levels=[], threshold=3, service_id=42)
    enough.by_level.update({0: 1200, 3: 300, 4: 34})
    few = Distribution(label="Selten", levels=[], threshold=3, service_id=7)
    few.by_level.update({4: 4})
    lines = global_part_rows([enough, few]).split("\n")
    assert len(lines) == 2
    assert (
        '<a class="kern-link" href="/auswertungen/leistung/42/">Hund &lt;anmelden&gt;</a>'
        in lines[0]
    )
    assert re.findall(r'reports-number">(.*?)</td>', lines[0]) == ["1.534", "334 (21,8 %)"]
    assert re.findall(r'reports-number">(.*?)</td>', lines[1]) == ["4", "zu wenige Kommunen"]
