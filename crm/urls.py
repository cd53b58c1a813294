from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/new/", views.contact_new, name="contact-new"),
    path("contacts/export.csv", views.contact_export, name="contact-export"),
    path("contacts/import/", views.import_upload, name="import"),
    path("contacts/import/<int:pk>/", views.import_preview, name="import-preview"),
    path("contacts/import/<int:pk>/apply/", views.import_apply, name="import-apply"),
    path("contacts/import/<int:pk>/discard/", views.import_discard, name="import-discard"),
    path("contacts/check-phone/", views.phone_check, name="phone-check"),
    path("contacts/check-email/", views.email_check, name="email-check"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.contact_remove, name="contact-delete"),
    path("contacts/<int:pk>/timeline/", views.contact_timeline, name="contact-timeline"),
    path("contacts/<int:pk>/notes/", views.note_add, name="note-add"),
    path("companies/", views.company_list, name="companies"),
    path("companies/new/", views.company_new, name="company-new"),
    path("companies/options/", views.company_options, name="company-options"),
    path("companies/<int:pk>/", views.company_detail, name="company-detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company-edit"),
    path("companies/<int:pk>/delete/", views.company_remove, name="company-delete"),
    path("calls/", views.call_list, name="calls"),
    path("calls/<int:pk>/", views.call_detail, name="call-detail"),
    path("calls/<int:pk>/recording/", views.recording_metadata, name="recording"),
    path("messages/", views.message_list, name="messages"),
    path("messages/<int:pk>/", views.message_detail, name="message-detail"),
]
