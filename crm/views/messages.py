from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.capabilities import CRM_VIEW, MESSAGES_MANAGE
from accounts.permissions import capability_required
from crm import selectors
from crm.forms import MessageForm
from crm.org_time import organisation_time
from crm.services.messages import message_post, thread_mark_read
from invoicing import listing
from invoicing.forms import SearchForm
from invoicing.views.common import apply_validation_error, page_number

PAGE_SIZE = 25


@capability_required(CRM_VIEW)
@require_GET
def thread_list(request):
    params = listing.clean_query(request.GET)
    search = SearchForm(params)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    unread_only = params.get("unread") == "on"
    rows = selectors.message_threads(
        organisation=request.organisation, q=q, unread_only=unread_only
    )
    page = Paginator(rows, PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    query = params.copy()
    query.pop("page", None)
    template = "crm/thread_list.html"
    if request.htmx and request.htmx.target == "thread-results":
        template += "#thread-results"
    with organisation_time(request.organisation):
        response = render(
            request,
            template,
            {
                "page": page,
                "q": q,
                "unread_only": unread_only,
                "query": query.urlencode(),
                "chips": [listing.toggle_chip(params, "Unread", "unread", "on")],
            },
        )
    return listing.replace_url(request, response, params)


@capability_required(CRM_VIEW)
def thread_detail(request, customer_pk: int):
    customer = selectors.thread_customer_get(organisation=request.organisation, pk=customer_pk)
    may_write = request.membership.can(MESSAGES_MANAGE)
    form = MessageForm(request.POST or None) if may_write else None
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied("You do not have permission to write messages.")
        if form.is_valid():
            try:
                message_post(
                    customer=customer, body=form.cleaned_data["body"], author_user=request.user
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                flash.success(request, "Reply sent.")
                return redirect("crm:thread_detail", customer_pk=customer.pk)
    elif may_write:
        # Staff who may answer have now seen the thread; a read-only visit leaves it unread.
        thread_mark_read(customer=customer)
    status = 400 if request.method == "POST" else 200
    with organisation_time(request.organisation):
        return render(
            request,
            "crm/thread_detail.html",
            {
                "customer": customer,
                "thread": selectors.thread_messages(customer=customer),
                "form": form,
            },
            status=status,
        )
