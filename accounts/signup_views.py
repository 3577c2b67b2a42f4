"""Sign-up, email verification and password reset: the pages anyone can reach."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from .forms import SignUpForm
from .middleware import SESSION_KEY
from .password_reset import PasswordResetForm
from .signup import email_verify, signup, verification_resend
from .throttle import TOO_MANY, throttle_hit

CHECK_EMAIL_SESSION_KEY = "signup_email"
SIGNUP_CLOSED = "Sign-up is closed"


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signup_view(request):
    """/signup/: a business starts its organisation. Every accepted post answers "Check your
    email", whether or not the address already had an account."""
    if not settings.SIGNUP_OPEN:
        return render(request, "accounts/signup_closed.html", status=404)
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        if throttle_hit(purpose="signup", request=request, email=request.POST.get("email", "")):
            return render(
                request,
                "accounts/signup.html",
                {"form": form, "too_many": TOO_MANY},
                status=429,
            )
        if form.is_valid():
            data = form.cleaned_data
            if not data["website"]:
                user = signup(
                    business_name=data["business_name"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    password=data["password"],
                    country=data["country"],
                    currency=data["currency"],
                    timezone_name=data["timezone"],
                    base_url=_base_url(request),
                )
                if user is not None:
                    login(request, user, backend="accounts.backends.EmailBackend")
                    request.session[SESSION_KEY] = user.memberships.get().organisation_id
            request.session[CHECK_EMAIL_SESSION_KEY] = data["email"].strip().lower()
            return redirect("signup_check_email")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form}, status=status)


def signup_check_email(request):
    email = request.session.get(CHECK_EMAIL_SESSION_KEY)
    if not email:
        return redirect("signup")
    return render(request, "accounts/signup_check_email.html", {"email": email})


def email_verify_view(request, token: str):
    """The link in the verification email. It works once, for 72 hours."""
    user = email_verify(token=token)
    if user is None:
        return render(
            request,
            "accounts/email_verify.html",
            {"reason": "This link has expired or has already been used."},
            status=404,
        )
    messages.success(request, "Your email is verified. You can now connect integrations.")
    if request.user.is_authenticated:
        return redirect("home")
    return redirect("accounts:login")


@login_required
@require_POST
def verification_resend_view(request):
    if throttle_hit(purpose="verify", request=request, email=request.user.email):
        messages.error(request, TOO_MANY)
    elif verification_resend(user=request.user, base_url=_base_url(request)):
        messages.success(request, f"We sent a new link to {request.user.email}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    return HttpResponseRedirect(next_url)


class PasswordResetView(auth_views.PasswordResetView):
    """Neutral whatever the address; the email goes through notifications like every other."""

    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        if throttle_hit(
            purpose="password_reset", request=request, email=request.POST.get("email", "")
        ):
            form = self.get_form()
            return render(
                request, self.template_name, {"form": form, "too_many": TOO_MANY}, status=429
            )
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
