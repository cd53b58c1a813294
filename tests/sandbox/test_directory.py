"""Account, extensions and phone numbers (CONTRACT §4.1, §10.3), validated against the spec."""

import pytest

from tests.support.openapi import assert_valid


def test_account_info_by_tilde_and_by_id(sandbox, alice_api):
    creds = sandbox.credentials()
    by_tilde = assert_valid(alice_api.get("/restapi/v1.0/account/~"))
    by_id = assert_valid(alice_api.get(f"/restapi/v1.0/account/{creds['account_id']}"))
    assert by_tilde == by_id
    assert by_tilde["id"] == int(creds["account_id"])
    assert by_tilde["mainNumber"] == creds["main_number"]
    assert by_tilde["operator"]["extensionNumber"] == "106"


def test_other_account_id_is_not_found(alice_api):
    response = alice_api.get("/restapi/v1.0/account/123456789/extension")
    assert response.status_code == 404
    body = assert_valid(response)
    assert body["errors"][0] == {
        "errorCode": "CMN-102",
        "message": "Resource for parameter [accountId] is not found",
        "parameterName": "accountId",
        "parameterValue": "123456789",
    }


def test_extension_list_pages_with_navigation(sandbox, alice_api):
    first = alice_api.get("/restapi/v1.0/account/~/extension", params={"perPage": 4})
    body = assert_valid(first)
    total = len(sandbox.credentials()["extensions"])
    assert total == 9
    assert body["paging"] == {
        "page": 1,
        "totalPages": 3,
        "perPage": 4,
        "totalElements": 9,
        "pageStart": 0,
        "pageEnd": 3,
    }
    assert "previousPage" not in body["navigation"]
    numbers = [r["extensionNumber"] for r in body["records"]]
    uri = body["navigation"]["nextPage"]["uri"]
    while uri:
        page = assert_valid(alice_api.get(uri))
        numbers += [r["extensionNumber"] for r in page["records"]]
        uri = page["navigation"].get("nextPage", {}).get("uri")
    assert sorted(numbers) == sorted(
        e["extension_number"] for e in sandbox.credentials()["extensions"]
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "User"}, ["101", "102", "103", "104", "105", "106", "107"]),
        ({"type": "User", "status": "Enabled"}, ["101", "102", "103", "104", "105", "106"]),
        ({"type": ["Department", "IvrMenu"]}, ["201", "900"]),
        ({"status": "Disabled"}, ["107"]),
        ({"extensionNumber": "103"}, ["103"]),
        ({"email": "sofia.martinez@callboard.example"}, ["105"]),
    ],
)
def test_extension_list_filters(alice_api, params, expected):
    body = assert_valid(alice_api.get("/restapi/v1.0/account/~/extension", params=params))
    assert [r["extensionNumber"] for r in body["records"]] == expected


def test_extension_list_refuses_an_unknown_type(alice_api):
    response = alice_api.get("/restapi/v1.0/account/~/extension", params={"type": "Robot"})
    assert response.status_code == 400
    assert assert_valid(response)["errors"][0]["errorCode"] == "CMN-101"


def test_extension_info_for_me_and_for_a_colleague(sandbox, alice_api):
    alice, ben = sandbox.user("101"), sandbox.user("102")
    me = assert_valid(alice_api.get("/restapi/v1.0/account/~/extension/~"))
    assert (me["id"], me["name"], me["contact"]["email"]) == (
        int(alice["extension_id"]),
        "Alice Walker",
        alice["email"],
    )
    assert me["account"]["id"] == sandbox.credentials()["account_id"]
    colleague = assert_valid(
        alice_api.get(f"/restapi/v1.0/account/~/extension/{ben['extension_id']}")
    )
    assert colleague["extensionNumber"] == "102"


def test_unknown_extension_is_not_found(alice_api):
    response = alice_api.get("/restapi/v1.0/account/~/extension/999")
    assert response.status_code == 404
    assert assert_valid(response)["errors"][0]["parameterName"] == "extensionId"


def test_my_phone_numbers_carry_features(sandbox, alice_api):
    body = assert_valid(alice_api.get("/restapi/v1.0/account/~/extension/~/phone-number"))
    assert [(r["phoneNumber"], r["features"]) for r in body["records"]] == [
        ("+16505550101", ["CallerId", "SmsSender", "MmsSender"])
    ]


def test_admin_sees_the_fax_only_number_without_sms(admin_api):
    body = assert_valid(admin_api.get("/restapi/v1.0/account/~/extension/~/phone-number"))
    assert [(r["phoneNumber"], r["type"], r["features"]) for r in body["records"]] == [
        ("+16505550106", "VoiceFax", ["CallerId", "SmsSender", "MmsSender"]),
        ("+16505550199", "FaxOnly", []),
    ]


def test_an_agent_may_not_list_a_colleagues_numbers(sandbox, alice_api):
    ben = sandbox.user("102")
    response = alice_api.get(
        f"/restapi/v1.0/account/~/extension/{ben['extension_id']}/phone-number"
    )
    assert response.status_code == 403
    assert assert_valid(response)["errors"][0]["errorCode"] == "CMN-404"


def test_company_numbers_with_usage_type_filter(sandbox, alice_api):
    body = assert_valid(alice_api.get("/restapi/v1.0/account/~/phone-number"))
    assert len(body["records"]) == 9
    main = assert_valid(
        alice_api.get(
            "/restapi/v1.0/account/~/phone-number", params={"usageType": "MainCompanyNumber"}
        )
    )
    assert [(r["phoneNumber"], r["extension"]["name"]) for r in main["records"]] == [
        ("+16505550100", "Main Menu")
    ]


def test_unknown_paths_and_methods_get_rc_error_bodies(alice_api):
    missing = alice_api.get("/restapi/v1.0/account/~/no-such-thing")
    assert (missing.status_code, missing.json()["errors"][0]["errorCode"]) == (404, "CMN-120")
    wrong_method = alice_api.delete("/restapi/v1.0/account/~/extension")
    assert wrong_method.status_code == 405
