"""What a registry database holds, as the API serves it and row by row, for comparing databases.

`python -m tests.security.registry_snapshot` (with DATABASE_URL naming the database) prints the
snapshot as JSON; the backup tests run it against two databases and compare. It reads through the
API as a superuser created inside a transaction that is rolled back, so the database is left as
it was (reading the change feed stamps events: that is rolled back too).
"""

import json
import os
import sys
import uuid

API = "/api/v1/"
PAGE = {"limit": 1000}
ALL_STATUSES = {"status": ["draft", "published", "retracted"], "limit": 1000}


def table_rows() -> dict[str, list]:
    """Every row of every incidents table (history included), ordered by primary key."""
    from django.apps import apps

    rows = {}
    for model in apps.get_app_config("incidents").get_models():
        rows[model._meta.db_table] = list(model._default_manager.order_by("pk").values())
    return rows


def _get(client, path, params=None):
    response = client.get(path, params or {}, secure=True, HTTP_HOST="localhost")
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} {params}: {response.status_code} {response.content[:300]}")
    return response


def api_snapshot() -> dict:
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.test import Client

    with transaction.atomic():
        user = User(username=f"snapshot-{uuid.uuid4().hex}", is_staff=True, is_superuser=True)
        user.set_unusable_password()
        user.save()
        client = Client()
        client.force_login(user)
        incidents = _get(client, f"{API}incidents/", ALL_STATUSES).json()["results"]
        snapshot = {
            "incidents": incidents,
            "details": {},
            "etags": {},
            "history": {},
            "changes": _get(client, f"{API}changes/", {"after": 0, **PAGE}).json(),
        }
        for document in incidents:
            detail = _get(client, f"{API}incidents/{document['id']}/")
            snapshot["details"][document["id"]] = detail.json()
            snapshot["etags"][document["id"]] = detail["ETag"]
            history = _get(client, f"{API}incidents/{document['id']}/history/", PAGE)
            snapshot["history"][document["id"]] = history.json()["results"]
        for vocabulary in ("regions", "platforms", "sources", "contacts"):
            snapshot[vocabulary] = _get(client, f"{API}{vocabulary}/", PAGE).json()["results"]
        transaction.set_rollback(True)
    return snapshot


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.serializers.json import DjangoJSONEncoder

    django.setup()
    snapshot = {"api": api_snapshot(), "tables": table_rows()}
    json.dump(snapshot, sys.stdout, cls=DjangoJSONEncoder, sort_keys=True)


if __name__ == "__main__":
    main()
