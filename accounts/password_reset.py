"""Password reset through Django's views, its email sent like every other email."""

from django.contrib.auth import forms as auth_forms
from django.urls import reverse

from notifications.services import email_send


class PasswordResetForm(auth_forms.PasswordResetForm):
    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        user = context["user"]
        path = reverse("accounts:password_reset_confirm", args=[context["uid"], context["token"]])
        membership = user.memberships.select_related("organisation").first()
        email_send(
            to=to_email,
            template="password_reset",
            context={
                "name": user.first_name,
                "link": f"{context['protocol']}://{context['domain']}{path}",
            },
            organisation=membership.organisation if membership else None,
        )
