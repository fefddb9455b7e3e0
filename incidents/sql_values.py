"""PostgreSQL expressions that write a column's value as the Python read path writes it.

The SQL-built documents (incidents/documents_sql.py) and the COPY export (incidents/csv_sql.py)
must answer exactly what selectors.incident_documents, DRF's JSON renderer and
interchange.document_to_csv_row answer; each helper here reproduces one Python formatting rule
and says which. They take a column expression and return SQL text with no `%`: the statements embed a compiled
queryset and are executed with its parameters, where `%` starts a placeholder.
"""

# interchange.neutralise's formula starts (= + - @, tab, CR) as a regular expression.
FORMULA_START = "'^([=+@\\t\\r-])'"


def iso_timestamp(column: str) -> str:
    """A timestamptz as selectors.iso_datetime writes it: isoformat() in UTC with Z.

    Python prints microseconds only when they are not zero, so the fraction is conditional.
    """
    return (
        f"(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN mod(extract(microseconds FROM {column})::bigint, 1000000) = 0 THEN '' "
        f"ELSE to_char({column} AT TIME ZONE 'UTC', '.US') END || 'Z')"
    )


def iso_date(column: str) -> str:
    """A date as date.isoformat(), whatever the session's DateStyle."""
    return f"to_char({column}, 'YYYY-MM-DD')"


def float_text(column: str) -> str:
    """A double precision as Python's repr() (what json.dumps and csv.writer write).

    PostgreSQL already prints the shortest round-trip digits (extra_float_digits >= 1, the
    default), but an integral value without a fraction (`150`, Python `150.0`) and, from 1e15,
    in exponent form where Python still prints positions (up to 1e16). Beyond 1e16 both use
    exponent form alike.
    """
    return (
        f"(CASE WHEN {column} <> trunc({column}) OR abs({column}) >= 1e16 THEN {column}::text "
        f"WHEN abs({column}) < 1e15 THEN {column}::text || '.0' "
        f"ELSE {column}::bigint::text || '.0' END)"
    )


def float_json(column: str) -> str:
    """A double precision as a JSON number with Python's digits (json null for NULL).

    A `json` value keeps its text, so 150.0 stays a float in the document, as in DRF's output.
    """
    return f"({float_text(column)})::json"


def json_string(column: str) -> str:
    """A text as a JSON string (null for NULL); PostgreSQL escapes exactly as json.dumps does
    with ensure_ascii=False: quote, backslash and control characters only."""
    return f"coalesce(to_json({column})::text, 'null')"


def compact_json(column: str) -> str:
    """A jsonb as json.dumps(value, separators=(",", ":")) of the value Django loads from it.

    jsonb's text form puts a space after every `,` and `:` outside strings and nowhere else;
    string literals (which may hold ", ") are matched first and kept, the spaces dropped.
    """
    return f"""regexp_replace({column}::text, '("(?:[^"\\\\]|\\\\.)*")| ', '\\1', 'g')"""


def neutralise(expression: str) -> str:
    """interchange.neutralise: a cell a spreadsheet would run as a formula gets a leading '.

    One regexp_replace anchored at the start, so the expression (maybe a subquery) runs once.
    """
    return f"regexp_replace({expression}, {FORMULA_START}, '''\\1')"


def joined(array: str, separator: str) -> str:
    """A jsonb list of strings as separator.join(list), in list order (NULL for no items)."""
    return (
        f"(SELECT string_agg(item.value, '{separator}' ORDER BY item.n) "
        f"FROM jsonb_array_elements_text({array}) WITH ORDINALITY AS item(value, n))"
    )


def csv_flag(expression: str) -> str:
    """A boolean as interchange._cell writes it: true, false, or an empty cell for NULL."""
    return f"(CASE WHEN {expression} THEN 'true' WHEN NOT {expression} THEN 'false' END)"
