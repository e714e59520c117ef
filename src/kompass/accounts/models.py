from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Roles and tenant membership hang on this user."""

    class Meta:
        verbose_name = _("Benutzer")
        verbose_name_plural = _("Benutzer")
