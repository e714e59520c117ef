"""`make run`'s demo: load_demo fills the database once, prints where the server will listen and
the demo logins, can run again, and refuses to run in production (DEBUG off)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from kompass.accounts.models import User
from kompass.implementation.models import Implementation


@pytest.mark.django_db(transaction=True)
@override_settings(DEBUG=True)
def test_load_demo_prints_the_address_and_the_logins_and_can_run_twice():
    out = StringIO()
    call_command("load_demo", "--address", "127.0.0.1:8123", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text
    for username in ("lemgo-sb", "lemgo-admin", "herford-admin", "betrieb", "leser"):
        assert username in text
        assert User.objects.filter(username=username).exists()
    records = Implementation.objects.count()
    assert records > 0

    call_command("load_demo", stdout=StringIO())  # again: nothing doubled
    assert Implementation.objects.count() == records


@override_settings(DEBUG=False)
def test_load_demo_refuses_without_debug():
    with pytest.raises(CommandError, match="nie in Produktion"):
        call_command("load_demo", stdout=StringIO())
