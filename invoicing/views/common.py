from django.core.exceptions import ValidationError
from django.forms import Form
from django.utils.http import url_has_allowed_host_and_scheme

from torqueflow.numbers import plain_int


def apply_validation_error(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where it names one."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def page_number(value: str | None) -> int:
    return plain_int(value, minimum=1) or 1


def safe_next(request) -> str:
    """The page to go back to after a save (a `next` parameter), when it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""
