"""Sign-in by username or e-mail address, with the lockout after repeated failures."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from kompass.accounts import services
from kompass.accounts.models import User


class UsernameOrEmailBackend(ModelBackend):
    """Authenticate by username (case-insensitive) or by e-mail address.

    Every failure counts towards the lockout (services.login_failure_record); while an account is
    locked, even the right password is refused. The login form shows the lockout message itself;
    other entry points (e.g. the admin login) just fail.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = username if username is not None else kwargs.get(User.USERNAME_FIELD)
        if not identifier or password is None:
            return None
        user = services.user_for_login(identifier)
        key = services.login_throttle_key(identifier, user)
        if services.login_locked_until(key):
            services.login_blocked_record(identifier=identifier, user=user, request=request)
            raise PermissionDenied  # stops the backend chain; Django reports a failed login
        if user is None:
            # Hash anyway, so that unknown names take as long as wrong passwords.
            User().set_password(password)
        elif user.check_password(password) and self.user_can_authenticate(user):
            services.login_success_record(user=user, request=request)
            return user
        services.login_failure_record(identifier=identifier, user=user, request=request)
        return None
