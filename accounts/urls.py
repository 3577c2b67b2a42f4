from django.contrib.auth import views as auth_views
from django.urls import path

from . import signup_views, team_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("organisation/", views.organisation_switch, name="organisation_switch"),
    path("verify/<str:token>/", signup_views.email_verify_view, name="email_verify"),
    path("verify-again/", signup_views.verification_resend_view, name="email_verify_resend"),
    path("password/reset/", signup_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        signup_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        signup_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        signup_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/<str:token>/", team_views.invitation_accept_view, name="invitation_accept"),
]
