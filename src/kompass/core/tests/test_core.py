import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from kompass.core.checks import check_debug_off, check_secret_key, refuse_unsafe_start
from kompass.core.text import fold, search_terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Führerschein", "fuehrerschein"),
        ("Fuehrerschein", "fuehrerschein"),
        ("FÜHRERSCH", "fuehrersch"),
        ("Straße  und\tWeg", "strasse und weg"),
        ("Café", "cafe"),
    ],
)
def test_fold_spells_german_text_one_way(text, expected):
    assert fold(text) == expected


def test_search_terms_are_folded_and_split():
    assert search_terms("  Führerschein   Umtausch ") == ["fuehrerschein", "umtausch"]
    assert search_terms("   ") == []


def test_default_secret_key_is_refused_without_debug(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    assert [error.id for error in check_secret_key(None)] == ["kompass.E001"]
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        refuse_unsafe_start()


def test_own_secret_key_passes(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-and-long-production-secret-key-with-enough-entropy-1234"
    assert check_secret_key(None) == []
    refuse_unsafe_start()


def test_debug_is_refused_in_deployment(settings):
    settings.DEBUG = True
    assert [error.id for error in check_debug_off(None)] == ["kompass.E002"]
    settings.DEBUG = False
    assert check_debug_off(None) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["core:home", "core:impressum", "core:datenschutz", "core:barrierefreiheit"]
)
def test_public_pages_render_in_german(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="de">' in content
    assert 'href="#main"' in content  # skip link
    assert reverse("core:impressum") in content


@pytest.mark.django_db
def test_impressum_shows_operator_from_settings(client, settings):
    settings.KOMPASS_OPERATOR = {**settings.KOMPASS_OPERATOR, "name": "krz <Lemgo>"}
    response = client.get(reverse("core:impressum"))
    assert "krz &lt;Lemgo&gt;" in response.content.decode()


@pytest.mark.django_db
def test_legal_pages_can_be_overridden_by_operator(client, settings, tmp_path):
    (tmp_path / "core" / "legal").mkdir(parents=True)
    (tmp_path / "core" / "legal" / "impressum.html").write_text("Eigenes Impressum des Betreibers")
    templates = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    with override_settings(TEMPLATES=templates):
        response = client.get(reverse("core:impressum"))
    assert response.content.decode() == "Eigenes Impressum des Betreibers"


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(client):
    response = client.get(reverse("core:home"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_our_german_catalogue_is_compiled_and_used():
    from django.utils import translation

    with translation.override("de"):
        # A Django string its own German catalogue lacks, translated by ours.
        assert translation.gettext("- Select an option -") == "– Bitte auswählen –"
        # Django's own German catalogue still answers for its strings.
        assert (
            translation.gettext("This field is required.")
            == "Dieses Feld ist zwingend erforderlich."
        )
