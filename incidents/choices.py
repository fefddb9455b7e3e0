"""Closed vocabularies of SPEC §1, shared by models, services, filters, serializers and admin."""

from django.db import models


class IncidentKind(models.TextChoices):
    INTERCEPT = "intercept", "Intercept"
    MEDIAN_LINE_CROSSING = "median_line_crossing", "Median-line crossing"
    NAVIGATION_DISPUTE = "navigation_dispute", "Navigation dispute"


class IncidentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"


# Statuses a client without view permission may see (retracted only when asked or by id).
PUBLIC_STATUSES = (IncidentStatus.PUBLISHED, IncidentStatus.RETRACTED)


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Conduct(models.TextChoices):
    PROFESSIONAL = "professional", "Professional"
    UNPROFESSIONAL = "unprofessional", "Unprofessional"
    UNSAFE = "unsafe", "Unsafe"
    UNKNOWN = "unknown", "Unknown"


class Verification(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    CORROBORATED = "corroborated", "Corroborated"
    CONFIRMED = "confirmed", "Confirmed"
    DISPUTED = "disputed", "Disputed"


class ParticipantRole(models.TextChoices):
    INITIATOR = "initiator", "Initiator"
    TARGET = "target", "Target"
    OTHER = "other", "Other"


class PlatformCategory(models.TextChoices):
    FIGHTER = "fighter", "Fighter"
    BOMBER = "bomber", "Bomber"
    RECONNAISSANCE = "reconnaissance", "Reconnaissance"
    PATROL = "patrol", "Patrol"
    AIRBORNE_EARLY_WARNING = "airborne_early_warning", "Airborne early warning"
    TRANSPORT = "transport", "Transport"
    TANKER = "tanker", "Tanker"
    HELICOPTER = "helicopter", "Helicopter"
    UAV = "uav", "UAV"
    DESTROYER = "destroyer", "Destroyer"
    FRIGATE = "frigate", "Frigate"
    CORVETTE = "corvette", "Corvette"
    CRUISER = "cruiser", "Cruiser"
    CARRIER = "carrier", "Carrier"
    AMPHIBIOUS = "amphibious", "Amphibious"
    SUBMARINE = "submarine", "Submarine"
    COAST_GUARD = "coast_guard", "Coast guard"
    GOVERNMENT_VESSEL = "government_vessel", "Government vessel"
    MARITIME_MILITIA = "maritime_militia", "Maritime militia"
    CIVILIAN_VESSEL = "civilian_vessel", "Civilian vessel"
    SMALL_BOAT = "small_boat", "Small boat"
    AUXILIARY = "auxiliary", "Auxiliary"
    UUV = "uuv", "UUV"
    SHORE_STATION = "shore_station", "Shore station"
    OTHER = "other", "Other"


class PlatformDomain(models.TextChoices):
    AIR = "air", "Air"
    SURFACE = "surface", "Surface"
    SUBSURFACE = "subsurface", "Subsurface"
    LAND = "land", "Land"


class SourceType(models.TextChoices):
    OFFICIAL = "official", "Official"
    MEDIA = "media", "Media"
    RESEARCH = "research", "Research"
    SOCIAL = "social", "Social"


class InterceptDomain(models.TextChoices):
    AIR = "air", "Air"
    SEA = "sea", "Sea"


class DisputeType(models.TextChoices):
    BLOCKING = "blocking", "Blocking"
    SHADOWING = "shadowing", "Shadowing"
    WATER_CANNON = "water_cannon", "Water cannon"
    COLLISION = "collision", "Collision"
    RAMMING = "ramming", "Ramming"
    LASER = "laser", "Laser"
    ACOUSTIC_DEVICE = "acoustic_device", "Acoustic device"
    RADIO_CHALLENGE = "radio_challenge", "Radio challenge"
    UNSAFE_MANEUVER = "unsafe_maneuver", "Unsafe maneuver"
    FONOP = "fonop", "Freedom-of-navigation operation"
    BOARDING = "boarding", "Boarding"
    SEIZURE = "seizure", "Seizure"
    OTHER = "other", "Other"


class Zone(models.TextChoices):
    TERRITORIAL_SEA = "territorial_sea", "Territorial sea"
    CONTIGUOUS_ZONE = "contiguous_zone", "Contiguous zone"
    EEZ = "eez", "Exclusive economic zone"
    HIGH_SEAS = "high_seas", "High seas"
    UNKNOWN = "unknown", "Unknown"


class ContactKind(models.TextChoices):
    SUSPENSION = "suspension", "Suspension"
    RESUMPTION = "resumption", "Resumption"
    CALL = "call", "Call"
    TALKS = "talks", "Talks"
    SUMMIT = "summit", "Summit"


class ChangeAction(models.TextChoices):
    PUBLISHED = "published", "Published"
    UPDATED = "updated", "Updated"
    RETRACTED = "retracted", "Retracted"
    DELETED = "deleted", "Deleted"
