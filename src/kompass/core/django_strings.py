"""Django strings that its own German catalogue lacks; kept here so makemessages extracts them and
our catalogue (src/kompass/locale/de) carries their German text."""

from django.utils.translation import gettext_noop

DJANGO_STRINGS_WITHOUT_GERMAN = [
    gettext_noop("- Select an option -"),
]
