"""The importer: validation by record and field, all or nothing, upserts that change nothing twice."""

import copy
import json

import pytest
from django.db import IntegrityError, connection

from incidents import services
from incidents.duplicates import possible_duplicates
from incidents.models import (
    ChangeEvent,
    Citation,
    Contact,
    Incident,
    InterceptDetails,
    Participant,
    Platform,
    Source,
)
from incidents.selectors import documents_for
from incidents.services.importing import (
    INCIDENT_MODELS,
    import_data,
    import_file,
    pipeline,
    search_documents,
    writing,
)
from incidents.services.search import refresh_search_documents
from incidents.synthetic import synthetic_batch
from tests.factories import incident_document

pytestmark = pytest.mark.django_db

PLATFORM = {"slug": "j-11", "name": "Shenyang J-11", "category": "fighter", "domain": "air"}


def _published(**overrides) -> dict:
    return incident_document(status="published", **overrides)


def _counts() -> dict:
    return {
        "incidents": Incident.objects.count(),
        "history": Incident.history.count(),
        "participant_history": Participant.history.count(),
        "events": ChangeEvent.objects.count(),
        "sources": Source.objects.count(),
        "platforms": Platform.objects.count(),
        "contacts": Contact.objects.count(),
    }


def _documents() -> list[dict]:
    return documents_for(Incident.objects.order_by("external_id"))


def test_an_import_creates_incidents_with_history_verification_and_feed_events(curator):
    documents = [_published(), incident_document()]

    report = import_data({"incidents": documents}, by=curator)

    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 2, 0, 0)
    published = Incident.objects.get(external_id=documents[0]["external_id"])
    assert published.status == "published"
    assert published.verification == "unverified"
    assert published.history.get().history_user == curator
    assert list(ChangeEvent.objects.values_list("incident_id", "action")) == [
        (published.pk, "published")
    ]


def test_importing_the_same_data_again_writes_nothing():
    data = {"platforms": [PLATFORM], "incidents": [_published(), incident_document()]}
    import_data(copy.deepcopy(data))
    before = _counts()
    versions = list(Incident.objects.values_list("version", "updated_at"))

    report = import_data(copy.deepcopy(data))

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert _counts() == before
    assert list(Incident.objects.values_list("version", "updated_at")) == versions


def test_an_exported_document_imports_back_unchanged_without_validation(monkeypatch):
    import_data({"incidents": [_published(kind="median_line_crossing")]})
    exported = _documents()
    calls = []
    monkeypatch.setattr(
        pipeline, "clean_incident", lambda *a, **k: calls.append(1) or pytest.fail("validated")
    )

    report = import_data({"incidents": exported})

    assert (report.unchanged, calls) == (1, [])


def test_one_bad_record_refuses_the_whole_file_naming_record_and_field():
    bad = incident_document()
    bad["participants"][0]["country"] = "XX"
    data = {"platforms": [PLATFORM], "incidents": [incident_document(), bad, incident_document()]}

    report = import_data(data)

    assert not report.ok
    assert [str(problem) for problem in report.problems] == [
        "record 1, participants[0].country: 'XX' is not an upper-case ISO 3166-1 alpha-2 code."
    ]
    assert (report.created, report.platforms_created) == (2, 1)
    assert _counts() == dict.fromkeys(_counts(), 0)


def test_every_problem_of_the_file_is_reported_not_only_the_first():
    data = {"incidents": [incident_document(region="atlantis")] * 2 + [{"kind": "intercept"}]}
    data["incidents"][1] = incident_document(occurred_on="2999-01-01")

    report = import_data(data)

    assert {(p.location, p.field) for p in report.problems} >= {
        ("record 0", "region"),
        ("record 1", "occurred_on"),
        ("record 2", "title"),
    }


def test_a_changed_record_is_updated_with_a_new_version_history_row_and_feed_event():
    document = _published()
    import_data({"incidents": [copy.deepcopy(document)]})
    incident = Incident.objects.get()
    document["title"] = "A corrected title"
    document["participants"] = document["participants"][:1]

    report = import_data({"incidents": [document]})

    incident.refresh_from_db()
    assert (report.updated, incident.title, incident.version) == (1, "A corrected title", 2)
    assert incident.participants.count() == 1
    assert list(incident.history.values_list("history_type", flat=True)) == ["~", "+"]
    assert list(ChangeEvent.objects.values_list("action", flat=True)) == ["published", "updated"]


def test_the_bulk_import_leaves_the_same_document_as_the_curation_service(curator):
    document = incident_document(kind="navigation_dispute")
    services.create_incident(copy.deepcopy(document), by=curator)
    by_service = _documents()
    Incident.objects.all().delete()
    Source.objects.all().delete()

    import_data({"incidents": [document]}, by=curator)

    strip = [
        {k: v for k, v in d.items() if k not in {"id", "created_at", "updated_at"}}
        for d in by_service
    ]
    assert [
        {k: v for k, v in d.items() if k not in {"id", "created_at", "updated_at"}}
        for d in _documents()
    ] == strip


def test_a_source_is_matched_by_url_and_its_change_reaches_the_other_incidents():
    first, second = incident_document(), incident_document()
    second["sources"] = copy.deepcopy(first["sources"])
    import_data({"incidents": [first, second]})
    assert Source.objects.count() == 1
    first["sources"][0]["type"] = "official"

    report = import_data({"incidents": [first]})

    assert report.updated == 1
    assert set(Incident.objects.values_list("verification", flat=True)) == {"confirmed"}
    assert Incident.objects.get(external_id=second["external_id"]).version == 2


def test_one_source_described_two_ways_in_one_file_is_a_problem():
    first, second = incident_document(), incident_document()
    second["sources"] = copy.deepcopy(first["sources"])
    second["sources"][0]["publisher"] = "Someone Else"

    report = import_data({"incidents": [first, second]})

    assert [(p.location, p.field) for p in report.problems] == [("record 1", "sources[0].url")]
    assert "another publisher" in report.problems[0].message


def test_platforms_come_from_the_file_and_participants_name_them_by_slug_or_name():
    document = incident_document()
    document["participants"][0]["platform"] = "Shenyang J-11"

    report = import_data({"platforms": [PLATFORM], "incidents": [document]})

    assert report.ok, report.problems
    assert Participant.objects.get(role="initiator").platform.slug == "j-11"


def test_a_participant_naming_an_unknown_platform_is_a_problem_of_that_record():
    document = incident_document()
    document["participants"][1]["platform"] = "b-2"

    report = import_data({"incidents": [document]})

    assert [(p.location, p.field) for p in report.problems] == [
        ("record 0", "participants[1].platform")
    ]


def test_a_repeated_external_id_in_one_file_is_a_problem():
    document = incident_document()

    report = import_data({"incidents": [document, copy.deepcopy(document)]})

    assert [str(p) for p in report.problems] == [
        f"record 1, external_id: {document['external_id']!r} is also used by record 0."
    ]


def test_a_file_cannot_publish_what_the_publish_rules_refuse():
    report = import_data({"incidents": [_published(sources=[])]})

    assert [str(p) for p in report.problems] == [
        "record 0, status: Cannot be published: Cite at least one source."
    ]


def test_publish_publishes_the_drafts_that_pass_and_leaves_the_others():
    passing, failing = incident_document(), incident_document(sources=[])

    report = import_data({"incidents": [passing, failing]}, publish=True)

    assert (report.ok, report.created, report.published) == (True, 2, 1)
    assert dict(Incident.objects.values_list("external_id", "status")) == {
        passing["external_id"]: "published",
        failing["external_id"]: "draft",
    }
    assert report.not_published == [
        f"record 1 ({failing['external_id']}): Cite at least one source."
    ]


def test_publishing_an_imported_draft_later_and_reimporting_with_publish_changes_nothing():
    document = incident_document()
    import_data({"incidents": [copy.deepcopy(document)]})

    first = import_data({"incidents": [copy.deepcopy(document)]}, publish=True)
    again = import_data({"incidents": [copy.deepcopy(document)]}, publish=True)

    assert (first.updated, first.published) == (1, 1)
    assert (again.unchanged, again.published) == (1, 0)


def test_a_file_cannot_return_a_published_incident_to_draft():
    document = _published()
    import_data({"incidents": [copy.deepcopy(document)]})
    document["status"] = "draft"

    report = import_data({"incidents": [document]})

    assert [(p.location, p.field) for p in report.problems] == [("record 0", "status")]
    assert Incident.objects.get().status == "published"


@pytest.mark.parametrize(
    "verification, expected", [("disputed", "disputed"), ("confirmed", "unverified")]
)
def test_of_verification_only_disputed_is_read(verification, expected):
    import_data({"incidents": [incident_document(verification=verification)]})

    assert Incident.objects.get().verification == expected


def test_contacts_are_upserted_on_external_id():
    contact = {
        "external_id": "2023-11-15-summit",
        "occurred_on": "2023-11-15",
        "kind": "summit",
        "title": "Woodside summit",
        "summary": "Military channels restored.",
        "parties": ["US", "CN"],
        "sources": [
            {
                "url": "https://news.example.org/summit",
                "publisher": "Example News",
                "title": "Summit",
                "published_on": "2023-11-16",
                "type": "media",
            }
        ],
    }
    import_data({"contacts": [copy.deepcopy(contact)]})

    again = import_data({"contacts": [copy.deepcopy(contact)]})
    contact["title"] = "Woodside summit (APEC)"
    changed = import_data({"contacts": [contact]})

    assert (again.contacts_unchanged, changed.contacts_updated) == (1, 1)
    assert Contact.objects.get().title == "Woodside summit (APEC)"
    assert list(Contact.objects.get().sources.values_list("url", flat=True)) == [
        "https://news.example.org/summit"
    ]


def test_an_invalid_contact_is_a_problem_naming_it():
    report = import_data(
        {
            "contacts": [
                {"occurred_on": "2023-11-15", "kind": "lunch", "title": "x", "parties": ["XX"]}
            ]
        }
    )

    assert {(p.location, p.field) for p in report.problems} == {
        ("contact 0", "kind"),
        ("contact 0", "parties[0]"),
    }


def test_a_dry_run_writes_nothing_and_says_what_would_change():
    import_data({"incidents": [incident_document()]})
    before = _counts()

    report = import_data({"incidents": [incident_document(), incident_document()]}, dry_run=True)

    assert (report.dry_run, report.created, report.ok) == (True, 2, True)
    assert _counts() == before


def test_a_dry_run_reports_possible_duplicates_of_new_incidents():
    import_data({"incidents": [incident_document(occurred_on="2023-05-26")]})

    report = import_data(
        {"incidents": [incident_document(occurred_on="2023-05-27", external_id="new")]},
        dry_run=True,
    )

    assert len(report.duplicates) == 1
    assert report.duplicates[0].startswith("record 0 (new) may duplicate incident ")
    assert report.duplicates[0].endswith("same kind and region within a day")


def test_a_crash_half_way_leaves_the_database_as_it_was(monkeypatch):
    import_data({"incidents": [incident_document()]})
    before = _counts()
    monkeypatch.setattr(pipeline, "BATCH", 1)
    write = writing.BatchWriter._write
    calls = []

    def write_then_crash(self, *args, **kwargs):
        # The second batch's rows are written, the third never comes: killed before commit.
        write(self, *args, **kwargs)
        calls.append(1)
        if len(calls) == 2:
            assert Incident.objects.count() == before["incidents"] + 2
            raise RuntimeError("killed")

    monkeypatch.setattr(writing.BatchWriter, "_write", write_then_crash)

    with pytest.raises(RuntimeError):
        import_data({"incidents": [incident_document(), incident_document(), incident_document()]})

    assert _counts() == before


def test_a_file_in_another_encoding_is_a_problem_naming_line_and_byte(tmp_path):
    content = json.dumps(
        {"incidents": [incident_document(title="Café")]}, ensure_ascii=False, indent=1
    )
    path = tmp_path / "latin1.json"
    path.write_bytes(content.encode("latin-1"))

    report = import_file(path)

    assert len(report.problems) == 1
    problem = report.problems[0]
    line = content[: content.index("Café")].count("\n") + 1
    byte = content.encode("latin-1").index("é".encode("latin-1"))
    assert problem.location == f"line {line}"
    assert f"Byte {byte} (0xe9) is not valid UTF-8" in problem.message
    assert Incident.objects.count() == 0


def test_a_utf8_file_with_a_byte_order_mark_imports():
    content = json.dumps({"incidents": [incident_document(title="Café")]}, ensure_ascii=False)

    report = import_file(b"\xef\xbb\xbf" + content.encode("utf-8"))

    assert report.ok, report.problems
    assert Incident.objects.get().title == "Café"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(settings, tmp_path):
    settings.IMPORT_MAX_BYTES = 100
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"incidents": [incident_document()]}))

    report = import_file(path)

    assert [p.location for p in report.problems] == ["file"]
    assert "more than the import limit of 100 bytes" in report.problems[0].message


@pytest.mark.parametrize(
    "text, location",
    [
        ('{"incidents": [', "line 1"),
        ('{"incidents": [NaN]}', "file"),
        ('{"incidents": [], "people": []}', "file"),
        ("[" * 100_000, "file"),
    ],
)
def test_unreadable_json_is_a_problem_not_a_crash(text, location):
    report = import_file(text.encode(), format="json")

    assert [p.location for p in report.problems][:1] == [location]


@pytest.mark.parametrize(
    "field, value, path",
    [
        ("latitude", 200.0, "latitude"),
        ("longitude", float("inf"), "longitude"),
        ("occurred_on", "2023-02-30", "occurred_on"),
    ],
)
def test_out_of_range_values_are_record_level_problems(field, value, path):
    document = incident_document(latitude=15.0, longitude=120.0)
    document[field] = value

    report = import_data({"incidents": [document]})

    assert path in {p.field for p in report.problems}
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("status", [False, 0, []])
def test_a_status_that_is_not_text_is_a_problem_not_a_draft(status):
    document = incident_document()
    document["status"] = status

    report = import_data({"incidents": [document]})

    assert [p.field for p in report.problems] == ["status"]
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("value", [False, True, 0, 12])
@pytest.mark.parametrize("path", ["title", "location_name", "sources[0].quote"])
def test_a_text_field_given_true_false_or_a_number_is_a_problem_not_its_spelling(path, value):
    document = incident_document()
    if path.startswith("sources"):
        document["sources"][0]["quote"] = value
    else:
        document[path] = value

    report = import_data({"incidents": [document]})

    assert [p.field for p in report.problems] == [path]
    assert "Expected text" in report.problems[0].message
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("status", ["", None])
def test_an_empty_or_absent_status_is_a_draft(status):
    document = incident_document()
    document["status"] = status

    report = import_data({"incidents": [document]})

    assert report.ok, report.problems
    assert Incident.objects.get().status == "draft"


@pytest.mark.parametrize("count", [0, -1, True, 10**30])
def test_an_impossible_participant_count_is_a_problem(count):
    document = incident_document()
    document["participants"][0]["count"] = count

    report = import_data({"incidents": [document]})

    assert [p.field for p in report.problems] == ["participants[0].count"]


def test_possible_duplicates_of_a_document_are_same_kind_and_region_within_a_day():
    import_data({"incidents": [incident_document(occurred_on="2023-05-26")]})
    stored = Incident.objects.get()

    near = possible_duplicates(incident_document(occurred_on="2023-05-27"))
    far = possible_duplicates(incident_document(occurred_on="2023-05-28"))
    elsewhere = possible_duplicates(
        incident_document(occurred_on="2023-05-26", region="yellow-sea")
    )
    itself = possible_duplicates(_documents()[0], exclude_id=stored.pk)

    assert [(d.incident_id, d.reason) for d in near] == [
        (stored.pk, "same kind and region within a day")
    ]
    assert (far, elsewhere, itself) == ([], [], [])


def test_a_shared_source_url_makes_a_possible_duplicate():
    first = incident_document(occurred_on="2023-01-01")
    import_data({"incidents": [first]})
    other = incident_document(occurred_on="2023-06-01", region="yellow-sea")
    other["sources"] = copy.deepcopy(first["sources"])

    found = possible_duplicates(other)

    assert [d.reason for d in found] == [f"shares the source {first['sources'][0]['url']}"]


def _crossing(day: str, end: str, **overrides) -> dict:
    details = {"aircraft_count": 5, "period_start": day, "period_end": end}
    return incident_document(
        kind="median_line_crossing",
        occurred_on=day,
        region="taiwan-strait",
        details=details,
        **overrides,
    )


def test_consecutive_daily_crossing_reports_are_not_duplicates_even_citing_one_article():
    first = _crossing("2024-05-15", "2024-05-16")
    import_data({"incidents": [first]})
    second = _crossing("2024-05-16", "2024-05-17")
    second["sources"] = copy.deepcopy(first["sources"])

    assert possible_duplicates(second) == []


def test_crossing_reports_of_overlapping_periods_are_possible_duplicates():
    import_data({"incidents": [_crossing("2024-05-15", "2024-05-16")]})

    found = possible_duplicates(_crossing("2024-05-15", "2024-05-15"))

    assert [d.reason for d in found] == ["same region and overlapping report periods"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_imported_incidents_get_the_search_document_the_services_keep():
    import_data({"incidents": [incident_document(), _published(kind="navigation_dispute")]})
    imported = dict(Incident.objects.values_list("id", "search_vector"))

    refresh_search_documents(list(imported))

    assert dict(Incident.objects.values_list("id", "search_vector")) == imported
    assert all(imported.values())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search documents are PostgreSQL's")
def test_rows_shaped_for_other_records_are_not_written_for_these():
    from concurrent.futures import Future

    from incidents.services.importing.reading import Record
    from incidents.services.importing.writing import BatchWriter, Checked, Prepared
    from incidents.services.validation import Lookups, clean_incident

    lookups = Lookups.load()
    document = incident_document(title="Flares fired near a patrol aircraft")
    clean = clean_incident(document, lookups=lookups, accept_status=True)
    other = clean_incident(incident_document(), lookups=lookups, accept_status=True)
    wrong = Future()
    wrong.set_result([b"not a document"])

    writer = BatchWriter(by=None)
    writer.settle(
        [Checked(Record("record 0", document), clean, None, False)],
        write=True,
        # shaped for `other`, not for this batch's new incident
        prepared=Prepared(writer.new_rows([other]), wrong),
    )

    incident = Incident.objects.get()
    stored = incident.search_vector
    refresh_search_documents([incident.pk])
    assert Incident.objects.get().search_vector == stored
    assert "flare" in stored


def test_a_stored_record_sent_back_with_true_for_a_number_is_refused_not_taken_as_unchanged():
    document = incident_document()
    import_data({"incidents": [copy.deepcopy(document)]})
    document["participants"][0]["count"] = True

    report = import_data({"incidents": [document]})

    assert [p.field for p in report.problems] == ["participants[0].count"]


def test_a_draft_left_unpublished_is_listed_again_when_the_file_is_imported_again():
    failing = incident_document(sources=[])
    import_data({"incidents": [copy.deepcopy(failing)]}, publish=True)

    again = import_data({"incidents": [failing]}, publish=True)

    assert (again.unchanged, again.not_published) == (
        1,
        [f"record 0 ({failing['external_id']}): Cite at least one source."],
    )


# -- batches, the database thread and the fast paths (issue 5, speed) --------------------------


def _registry_snapshot() -> dict:
    """Everything an import leaves, without ids and times: documents, history, feed, searches."""
    documents = [
        {k: v for k, v in d.items() if k not in {"id", "created_at", "updated_at"}}
        for d in _documents()
    ]
    history = {
        model.__name__: sorted(model.history.values_list("history_type", flat=True))
        for model in (Incident, Participant, Citation, Source, InterceptDetails)
    }
    external_ids = dict(Incident.objects.values_list("id", "external_id"))
    events = sorted(
        (external_ids[incident_id], action)
        for incident_id, action in ChangeEvent.objects.values_list("incident_id", "action")
    )
    searches = sorted(Incident.objects.values_list("external_id", "search_vector"), key=str)
    return {"documents": documents, "history": history, "events": events, "searches": searches}


def _wipe() -> None:
    ChangeEvent.objects.all().delete()
    Incident.objects.all().delete()
    Source.objects.all().delete()
    for model in (Incident, Participant, Citation, Source, InterceptDetails):
        model.history.all().delete()


def _file_of_batches() -> dict:
    data = synthetic_batch(0, 13, seed=11)
    # Sources shared across batches: the second and last records cite the first one's.
    data["incidents"][1]["sources"].append(copy.deepcopy(data["incidents"][0]["sources"][0]))
    data["incidents"][12]["sources"].append(copy.deepcopy(data["incidents"][0]["sources"][0]))
    return data


def test_a_file_written_in_many_batches_leaves_what_one_batch_leaves(monkeypatch, curator):
    data = _file_of_batches()
    import_data(copy.deepcopy(data), by=curator)
    one_batch = _registry_snapshot()
    _wipe()
    monkeypatch.setattr(pipeline, "BATCH", 4)

    report = import_data(copy.deepcopy(data), by=curator)

    assert (report.ok, report.created) == (True, 13)
    assert _registry_snapshot() == one_batch


def test_each_imported_row_has_a_creation_history_row_holding_its_stored_values(
    monkeypatch, curator
):
    monkeypatch.setattr(pipeline, "BATCH", 4)
    report = import_data(copy.deepcopy(_file_of_batches()), by=curator)
    assert report.ok, report.problems

    assert len(INCIDENT_MODELS) == 7  # incident, participant, citation, source, three details
    for model in INCIDENT_MODELS:
        names = [f.attname for f in model.history.model.tracked_fields]
        stored = sorted(model.objects.values_list(*names), key=repr)
        created = model.history.filter(history_type="+")
        assert stored, model.__name__
        assert sorted(created.values_list(*names), key=repr) == stored, model.__name__
        assert set(created.values_list("history_user", flat=True)) == {curator.pk}


def test_a_file_imported_again_in_many_batches_is_all_unchanged(monkeypatch):
    data = _file_of_batches()
    import_data(copy.deepcopy(data))
    monkeypatch.setattr(pipeline, "BATCH", 4)
    before = _counts()

    report = import_data(copy.deepcopy(data))

    assert (report.created, report.updated, report.unchanged) == (0, 0, 13)
    assert _counts() == before


def test_changed_and_new_records_in_many_batches_are_updated_and_created(monkeypatch):
    data = _file_of_batches()
    import_data({"platforms": data["platforms"], "incidents": copy.deepcopy(data["incidents"][:6])})
    monkeypatch.setattr(pipeline, "BATCH", 4)
    data["incidents"][2]["title"] = "A corrected title"
    data["incidents"][5]["participants"] = data["incidents"][5]["participants"][:1]

    report = import_data(copy.deepcopy(data))

    assert (report.created, report.updated, report.unchanged) == (7, 2, 4)
    assert import_data(copy.deepcopy(data)).unchanged == 13
    assert Incident.objects.get(external_id=data["incidents"][2]["external_id"]).version == 2


def test_a_batch_the_database_refuses_is_reported_by_its_records_and_nothing_is_written(
    monkeypatch,
):
    monkeypatch.setattr(pipeline, "BATCH", 4)
    write = writing.BatchWriter._write
    calls = []

    def refuse_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise IntegrityError("duplicate key value violates unique constraint")
        return write(self, *args, **kwargs)

    monkeypatch.setattr(writing.BatchWriter, "_write", refuse_second)

    report = import_data(_file_of_batches())

    assert [str(problem) for problem in report.problems] == [
        "record 4 to record 7: The database refused these records: duplicate key value "
        "violates unique constraint"
    ]
    assert calls == [1, 1]  # no batch is written after a refusal
    assert _counts() == dict.fromkeys(_counts(), 0)


def test_plain_records_are_validated_without_the_full_validation(monkeypatch):
    monkeypatch.setattr(
        pipeline, "clean_incident", lambda *a, **k: pytest.fail("plain record fully validated")
    )

    report = import_data(synthetic_batch(0, 40, seed=12))

    assert (report.ok, report.created) == (True, 40)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
@pytest.mark.parametrize("helper", [True, False], ids=["second connection", "import connection"])
def test_search_documents_of_a_file_in_batches_are_the_services_own(monkeypatch, helper):
    monkeypatch.setattr(pipeline, "BATCH", 4)
    if not helper:
        monkeypatch.setattr(search_documents.SearchDocuments, "submit", lambda self, texts: None)

    import_data(_file_of_batches())

    imported = dict(Incident.objects.values_list("id", "search_vector"))
    refresh_search_documents(list(imported))
    assert dict(Incident.objects.values_list("id", "search_vector")) == imported
    assert all(imported.values())


@pytest.mark.parametrize(
    "path, value",
    [
        ("latitude", 15),  # validation makes it 15.0: the same, but not plainly
        ("latitude", "15.0"),
        ("participants.0.count", 1.0),
        ("occurred_at", "2023-05-26T02:15:00+00:00"),
        ("participants.0.platform", "Shenyang J-11"),  # the platform's name, not its slug
    ],
)
def test_a_record_equal_to_the_stored_one_only_after_validation_is_unchanged(path, value):
    document = incident_document(latitude=15.0, longitude=120.0, occurred_at="2023-05-26T02:15:00Z")
    document["participants"][0]["platform"] = "j-11"
    import_data({"platforms": [PLATFORM], "incidents": [copy.deepcopy(document)]})
    target, *keys = path.split(".")
    node = document
    for key in [target, *keys][:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(keys[-1]) if isinstance(node, list) else [target, *keys][-1]] = value
    before = _counts()

    report = import_data({"incidents": [document]})

    assert (report.ok, report.unchanged) == (True, 1)
    assert _counts() == before


@pytest.mark.parametrize(
    "path, value, field",
    [
        ("latitude", "north", "latitude"),
        ("participants.0.count", True, "participants[0].count"),
        ("title", ["Test"], "title"),
        ("sources.0.type", None, "sources[0].type"),
    ],
)
def test_a_record_whose_values_only_look_like_the_stored_ones_is_validated(path, value, field):
    document = incident_document(latitude=15.0, longitude=120.0)
    import_data({"incidents": [copy.deepcopy(document)]})
    target, *keys = path.split(".")
    node = document
    for key in [target, *keys][:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(keys[-1]) if isinstance(node, list) else [target, *keys][-1]] = value

    report = import_data({"incidents": [document]})

    assert {p.field for p in report.problems} == {field}
    assert report.unchanged == 0


def test_a_changed_incident_gets_a_history_row_holding_its_new_values(curator):
    document = _published()
    import_data({"incidents": [copy.deepcopy(document)]}, by=curator)
    document["title"] = "A corrected title"
    document["sources"][0]["quote"] = "a new quote"

    import_data({"incidents": [document]}, by=curator)

    incident = Incident.objects.get()
    latest = incident.history.first()
    assert (latest.history_type, latest.history_user, latest.title) == (
        "~",
        curator,
        incident.title,
    )
    citation = incident.citations.get()
    assert citation.history.first().quote == "a new quote"
    assert [h.history_type for h in citation.history.all()] == ["~", "+"]
