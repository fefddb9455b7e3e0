"""A contact's parties: one rule for the API, the admin and the importer.

A non-empty list of upper-case ISO 3166-1 alpha-2 codes (a contact is between states); stored
with each code once, in the order given. The admin's form upper-cases what a curator types
before this rule sees it; a JSON client or a file gives the codes as stored.
"""

from django.core.exceptions import ValidationError

from incidents.services.validation import country_problem

NOT_A_LIST = "Give a non-empty list of upper-case ISO 3166-1 alpha-2 codes."


def party_problems(value) -> list[tuple[int | None, str]]:
    """(item index, or None for the list itself; message) of each problem of `parties`."""
    if not isinstance(value, list) or not value:
        return [(None, NOT_A_LIST)]
    return [
        (index, problem)
        for index, code in enumerate(value)
        if (problem := country_problem(code)) is not None
    ]


def clean_parties(value) -> list[str]:
    """The parties as stored, or a ValidationError naming each bad item by its position."""
    problems = party_problems(value)
    if problems:
        raise ValidationError(
            [
                message if index is None else f"Item {index}: {message}"
                for index, message in problems
            ]
        )
    return list(dict.fromkeys(value))
