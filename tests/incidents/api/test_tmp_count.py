import pytest
from incidents import services
from tests.factories import incident_document
pytestmark = pytest.mark.django_db
@pytest.mark.parametrize("count", [0, -1, True, 2.5, "3"])
def test_count(count, curator):
    d = incident_document()
    d["participants"][0]["count"] = count
    try:
        services.create_incident(d, by=curator)
        print(count, "ok")
    except Exception as e:
        print(count, type(e).__name__, e)
