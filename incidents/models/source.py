"""Source: a citable document; Citation: the link from an incident to a source it rests on."""

from django.core.validators import URLValidator
from django.db import models

from incidents.choices import SourceType
from incidents.models.constraints import choice_constraint
from incidents.models.history import History


class Source(models.Model):
    """A report a curator cites (a ministry statement, an article, a study, a post).

    Shared between incidents; its `type` and `publisher` decide the incidents' verification.
    """

    url = models.URLField(
        max_length=1000,
        unique=True,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    publisher = models.CharField(max_length=200)
    title = models.CharField(max_length=500, blank=True)
    published_on = models.DateField(null=True, blank=True)
    type = models.CharField(max_length=10, choices=SourceType.choices)
    history = History(indexed=("id",))

    class Meta:
        ordering = ["url"]
        constraints = [
            choice_constraint("source", "type", SourceType),
            models.CheckConstraint(
                condition=models.Q(url__startswith="http://")
                | models.Q(url__startswith="https://"),
                name="source_url_http",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title or self.url}"


class Citation(models.Model):
    """An incident rests on a source, optionally with the source's own words as `quote`."""

    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        related_name="citations",
        db_index=False,  # the first column of citation_unique_source
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    quote = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    history = History(indexed=("incident",))

    class Meta:
        ordering = ["incident", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "source"], name="citation_unique_source"),
        ]

    def __str__(self) -> str:
        return str(self.source)
