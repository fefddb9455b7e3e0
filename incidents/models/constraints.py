"""Helpers that turn the closed vocabularies into database check constraints."""

from django.db import models


def choice_constraint(model_name: str, field: str, choices) -> models.CheckConstraint:
    """The database refuses a value outside `choices`, whatever wrote the row."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": choices.values}),
        name=f"{model_name}_{field}_valid",
    )
