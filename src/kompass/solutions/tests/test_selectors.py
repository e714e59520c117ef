"""The gap list's QuerySet definition is built once per process (like the workspace's, see
implementation/tests/test_selectors.py): it must equal the one built from the whole Kommune."""

import pytest

from kompass.relevance.tests.conftest import rw  # noqa: F401 - fixture
from kompass.solutions import selectors
from kompass.solutions.choices import GapFilter

pytestmark = pytest.mark.django_db


def test_the_gap_definition_equals_the_one_built_from_the_whole_kommune(rw):  # noqa: F811
    rw.salzuflen.municipality_type = None
    rw.salzuflen.save(update_fields=["municipality_type"])
    for municipality in (rw.lippe, rw.lemgo, rw.salzuflen, rw.bielefeld):
        for offers in GapFilter.values:
            for default_target in (None, 3):
                gaps = selectors.gaps_of(
                    municipality=municipality, default_target=default_target, offers=offers
                )
                built = selectors._gaps_queryset(
                    municipality=municipality, default_target=default_target, offers=offers
                )
                assert str(gaps.query) == str(built.query)
