"""Admin export of the filtered changelist and admin import with a dry-run preview."""

import csv
import io
import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.interchange import CSV_COLUMNS
from incidents.models import Incident
from tests.factories import IncidentFactory, PlatformFactory, incident_document

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:incidents_incident_export")
IMPORT = reverse("admin:incidents_incident_import")


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_csv_export_holds_the_changelists_filtered_set_in_its_order(client, curator):
    IncidentFactory(kind="navigation_dispute")
    older = IncidentFactory(occurred_on="2023-05-20")
    newer = IncidentFactory(occurred_on="2023-05-25")
    client.force_login(curator)

    response = client.get(EXPORT, {"kind__exact": "intercept", "_format": "csv"})

    rows = list(csv.reader(io.StringIO(body(response))))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert rows[0] == CSV_COLUMNS
    assert [int(row[0]) for row in rows[1:]] == [newer.pk, older.pk]


def test_json_export_is_the_interchange_format_with_the_platforms_it_needs(client, curator):
    PlatformFactory(slug="j-11", name="J-11")
    document = incident_document()
    document["participants"][0]["platform"] = "j-11"
    incident = IncidentFactory(participants=document["participants"])
    client.force_login(curator)

    response = client.get(EXPORT, {"_format": "json"})

    exported = json.loads(body(response))
    assert [i["id"] for i in exported["incidents"]] == [incident.pk]
    assert exported["incidents"][0]["participants"][0]["platform"] == "j-11"
    assert [p["slug"] for p in exported["platforms"]] == ["j-11"]


def test_export_neutralises_formula_cells(client, curator):
    IncidentFactory(title='=HYPERLINK("http://evil.example")')
    client.force_login(curator)

    response = client.get(EXPORT, {"_format": "csv"})

    row = list(csv.reader(io.StringIO(body(response))))[1]
    assert row[CSV_COLUMNS.index("title")].startswith("'=")


def test_export_with_a_bad_filter_goes_back_to_the_changelist(client, curator):
    client.force_login(curator)

    response = client.get(EXPORT, {"nonsense__field": "1"})

    assert response.status_code == 302


def test_staff_without_view_permission_cannot_export(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="staff", is_staff=True))

    assert client.get(EXPORT).status_code == 403


# -- import ------------------------------------------------------------------------------------


def upload(document: dict, name: str = "incidents.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(document).encode(), "application/json")


def test_import_dry_run_previews_and_writes_nothing_until_confirmed(client, curator):
    client.force_login(curator)
    file = upload({"incidents": [incident_document(external_id="imported-1")]})

    preview = client.post(IMPORT, {"file": file})

    report = preview.context["report"]
    assert (report.dry_run, report.ok, report.created) == (True, True, 1)
    assert preview.context["can_confirm"]
    assert not Incident.objects.exists()

    digest = preview.context["pending"]["digest"]
    confirmed = client.post(IMPORT, {"_confirm": "1", "digest": digest}, follow=True)

    assert Incident.objects.get().external_id == "imported-1"
    assert "1 created" in [str(m) for m in get_messages(confirmed.wsgi_request)][0]


def test_import_preview_lists_problems_and_offers_no_confirm(client, curator):
    client.force_login(curator)
    file = upload({"incidents": [incident_document(title="")]})

    preview = client.post(IMPORT, {"file": file})

    assert not preview.context["can_confirm"]
    assert any(p.field == "title" for p in preview.context["report"].problems)
    assert b"Confirm import" not in preview.content
    assert not Incident.objects.exists()


def test_confirming_without_the_previewed_digest_imports_nothing(client, curator):
    client.force_login(curator)
    client.post(IMPORT, {"file": upload({"incidents": [incident_document()]})})

    client.post(IMPORT, {"_confirm": "1", "digest": "forged"})

    assert not Incident.objects.exists()


def test_a_curator_cannot_publish_on_import(client, curator):
    client.force_login(curator)

    response = client.get(IMPORT)

    assert "publish" not in response.context["form"].fields


def test_an_exported_csv_edited_and_imported_back_updates_the_record(client, curator):
    incident = IncidentFactory(title="Before")
    client.force_login(curator)
    exported = body(client.get(EXPORT, {"_format": "csv"})).replace("Before", "After")
    file = SimpleUploadedFile("incidents.csv", exported.encode(), "text/csv")

    preview = client.post(IMPORT, {"file": file})
    client.post(IMPORT, {"_confirm": "1", "digest": preview.context["pending"]["digest"]})

    assert preview.context["report"].updated == 1
    assert Incident.objects.get(pk=incident.pk).title == "After"


def test_a_reviewer_imports_and_publishes_what_passes_the_rules(client, reviewer):
    client.force_login(reviewer)
    file = upload({"incidents": [incident_document(), incident_document(sources=[])]})

    preview = client.post(IMPORT, {"file": file, "publish": "on"})
    client.post(IMPORT, {"_confirm": "1", "digest": preview.context["pending"]["digest"]})

    assert sorted(Incident.objects.values_list("status", flat=True)) == ["draft", "published"]
