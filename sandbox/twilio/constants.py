ACCOUNT_SID = "AC00000000000000000000000000sandbx"
AUTH_TOKEN = "sandbox_twilio_auth_token_not_for_production"
FRIENDLY_NAME = "Sandbox Twilio account"
PHONE_NUMBER = "+15005550006"
MESSAGING_SERVICE_SID = "MG00000000000000000000000000sandbx"
# Seconds between queued → sent → delivered.
STEP_SECONDS = 1
