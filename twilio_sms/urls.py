from django.urls import path

from . import views

app_name = "twilio_sms"

urlpatterns = [
    path("send/", views.send, name="send"),
    path("fill/", views.fill, name="fill"),
    path("history/", views.history, name="history"),
    path("read/", views.mark_read, name="read"),
]
