from allauth.socialaccount.models import SocialApp, SocialToken
from django.contrib import admin

# The RingCentral app comes from RINGCENTRAL_CLIENT_ID/SECRET, never from the database, and
# allauth stores no tokens (the vault does): neither admin page would mean anything here.
for model in (SocialApp, SocialToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
