from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cti import views
from telephony import views as telephony_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Pages that don't name an icon (Django admin) make browsers ask for this one.
    path("favicon.ico", views.favicon),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", telephony_views.sign_out, name="logout"),
    path("accounts/", include("telephony.oauth.urls")),
    path("", include("telephony.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("crm.urls")),
]
