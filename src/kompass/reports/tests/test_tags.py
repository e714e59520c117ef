"""The heat map cells, rendered in Python."""

import pytest

from kompass.reports.selectors import HeatCell
from kompass.reports.templatetags.reports_tags import heat_cell, heat_cells


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
