"""Directory routes (CONTRACT §4.1, §10.3): account info, extensions, phone numbers."""

from typing import Any

from starlette.responses import Response

from sandbox.account.models import Account, Extension, PhoneNumber
from sandbox.core.clock import iso
from sandbox.core.errors import another_extension
from sandbox.core.paging import page_params, paginate
from sandbox.core.params import kept_query, multi_values
from sandbox.core.routing import Ctx, Router, json_response

router = Router()
ACCOUNT = "/restapi/v1.0/account/{accountId}"

EXTENSION_TYPES = (
    "User", "Department", "Announcement", "Voicemail", "DigitalUser", "VirtualUser", "FaxUser",
    "PagingOnly", "SharedLinesGroup", "DelegatedLinesGroup", "GroupCallPickup", "IvrMenu",
    "ApplicationExtension", "ProxyAdmin", "RoomConnector", "ParkLocation", "Limited", "Bot",
    "Site", "Room", "FlexibleUser", "TieLine", "Unknown",
)  # fmt: skip
EXTENSION_STATUSES = ("Enabled", "Disabled", "Frozen", "NotActivated", "Unassigned")
NUMBER_STATUSES = ("Normal", "Pending", "PortedIn", "Temporary", "Unknown")
USAGE_TYPES = (
    "MainCompanyNumber", "AdditionalCompanyNumber", "CompanyNumber", "DirectNumber",
    "CompanyFaxNumber", "FmcBusinessMobileNumber", "InventoryFmcBusinessMobileNumber",
    "ForwardedNumber", "ForwardedCompanyNumber", "ContactCenterNumber", "ConferencingNumber",
    "MeetingsNumber", "NumberPool", "BusinessMobileNumber", "ELIN",
    "PartnerBusinessMobileNumber", "NumberPoolPartnerBusinessMobileNumber", "NumberStorage",
    "IntegrationNumber", "InventoryMobileNumber",
)  # fmt: skip
PAYMENT_TYPES = (
    "External", "TollFree", "Local", "BusinessMobileNumberProvider", "ExternalNumberProvider",
    "ExternalNumberProviderTollFree", "Mobile",
)  # fmt: skip

US = {"id": "1", "name": "United States", "isoCode": "US", "callingCode": "1"}


def country(ctx: Ctx) -> dict[str, Any]:
    return {**US, "uri": ctx.url("/restapi/v1.0/dictionary/country/1")}


def regional_settings(ctx: Ctx) -> dict[str, Any]:
    return {
        "homeCountry": country(ctx),
        "timezone": {
            "id": "58",
            "uri": ctx.url("/restapi/v1.0/dictionary/timezone/58"),
            "name": "US/Pacific",
            "description": "Pacific Time (US & Canada)",
            "bias": "-480",
        },
        "language": {"id": "1033", "localeCode": "en-US", "name": "English (United States)"},
        "greetingLanguage": {
            "id": "1033",
            "localeCode": "en-US",
            "name": "English (United States)",
        },
        "formattingLocale": {
            "id": "1033",
            "localeCode": "en-US",
            "name": "English (United States)",
        },
        "timeFormat": "12h",
    }


def account_uri(ctx: Ctx, account: Account) -> str:
    return ctx.url(f"/restapi/v1.0/account/{account.id}")


def extension_uri(ctx: Ctx, ext: Extension) -> str:
    return ctx.url(f"/restapi/v1.0/account/{ctx.world.account.id}/extension/{ext.id}")


def extension_body(ctx: Ctx, ext: Extension, *, full: bool) -> dict[str, Any]:
    """`GetExtensionListInfoResponse` (list records) or `GetExtensionInfoResponse` (full)."""
    account = ctx.world.account
    uri = extension_uri(ctx, ext)
    contact: dict[str, Any] = {"company": account.company_name}
    if ext.is_user:
        contact.update(firstName=ext.first_name, lastName=ext.last_name)
        if ext.email:
            contact.update(email=ext.email, emailAsLoginName=True)
        if ext.job_title:
            contact["jobTitle"] = ext.job_title
        if ext.department:
            contact["department"] = ext.department
        direct = next((n for n in account.numbers_of(ext.id_str) if n.type != "FaxOnly"), None)
        if direct:
            contact["businessPhone"] = direct.phone_number
    else:
        contact["firstName"] = ext.name
    body: dict[str, Any] = {
        "id": ext.id,
        "uri": uri,
        "extensionNumber": ext.extension_number,
        "name": ext.name,
        "type": ext.type,
        "status": ext.status,
        "contact": contact,
        "permissions": {
            "admin": {"enabled": ext.is_admin},
            "internationalCalling": {"enabled": False},
        },
        "profileImage": {"uri": uri + "/profile-image"},
        "hidden": False,
        "creationTime": iso(ext.creation_time),
    }
    if full:
        body["account"] = {"id": account.id_str, "uri": account_uri(ctx, account)}
        body["regionalSettings"] = regional_settings(ctx)
        body["setupWizardState"] = "Completed" if ext.status == "Enabled" else "NotStarted"
        body["serviceFeatures"] = [
            {"featureName": name, "enabled": ext.is_user}
            for name in ("CallerIdControl", "Fax", "Presence", "RingOut", "SMS", "VoipCalling")
        ]
    return body


@router.api("GET", ACCOUNT, group="Light")
async def read_account(ctx: Ctx) -> Response:
    ctx.account_id()
    account = ctx.world.account
    operator = account.extensions.get(account.operator_id or "")
    body: dict[str, Any] = {
        "id": account.id,
        "uri": account_uri(ctx, account),
        "mainNumber": account.main_number,
        "status": "Confirmed",
        "serviceInfo": {
            "uri": account_uri(ctx, account) + "/service-info",
            "brand": {"id": "1210", "name": "RingCentral", "homeCountry": country(ctx)},
            "servicePlan": {"id": "16041", "name": "RingCentral Video Pro+", "edition": "Premium"},
            "billingPlan": {
                "id": "3751",
                "name": "Monthly",
                "durationUnit": "Month",
                "duration": 1,
                "type": "Regular",
            },
            "contractedCountry": country(ctx),
        },
        "regionalSettings": {
            **regional_settings(ctx),
            "currency": {"id": 1, "code": "USD", "name": "Dollar", "symbol": "$"},
        },
        "setupWizardState": "Completed",
        "signupInfo": {"tosAccepted": True, "creationTime": iso(account.creation_time)},
        "federated": False,
        "limits": {"maxExtensionNumberLength": 5, "shortExtensionNumberLength": 3},
    }
    if operator:
        body["operator"] = {
            "id": operator.id,
            "uri": extension_uri(ctx, operator),
            "extensionNumber": operator.extension_number,
        }
    return json_response(body)


@router.api("GET", ACCOUNT + "/extension", group="Medium")
async def list_extensions(ctx: Ctx) -> Response:
    account_id = ctx.account_id()
    types = multi_values(ctx.query, "type", EXTENSION_TYPES)
    statuses = multi_values(ctx.query, "status", EXTENSION_STATUSES)
    emails = {e.lower() for e in multi_values(ctx.query, "email")}
    number = ctx.query.get("extensionNumber")
    page, per_page = page_params(ctx.query)
    matching = [
        ext
        for ext in ctx.world.account.extensions.values()
        if (not types or ext.type in types)
        and (not statuses or ext.status in statuses)
        and (not emails or (ext.email or "").lower() in emails)
        and (number is None or ext.extension_number == number)
    ]
    listing = paginate(
        matching,
        page=page,
        per_page=per_page,
        base_uri=ctx.url(f"/restapi/v1.0/account/{account_id}/extension"),
        query_items=kept_query(ctx.query),
    )
    listing["records"] = [extension_body(ctx, ext, full=False) for ext in listing["records"]]
    return json_response(listing)


@router.api("GET", ACCOUNT + "/extension/{extensionId}", group="Light")
async def read_extension(ctx: Ctx) -> Response:
    return json_response(extension_body(ctx, ctx.extension(), full=True))


def number_body(ctx: Ctx, number: PhoneNumber, *, company: bool) -> dict[str, Any]:
    """`UserPhoneNumberInfo` (an extension's numbers) or `CompanyPhoneNumberInfo`."""
    account = ctx.world.account
    base = f"/restapi/v1.0/account/{account.id}/phone-number/{number.id}"
    body: dict[str, Any] = {
        "uri": ctx.url(base),
        "id": number.id,
        "phoneNumber": number.phone_number,
        "type": number.type,
        "usageType": number.usage_type,
        "status": number.status,
        "paymentType": number.payment_type,
        "location": number.location,
        "primary": number.primary,
    }
    if number.label:
        body["label"] = number.label
    ext = account.extensions.get(number.extension_id or "")
    if company:
        if ext is not None:
            body["extension"] = {
                "id": ext.id,
                "uri": extension_uri(ctx, ext),
                "extensionNumber": ext.extension_number,
                "name": ext.name,
            }
    else:
        body["country"] = {"id": US["id"], "uri": country(ctx)["uri"], "name": US["name"]}
        body["features"] = list(number.features)
        if ext is not None:
            body["extension"] = {
                "id": ext.id,
                "uri": extension_uri(ctx, ext),
                "extensionNumber": ext.extension_number,
            }
    return body


def _numbers_listing(ctx: Ctx, numbers: list[PhoneNumber], base_uri: str, *, company: bool):
    statuses = multi_values(ctx.query, "status", NUMBER_STATUSES)
    usage = multi_values(ctx.query, "usageType", USAGE_TYPES)
    payment = multi_values(ctx.query, "paymentType", PAYMENT_TYPES) if company else []
    page, per_page = page_params(ctx.query)
    matching = [
        n
        for n in numbers
        if (not statuses or n.status in statuses)
        and (not usage or n.usage_type in usage)
        and (not payment or n.payment_type in payment)
    ]
    listing = paginate(
        matching, page=page, per_page=per_page, base_uri=base_uri, query_items=kept_query(ctx.query)
    )
    listing["records"] = [number_body(ctx, n, company=company) for n in listing["records"]]
    return json_response(listing)


@router.api("GET", ACCOUNT + "/extension/{extensionId}/phone-number", group="Light")
async def list_extension_numbers(ctx: Ctx) -> Response:
    ext = ctx.extension()
    if ext.id_str != ctx.me.id_str and not ctx.me.is_admin:
        raise another_extension()
    account = ctx.world.account
    return _numbers_listing(
        ctx,
        account.numbers_of(ext.id_str),
        extension_uri(ctx, ext) + "/phone-number",
        company=False,
    )


@router.api("GET", ACCOUNT + "/phone-number", group="Heavy")
async def list_account_numbers(ctx: Ctx) -> Response:
    ctx.account_id()
    account = ctx.world.account
    return _numbers_listing(
        ctx,
        list(account.phone_numbers),
        account_uri(ctx, account) + "/phone-number",
        company=True,
    )
