"""Derivation of `verification` from the cited sources (SPEC §1), kept exact by every write."""

from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from incidents.choices import SourceType, Verification
from incidents.models import Citation, Incident


def derive_verification(sources: Iterable[tuple[str, str]], *, disputed: bool) -> str:
    """`sources` are (type, publisher) pairs of the cited sources.

    confirmed: any official source; corroborated: two or more distinct publishers (compared
    without case or surrounding space); otherwise unverified. `disputed` overrides them all.
    """
    if disputed:
        return Verification.DISPUTED
    sources = list(sources)
    if any(source_type == SourceType.OFFICIAL for source_type, _ in sources):
        return Verification.CONFIRMED
    if len({publisher.strip().casefold() for _, publisher in sources}) >= 2:
        return Verification.CORROBORATED
    return Verification.UNVERIFIED


def refresh_verification(incident_ids: Iterable[int], *, by=None) -> int:
    """Recompute the stored verification of these incidents; returns how many changed.

    One query for the citations and one bulk update (with history rows) for the changes.
    """
    incident_ids = set(incident_ids)
    if not incident_ids:
        return 0
    sources = defaultdict(list)
    for incident_id, source_type, publisher in Citation.objects.filter(
        incident_id__in=incident_ids
    ).values_list("incident_id", "source__type", "source__publisher"):
        sources[incident_id].append((source_type, publisher))
    changed = []
    for incident in Incident.objects.filter(pk__in=incident_ids).only(
        *[f.attname for f in Incident._meta.concrete_fields if f.name != "search_vector"]
    ):
        verification = derive_verification(sources[incident.pk], disputed=incident.disputed)
        if incident.verification != verification:
            incident.verification = verification
            incident.updated_at = timezone.now()
            changed.append(incident)
    if changed:
        bulk_update_with_history(changed, Incident, ["verification", "updated_at"], default_user=by)
    return len(changed)
