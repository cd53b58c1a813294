from django.urls import path, register_converter

from crm import views
from crm.ids import IdConverter

register_converter(IdConverter, "id")

app_name = "crm"

urlpatterns = [
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/new/", views.contact_new, name="contact-new"),
    path("contacts/export.csv", views.contact_export, name="contact-export"),
    path("contacts/import/", views.import_upload, name="import"),
    path("contacts/import/<id:pk>/", views.import_preview, name="import-preview"),
    path("contacts/import/<id:pk>/apply/", views.import_apply, name="import-apply"),
    path("contacts/import/<id:pk>/progress/", views.import_progress, name="import-progress"),
    path("contacts/import/<id:pk>/discard/", views.import_discard, name="import-discard"),
    path("contacts/check-phone/", views.phone_check, name="phone-check"),
    path("contacts/check-email/", views.email_check, name="email-check"),
    path("contacts/<id:pk>/", views.contact_detail, name="contact-detail"),
    path("contacts/<id:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<id:pk>/delete/", views.contact_remove, name="contact-delete"),
    path("contacts/<id:pk>/timeline/", views.contact_timeline, name="contact-timeline"),
    path("contacts/<id:pk>/notes/", views.note_add, name="note-add"),
    path("companies/", views.company_list, name="companies"),
    path("companies/new/", views.company_new, name="company-new"),
    path("companies/options/", views.company_options, name="company-options"),
    path("companies/<id:pk>/", views.company_detail, name="company-detail"),
    path("companies/<id:pk>/edit/", views.company_edit, name="company-edit"),
    path("companies/<id:pk>/delete/", views.company_remove, name="company-delete"),
    path("calls/", views.call_list, name="calls"),
    path("calls/<id:pk>/", views.call_detail, name="call-detail"),
    path("calls/<id:pk>/recording/", views.recording_metadata, name="recording"),
    path("messages/", views.message_list, name="messages"),
    path("messages/<id:pk>/", views.message_detail, name="message-detail"),
]
