"""A URL whose view fails, to see the 500 page as a visitor would."""

from django.urls import path


def fails(request):
    raise RuntimeError("the database is down")


urlpatterns = [path("fails/", fails)]
