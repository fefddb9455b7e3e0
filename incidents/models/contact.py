"""Contact: the military/diplomatic communication timeline incidents are read against."""

from django.db import models

from incidents.choices import ContactKind
from incidents.models.constraints import choice_constraint
from incidents.models.history import History
from incidents.models.source import Source


class Contact(models.Model):
    """A suspension or resumption of channels, a call, talks or a summit between states."""

    external_id = models.CharField(max_length=120, unique=True, null=True, blank=True)
    occurred_on = models.DateField()
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    parties = models.JSONField(default=list)
    sources = models.ManyToManyField(Source, blank=True, related_name="contacts")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = History(indexed=("id",), excluded_fields=["updated_at"], m2m_fields=[sources])

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [choice_constraint("contact", "kind", ContactKind)]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.title}"
