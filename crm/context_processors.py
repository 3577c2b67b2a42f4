from functools import cached_property

from accounts.capabilities import CRM_VIEW

from . import selectors


class _UnreadMessages:
    """The organisation's unread message count for the sidebar: one query, run only when a
    page draws it for a member who may read messages."""

    def __init__(self, request):
        self._request = request

    @cached_property
    def count(self) -> int:
        membership = getattr(self._request, "membership", None)
        if membership is None or not membership.can(CRM_VIEW):
            return 0
        return selectors.messages_unread_count(organisation=self._request.organisation)


def unread_messages(request):
    return {"unread_messages": _UnreadMessages(request)}
