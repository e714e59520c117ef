"""The heat map cell, rendered in Python."""

import pytest

from kompass.reports.selectors import HeatCell
from kompass.reports.templatetags.reports_tags import heat_cell


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
