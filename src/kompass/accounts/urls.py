from django.contrib.auth import views as auth_views
from django.urls import path

from kompass.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("anmelden/", views.LoginView.as_view(), name="login"),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
    path("passwort/", views.PasswordChangeView.as_view(), name="password-change"),
    path(
        "passwort/geaendert/", views.PasswordChangeDoneView.as_view(), name="password-change-done"
    ),
    path("passwort-vergessen/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "passwort-vergessen/gesendet/",
        views.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "passwort-neu/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "passwort-neu/fertig/",
        views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("einladung/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("verwaltung/", views.organisation_list, name="organisation-list"),
    path(
        "verwaltung/kommune/<int:pk>/",
        views.municipality_organisation,
        name="municipality-organisation",
    ),
    path(
        "verwaltung/kommune/<int:pk>/personen/",
        views.municipality_people,
        name="municipality-people",
    ),
    path(
        "verwaltung/kommune/<int:pk>/fachbereiche/neu/",
        views.department_create,
        name="department-create",
    ),
    path("verwaltung/kommune/<int:pk>/rollen/neu/", views.role_grant, name="role-grant"),
    path(
        "verwaltung/kommune/<int:pk>/einladungen/neu/",
        views.invitation_create,
        name="invitation-create",
    ),
    path(
        "verwaltung/fachbereich/<int:pk>/bearbeiten/",
        views.department_update,
        name="department-update",
    ),
    path(
        "verwaltung/fachbereich/<int:pk>/loeschen/",
        views.department_delete,
        name="department-delete",
    ),
    path("verwaltung/rolle/<int:pk>/entziehen/", views.role_revoke, name="role-revoke"),
    path(
        "verwaltung/einladung/<int:pk>/zurueckziehen/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("verwaltung/dienstleister/<int:pk>/", views.provider_detail, name="provider-detail"),
    path(
        "verwaltung/dienstleister/<int:pk>/rollen/neu/",
        views.provider_role_grant,
        name="provider-role-grant",
    ),
    path(
        "verwaltung/dienstleister/<int:pk>/einladungen/neu/",
        views.provider_invitation_create,
        name="provider-invitation-create",
    ),
    path("protokoll/", views.audit_log, name="audit-log"),
]
