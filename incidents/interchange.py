"""The flat CSV form of an incident document (SPEC §2 "Formats", §4), both directions.

One row per incident. `participants` is `CN:initiator:PLA Air Force:j-11|US:target:...`,
`sources` the cited URLs separated by spaces, each kind's details their own columns. Since those
two cells cannot carry counts, platform details, publishers or quotes, `participants_json` and
`sources_json` carry the full objects, so an exported CSV imports back without loss; a
hand-made CSV may leave them empty and use the flat cells alone.

Cells that a spreadsheet would run as a formula (= + - @, tab, CR) are prefixed with `'` on the
way out, and that prefix is removed again on the way in.
"""

import csv
import json

CSV_COLUMNS = [
    "id",
    "external_id",
    "kind",
    "title",
    "summary",
    "occurred_on",
    "occurred_at",
    "date_precision",
    "region",
    "location_name",
    "latitude",
    "longitude",
    "conduct",
    "status",
    "retraction_reason",
    "verification",
    "participants",
    "sources",
    # intercept
    "domain",
    "closest_approach_m",
    "closest_approach_text",
    "maneuvers",
    # median_line_crossing
    "aircraft_count",
    "vessel_count",
    "aircraft_total_reported",
    "period_start",
    "period_end",
    "track",
    "track_crossed",
    "track_ends_on",
    "track_max_penetration_km",
    # navigation_dispute
    "dispute_types",
    "feature",
    "zone",
    "created_at",
    "updated_at",
    "participants_json",
    "sources_json",
]
_SCALAR_COLUMNS = CSV_COLUMNS[:16]
_DETAIL_COLUMNS = {
    "intercept": ["domain", "closest_approach_m", "closest_approach_text", "maneuvers"],
    "median_line_crossing": [
        "aircraft_count",
        "vessel_count",
        "aircraft_total_reported",
        "period_start",
        "period_end",
        "track",
    ],
    "navigation_dispute": ["dispute_types", "feature", "zone"],
}
_LIST_COLUMNS = {"maneuvers", "dispute_types"}  # "|"-separated in a cell
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A string cell a spreadsheet would evaluate, made inert; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _restore(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS):
        return value[1:]
    return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return neutralise(value)


def participants_cell(participants: list[dict]) -> str:
    return "|".join(
        f"{p['country']}:{p['role']}:{p['force'] or ''}:{p['platform'] or ''}" for p in participants
    )


def csv_writer(stream):
    """A csv.writer for the interchange CSV. Rows end in "\\n" on every path and backend:
    PostgreSQL's COPY, which writes the API's large exports, ends them no other way, and the
    list's `format=csv` page, the export and the admin's download must be the same bytes."""
    return csv.writer(stream, lineterminator="\n")


def document_to_csv_row(document: dict) -> list:
    """One CSV row (values in CSV_COLUMNS order) for a public incident document."""
    details = document.get("details") or {}
    analysis = details.get("track_analysis") or {}
    row = {name: document.get(name) for name in _SCALAR_COLUMNS}
    row["participants"] = participants_cell(document["participants"])
    row["sources"] = " ".join(s["url"] for s in document["sources"])
    for names in _DETAIL_COLUMNS.values():
        for name in names:
            value = details.get(name)
            row[name] = "|".join(value) if name in _LIST_COLUMNS and value is not None else value
    row["track_crossed"] = analysis.get("crossed")
    row["track_ends_on"] = analysis.get("ends_on")
    row["track_max_penetration_km"] = analysis.get("max_penetration_km")
    row["created_at"] = document.get("created_at")
    row["updated_at"] = document.get("updated_at")
    row["participants_json"] = document["participants"]
    row["sources_json"] = document["sources"]
    return [_cell(row[name]) for name in CSV_COLUMNS]


class CsvCellError(ValueError):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column


def _json_cell(column: str, value: str):
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise CsvCellError(
            column, f"is not valid JSON ({error.msg} at character {error.pos})."
        ) from None


def csv_row_to_document(row: dict[str, str | None]) -> dict:
    """An incident document (import shape) from one CSV row keyed by header.

    Empty cells are null. Raises CsvCellError naming the column when a cell cannot be read.
    """
    cells = {
        (key or "").strip(): _restore(value.strip()) if isinstance(value, str) else value
        for key, value in row.items()
    }
    unknown = sorted(set(cells) - set(CSV_COLUMNS))
    if unknown:
        raise CsvCellError(unknown[0], f"unknown column; the columns are {', '.join(CSV_COLUMNS)}.")

    def get(name):
        value = cells.get(name)
        return None if value in (None, "") else value

    document = {name: get(name) for name in _SCALAR_COLUMNS if name not in {"id", "verification"}}
    for name in ("summary",):
        document[name] = document[name] or ""
    if get("verification") == "disputed":
        document["verification"] = "disputed"
    document["participants"] = (
        _json_cell("participants_json", get("participants_json"))
        if get("participants_json")
        else _parse_participants(get("participants"))
    )
    if get("sources_json"):
        document["sources"] = _json_cell("sources_json", get("sources_json"))
    elif get("sources"):
        document["sources"] = [{"url": url} for url in get("sources").split()]
    else:
        document["sources"] = []
    kind = document.get("kind")
    details = {}
    for name in _DETAIL_COLUMNS.get(kind, []):
        value = get(name)
        if value is not None and name in _LIST_COLUMNS:
            value = [item.strip() for item in value.split("|") if item.strip()]
        elif value is not None and name == "track":
            value = _json_cell("track", value)
        details[name] = value
    document["details"] = details if any(v is not None for v in details.values()) else {}
    return document


def _parse_participants(cell: str | None) -> list[dict]:
    if not cell:
        return []
    participants = []
    for index, item in enumerate(cell.split("|")):
        parts = item.split(":")
        if len(parts) < 3:
            raise CsvCellError(
                "participants",
                f"item {index + 1} {item!r} must be COUNTRY:ROLE:FORCE[:PLATFORM], "
                "e.g. CN:initiator:PLA Air Force:j-11.",
            )
        platform = parts[-1] if len(parts) >= 4 else ""
        force = ":".join(parts[2:-1]) if len(parts) >= 4 else parts[2]
        participants.append(
            {
                "country": parts[0].strip(),
                "role": parts[1].strip(),
                "force": force.strip(),
                "platform": platform.strip() or None,
            }
        )
    return participants
