import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from crm.contact_import import MAX_ROWS, import_plan
from crm.models import Company, Contact, ContactImport, ContactPhone
from tests.factories import agent, contact

pytestmark = pytest.mark.django_db

GOOD_DUPLICATE_AND_INVALID = """\
first_name,last_name,company,email,mobile_phone,work_phone,status,owner,favourite colour
Ana,Adeyemi,Initech,ana@initech.example,(650) 555-0101,,Customer,alex,blue
Ben,Baker,Globex,ben@globex.example,+44 20 7946 0102,650.555.0103,lead,,green
Ana,Again,Initech,ANA@initech.example,,,,,
Cara,Chen,Initech,cara@initech.example,12,,,,
Dan,Diaz,,dan@example,,,,,
,,Nameless Inc,nobody@example.com,,,,,
ben,baker,,,+1 650 555 0103,,,,
Finn,Fischer,Hooli,casey@initech.example,415-555-0199,,Qualified,,
Gia,Garcia,,gia@example.com,,,Hot,,
Hana,Hughes,,hana@example.com,,,,bob,
,,,,,,,,
Ivy,Ito,Acme,ivy@acme.example,"+1 212 555 0104; +1 212 555 0105",,,,
"""


def upload(client, text: str | bytes, name: str = "contacts.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/contacts/import/", {"file": SimpleUploadedFile(name, data, "text/csv")})


def test_preview_plans_every_row_and_changes_nothing(client):
    # given an existing contact whose email row 9 repeats
    casey = contact(first_name="Casey", email="casey@initech.example", phones=["+1 415 555 0100"])
    # when the file is uploaded
    response = upload(client, GOOD_DUPLICATE_AND_INVALID)
    contact_import = ContactImport.objects.get()
    # then the preview lists what each row would do, and why a row is refused
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/import/{contact_import.pk}/"
    plan = client.get(response["Location"]).context["plan"]
    assert [(r.row, r.action, r.reason) for r in plan.rows] == [
        (2, "create", ""),
        (3, "create", ""),
        (4, "refuse", "Duplicate of row 2 (same email ana@initech.example)."),
        (5, "refuse", "mobile number '12' is too short to be a phone number."),
        (6, "refuse", "email 'dan@example' is not an email address."),
        (7, "refuse", "No name: a contact needs a first or last name."),
        (8, "refuse", "Duplicate of row 3 (same name and number +16505550103)."),
        (9, "update", ""),
        (10, "refuse", "Status 'Hot' is not one of Lead, Qualified, Customer, Inactive."),
        (11, "refuse", "Owner 'bob' is not a user here."),
        (13, "create", ""),
    ]
    assert plan.rows[7].contact_id == casey.pk
    assert plan.ignored_columns == ["favourite colour"]
    # and nothing was written but the plan
    assert Contact.objects.count() == 1
    assert Company.objects.count() == 0


def test_import_applies_exactly_the_good_rows_and_reports_the_rest(client, alex):
    casey = contact(first_name="Casey", email="casey@initech.example", phones=["+1 415 555 0100"])
    upload(client, GOOD_DUPLICATE_AND_INVALID)
    contact_import = ContactImport.objects.get()
    # when the preview is applied
    response = client.post(f"/contacts/import/{contact_import.pk}/apply/", follow=True)
    # then exactly the good rows were created, the matching contact updated
    assert response.status_code == 200
    assert "Import done: 3 created, 1 updated, 7 refused." in response.content.decode()
    assert sorted(Contact.objects.values_list("first_name", "last_name")) == [
        ("Ana", "Adeyemi"),
        ("Ben", "Baker"),
        ("Finn", "Fischer"),
        ("Ivy", "Ito"),
    ]
    ana = Contact.objects.get(first_name="Ana")
    assert (ana.company.name, ana.status, ana.owner) == ("Initech", "customer", alex)
    assert list(ana.phones.values_list("e164", "kind")) == [("+16505550101", "mobile")]
    ben = Contact.objects.get(first_name="Ben")
    assert (ben.status, ben.owner) == ("lead", alex)
    assert list(ben.phones.values_list("e164", "kind")) == [
        ("+442079460102", "mobile"),
        ("+16505550103", "work"),
    ]
    ivy = Contact.objects.get(first_name="Ivy")
    assert list(ivy.phones.values_list("e164", flat=True)) == ["+12125550104", "+12125550105"]
    casey.refresh_from_db()
    assert casey.pk == Contact.objects.get(first_name="Finn").pk
    assert (casey.last_name, casey.status, casey.company.name) == ("Fischer", "qualified", "Hooli")
    assert set(casey.phones.values_list("e164", flat=True)) == {"+14155550100", "+14155550199"}
    assert sorted(Company.objects.values_list("name", flat=True)) == [
        "Acme",
        "Globex",
        "Hooli",
        "Initech",
    ]
    contact_import.refresh_from_db()
    assert contact_import.status == "applied"
    assert [r["row"] for r in contact_import.result["refused"]] == [4, 5, 6, 7, 8, 10, 11]


def test_preview_shows_whose_row_was_refused(client):
    # given a file whose rows are refused for a bad number, a bad email and no name
    upload(client, GOOD_DUPLICATE_AND_INVALID)
    contact_import = ContactImport.objects.get()

    # when the refused rows are shown
    response = client.get(f"/contacts/import/{contact_import.pk}/", {"action": "refuse"})

    # then each says what the file had, unchecked, beside the reason
    rows = {r.row: r for r in response.context["rows"]}
    assert (rows[5].name, rows[5].values["email"], rows[5].values["phones"]) == (
        "Cara Chen",
        "cara@initech.example",
        [["12", "mobile"]],
    )
    assert (rows[6].name, rows[6].values["email"]) == ("Dan Diaz", "dan@example")
    assert (rows[7].name, rows[7].values["company"]) == ("", "Nameless Inc")
    page = response.content.decode()
    assert "Cara Chen" in page
    assert "Nameless Inc" in page
    assert Contact.objects.count() == 0


def test_an_import_applies_only_once(client):
    upload(client, "name,email\nAna Adeyemi,ana@initech.example\n")
    contact_import = ContactImport.objects.get()
    client.post(f"/contacts/import/{contact_import.pk}/apply/")
    response = client.post(f"/contacts/import/{contact_import.pk}/apply/", follow=True)
    assert "This import was applied or discarded already." in response.content.decode()
    assert Contact.objects.count() == 1


def test_update_whose_contact_was_deleted_after_the_preview_is_reported(client):
    casey = contact(email="casey@initech.example")
    upload(client, "name,email,title\nCasey Caller,casey@initech.example,CFO\n")
    casey.delete()
    contact_import = ContactImport.objects.get()
    client.post(f"/contacts/import/{contact_import.pk}/apply/")
    contact_import.refresh_from_db()
    assert contact_import.result == {
        "created": 0,
        "updated": 0,
        "refused": [{"row": 2, "reason": "The contact was deleted after the preview."}],
    }
    assert Contact.objects.count() == 0


def test_discarded_import_changes_nothing_and_cannot_be_applied(client):
    upload(client, "name\nAna Adeyemi\n")
    contact_import = ContactImport.objects.get()
    client.post(f"/contacts/import/{contact_import.pk}/discard/")
    client.post(f"/contacts/import/{contact_import.pk}/apply/")
    assert Contact.objects.count() == 0
    contact_import.refresh_from_db()
    assert contact_import.status == "discarded"


def test_someone_elses_import_is_a_404(client):
    upload(client, "name\nAna Adeyemi\n")
    contact_import = ContactImport.objects.get()
    other = Client()
    other.force_login(agent(username="blake"))
    assert other.get(f"/contacts/import/{contact_import.pk}/").status_code == 404
    assert other.post(f"/contacts/import/{contact_import.pk}/apply/").status_code == 404
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "name", "error"),
    [
        (
            "Ana;Adeyemi\n".encode("utf-16"),
            "contacts.csv",
            "The file is not UTF-8 text. Save it from your spreadsheet as &#x27;CSV UTF-8&#x27;.",
        ),
        (b"", "contacts.csv", "The submitted file is empty."),
        (
            b"email,phone\na@b.example,6505550100\n",
            "contacts.csv",
            "The first row must name the columns, with a name column: first_name and "
            "last_name, or name.",
        ),
        (
            b"name\nAna\n",
            "contacts.xlsx",
            "Upload a .csv file (in a spreadsheet: File → Save as → CSV).",
        ),
        (
            ("name\n" + "Ana\n" * (MAX_ROWS + 1)).encode(),
            "contacts.csv",
            f"The file has {MAX_ROWS + 1} rows; at most {MAX_ROWS} can be imported at once. "
            "Split it into smaller files.",
        ),
    ],
)
def test_unreadable_file_is_refused_with_the_reason(client, data, name, error):
    response = upload(client, data, name)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert ContactImport.objects.count() == 0


def test_oversized_file_is_refused(client, settings):
    data = b"name\n" + b"Ana Adeyemi\n" * (500_000)
    response = upload(client, data)
    assert response.status_code == 422
    assert "The file is 5.7 MB; the limit is 5 MB." in response.content.decode()
    assert ContactImport.objects.count() == 0


def refused_upload(client, data: str | bytes) -> str:
    """Upload a file that must be refused; the one error shown for it."""
    response = upload(client, data)
    assert response.status_code == 422
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert escape(errors[0]) in response.content.decode()
    return errors[0]


UNCLOSED = (
    'Line {}: a quote (") opened in this row is never closed, so the rest of the file would '
    "run into one cell. Add the closing quote or remove the opening one. Nothing was "
    "imported: correct the file and upload it again."
)
TEXT_AFTER_QUOTE = (
    "Line {}: a quoted cell is followed by more text before the next {}. Put the whole cell "
    'in quotes, doubling any quote inside it (""). Nothing was imported: correct the file and '
    "upload it again."
)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            'name,email\nAna Adeyemi,ana@example.com\n"Unclosed,B\nC,D\nEve Eden,eve@example.com\n',
            UNCLOSED.format(3),
        ),
        (
            'name,email\r\nAna Adeyemi,ana@example.com\r\nBen Baker,"ben@example.com\r\n',
            UNCLOSED.format(3),
        ),
        ('name\rAna Adeyemi\r"Ben Baker\rCara Chen\r', UNCLOSED.format(3)),
        (
            'name,email\nAna Adeyemi,ana@example.com\n"Ben" Baker,ben@example.com\n',
            TEXT_AFTER_QUOTE.format(3, "','"),
        ),
        (
            'name;title\n"Ana Adeyemi";"Head\nof sales"\nBen Baker;"CFO"x\n',
            TEXT_AFTER_QUOTE.format(4, "';'"),
        ),
        ('name\ttitle\rAna Adeyemi\t"CFO" \r', TEXT_AFTER_QUOTE.format(2, "tab")),
    ],
    ids=[
        "unclosed-quote",
        "unclosed-quote-crlf",
        "unclosed-quote-cr",
        "text-after-quote",
        "text-after-quote-below-a-two-line-cell",
        "text-after-quote-tab-cr",
    ],
)
def test_malformed_csv_is_refused_naming_its_line_and_nothing_is_written(client, text, error):
    contact(first_name="Casey", email="casey@example.com")
    assert refused_upload(client, text) == error
    assert ContactImport.objects.count() == 0
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Casey"]


def test_a_quote_inside_an_unquoted_cell_is_read_as_written(client):
    # given quotes inside cells that are not quoted (the csv module reads them, strict or not)
    upload(client, 'name,title\nAna O"Neil,Buys 5" screens\n')
    # then the cells are exactly what the file says
    plan = client.get(f"/contacts/import/{ContactImport.objects.get().pk}/").context["plan"]
    assert [(r.row, r.action, r.name, r.values["title"]) for r in plan.rows] == [
        (2, "create", 'Ana O"Neil', 'Buys 5" screens')
    ]


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_every_line_ending_imports_and_rows_are_numbered_by_their_line(client, newline):
    # given a file with a cell over two lines, saved with old Mac, Windows or Unix line endings
    lines = [
        "first_name,last_name,title,mobile_phone",
        'Ana,Adeyemi,"Head',
        'of sales",+1 650 555 0101',
        "",
        "Ben,Baker,CFO,+1 650 555 0102",
    ]
    upload(client, newline.join(lines) + newline)
    contact_import = ContactImport.objects.get()
    # then each row is read whole, numbered by the line of the file it starts on
    plan = client.get(f"/contacts/import/{contact_import.pk}/").context["plan"]
    assert [(r.row, r.action, r.name) for r in plan.rows] == [
        (2, "create", "Ana Adeyemi"),
        (5, "create", "Ben Baker"),
    ]
    # and applying it creates exactly those contacts, the line break kept inside the cell
    client.post(f"/contacts/import/{contact_import.pk}/apply/")
    assert sorted(Contact.objects.values_list("first_name", "title", "phones__e164")) == [
        ("Ana", f"Head{newline}of sales", "+16505550101"),
        ("Ben", "CFO", "+16505550102"),
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            b"name,email\nAna Adeyemi\x00,ana@example.com\n",
            "The file is not CSV text: line 2 holds a NUL character (binary data, or text saved "
            "as UTF-16). Save it from your spreadsheet as 'CSV UTF-8'.",
        ),
        (
            "name\r\nAna Adeyemi\r\n".encode("utf-16-le"),
            "The file is not CSV text: line 1 holds a NUL character (binary data, or text saved "
            "as UTF-16). Save it from your spreadsheet as 'CSV UTF-8'.",
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
            "The file is a spreadsheet workbook, not CSV. In your spreadsheet, use File → Save as "
            "→ 'CSV UTF-8'.",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
            "The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8'.",
        ),
    ],
    ids=["nul-byte", "utf-16-without-bom", "workbook", "image"],
)
def test_binary_content_is_refused_and_nothing_is_written(client, data, error):
    assert refused_upload(client, data) == error
    assert ContactImport.objects.count() == 0
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    "text", ["name,email\n", "name,email", "\ufeffname,email\r\n,\r\n\r\n  ,  \r\n"]
)
def test_a_file_with_only_its_header_is_refused_and_nothing_is_written(client, text):
    assert refused_upload(client, text) == (
        "The file has a header row but no contacts below it. Nothing was imported."
    )
    assert ContactImport.objects.count() == 0


def test_semicolon_separated_file_with_a_byte_order_mark_imports(client):
    upload(client, "\ufeffFirst Name;Last Name;Mobile\nAna;Adeyemi;+1 650 555 0101\n")
    plan = client.get(f"/contacts/import/{ContactImport.objects.get().pk}/").context["plan"]
    assert [(r.action, r.name, r.values["phones"]) for r in plan.rows] == [
        ("create", "Ana Adeyemi", [["+1 650 555 0101", "mobile"]])
    ]


def export(client, **params) -> list[list[str]]:
    response = client.get("/contacts/export.csv", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_is_the_filtered_list(client, alex):
    contact(
        first_name="Ana",
        company="Initech",
        email="ana@initech.example",
        owner=alex,
        phones=["+1 650 555 0101", ("+44 20 7946 0102", "work")],
    )
    contact(first_name="Ben", company="Globex")
    rows = export(client, q="initech")
    assert rows == [
        [
            "first_name",
            "last_name",
            "title",
            "company",
            "email",
            "secondary_email",
            "status",
            "owner",
            "mobile_phone",
            "work_phone",
            "home_phone",
            "fax",
            "other_phone",
        ],
        [
            "Ana",
            "Caller",
            "",
            "Initech",
            "ana@initech.example",
            "",
            "lead",
            "alex",
            "'+1 650-555-0101",
            "'+44 20 7946 0102",
            "",
            "",
            "",
        ],
    ]


def test_export_guards_cells_against_spreadsheet_formulas(client):
    contact(first_name='=HYPERLINK("http://evil.example")', last_name="@SUM(A1)")
    rows = export(client)
    assert rows[1][:2] == ['\'=HYPERLINK("http://evil.example")', "'@SUM(A1)"]


def test_exported_file_imports_back_as_updates_only(client):
    for i in range(3):
        contact(first_name=f"C{i}", email=f"c{i}@example.com", phones=[f"+1 650 555 010{i}"])
    data = "\n".join(",".join(f'"{cell}"' for cell in row) for row in export(client))
    upload(client, data)
    plan = client.get(f"/contacts/import/{ContactImport.objects.get().pk}/").context["plan"]
    assert [r.action for r in plan.rows] == ["update", "update", "update"]
    client.post(f"/contacts/import/{ContactImport.objects.get().pk}/apply/")
    assert Contact.objects.count() == 3
    assert ContactPhone.objects.count() == 3


def test_a_shared_number_does_not_make_a_row_update_someone_else(client):
    # given Noah at a switchboard number
    noah = contact(first_name="Noah", last_name="Chen", phones=["+1 650 555 0101"])
    # when a file has Ana on the same number, and Noah without an email
    upload(client, "name,mobile\nAna Adeyemi,(650) 555-0101\nnoah chen,650.555.0101\n")
    plan = client.get(f"/contacts/import/{ContactImport.objects.get().pk}/").context["plan"]
    # then Ana is someone new, and only the row with Noah's name updates Noah
    assert [(r.action, r.contact_id, r.reason) for r in plan.rows] == [
        ("create", None, ""),
        ("update", noah.pk, ""),
    ]


def test_values_starting_with_an_apostrophe_or_a_formula_sign_survive_export_and_import(client):
    # given names that start with an apostrophe (which the import reads as the export's guard)
    # and with a formula sign (which the export guards)
    contact(
        first_name="'t Hart",
        last_name="-Dash",
        title="''quoted",
        email="mia@example.com",
        company="'s-Hertogenbosch Works",
    )
    data = "\n".join(",".join(f'"{cell}"' for cell in row) for row in export(client))
    # when the export is imported back
    upload(client, data)
    client.post(f"/contacts/import/{ContactImport.objects.get().pk}/apply/")
    # then nothing changed
    mia = Contact.objects.select_related("company").get()
    assert (mia.first_name, mia.last_name, mia.title, mia.company.name) == (
        "'t Hart",
        "-Dash",
        "''quoted",
        "'s-Hertogenbosch Works",
    )
    assert Company.objects.count() == 1


def test_overlong_email_is_refused_in_the_preview_not_when_applying(client):
    long_email = "a" * 250 + "@example.com"  # a valid address, longer than the column
    upload(client, f"name,email\nAna Adeyemi,{long_email}\nBen Baker,ben@example.com\n")
    contact_import = ContactImport.objects.get()
    plan = client.get(f"/contacts/import/{contact_import.pk}/").context["plan"]
    assert [(r.action, r.reason) for r in plan.rows] == [
        ("refuse", "email is longer than 254 characters."),
        ("create", ""),
    ]
    client.post(f"/contacts/import/{contact_import.pk}/apply/")
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Ben"]


def test_export_with_several_numbers_per_contact_imports_back_unchanged(client):
    for i in range(3):
        contact(
            first_name=f"C{i}",
            email=f"c{i}@example.com",
            phones=[f"+1 650 555 010{i}", f"+44 20 7946 010{i}", (f"+1 212 555 010{i}", "work")],
        )
    data = b"".join(client.get("/contacts/export.csv").streaming_content)
    upload(client, data)
    plan = client.get(f"/contacts/import/{ContactImport.objects.get().pk}/").context["plan"]
    assert [(r.action, len(r.values["e164s"])) for r in plan.rows] == [("update", 3)] * 3
    client.post(f"/contacts/import/{ContactImport.objects.get().pk}/apply/")
    assert (Contact.objects.count(), ContactPhone.objects.count()) == (3, 9)


def test_outlook_style_headers_are_read(alex):
    header = "First Name,Last Name,E-mail Address,E-mail 2 Address,Job Title,Business Fax"
    plan = import_plan(
        data=f"{header}\nAna,Adeyemi,ana@example.com,a2@example.com,CFO,+1 650 555 0109\n".encode(),
        by=alex,
    )
    assert plan.ignored_columns == []
    values = plan.rows[0].values
    assert (values["email"], values["secondary_email"], values["title"]) == (
        "ana@example.com",
        "a2@example.com",
        "CFO",
    )
    assert values["phones"] == [["+1 650 555 0109", "fax"]]


def test_a_cell_too_long_for_any_field_is_named_as_such(client):
    # given a file whose notes cell holds 200,000 characters, and no quotes anywhere
    response = upload(client, "first_name,last_name,notes\nAnn,Lee," + "x" * 200_000 + "\n")
    # then the message says what is wrong with line 2 (not a quote that is not there)
    assert response.status_code == 422
    assert "Line 2: a cell is longer than 128 KB" in response.content.decode()
    assert Contact.objects.count() == 0
