"""The Appointments section of a customer's page."""

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from crm.customer_page import SECTIONS
from scheduling.services import appointment_cancel
from tests.conftest import make_member
from tests.factories import CustomerFactory, make_appointment

pytestmark = pytest.mark.django_db


def book(org, staff, customer, title, hours_from_now):
    start = timezone.now() + datetime.timedelta(hours=hours_from_now)
    return make_appointment(org, staff=staff, customer=customer, title=title, start=start)


def test_upcoming_come_first_soonest_first_then_a_few_past(org, engineer):
    customer = CustomerFactory(organisation=org)
    book(org, engineer, customer, "Next month", 24 * 30)
    book(org, engineer, customer, "Tomorrow", 24)
    book(org, engineer, customer, "Last week", -24 * 7)
    cancelled = book(org, engineer, customer, "Called off", 48)
    appointment_cancel(appointment=cancelled, actor=None, reason="Away")
    for n in range(5):
        book(org, engineer, customer, f"Old {n}", -24 * 30 * (n + 2))
    book(org, engineer, CustomerFactory(organisation=org), "Someone else's", 24)
    membership = Membership.objects.get(user=engineer)

    context = SECTIONS["appointments"].context(customer, membership)

    assert [a.title for a in context["upcoming"]] == ["Tomorrow", "Next month"]
    assert [a.title for a in context["past"]] == ["Called off", "Last week", "Old 0"]
    assert context["can_book"] is True


def test_the_section_costs_the_same_queries_however_many_appointments(org, engineer):
    membership = Membership.objects.select_related("organisation", "role").get(user=engineer)
    small, large = CustomerFactory(organisation=org), CustomerFactory(organisation=org)
    book(org, engineer, small, "One", 24)
    for n in range(12):
        book(org, make_member(org, "staff"), large, f"Visit {n}", 24 * (n - 6) + 1)

    counts = []
    for customer in (small, large):
        with CaptureQueriesContext(connection) as captured:
            context = SECTIONS["appointments"].context(customer, membership)
            html = render_to_string(
                SECTIONS["appointments"].template,
                {"customer": customer, "membership": membership, "section": context},
            )
        counts.append(len(captured))
    assert counts[0] == counts[1] == 2
    assert "Visit 6" in html and "Upcoming" in html and "Earlier" in html


def test_the_accountant_sees_the_section_without_a_book_link(org, engineer):
    customer = CustomerFactory(organisation=org)
    book(org, engineer, customer, "Survey", 24)
    accountant = Membership.objects.get(user=make_member(org, "accountant"))

    context = SECTIONS["appointments"].context(customer, accountant)
    html = render_to_string(
        SECTIONS["appointments"].template,
        {"customer": customer, "membership": accountant, "section": context},
    )

    assert "Survey" in html and "+ Book" not in html
