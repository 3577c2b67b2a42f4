from django.urls import path

from torqueflow.numbers import register_id_converter

from . import views

register_id_converter()

app_name = "scheduling"

urlpatterns = [
    path("appointments/", views.week, name="week"),
    path("appointments/day/<str:day>/", views.day, name="day"),
    path("appointments/new/", views.new, name="new"),
    path("appointments/contacts/", views.contact_options, name="contact_options"),
    path("appointments/<id:pk>/", views.detail, name="detail"),
    path("appointments/<id:pk>/edit/", views.edit, name="edit"),
    path("appointments/<id:pk>/cancel/", views.cancel, name="cancel"),
    path("appointments/<id:pk>/complete/", views.complete, name="complete"),
]
