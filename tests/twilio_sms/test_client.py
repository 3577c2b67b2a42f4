"""The SDK wrapped: its URLs sent to TWILIO_API_BASE, and its failures raised as the hub's
errors."""

import pytest
from requests.exceptions import ConnectionError as RequestsConnectionError

from integrations.errors import RateLimited, ReauthRequired, TransientError
from twilio_sms.client import MessageRefused, TwilioClient

from .conftest import ACCOUNT_SID, AUTH_TOKEN, CONTACT_PHONE, SENDER, message_resource, twilio_error

CREDENTIALS = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
SANDBOX = "http://127.0.0.1:8000/sandbox/twilio"


def test_calls_go_to_the_base_url_from_settings(settings, mocked):
    settings.TWILIO_API_BASE = SANDBOX
    mocked.post(
        f"{SANDBOX}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        json=message_resource(status="queued", num_segments="2"),
        status=201,
    )
    sent = TwilioClient(CREDENTIALS).message_create(
        to=CONTACT_PHONE, body="Hi", sender=SENDER, status_callback=""
    )
    assert (sent.status, sent.segments) == ("queued", 2)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, twilio_error(401, 20003, "Authenticate"), ReauthRequired),
        (429, twilio_error(429, 20429, "Too Many Requests"), RateLimited),
        (503, twilio_error(503, 20503, "Service unavailable"), TransientError),
    ],
)
def test_twilio_errors_become_the_hubs(mocked, status, body, error):
    mocked.get(
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}.json", json=body, status=status
    )
    with pytest.raises(error):
        TwilioClient(CREDENTIALS).account_fetch()


def test_a_refused_message_keeps_twilios_code(mocked):
    mocked.post(
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        json=twilio_error(400, 21211, "The 'To' number 123 is not a valid phone number."),
        status=400,
    )
    with pytest.raises(MessageRefused) as refused:
        TwilioClient(CREDENTIALS).message_create(
            to="123", body="x", sender=SENDER, status_callback=""
        )
    assert refused.value.code == "21211"


def test_no_answer_is_transient(mocked):
    mocked.get(
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}.json",
        body=RequestsConnectionError("refused"),
    )
    with pytest.raises(TransientError):
        TwilioClient(CREDENTIALS).account_fetch()
