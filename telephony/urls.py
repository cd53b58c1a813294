from django.urls import path

from telephony import views

urlpatterns = [
    path("ringcentral/", views.connection, name="ringcentral_connection"),
    path("ringcentral/check/", views.connection_check, name="ringcentral_connection_check"),
]
