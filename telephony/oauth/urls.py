from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from telephony.oauth.provider import RingCentralProvider

# /accounts/ringcentral/login/ and /accounts/ringcentral/login/callback/
urlpatterns = default_urlpatterns(RingCentralProvider)
