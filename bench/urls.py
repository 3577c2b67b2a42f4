from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from torqueflow.urls import urlpatterns as product_urls


@csrf_exempt
def ping(request):
    """The trivial view the webhook endpoint is compared with: same middleware, no work."""
    return HttpResponse(b"")


urlpatterns = [path("bench/ping/", ping), *product_urls]
