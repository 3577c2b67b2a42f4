from django.contrib.auth import views as auth_views
from django.urls import path

from . import team_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("organisation/", views.organisation_switch, name="organisation_switch"),
    path("invitation/<str:token>/", team_views.invitation_accept_view, name="invitation_accept"),
]
