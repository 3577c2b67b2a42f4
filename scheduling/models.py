"""Appointments: who meets whom, when and where."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import TenantModel
from crm.models import Contact
from invoicing.models import Customer


class Appointment(TenantModel):
    """A booked visit, call or video meeting. Times are stored in UTC and shown in the
    organisation's time zone. `meeting_url` stays empty until a calendar or video
    integration fills it."""

    class LocationType(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "Phone"
        GOOGLE_MEET = "google_meet", "Google Meet"
        ZOOM = "zoom", "Zoom"

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"

    ONLINE = (LocationType.GOOGLE_MEET, LocationType.ZOOM)

    title = models.CharField(max_length=200)
    customer = models.ForeignKey(Customer, on_delete=models.RESTRICT, related_name="appointments")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.RESTRICT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    location_type = models.CharField(
        max_length=20, choices=LocationType, default=LocationType.IN_PERSON
    )
    address = models.TextField(blank=True)
    meeting_url = models.URLField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.BOOKED)
    cancel_reason = models.CharField(max_length=500, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["organisation", "start"], name="appointment_org_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="appointment_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_booked(self) -> bool:
        return self.status == self.Status.BOOKED

    @property
    def is_online(self) -> bool:
        return self.location_type in self.ONLINE
