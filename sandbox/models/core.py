"""What every emulated provider keeps the same way, each row keyed by its provider (the
registry key: "xero", "ghl", ...): the fault knobs and call limits, rate windows, call counters,
the webhooks it sends, and OAuth (registered apps, users' grants, codes and tokens)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

PROVIDER_MAX = 20
ACCOUNT_MAX = 64
RATE = [MinValueValidator(0.0), MaxValueValidator(1.0)]
AT_LEAST_ONE = [MinValueValidator(1)]


def provider_field(**kwargs) -> models.CharField:
    return models.CharField(max_length=PROVIDER_MAX, **kwargs)


# --- knobs, limits and counters ---------------------------------------------------------------


class Faults(models.Model):
    """One provider's knobs, a row per provider: latency, injected 5xx errors, timeouts after the
    commit, its clock, its call limits, dropped webhooks; and the last check of Torqueflow's
    webhook receiver. The limits' defaults are the provider's documented ones."""

    provider = provider_field(unique=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0.0, validators=RATE)
    timeout_rate = models.FloatField(default=0.0, validators=RATE)
    # How long a "timed out" request sleeps after committing: past the client's timeout.
    timeout_seconds = models.FloatField(
        default=35.0, validators=[MinValueValidator(0.0), MaxValueValidator(600.0)]
    )
    # The length of a "minute" for the rate limits, in real seconds (a day is 1440 of them).
    rate_limit_scale = models.FloatField(default=60.0, validators=[MinValueValidator(0.001)])
    # Calls per short window (a Xero minute, a GoHighLevel 10 s burst) and per day, per account.
    window_limit = models.PositiveIntegerField(default=60, validators=AT_LEAST_ONE)
    day_limit = models.PositiveIntegerField(default=5000, validators=AT_LEAST_ONE)
    # Calls in flight per account, and calls per short window per app (where the provider has them).
    concurrent_limit = models.PositiveIntegerField(default=5)
    app_window_limit = models.PositiveIntegerField(default=10000)
    drop_webhooks = models.FloatField(default=0.0, validators=RATE)
    # Where the provider delivers something on the user's behalf (a text), the share that
    # fails at the far end; shown only for adapters that name it (`failure_rate_label`).
    failure_rate = models.FloatField(default=0.0, validators=RATE)
    # Real providers also send events for changes an app makes through their API.
    webhooks_for_api_changes = models.BooleanField(default=False)
    receiver_check = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "faults"

    def __str__(self) -> str:
        return f"Fault settings of {self.provider}"

    @classmethod
    def current(cls, provider: str) -> "Faults":
        """The provider's row, made with its documented limits on first use."""
        from sandbox.core.registry import get

        adapter = get(provider)
        defaults = adapter.limits.knobs() | adapter.knob_defaults()
        return cls.objects.get_or_create(provider=provider, defaults=defaults)[0]

    @classmethod
    def set_knobs(cls, provider: str, **values) -> None:
        """Change some of the provider's knobs (tests, benchmarks)."""
        cls.current(provider)
        cls.objects.filter(provider=provider).update(**values)


class RateWindow(models.Model):
    """Fixed-window call counters under a provider-chosen key (an account, an app, an app on an
    account). `window_*` is the short window, `day_*` the daily one."""

    provider = provider_field()
    key = models.CharField(max_length=150)
    window_start = models.FloatField(default=0.0)
    window_count = models.PositiveIntegerField(default=0)
    day_start = models.FloatField(default=0.0)
    day_count = models.PositiveIntegerField(default=0)
    in_flight = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "key"], name="sandbox_rate_window")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.key}"


class Stats(models.Model):
    """Calls and 429s per account, for benchmarks (GET/DELETE /sandbox/<provider>/stats/)."""

    provider = provider_field()
    account = models.CharField(max_length=ACCOUNT_MAX)
    calls = models.PositiveIntegerField(default=0)
    rate_limited = models.PositiveIntegerField(default=0)
    rate_limited_window = models.PositiveIntegerField(default=0)
    rate_limited_day = models.PositiveIntegerField(default=0)
    rate_limited_concurrent = models.PositiveIntegerField(default=0)
    errors_injected = models.PositiveIntegerField(default=0)
    timeouts_injected = models.PositiveIntegerField(default=0)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "stats"
        constraints = [
            models.UniqueConstraint(fields=["provider", "account"], name="sandbox_stats_account")
        ]

    def __str__(self) -> str:
        return f"Stats of {self.provider} {self.account}"


class ProviderEvent(models.Model):
    """One webhook event a provider sends (or is to send) to Torqueflow. `payload` is what the
    provider's body is made of; the pk orders events (Xero's event sequence)."""

    provider = provider_field(db_index=True)
    account = models.CharField(max_length=ACCOUNT_MAX, blank=True)
    account_name = models.CharField(max_length=255, blank=True)
    event_type = models.CharField(max_length=40)
    # What the event is about, shown beside its type (a resource id, a webhook id).
    subject = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    attempted_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    dropped = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.provider} {self.event_type} {self.subject}"


# --- OAuth: apps, grants, codes, tokens -------------------------------------------------------


class App(models.Model):
    """An app registered with an emulated provider (its developer portal, its marketplace)."""

    provider = provider_field()
    client_id = models.CharField(max_length=100)
    client_secret = models.CharField(max_length=200)
    name = models.CharField(max_length=100)
    # Empty: any https URL (or http on localhost) is accepted.
    redirect_uris = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "client_id"], name="sandbox_app_client")
        ]

    def __str__(self) -> str:
        return self.name


class Grant(models.Model):
    """A user's authorisation of an app, which its tokens belong to. `account` is set where the
    provider grants per account (a GoHighLevel install on a location); blank where one grant
    reaches several (Xero's connections)."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="grants")
    user_id = models.CharField(max_length=ACCOUNT_MAX)
    account = models.CharField(max_length=ACCOUNT_MAX, blank=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.app} for {self.account or self.user_id}"


class AuthCode(models.Model):
    """A single-use authorisation code. `claims` are carried into the tokens issued for it."""

    code_hash = models.CharField(max_length=64, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE)
    redirect_uri = models.URLField(max_length=1000)
    scopes = models.JSONField(default=list)
    claims = models.JSONField(default=dict, blank=True)
    code_challenge = models.CharField(max_length=200, blank=True)
    nonce = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for grant {self.grant_id}"


class RefreshToken(models.Model):
    """A rotating refresh token: `used_at` and `replaced_by` are set when it is exchanged."""

    token_hash = models.CharField(max_length=64, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="refresh_tokens")
    scopes = models.JSONField(default=list)
    claims = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    # When the client first used this token or the access token issued with it: proof that
    # the answer carrying them arrived.
    pair_used_at = models.DateTimeField(null=True, blank=True)
    # The token answer its use gave (JSON), kept while the provider would answer it again.
    answer = models.TextField(blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token {self.pk} for grant {self.grant_id}"


class AccessToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="access_tokens")
    refresh_token = models.ForeignKey(
        RefreshToken, null=True, blank=True, on_delete=models.SET_NULL
    )
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"access token {self.pk} for grant {self.grant_id}"
