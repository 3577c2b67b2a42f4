"""One error hierarchy for every remote call, so the hub can tell what to do next.

Transient errors retry and leave the badge Pending; a stop that needs the user (revoked app,
bad mapping) ends the sync with a reason the user can act on, and says where it is fixed.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fix:
    """Where a person fixes a stop: the hub stores it on the failed record, names it beside
    the reason with a link, and queues the record again when that thing is saved.

    kind is one of FIX_KINDS. `ids` are the local objects to fix (nominal codes, a customer
    or supplier); the connection kind names none, it is the record's own. `fields` are what
    must change for the fix to count (a rename: name or company_name); empty means any edit.
    """

    kind: str
    ids: tuple[int, ...] = ()
    fields: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.ids:
            data["ids"] = list(self.ids)
        if self.fields:
            data["fields"] = list(self.fields)
        return data


NOMINAL_CODES = "nominal_codes"
CUSTOMER = "customer"
SUPPLIER = "supplier"
CONNECTION = "connection"
FIX_KINDS = (NOMINAL_CODES, CUSTOMER, SUPPLIER, CONNECTION)
# What makes a contact's name in a provider: renaming is changing one of these.
PARTY_NAME_FIELDS = ("name", "company_name")
RECONNECT = Fix(CONNECTION)


class IntegrationError(Exception):
    """Base for anything that went wrong talking to a provider."""

    reason_code = "remote_error"


class TransientError(IntegrationError):
    """Worth retrying later: 5xx, timeouts, connection errors, organisation offline."""

    reason_code = "transient"

    def __init__(self, message: str = "", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """429: wait `retry_after` seconds (from Retry-After) before calling again."""

    reason_code = "rate_limited"


class RemoteTimeout(TransientError):
    """No answer in time: the remote side may or may not have done the work."""

    reason_code = "timeout"


class NeedsUser(IntegrationError):
    """A stop that only a person can fix; retrying on its own will not help. `fix` says
    where, when there is a place to fix it."""

    fix: Fix | None = None


class ReauthRequired(NeedsUser):
    """The provider refused our tokens (invalid_grant, app revoked): reconnect."""

    reason_code = "app_revoked"
    fix = RECONNECT


class AccessDenied(ReauthRequired):
    """403: the provider refused this app access (app disconnected, organisation gone, a
    location or scope not granted). Reconnecting is the fix, as for a refused token, so it
    keeps that reason code: the badge reads "App revoked" and the records resume on reconnect."""


class RemoteNotFound(NeedsUser):
    """404: the provider does not hold the record (deleted there, or not visible to us)."""

    reason_code = "not_found"


class ConnectionNotActive(NeedsUser):
    reason_code = "connection_not_active"
    fix = RECONNECT


class ValidationFailed(NeedsUser):
    """The provider refused the data itself (a validation error): fix and Sync now."""

    reason_code = "validation"

    def __init__(self, message: str, *, reason_code: str | None = None, fix: Fix | None = None):
        super().__init__(message)
        if reason_code:
            self.reason_code = reason_code
        self.fix = fix


class CredentialsRejected(NeedsUser):
    """The provider refused credentials typed into its form. The message is shown to the
    user as it is, so it must name what to fix and never repeat a secret; `field` names the
    input it concerns, when it is one."""

    reason_code = "credentials_rejected"

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field
