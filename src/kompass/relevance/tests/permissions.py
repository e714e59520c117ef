"""What each role gets per relevance URL, in the format of accounts/tests/test_permission_matrix.py
so that the integrator can merge it into the project-wide permission matrix.

The builders take that file's World (conftest.world: krz with Lemgo and Herford, Bielefeld with
another provider; w.topic "Familie & Kind" is the Themenpate's, w.other_topic "Umwelt" is not).

- ACCOUNT_PAGES: every signed-in person 200, anonymous → login.
- TENANT_PAGES: (rule, kwargs builder (world, tenant), methods) with the rules "view"/"manage" of
  the project-wide EXPECTED table.
- MATRIX_PAGES: the Themenpaten matrix, which belongs to a Themenfeld and a Land rather than a
  Kommune. (rule, kwargs builder (world, target), methods) with the targets of MATRIX_TARGETS and
  the expectations in MATRIX_EXPECTED. Foreign Themenfeld, or a Land without Kommunen of the
  user's provider: read 200, change 403. Everyone without operator/Themenpate role: 404.
"""

from collections.abc import Callable

from kompass.catalogue.tests.factories import ServiceFactory
from kompass.municipalities.models import Land
from kompass.municipalities.tests.factories import MunicipalityTypeFactory

ACCOUNT_PAGES = ["relevance:overview"]


def _service(w):
    return ServiceFactory(
        ozg_service__life_situation__topic=w.topic, ozg_service__topic=w.topic, leika_type_codes="4"
    )


def _deviation_kwargs(w, tenant):
    return {"pk": w.tenant(tenant).pk, "service_pk": _service(w).pk}


TENANT_PAGES: dict[str, tuple[str, Callable, tuple[str, ...]]] = {
    "relevance:municipality": ("view", lambda w, t: {"pk": w.tenant(t).pk}, ("GET",)),
    "relevance:deviation-edit": ("manage", _deviation_kwargs, ("GET", "POST")),
    "relevance:deviation-remove": ("manage", _deviation_kwargs, ("POST",)),
    "relevance:cross-check": ("manage", lambda w, t: {"pk": w.tenant(t).pk}, ("POST",)),
}

MATRIX_TARGETS = ["own_topic", "foreign_topic", "foreign_land"]
_DENIED = {"own_topic": 404, "foreign_topic": 404, "foreign_land": 404}
MATRIX_EXPECTED = {
    "read": {
        "operator": {"own_topic": 200, "foreign_topic": 200, "foreign_land": 200},
        "sponsor": {"own_topic": 200, "foreign_topic": 200, "foreign_land": 200},
        "lemgo_admin": _DENIED,
        "lemgo_editor": _DENIED,
        "reader": _DENIED,
        "herford_admin": _DENIED,
    },
    "decide": {
        "operator": {"own_topic": 200, "foreign_topic": 200, "foreign_land": 403},
        "sponsor": {"own_topic": 200, "foreign_topic": 403, "foreign_land": 403},
        "lemgo_admin": _DENIED,
        "lemgo_editor": _DENIED,
        "reader": _DENIED,
        "herford_admin": _DENIED,
    },
}


def _matrix(w, target):
    if target == "foreign_land":
        land, _ = Land.objects.get_or_create(code="06", defaults={"name": "Hessen"})
        MunicipalityTypeFactory(land=land, code="gemeinde", name="Gemeinde")
        return {"land": land.code, "topic": w.topic.code}
    topic = w.topic if target == "own_topic" else w.other_topic
    return {"land": w.lemgo.land.code, "topic": topic.code}


def _row(w, target):
    kwargs = _matrix(w, target)
    topic = w.topic if target != "foreign_topic" else w.other_topic
    service = ServiceFactory(
        ozg_service__life_situation__topic=topic, ozg_service__topic=topic, leika_type_codes="4"
    )
    return {**kwargs, "pk": service.pk}


MATRIX_PAGES: dict[str, tuple[str, Callable, tuple[str, ...]]] = {
    "relevance:matrix": ("read", _matrix, ("GET",)),
    "relevance:export": ("read", _matrix, ("GET",)),
    "relevance:row": ("read", _row, ("GET",)),
    "relevance:matrix-save": ("decide", _matrix, ("POST",)),
    "relevance:bulk": ("decide", _matrix, ("GET", "POST")),
    "relevance:import": ("decide", _matrix, ("GET", "POST")),
    "relevance:review": ("decide", _matrix, ("POST",)),
}
# The row page shows everyone who may read it the decisions; saving it needs "decide".
MATRIX_POST_RULES = {"relevance:row": "decide"}

# Operators and Themenpaten 200, everyone else signed in 404, anonymous → login.
SPONSOR_PAGES = ["relevance:deviation-list"]

PERMISSION_MATRIX_ENTRIES = {
    "ACCOUNT_PAGES": ACCOUNT_PAGES,
    "TENANT_PAGES": TENANT_PAGES,
    "MATRIX_PAGES": MATRIX_PAGES,
    "MATRIX_EXPECTED": MATRIX_EXPECTED,
    "SPONSOR_PAGES": SPONSOR_PAGES,
}
