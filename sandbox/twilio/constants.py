KEY = "twilio"
ACCOUNT_SID = "AC00000000000000000000000000sandbx"
AUTH_TOKEN = "sandbox_twilio_auth_token_not_for_production"
FRIENDLY_NAME = "Sandbox Twilio account"
PHONE_NUMBER = "+15005550006"
MESSAGING_SERVICE_SID = "MG00000000000000000000000000sandbx"
# Seconds between queued → sent → delivered.
STEP_SECONDS = 1
# Twilio sends from a US long code at 1 message segment a second, queueing the rest
# (Messages over the rate wait in the sender's queue rather than being refused).
PER_SECOND = 1
# T-Mobile's daily cap for a low-volume US A2P 10DLC brand.
PER_DAY = 2000
