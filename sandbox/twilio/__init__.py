"""The emulated Twilio: the Messages API, statuses that advance, signed callbacks and a
phone page where you read a number's texts and reply as the customer."""
