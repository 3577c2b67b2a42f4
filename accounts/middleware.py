from .selectors import membership_current

SESSION_KEY = "organisation_id"


class CurrentOrganisationMiddleware:
    """Sets request.membership and request.organisation for a signed-in user.

    Both are None for anonymous users and for users who belong to no organisation.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.organisation = None
        if request.user.is_authenticated:
            membership = membership_current(
                user=request.user, organisation_id=request.session.get(SESSION_KEY)
            )
            if membership is not None:
                request.membership = membership
                request.organisation = membership.organisation
        return self.get_response(request)
