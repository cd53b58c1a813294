"""One ASGI application for HTTP and WebSocket, served by daphne."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cti.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from cti.body_limit import BodySizeLimit, body_limits  # noqa: E402
from cti.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # django-stubs types the handler's scope more narrowly than the ASGI dicts here.
        "http": BodySizeLimit(django_asgi_app, body_limits()),  # type: ignore[arg-type]
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
