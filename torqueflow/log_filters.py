"""Keep OAuth codes, states and tokens out of log lines.

The development server logs each request line, and an OAuth callback's query string carries
the authorisation code and state (a provider's redirect may also carry tokens). This filter
rewrites their values before any handler formats the record.
"""

import logging
import re

SECRET_PARAMS = ("code", "state", "access_token", "refresh_token", "id_token", "token")
_NAMES = "|".join(SECRET_PARAMS)
_SECRET_VALUE = re.compile(rf"([?&;](?:{_NAMES})=)[^&;#\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    return _SECRET_VALUE.sub(r"\1[redacted]", text)


class RedactSecretParams(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
