import pytest
from django.core.exceptions import ValidationError

from crm.models import Contact, ContactPhone
from crm.phones import InvalidPhoneNumber, phone_normalise
from crm.services import ContactData, PhoneInput, contact_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "e164", "assumed"),
    [
        ("(650) 555-0100", "+16505550100", True),
        ("650.555.0100", "+16505550100", True),
        ("+1 650 555 0100", "+16505550100", False),
        ("1-650-555-0100", "+16505550100", False),
        ("+44 20 7946 0958", "+442079460958", False),
        ("011 44 20 7946 0958", "+442079460958", False),
        # '00' is the international prefix of most of the world, if not of the US
        ("0044 20 7946 0958", "+442079460958", False),
        ("00 49 30 901820", "+4930901820", False),
    ],
)
def test_typed_number_is_stored_in_e164(typed, e164, assumed):
    normalised = phone_normalise(typed)
    assert (normalised.e164, normalised.country_assumed) == (e164, assumed)


def test_default_region_comes_from_settings(settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    normalised = phone_normalise("020 7946 0958")
    assert (normalised.e164, normalised.country_assumed) == ("+442079460958", True)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12", "is too short to be a phone number"),
        ("call me", "is not a phone number"),
        ("+999 123 4567", "has a country code that does not exist"),
        ("555 0100", "is missing its area code"),
        ("+1 650 555 0100 1234 5678", "is too long to be a phone number"),
        (
            "(123) 456-7890",
            "is not a valid US number (add the country code, e.g. +44, if it is from another "
            "country)",
        ),
        ("+44 99 1234 5678", "is not a valid number for country code +44"),
    ],
)
def test_invalid_number_is_refused_saying_why(typed, reason):
    with pytest.raises(InvalidPhoneNumber) as refused:
        phone_normalise(typed)
    assert str(refused.value) == reason


def test_contact_with_an_invalid_number_is_not_created():
    with pytest.raises(ValidationError) as refused:
        contact_create(
            data=ContactData(first_name="Casey"),
            phones=[PhoneInput("+1 650 555 0100"), PhoneInput("12", "work")],
            by=None,
        )
    assert refused.value.messages == ["'12' is too short to be a phone number"]
    assert Contact.objects.count() == 0
    assert ContactPhone.objects.count() == 0


def test_same_number_twice_in_two_formats_is_refused():
    with pytest.raises(ValidationError) as refused:
        contact_create(
            data=ContactData(first_name="Casey"),
            phones=[PhoneInput("+1 650 555 0100"), PhoneInput("(650) 555-0100", "work")],
            by=None,
        )
    assert refused.value.messages == ["'(650) 555-0100' is listed twice (+1 650-555-0100)"]
    assert Contact.objects.count() == 0


def test_foreign_national_number_typed_without_country_code_suggests_adding_it():
    with pytest.raises(InvalidPhoneNumber) as refused:
        phone_normalise("020 7946 0958")
    assert str(refused.value) == (
        "is not a valid US number (add the country code, e.g. +44, if it is from another country)"
    )
