"""Customers' message threads: who wrote what, read and unread, and the sidebar count."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import selectors
from crm.models import Contact, Message
from crm.services.messages import message_post, thread_mark_read
from tests.factories import CustomerFactory
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db


def contact_of(customer, name="Ana Costa") -> Contact:
    return Contact.objects.create(
        organisation_id=customer.organisation_id, customer=customer, name=name
    )


@pytest.fixture
def acme(org):
    return CustomerFactory(organisation=org, name="ACME Creative Agency")


def test_a_staff_message_is_read_and_a_contacts_is_unread(acme, staff):
    ana = contact_of(acme)

    ours = message_post(customer=acme, body="  See you Thursday.  ", author_user=staff)
    theirs = message_post(
        customer=acme, body="Could we move Thursday's visit to the afternoon?", author_contact=ana
    )

    assert (ours.body, ours.author_name, ours.read_at is not None) == (
        "See you Thursday.",
        staff.get_full_name() or staff.email,
        True,
    )
    assert (theirs.author_name, theirs.read_at, theirs.from_customer) == ("Ana Costa", None, True)
    assert selectors.messages_unread_count(organisation=acme.organisation) == 1


def test_a_message_has_exactly_one_author(acme, staff):
    with pytest.raises(ValueError):
        message_post(customer=acme, body="Nobody wrote this")
    with pytest.raises(ValueError):
        message_post(
            customer=acme, body="Two wrote this", author_user=staff, author_contact=contact_of(acme)
        )
    assert Message.objects.count() == 0


def test_only_the_customers_own_contacts_write_in_its_thread(acme, org):
    stranger = contact_of(CustomerFactory(organisation=org), name="Someone else")

    with pytest.raises(ValueError):
        message_post(customer=acme, body="Hello", author_contact=stranger)


def test_an_empty_message_is_refused(acme, staff):
    with pytest.raises(Exception) as refused:
        message_post(customer=acme, body="   ", author_user=staff)

    assert refused.value.message_dict == {"body": ["Write a message first."]}


def test_marking_a_thread_read_leaves_other_threads_alone(acme, org):
    other = CustomerFactory(organisation=org)
    message_post(customer=acme, body="One", author_contact=contact_of(acme))
    message_post(customer=acme, body="Two", author_contact=contact_of(acme, "Ben"))
    message_post(customer=other, body="Three", author_contact=contact_of(other))

    assert thread_mark_read(customer=acme) == 2
    assert thread_mark_read(customer=acme) == 0

    assert selectors.messages_unread_count(organisation=org) == 1


def test_threads_are_listed_newest_first_with_excerpt_and_unread_count(org, staff):
    old = CustomerFactory(organisation=org, name="Old Thread Ltd")
    new = CustomerFactory(organisation=org, name="ACME Creative Agency")
    CustomerFactory(organisation=org, name="No Messages Ltd")
    message_post(customer=old, body="Earlier", author_user=staff)
    message_post(customer=new, body="First", author_user=staff)
    message_post(customer=new, body="Latest words", author_contact=contact_of(new))
    Message.objects.filter(customer=old).update(
        created_at=timezone.now() - datetime.timedelta(days=1)
    )

    threads = list(selectors.message_threads(organisation=org))

    assert [(t.name, t.last_body, t.unread) for t in threads] == [
        ("ACME Creative Agency", "Latest words", 1),
        ("Old Thread Ltd", "Earlier", 0),
    ]
    assert [t.name for t in selectors.message_threads(organisation=org, q="earl")] == [
        "Old Thread Ltd"
    ]


# Pages


def test_staff_opening_a_thread_marks_it_read_and_see_it_oldest_first(staff_client, acme, staff):
    message_post(customer=acme, body="We're booked for Thursday.", author_user=staff)
    message_post(
        customer=acme,
        body="Could we move Thursday's visit to the afternoon?",
        author_contact=contact_of(acme),
    )
    assert "Messages 1" in visible_text(staff_client.get(reverse("crm:project_list")))

    page = visible_text(staff_client.get(reverse("crm:thread_detail", args=[acme.pk])))

    assert page.index("We're booked for Thursday.") < page.index("Could we move Thursday's visit")
    assert selectors.messages_unread_count(organisation=acme.organisation) == 0
    sidebar = visible_text(staff_client.get(reverse("crm:thread_list")))
    assert "Messages 1" not in sidebar


def test_an_accountant_reads_without_marking_read_and_cannot_reply(accountant_client, acme):
    message_post(customer=acme, body="Hello?", author_contact=contact_of(acme))
    url = reverse("crm:thread_detail", args=[acme.pk])

    page = accountant_client.get(url)

    assert page.status_code == 200
    assert "Send reply" not in visible_text(page)
    assert selectors.messages_unread_count(organisation=acme.organisation) == 1
    assert accountant_client.post(url, {"body": "Hi"}).status_code == 403
    assert Message.objects.count() == 1


def test_replying_adds_to_the_thread(staff_client, acme):
    url = reverse("crm:thread_detail", args=[acme.pk])

    response = staff_client.post(url, {"body": "Yes, 2pm works."})

    assert response.status_code == 302
    assert "Yes, 2pm works." in visible_text(staff_client.get(url))
    message = Message.objects.get()
    assert message.read_at is not None and message.author_contact is None


def test_an_empty_reply_is_refused_beside_the_field(staff_client, acme):
    response = staff_client.post(reverse("crm:thread_detail", args=[acme.pk]), {"body": "  "})

    assert response.status_code == 400
    assert response.context["form"].errors == {"body": ["This field is required."]}


def test_the_thread_list_pages_and_searches(staff_client, org, staff):
    for n in range(30):
        message_post(
            customer=CustomerFactory(organisation=org, name=f"Client {n:02d}"),
            body=f"Note {n}",
            author_user=staff,
        )
    url = reverse("crm:thread_list")

    assert "Page 2 of 2 · 30 in all" in visible_text(staff_client.get(url, {"page": "2"}))
    found = visible_text(staff_client.get(url, {"q": "Client 07"}))
    assert "Note 7" in found and "Note 8" not in found


def test_another_organisations_thread_answers_404(staff_client, other_org):
    theirs = CustomerFactory(organisation=other_org)
    message_post(customer=theirs, body="Private", author_contact=contact_of(theirs))
    url = reverse("crm:thread_detail", args=[theirs.pk])

    assert staff_client.get(url).status_code == 404
    assert staff_client.post(url, {"body": "Hi"}).status_code == 404
    assert Message.objects.get().read_at is None
    assert Message.objects.count() == 1


def test_the_sidebar_count_is_the_organisations_own(staff_client, acme, other_org):
    message_post(customer=acme, body="Ours", author_contact=contact_of(acme))
    theirs = CustomerFactory(organisation=other_org)
    for _ in range(3):
        message_post(customer=theirs, body="Theirs", author_contact=contact_of(theirs))

    page = staff_client.get(reverse("crm:project_list")).content.decode()

    assert '<span class="nav-count" title="1 unread">1' in page


def test_pages_without_a_signed_in_member_read_no_message_count(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert not [q for q in captured.captured_queries if "crm_message" in q["sql"]]
