import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kompass.accounts import services
from kompass.accounts.choices import AuditKind
from kompass.accounts.models import AuditEvent, Department


def create_url(municipality):
    return reverse("accounts:department-create", args=[municipality.pk])


def test_owner_creates_a_department(client, world):
    client.force_login(world.lemgo_admin)
    response = client.post(create_url(world.lemgo), {"code": " FB  7 ", "name": "  Ordnung  "})
    assert response.status_code == 302
    department = Department.objects.get(municipality=world.lemgo, code="FB 7")
    assert department.name == "Ordnung"
    assert AuditEvent.objects.filter(
        kind=AuditKind.DEPARTMENT_CREATED, municipality=world.lemgo
    ).exists()
    page = client.get(reverse("accounts:municipality-organisation", args=[world.lemgo.pk]))
    assert "Ordnung" in page.content.decode()


def test_duplicate_code_is_refused_case_insensitively_but_other_kommunen_may_use_it(client, world):
    client.force_login(world.lemgo_admin)
    before = Department.objects.count()
    response = client.post(create_url(world.lemgo), {"code": "fb 1", "name": "Doppelt"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "schon einen Fachbereich mit dem Kürzel" in content
    assert 'aria-describedby="id_code_helptext id_code_error"' in content
    assert Department.objects.count() == before
    # Herford has "FB 1" too: codes are unique per Kommune only.
    assert Department.objects.filter(code="FB 1").count() == 3


def test_overlong_and_html_input(client, world):
    client.force_login(world.lemgo_admin)
    response = client.post(create_url(world.lemgo), {"code": "X" * 21, "name": "N" * 201})
    content = response.content.decode()
    assert "höchstens 20 Zeichen" in content
    assert "höchstens 200 Zeichen" in content
    response = client.post(create_url(world.lemgo), {"code": "<b>", "name": "x"})
    assert "Das Kürzel darf nur" in response.content.decode()
    response = client.post(
        create_url(world.lemgo), {"code": "FB 9", "name": "<script>alert('x')</script>"}
    )
    assert response.status_code == 302
    page = client.get(reverse("accounts:municipality-organisation", args=[world.lemgo.pk]))
    content = page.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert" in content
    response = client.post(create_url(world.lemgo), {"code": "", "name": ""})
    assert response.content.decode().count("Dieses Feld ist zwingend erforderlich.") == 2


def test_update_and_delete(client, world):
    client.force_login(world.lemgo_admin)
    department = Department.objects.create(municipality=world.lemgo, code="FB 8", name="Alt")
    url = reverse("accounts:department-update", args=[department.pk])
    assert client.post(url, {"code": "FB 1", "name": "Neu"}).status_code == 200
    assert client.post(url, {"code": "FB 8a", "name": "Neu"}).status_code == 302
    department.refresh_from_db()
    assert (department.code, department.name) == ("FB 8a", "Neu")
    delete_url = reverse("accounts:department-delete", args=[department.pk])
    assert client.get(delete_url).status_code == 200
    assert client.post(delete_url).status_code == 302
    assert not Department.objects.filter(pk=department.pk).exists()


def test_department_with_members_is_not_deleted(client, world):
    client.force_login(world.lemgo_admin)
    url = reverse("accounts:department-delete", args=[world.lemgo_department.pk])
    response = client.post(url)
    assert response.status_code == 400
    assert "noch Mitglieder" in response.content.decode()
    assert Department.objects.filter(pk=world.lemgo_department.pk).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("lemgo_admin", 200), ("lemgo_colleague", 403), ("reader", 403), ("herford_admin", 404)],
)
def test_department_edit_as_owner_colleague_reader_outsider(client, world, who, status):
    client.force_login(getattr(world, who))
    url = reverse("accounts:department-update", args=[world.lemgo_department.pk])
    assert client.get(url).status_code == status
    response = client.post(url, {"code": "FB 1", "name": "Umbenannt"})
    assert response.status_code == (302 if status == 200 else status)
    world.lemgo_department.refresh_from_db()
    assert (world.lemgo_department.name == "Umbenannt") is (status == 200)


@pytest.mark.parametrize(
    ("who", "status"),
    [("lemgo_admin", 200), ("lemgo_colleague", 200), ("reader", 200), ("herford_admin", 404)],
)
def test_organisation_page_as_owner_colleague_reader_outsider(client, world, who, status):
    client.force_login(getattr(world, who))
    response = client.get(reverse("accounts:municipality-organisation", args=[world.lemgo.pk]))
    assert response.status_code == status
    if status == 200:
        content = response.content.decode()
        assert "Bürgerservice" in content
        assert (reverse("accounts:department-create", args=[world.lemgo.pk]) in content) is (
            who == "lemgo_admin"
        )


def test_services_check_permissions_themselves(world):
    with pytest.raises(PermissionDenied):
        services.department_create(
            municipality=world.herford, code="X", name="X", actor=world.lemgo_admin
        )
    with pytest.raises(PermissionDenied):
        services.department_update(
            department=world.lemgo_department, code="X", name="X", actor=world.lemgo_editor
        )
    with pytest.raises(ValidationError):
        services.department_create(
            municipality=world.lemgo, code="FB 1", name="X", actor=world.lemgo_admin
        )


def test_organisation_list_queries_do_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world.operator)
    url = reverse("accounts:organisation-list")
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
