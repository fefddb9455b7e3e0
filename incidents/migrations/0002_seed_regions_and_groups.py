"""Seed the eight regions of SPEC §1, create the curators/reviewers groups, add PostgreSQL indexes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# slug, name, (min_lon, min_lat, max_lon, max_lat): approximate extents for orientation.
REGIONS = [
    ("taiwan-strait", "Taiwan Strait", (117.0, 21.5, 122.5, 27.0)),
    ("south-china-sea", "South China Sea", (99.0, -4.0, 122.5, 23.5)),
    ("east-china-sea", "East China Sea", (117.0, 23.0, 131.5, 33.5)),
    ("yellow-sea", "Yellow Sea", (117.5, 33.0, 127.0, 41.0)),
    ("philippine-sea", "Philippine Sea", (121.0, 5.0, 145.0, 35.0)),
    ("sea-of-japan", "Sea of Japan", (127.0, 33.5, 142.5, 52.0)),
    ("western-pacific", "Western Pacific", (120.0, -12.0, 180.0, 55.0)),
    ("indian-ocean", "Indian Ocean", (20.0, -50.0, 147.0, 31.0)),
]

# Curators write the record; reviewers also decide what the public sees, and delete drafts.
CURATOR_PERMISSIONS = [
    f"{action}_{model}"
    for model in ["incident", "source", "platform", "contact"]
    for action in ["view", "add", "change"]
] + [
    f"{action}_{model}"
    for model in [
        "participant",
        "citation",
        "interceptdetails",
        "medianlinecrossingdetails",
        "navigationdisputedetails",
    ]
    for action in ["view", "add", "change", "delete"]
] + ["view_region"]
REVIEWER_PERMISSIONS = [*CURATOR_PERMISSIONS, "publish_incident", "delete_incident"]

POSTGRES_INDEXES = [
    (
        "incident_search_idx",
        "CREATE INDEX IF NOT EXISTS incident_search_idx ON incidents_incident "
        "USING gin (search_vector)",
    ),
    (
        "dispute_types_idx",
        "CREATE INDEX IF NOT EXISTS dispute_types_idx ON incidents_navigationdisputedetails "
        "USING gin ((dispute_types::jsonb) jsonb_path_ops)",
    ),
]


def seed(apps, schema_editor):
    Region = apps.get_model("incidents", "Region")
    for slug, name, (min_lon, min_lat, max_lon, max_lat) in REGIONS:
        Region.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "min_longitude": min_lon,
                "min_latitude": min_lat,
                "max_longitude": max_lon,
                "max_latitude": max_lat,
            },
        )
    # Permissions are normally made after migrate; the groups need them now.
    app_config = apps.get_app_config("incidents")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in [("curators", CURATOR_PERMISSIONS), ("reviewers", REVIEWER_PERMISSIONS)]:
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="incidents", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        assert not missing, f"permissions missing for group {name}: {missing}"
        group.permissions.set(permissions)

    if schema_editor.connection.vendor == "postgresql":
        for _, sql in POSTGRES_INDEXES:
            schema_editor.execute(sql)


def unseed(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["curators", "reviewers"]).delete()
    if schema_editor.connection.vendor == "postgresql":
        for name, _ in POSTGRES_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
