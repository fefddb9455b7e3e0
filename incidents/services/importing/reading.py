"""Reading an import file: size limit, UTF-8, JSON or CSV, each record with its location.

Nothing here touches the database. Every way a file can be unreadable (too large, not UTF-8,
broken JSON, a CSV row with extra cells, a cell a spreadsheet would run as a formula) becomes
an ImportProblem naming the line, byte or column, never an exception.
"""

import codecs
import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from incidents.interchange import CSV_COLUMNS, CsvCellError, csv_row_to_document
from incidents.services.importing.report import ImportProblem

SECTIONS = ("platforms", "sources", "incidents", "contacts")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CSV_FIELD_LIMIT = 64 * 1024 * 1024


@dataclass
class Record:
    """One incident document of a file and where it is (`record 3`, `line 5`)."""

    location: str
    data: object
    url_only_sources: bool = False  # CSV: sources named by url alone, to be found in the registry


@dataclass
class ParsedFile:
    platforms: list = field(default_factory=list)
    sources: list = field(default_factory=list)  # sources no record of the file cites
    records: list[Record] = field(default_factory=list)
    contacts: list = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)


def max_import_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def read_bytes(source) -> tuple[bytes | None, str | None, ImportProblem | None]:
    """(content, file name, problem) of a path, bytes or binary file object, within the limit."""
    limit = max_import_bytes()
    name = None
    if isinstance(source, bytes | bytearray | memoryview):
        content = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        name = path.name
        size = path.stat().st_size
        if size > limit:
            return None, name, _too_large(size, limit)
        content = path.read_bytes()
    else:
        name = Path(str(getattr(source, "name", "") or "")).name or None
        content = source.read(limit + 1)
        if isinstance(content, str):
            content = content.encode("utf-8")
    if len(content) > limit:
        return None, name, _too_large(len(content), limit)
    return content, name, None


def _too_large(size: int, limit: int) -> ImportProblem:
    return ImportProblem(
        "file",
        "",
        f"The file has {size:,} bytes, more than the import limit of {limit:,} bytes "
        "(setting IMPORT_MAX_BYTES): split it into several files.",
    )


def decode(content: bytes) -> tuple[str | None, ImportProblem | None]:
    """The text of a UTF-8 file (a byte-order mark is accepted and dropped)."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, ImportProblem(
            "line 1", "", "The file is UTF-16; save it as UTF-8 (in Excel: CSV UTF-8)."
        )
    offset = 3 if content.startswith(codecs.BOM_UTF8) else 0
    try:
        text = content[offset:].decode("utf-8")
    except UnicodeDecodeError as error:
        position = offset + error.start
        line = content.count(b"\n", 0, position) + 1
        return None, ImportProblem(
            f"line {line}",
            "",
            f"Byte {position} (0x{content[position]:02x}) is not valid UTF-8: save the file as "
            "UTF-8 (in Excel: CSV UTF-8).",
        )
    for needle in ("\x00", "\\u0000"):
        # PostgreSQL text cannot hold NUL; refuse it here, where the line is known.
        index = text.find(needle)
        if index >= 0:
            line = text.count("\n", 0, index) + 1
            return None, ImportProblem(f"line {line}", "", "The file contains a NUL character.")
    return text, None


def detect_format(name: str | None, text: str, format: str | None) -> str:
    if format:
        return format
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in {".json", ".csv"}:
        return suffix[1:]
    return "json" if text.lstrip()[:1] in {"{", "["} else "csv"


def parse_json(text: str) -> ParsedFile:
    parsed = ParsedFile()
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        parsed.problems.append(
            ImportProblem(
                f"line {error.lineno}", "", f"Not valid JSON: {error.msg} (column {error.colno})."
            )
        )
        return parsed
    except RecursionError:
        parsed.problems.append(ImportProblem("file", "", "The JSON is nested too deeply."))
        return parsed
    except ValueError as error:  # NaN/Infinity, or an integer with too many digits
        parsed.problems.append(ImportProblem("file", "", f"Not valid JSON: {error}"))
        return parsed
    return from_data(data)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number.")


def from_data(data) -> ParsedFile:
    """The sections of the interchange dict (a bare list is read as its incidents)."""
    parsed = ParsedFile()
    if isinstance(data, list):
        data = {"incidents": data}
    if not isinstance(data, dict):
        parsed.problems.append(
            ImportProblem(
                "file",
                "",
                'Expected an object {"platforms": [...], "incidents": [...], "contacts": [...]}.',
            )
        )
        return parsed
    for key in sorted(set(data) - set(SECTIONS)):
        parsed.problems.append(
            ImportProblem("file", str(key), f"Unknown section; the sections are {SECTIONS}.")
        )
    for section in SECTIONS:
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            parsed.problems.append(ImportProblem("file", section, "Must be a list."))
            continue
        if section == "incidents":
            parsed.records = [Record(f"record {index}", item) for index, item in enumerate(items)]
        else:
            setattr(parsed, section, items)
    return parsed


def parse_csv(text: str) -> ParsedFile:
    """Incident documents from the interchange CSV, one per row, located by line number."""
    parsed = ParsedFile()
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        parsed.problems.append(ImportProblem("line 1", "", f"Not a readable CSV header: {error}"))
        return parsed
    if not header:
        parsed.problems.append(ImportProblem("line 1", "", "The file is empty: no header row."))
        return parsed
    header = [name.strip() for name in header]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    repeated = sorted({name for name in header if header.count(name) > 1})
    for name in unknown:
        parsed.problems.append(
            ImportProblem(
                "line 1", name or "(empty)", f"Unknown column; the columns are {CSV_COLUMNS}."
            )
        )
    for name in repeated:
        parsed.problems.append(ImportProblem("line 1", name, "This column appears twice."))
    if unknown or repeated:
        return parsed
    last_line = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            parsed.problems.append(ImportProblem(f"line {last_line + 1}", "", f"{error}."))
            break
        location = f"line {last_line + 1}"
        last_line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            parsed.problems.append(
                ImportProblem(
                    location,
                    "",
                    f"{len(cells)} cells, but the header has {len(header)} columns.",
                )
            )
            continue
        row = dict(zip(header, cells, strict=False))
        formula = _formula_cell(row)
        if formula is not None:
            parsed.problems.append(
                ImportProblem(
                    location,
                    formula,
                    "Starts like a spreadsheet formula (= + - @); prefix the cell with ' if "
                    "it is meant as text.",
                )
            )
            continue
        try:
            document = csv_row_to_document(row)
        except CsvCellError as error:
            parsed.problems.append(ImportProblem(location, error.column, str(error)))
            continue
        url_only = not (row.get("sources_json") or "").strip()
        parsed.records.append(Record(location, document, url_only_sources=url_only))
    return parsed


def _formula_cell(row: dict[str, str]) -> str | None:
    """The first column whose cell a spreadsheet would evaluate, or None."""
    for name, value in row.items():
        cell = value.strip()
        if cell.startswith(_FORMULA_STARTS) and not _is_number(cell):
            return name
    return None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
