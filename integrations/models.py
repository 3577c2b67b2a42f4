from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from encrypted_fields.fields import EncryptedJSONField, EncryptedTextField

from accounts.models import TenantModel


class Connection(TenantModel):
    """One organisation's link to one provider, with its tokens or typed credentials
    encrypted at rest."""

    class State(models.TextChoices):
        NOT_CONNECTED = "not_connected", "Not connected"
        ACTIVE = "active", "Active"
        SETUP_INCOMPLETE = "setup_incomplete", "Setup incomplete"
        REQUIRES_REAUTH = "requires_reauth", "Requires reauthorisation"
        PENDING_CREDITS = "pending_credits", "Pending credits"
        GRACE_PERIOD = "grace_period", "Grace period"
        DISCONNECTED = "disconnected", "Disconnected"

    # States that stop the pushes until the owner acts (reconnect, buy credits) without the
    # owner having chosen to stop syncing: what changes meanwhile waits and goes on reconnect.
    # A disconnected connection is not one of them: its owner stopped it, and a later
    # connection starts afresh.
    INTERRUPTED_STATES = (State.REQUIRES_REAUTH, State.PENDING_CREDITS, State.GRACE_PERIOD)
    # The connection points at a remote account: active, or interrupted until reconnected.
    LINKED_STATES = (State.ACTIVE, *INTERRUPTED_STATES)

    provider = models.CharField(max_length=40)
    state = models.CharField(max_length=20, choices=State, default=State.NOT_CONNECTED)
    remote_account_id = models.CharField(max_length=100, blank=True)
    remote_account_name = models.CharField(max_length=255, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    access_token = EncryptedTextField(blank=True, null=True)
    refresh_token = EncryptedTextField(blank=True, null=True)
    # What an owner typed into a Credentials provider's form, {field name: value}; each value
    # is encrypted on its own (the names stay readable).
    credentials = EncryptedJSONField(default=dict, blank=True)
    # The token answer (JSON) of a consent given while the connection was already linked,
    # kept until the owner chooses an account (settings["remote_accounts"] lists what it
    # reached); the connection goes on with its own tokens meanwhile.
    pending_token = EncryptedTextField(blank=True, null=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    disconnected_at = models.DateTimeField(null=True, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    invoices_synced = models.PositiveIntegerField(default=0)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["organisation", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "provider"], name="one_connection_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} for {self.organisation_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class SyncRecord(TenantModel):
    """Where one local object stands with one connection: the badge is drawn from this."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SYNCED = "synced", "Synced"
        FAILED = "failed", "Sync failed"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="records")
    object_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    reason_code = models.CharField(max_length=50, blank=True)
    reason_text = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    # What the hub shows and decides by. Written through services.records.sync_record_write,
    # which changes only the named fields, under the row's lock.
    label = models.CharField(max_length=100, blank=True)  # names the object in the activity log
    force = models.BooleanField(default=False)  # Sync now: push even if nothing changed
    badge_note = models.CharField(max_length=200, blank=True)  # orange badge text, e.g. a void
    remote_status = models.CharField(max_length=40, blank=True)  # the provider's own status
    remote_url = models.URLField(max_length=500, blank=True)  # opens it on the provider's side
    # Where a failed record's reason is fixed (errors.Fix.as_json: kind, ids, fields); {} when
    # nowhere. Shown beside the reason; saving that thing queues the record again.
    fix = models.JSONField(default=dict, blank=True)
    # The provider's own scratch data (marks, totals, rounds); the hub never reads it.
    details = models.JSONField(default=dict, blank=True)
    # The last Retry failed that sent this record again (the failed page follows it).
    retry = models.ForeignKey(
        "SyncRetry", on_delete=models.SET_NULL, null=True, blank=True, related_name="records"
    )
    # The back-fill that first marked this record, whose progress counts it.
    backfill = models.ForeignKey(
        "Backfill", on_delete=models.SET_NULL, null=True, blank=True, related_name="records"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "object_type", "object_id"], name="one_record_per_object"
            )
        ]
        indexes = [
            models.Index(fields=["connection", "state", "queued_at"]),
            models.Index(fields=["object_type", "object_id"]),
            # Webhooks and the reconciler find our record from the provider's id.
            models.Index(fields=["connection", "external_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.object_type_id}:{self.object_id} → {self.connection.provider} {self.state}"

    @classmethod
    def state_counts(cls, through: str = "") -> dict[str, models.Count]:
        """Count expressions of records by state, named by the state ("synced", "failed",
        "pending"): for aggregate() on records, or annotate() on a model whose records are
        reached `through` a relation."""
        counted = through or "pk"
        state = f"{through}__state" if through else "state"
        return {
            value: models.Count(counted, filter=models.Q(**{state: value}))
            for value in cls.State.values
        }


class SyncRetry(TenantModel):
    """One press of Retry failed on a connection: its records point here, so the failed page
    can follow them until they settle and say how many arrived, across reloads."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="retries")
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["connection", "-started_at"])]

    def __str__(self) -> str:
        return f"Retry failed on {self.connection_id} at {self.started_at:%Y-%m-%d %H:%M}"


class Backfill(TenantModel):
    """An owner's request to send the invoices finalised before a connection was made: they
    are not sent automatically. Queued while its invoices are being marked pending, running
    while they are pushed, done with its figures once none is pending."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    UNFINISHED_STATES = (State.QUEUED, State.RUNNING)

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="backfills")
    # On the invoice date, both ends included; empty means no limit on that side.
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    # The count offered when it started, then the number of invoices actually marked.
    total = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State, default=State.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    # Last time its marking task made progress: the sweeper sends the task again after a gap.
    marked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The figures at the end, kept as they were when it finished.
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_unfinished_backfill_per_connection",
            )
        ]
        indexes = [models.Index(fields=["state", "marked_at"])]

    def __str__(self) -> str:
        return f"Back-fill {self.pk} of {self.connection_id} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state == self.State.DONE


class PastSyncRecord(TenantModel):
    """Where a local object was in a remote account that a connection no longer points at:
    its records were made there, so they became history when the connection moved on."""

    provider = models.CharField(max_length=40)
    remote_account_id = models.CharField(max_length=100, blank=True)
    remote_account_name = models.CharField(max_length=255, blank=True)
    object_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    external_id = models.CharField(max_length=100)
    remote_url = models.URLField(max_length=500, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField()

    class Meta:
        ordering = ["archived_at", "pk"]
        indexes = [models.Index(fields=["organisation", "object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.object_type_id}:{self.object_id} was in {self.provider} {self.external_id}"


class SyncActivity(TenantModel):
    """The sync activity log an owner reads: what was sent, when, and what came back."""

    class Result(models.TextChoices):
        OK = "ok", "OK"
        RETRY = "retry", "Will retry"
        FAILED = "failed", "Failed"
        INFO = "info", "Info"

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="activity", null=True, blank=True
    )
    record = models.ForeignKey(
        SyncRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="activity"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=50)
    subject = models.CharField(max_length=255, blank=True)
    result = models.CharField(max_length=10, choices=Result)
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "sync activity"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject} {self.result}"


class WebhookEvent(models.Model):
    """A verified delivery from a provider, stored before it is applied."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=40)
    event_key = models.CharField(max_length=255)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The event as JSON (strings cleaned of what no column can hold: webhook_body.storable),
    # and the delivery's body exactly as the provider signed it.
    payload = models.JSONField()
    body = models.BinaryField(default=b"", editable=False)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When its apply task was sent; empty when the broker refused it (it is sent again on
    # the provider's redelivery or by the sweeper).
    queued_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State, default=State.RECEIVED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_key"], name="webhook_event_once")
        ]
        indexes = [models.Index(fields=["state", "received_at"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_key} ({self.state})"


class AccountCode(TenantModel):
    """The account a nominal code posts to in one accounting provider (Xero's account Code),
    kept by the hub: one row per nominal code and provider."""

    nominal_code = models.ForeignKey(
        "invoicing.NominalCode", on_delete=models.CASCADE, related_name="account_codes"
    )
    provider = models.CharField(max_length=40)
    code = models.CharField(max_length=50)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["nominal_code", "provider"], name="one_account_code_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.nominal_code_id} → {self.provider} {self.code}"
