"""Settings → Team: invitations by email and their link, roles changed, members removed, an
organisation never left without an Owner, and what each role sees in Settings."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import ACCOUNTANT, OWNER, STAFF
from accounts.models import Invitation, Membership, Role
from accounts.team import LAST_OWNER
from invoicing.models import AuditLog, NominalCode

from ..conftest import client_for, make_member
from ..factories import PASSWORD, MembershipFactory, NominalCodeFactory, UserFactory
from ..helpers import messages_of, text, visible_text

TEAM = "/settings/team/"
NEW_PASSWORD = "plum tree harbour 42"


@pytest.fixture(autouse=True)
def emails_sent_at_once(db):
    """The email task runs in the request's thread, as a worker would right after commit."""
    from torqueflow.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def role(org, key: str) -> Role:
    return Role.objects.get(organisation=org, key=key)


def invite(client, org, email="new.person@example.test", key=STAFF, capture=None):
    with capture(execute=True):
        return client.post(TEAM, {"email": email, "role": role(org, key).pk})


def link_in_last_email() -> str:
    return re.search(r"http://testserver(/accounts/invitation/[^/\s]+/)", mail.outbox[-1].body)[1]


def test_the_owner_invites_someone_who_gets_an_email_with_a_link(
    org, owner, owner_client, django_capture_on_commit_callbacks
):
    response = invite(owner_client, org, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert messages_of(response) == ["Invitation sent to new.person@example.test."]
    invitation = Invitation.objects.get(organisation=org)
    assert (invitation.email, invitation.role.key, invitation.invited_by) == (
        "new.person@example.test",
        STAFF,
        owner,
    )
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    [email] = mail.outbox
    assert email.to == ["new.person@example.test"]
    assert org.name in email.subject
    token = link_in_last_email().rstrip("/").rsplit("/", 1)[1]
    assert token not in invitation.token_hash  # only the hash is kept
    page = visible_text(owner_client.get(TEAM))
    assert "new.person@example.test" in page and "Pending invitations" in page
    assert AuditLog.objects.filter(organisation=org, action="team.invited").count() == 1


def test_inviting_a_member_again_is_refused(org, owner_client, django_capture_on_commit_callbacks):
    make_member(org, STAFF, email="already@example.test")

    response = invite(
        owner_client, org, email="Already@example.test", capture=django_capture_on_commit_callbacks
    )

    assert response.status_code == 400
    assert f"already@example.test is already a member of {org.name}." in visible_text(response)
    assert mail.outbox == []


def test_a_bad_invitation_form_is_answered_not_crashed(org, other_org, owner_client):
    assert owner_client.post(TEAM, {"email": "not an email", "role": "x"}).status_code == 400
    elsewhere = role(other_org, STAFF).pk
    assert (
        owner_client.post(TEAM, {"email": "a@example.test", "role": elsewhere}).status_code == 400
    )
    assert not Invitation.objects.exists()


def test_a_new_person_accepts_sets_a_password_and_lands_signed_in(
    org, owner_client, client, django_capture_on_commit_callbacks
):
    invite(owner_client, org, capture=django_capture_on_commit_callbacks)
    link = link_in_last_email()

    page = client.get(link)
    assert f"invited to join {org.name} as Staff" in visible_text(page)
    weak = client.post(
        link,
        {"first_name": "Nia", "last_name": "New", "password1": "123", "password2": "123"},
    )
    assert weak.status_code == 400
    assert "This password is too short" in visible_text(weak)
    response = client.post(
        link,
        {
            "first_name": "Nia",
            "last_name": "New",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    user = get_user_model().objects.get(email="new.person@example.test")
    assert user.get_full_name() == "Nia New"
    assert Membership.objects.get(user=user).role.key == STAFF
    assert client.get(reverse("invoicing:sales_list")).status_code == 200  # signed in
    assert Invitation.objects.get().accepted_at is not None
    # The link works once.
    again = client.get(link)
    assert again.status_code == 404
    assert "This invitation has already been used." in visible_text(again)


def test_someone_with_an_account_signs_in_and_joins(
    org, other_org, owner_client, django_capture_on_commit_callbacks
):
    user = make_member(other_org, OWNER, email="known@example.test")
    invite(
        owner_client, org, email="known@example.test", capture=django_capture_on_commit_callbacks
    )
    link = link_in_last_email()

    anonymous = Client()
    page = anonymous.get(link)
    assert "log in to join" in visible_text(page)
    assert f"?next={link}" in text(page)

    signed_in = client_for(user)
    joined = signed_in.post(link)

    assert joined.status_code == 302
    assert Membership.objects.get(user=user, organisation=org).role.key == STAFF
    assert Membership.objects.get(user=user, organisation=other_org).role.key == OWNER
    assert signed_in.get(reverse("invoicing:sales_new")).status_code == 200  # now working in org


def test_someone_signed_in_as_another_person_cannot_take_the_invitation(
    org, staff, owner_client, django_capture_on_commit_callbacks
):
    make_member(org, ACCOUNTANT, email="known@example.test")
    other = UserFactory(email="somebody@example.test")
    invite(
        owner_client, org, email="known2@example.test", capture=django_capture_on_commit_callbacks
    )
    UserFactory(email="known2@example.test")
    link = link_in_last_email()

    response = client_for(other).post(link)

    assert "but you are signed in as somebody@example.test" in visible_text(response)
    assert not Membership.objects.filter(user=other).exists()


def test_an_expired_invitation_does_not_work(
    org, owner_client, client, django_capture_on_commit_callbacks
):
    invite(owner_client, org, capture=django_capture_on_commit_callbacks)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(link_in_last_email())

    assert response.status_code == 404
    assert f"This invitation has expired. Ask {org.name} for a new one." in visible_text(response)
    assert client.post(link_in_last_email(), {"first_name": "X"}).status_code == 404
    assert not get_user_model().objects.filter(email="new.person@example.test").exists()


def test_resend_sends_a_new_link_and_the_old_one_stops_working(
    org, owner_client, client, django_capture_on_commit_callbacks
):
    invite(owner_client, org, capture=django_capture_on_commit_callbacks)
    first = link_in_last_email()
    invitation = Invitation.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"{TEAM}invitations/{invitation.pk}/resend/")

    assert "Invitation sent again to new.person@example.test." in messages_of(response)
    assert len(mail.outbox) == 2
    second = link_in_last_email()
    assert second != first
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_a_revoked_invitation_does_not_work(
    org, owner_client, client, django_capture_on_commit_callbacks
):
    invite(owner_client, org, capture=django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()

    owner_client.post(f"{TEAM}invitations/{invitation.pk}/revoke/")

    response = client.get(link_in_last_email())
    assert response.status_code == 404
    assert "This invitation link is not valid." in visible_text(response)
    assert "No pending invitations." in visible_text(owner_client.get(TEAM))
    assert client.get("/accounts/invitation/made-up-token/").status_code == 404


def test_another_organisations_invitations_and_members_are_not_found(org, other_org, owner_client):
    theirs = Invitation.objects.create(
        organisation=other_org, email="x@example.test", role=role(other_org, STAFF), token_hash="1"
    )
    member = MembershipFactory(organisation=other_org, role_key=STAFF)

    for url in (
        f"{TEAM}invitations/{theirs.pk}/resend/",
        f"{TEAM}invitations/{theirs.pk}/revoke/",
        f"{TEAM}members/{member.pk}/role/",
        f"{TEAM}members/{member.pk}/remove/",
    ):
        assert owner_client.post(url, {"role": role(org, OWNER).pk}).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert Membership.objects.get(pk=member.pk).role.key == STAFF


def test_the_owner_changes_a_role_and_it_is_audited(org, owner, owner_client):
    member = MembershipFactory(organisation=org, role_key=STAFF)

    response = owner_client.post(
        f"{TEAM}members/{member.pk}/role/", {"role": role(org, ACCOUNTANT).pk}
    )

    assert messages_of(response) == [
        f"{member.user.get_full_name() or member.user.email} is now Accountant."
    ]
    member.refresh_from_db()
    assert member.role.key == ACCOUNTANT
    entry = AuditLog.objects.get(organisation=org, action="team.role_changed")
    assert entry.actor == owner
    assert (entry.details["before"], entry.details["after"]) == ("Staff", "Accountant")


def test_the_last_owner_can_be_neither_demoted_nor_removed(org, owner, owner_client):
    mine = Membership.objects.get(user=owner, organisation=org)

    demoted = owner_client.post(f"{TEAM}members/{mine.pk}/role/", {"role": role(org, STAFF).pk})
    removed = owner_client.post(f"{TEAM}members/{mine.pk}/remove/")

    assert LAST_OWNER in messages_of(demoted)
    assert LAST_OWNER in messages_of(removed)
    assert LAST_OWNER in visible_text(owner_client.get(TEAM))
    assert Membership.objects.get(pk=mine.pk).role.key == OWNER


def test_with_a_second_owner_the_first_may_step_down(org, owner, owner_client):
    MembershipFactory(organisation=org, role_key=OWNER)
    mine = Membership.objects.get(user=owner, organisation=org)

    owner_client.post(f"{TEAM}members/{mine.pk}/role/", {"role": role(org, STAFF).pk})

    assert Membership.objects.get(pk=mine.pk).role.key == STAFF


def test_the_owner_removes_a_member_who_then_cannot_work_in_the_organisation(org, owner_client):
    member = MembershipFactory(organisation=org, role_key=STAFF)
    their_client = client_for(member.user)
    assert their_client.get(reverse("invoicing:sales_list")).status_code == 200

    response = owner_client.post(f"{TEAM}members/{member.pk}/remove/")

    assert messages_of(response) == [f"{member.user.email} removed from {org.name}."]
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert their_client.get(reverse("invoicing:sales_list")).status_code == 403
    assert AuditLog.objects.filter(organisation=org, action="team.removed").count() == 1


def test_the_team_page_shows_each_roles_capabilities(owner_client):
    page = visible_text(owner_client.get(TEAM))

    assert "What each role can do" in page
    assert "Invite people, change their roles and remove them" in page
    assert "See nominal codes and the accounts they map to" in page
    assert "Remove" in page and "Send invitation" in page


SETTINGS_LINKS = {
    OWNER: {"Nominal Codes", "Integrations", "Sync activity", "Team", "Security"},
    STAFF: set(),
    ACCOUNTANT: {"Nominal Codes", "Sync activity"},
}


@pytest.mark.parametrize("key", [OWNER, STAFF, ACCOUNTANT])
def test_settings_shows_only_the_links_a_role_can_use(org, key):
    client = client_for(make_member(org, key))
    page = text(client.get(reverse("settings_index")))
    links = set(re.findall(r'<li><a href="[^"]+">([^<]+)</a>', page))

    assert links == SETTINGS_LINKS[key]
    if key == STAFF:
        assert "There is nothing to set up here with the Staff role." in visible_text(
            client.get(reverse("settings_index"))
        )
    for href in re.findall(r'<li><a href="([^"]+)">', page):
        assert client.get(href).status_code == 200, href


def test_the_accountant_reads_nominal_codes_without_edit_controls(org, accountant, owner_client):
    NominalCodeFactory(organisation=org, code="4000", name="Sales")
    client = client_for(accountant)

    page = client.get(reverse("settings_nominal_codes"))

    assert "Sales" in visible_text(page)
    assert "New nominal code" not in text(page)
    assert ">Edit<" not in text(page)
    assert "New nominal code" in text(owner_client.get(reverse("settings_nominal_codes")))
    code = NominalCode.objects.get(organisation=org, code="4000")
    edit = client.post(reverse("settings_nominal_code_edit", args=[code.pk]), {"name": "X"})
    assert edit.status_code == 302
    code.refresh_from_db()
    assert code.name == "Sales"


def test_the_accountant_reads_the_sync_activity(accountant):
    page = client_for(accountant).get(reverse("integrations:activity"))

    assert page.status_code == 200
    assert "Sync activity" in visible_text(page)
    assert reverse("integrations:index") + '"' not in text(page)  # no link they would bounce off


def test_the_password_is_checked_by_djangos_validators(
    org, owner_client, client, django_capture_on_commit_callbacks
):
    invite(owner_client, org, capture=django_capture_on_commit_callbacks)

    response = client.post(
        link_in_last_email(),
        {"first_name": "Nia", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )

    assert response.status_code == 400
    assert "The two passwords do not match." in visible_text(response)
