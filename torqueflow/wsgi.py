import os

from django.core.wsgi import get_wsgi_application

from torqueflow.webhook_path import WEBHOOK_PREFIX, BareHandler, PathRouter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "torqueflow.settings")
application = PathRouter(get_wsgi_application(), bare=BareHandler(), bare_prefix=WEBHOOK_PREFIX)
