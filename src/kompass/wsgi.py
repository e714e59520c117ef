"""WSGI entry point for production servers (gunicorn -c gunicorn.conf.py kompass.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kompass.settings")

application = get_wsgi_application()

# gunicorn does not run Django's system checks; refuse to serve with an unsafe configuration.
from kompass.core.checks import refuse_unsafe_start  # noqa: E402

refuse_unsafe_start()
