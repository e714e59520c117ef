"""Entries of the relevance pages in the project-wide permission matrix
(kompass/accounts/tests/test_permission_matrix.py).

The matrix pages belong to a Themenfeld and a Land rather than to a Kommune, so they have tables of
their own (permissions.py). test_permissions.py runs every one of them for every role against the
same World as the project-wide matrix, and checks that refused requests change no relevance data.
"""

from kompass.relevance.tests.permissions import (
    ACCOUNT_PAGES,
    MATRIX_PAGES,
    SPONSOR_PAGES,
    TENANT_PAGES,
)

_TESTED_IN = "every role and target in kompass/relevance/tests/test_permissions.py"

SPECIAL = dict.fromkeys([*ACCOUNT_PAGES, *TENANT_PAGES, *MATRIX_PAGES, *SPONSOR_PAGES], _TESTED_IN)
