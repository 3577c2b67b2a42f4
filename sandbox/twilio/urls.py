from django.urls import path

from . import api, phone

urlpatterns = [
    path("twilio/2010-04-01/Accounts/<str:account_sid>.json", api.account, name="twilio_account"),
    path(
        "twilio/2010-04-01/Accounts/<str:account_sid>/Messages.json",
        api.messages,
        name="twilio_messages",
    ),
    path(
        "twilio/2010-04-01/Accounts/<str:account_sid>/Messages/<str:sid>.json",
        api.message,
        name="twilio_message",
    ),
    path("twilio/phone/<str:number>/", phone.phone, name="twilio_phone"),
]
