"""What the CRM lists (leads, quotes, projects, contracts) share with the invoice list: sortable
headers, status chips, a search that replaces the address, CSV export of what is filtered and
an export of the ticked rows. Each list is described once by a `CrmList`."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.models import Organisation
from invoicing import exports, listing
from invoicing.selectors import ordering, sort_key
from invoicing.views.common import page_number
from torqueflow.numbers import object_ids

from . import selectors
from .org_time import organisation_time

PAGE_SIZE = 25
BULK_MAX = 200
SEARCH_MAX = 200


@dataclass(frozen=True)
class CrmList:
    slug: str  # "leads": the URL names' prefix, the CSV's name and the ticked rows' field
    title: str
    row_template: str  # one <tr>'s cells after the tick box, for `item`
    rows: Callable[..., QuerySet]  # (organisation=, filters=) → the filtered rows
    sorts: dict[str, tuple[str, ...]]
    columns: list[listing.Column]
    statuses: list[tuple[str, str]]
    csv_header: list[str]
    csv_row: Callable[[Any], list[Any]]
    flags: list[tuple[str, str]] = field(default_factory=list)  # extra chips: (value, label)

    @property
    def target(self) -> str:
        return f"{self.slug}-results"


def list_filters(spec: CrmList, query: QueryDict) -> tuple[selectors.ListFilters, str]:
    """The search, status and flag asked for (unknown values ignored) and the sort (a key we
    do not offer is ignored)."""
    status = query.get("status", "")
    flag = query.get("flag", "")
    q = query.get("q", "").strip()
    filters = selectors.ListFilters(
        q=q if len(q) <= SEARCH_MAX else "",  # a search no one could type is ignored
        status=status if status in dict(spec.statuses) else "",
        flag=flag if flag in dict(spec.flags) else "",
    )
    return filters, sort_key(query.get("sort", ""), spec.sorts, "")


def filtered_rows(spec: CrmList, organisation: Organisation, query: QueryDict) -> QuerySet:
    filters, sort = list_filters(spec, query)
    rows = spec.rows(organisation=organisation, filters=filters)
    return rows.order_by(*ordering(sort, spec.sorts)) if sort else rows


def _chips(spec: CrmList, query: QueryDict) -> list[listing.Chip]:
    chips = [listing.toggle_chip(query, label, "status", value) for value, label in spec.statuses]
    chips += [listing.toggle_chip(query, label, "flag", value) for value, label in spec.flags]
    return chips


def list_page(request: HttpRequest, spec: CrmList, **context: Any) -> HttpResponse:
    params = listing.clean_query(request.GET)
    filters, sort = list_filters(spec, params)
    rows = filtered_rows(spec, request.organisation, params)
    page = Paginator(rows, PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    query = params.copy()
    query.pop("page", None)
    template = "crm/list.html"
    if request.htmx and request.htmx.target == spec.target:
        template += "#list-results"
    context |= {
        "spec": spec,
        "page": page,
        "q": filters.q,
        "sort": sort,
        "query": query.urlencode(),
        "headers": listing.sort_headers(params, spec.columns, sort),
        "chips": _chips(spec, params),
        "export_url": reverse(f"crm:{spec.slug}_export") + listing.with_params(params),
        "bulk_url": reverse(f"crm:{spec.slug}_bulk"),
        "back_url": request.path + listing.with_params(params).rstrip("?"),
    }
    with organisation_time(request.organisation):
        response = render(request, template, context)
    return listing.replace_url(request, response, params)


def _csv(spec: CrmList, rows: QuerySet, filename: str) -> StreamingHttpResponse:
    def lines() -> Iterator[list[Any]]:
        yield spec.csv_header
        for row in rows.iterator(chunk_size=exports.CHUNK):
            yield spec.csv_row(row)

    response = StreamingHttpResponse(exports.csv_lines(lines()), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def list_export(request: HttpRequest, spec: CrmList) -> StreamingHttpResponse:
    """Every row the list's filters keep (all pages), in the list's order."""
    rows = filtered_rows(spec, request.organisation, listing.clean_query(request.GET))
    return _csv(spec, rows, f"{spec.slug}.csv")


def list_bulk_export(request: HttpRequest, spec: CrmList) -> StreamingHttpResponse:
    """The ticked rows as CSV; ids of another organisation's rows are ignored."""
    ids = object_ids(request.POST.getlist(spec.slug))[:BULK_MAX]
    rows = spec.rows(organisation=request.organisation, filters=selectors.ListFilters())
    return _csv(spec, rows.filter(pk__in=ids), f"{spec.slug}-selected.csv")
