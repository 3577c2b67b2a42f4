from django.urls import path

from . import views

app_name = "home"

urlpatterns = [
    path("checklist/dismiss/", views.checklist_dismiss, name="checklist_dismiss"),
]
