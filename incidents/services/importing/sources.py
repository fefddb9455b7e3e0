"""The sources an import cites, by url: each looked up once, created once, changed at most once.

Sources are shared between incidents and upserted by url (SPEC §4). The registry remembers every
url the import has met, with the id and the values it will hold once written, so a later batch
citing it neither asks the database again nor creates it twice. A stored source described
otherwise by the file is changed (its other incidents' verification and search documents follow,
see `import_data`).
"""

from dataclasses import dataclass, field
from operator import itemgetter

from django.db import connection

from incidents.models import Source
from incidents.services.importing.rows import binding_cursor
from incidents.services.validation import SOURCE_FIELDS

_LOOKUP_CHUNK = 2000  # urls per query on SQLite, whose statements take at most 32,766 values
# One index probe per wanted url, whatever the table's size or statistics. As a plain join
# of 2,000 urls the planner would often rather hash the whole table (a sequential scan per
# batch: an import of N incidents would read the sources N/2,000 times); a LATERAL subquery
# with LIMIT is not flattened into a join, so its only plan is a look-up per url.
_LOOKUP_SQL = f"""
SELECT s.id, {", ".join(f"s.{name}" for name in SOURCE_FIELDS)}
FROM unnest(%b::text[]) AS wanted(url)
CROSS JOIN LATERAL (
    SELECT * FROM incidents_source AS s WHERE s.url = wanted.url LIMIT 1
) AS s
"""


# (url, publisher, title, published_on, type) of a cleaned citation.
source_values = itemgetter(*SOURCE_FIELDS)


@dataclass
class SourcePlan:
    """What one batch does to sources: urls to create, urls to change (to their new values)."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


class SourceRegistry:
    """url -> [id or None until written, values] for every source of the import so far."""

    def __init__(self):
        self.entries: dict[str, list] = {}

    def plan(self, citation_lists) -> SourcePlan:
        """Compare the cited sources of a batch with what the registry (or the import) holds."""
        wanted = {}
        for citations in citation_lists:
            for citation in citations:
                wanted.setdefault(citation["url"], source_values(citation))
        self._load(sorted(url for url in wanted if url not in self.entries))
        plan = SourcePlan()
        for url, values in wanted.items():
            entry = self.entries.get(url)
            if entry is None:
                self.entries[url] = [None, values]
                plan.new.append(url)
            elif entry[1] != values:
                entry[1] = values
                plan.changed.append(url)
        return plan

    def _load(self, urls: list[str]) -> None:
        if not urls:
            return
        if connection.vendor != "postgresql":
            for start in range(0, len(urls), _LOOKUP_CHUNK):
                for pk, *values in Source.objects.filter(
                    url__in=urls[start : start + _LOOKUP_CHUNK]
                ).values_list("pk", *SOURCE_FIELDS):
                    self.entries[values[0]] = [pk, tuple(values)]
            return
        with binding_cursor() as cursor:
            cursor.execute(_LOOKUP_SQL, [urls])
            for pk, *values in cursor.fetchall():
                self.entries[values[0]] = [pk, tuple(values)]

    def id(self, url: str) -> int | None:
        return self.entries[url][0]

    def set_ids(self, urls: list[str], ids: list[int]) -> None:
        for url, pk in zip(urls, ids, strict=True):
            self.entries[url][0] = pk

    def instance(self, url: str) -> Source:
        """An unsaved-looking Source with the id and values the import gives `url`."""
        pk, values = self.entries[url]
        source = Source(**dict(zip(SOURCE_FIELDS, values, strict=True)))
        source.pk = pk
        source._state.adding = pk is None
        return source
