"""DataFrames as answers: Livy's SQL table shape and a `show()`-like text rendering.

A table is {"schema": <StructType JSON>, "data": [[v, ...], ...], "truncated": bool}, at most
MAX_ROWS rows; values are JSON (dates and timestamps as ISO text, decimals as text, structs
as objects, maps as objects with text keys, binary as base64)."""

import base64
import datetime
import decimal
import json
import math

MAX_ROWS = 1000
# Rows and cell width of the text rendering, as DataFrame.show() has them.
TEXT_ROWS = 20
TEXT_CELL = 20


def json_value(value):
    """One Spark value (as PySpark collects it) as JSON."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if hasattr(value, "asDict"):  # a struct
        return {k: json_value(v) for k, v in value.asDict().items()}
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return str(value)


def dataframe_table(df):
    """The table of a DataFrame: one Spark job reading at most MAX_ROWS + 1 rows."""
    rows = df.take(MAX_ROWS + 1)
    return {
        "schema": json.loads(df.schema.json()),
        "data": [[json_value(v) for v in row] for row in rows[:MAX_ROWS]],
        "truncated": len(rows) > MAX_ROWS,
    }


def cell_text(value):
    """A JSON value as show() prints a cell: null as NULL, booleans in lower case."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(cell_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} -> {cell_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def render_text(names, rows, more=False):
    """A grid like DataFrame.show(): the first TEXT_ROWS rows, cells cut at TEXT_CELL chars."""
    def cut(text):
        return text if len(text) <= TEXT_CELL else text[:TEXT_CELL - 3] + "..."

    shown = [[cut(cell_text(v)) for v in row] for row in rows[:TEXT_ROWS]]
    widths = [max([3, len(name)] + [len(row[i]) for row in shown]) for i, name in enumerate(names)]
    rule = "+" + "+".join("-" * w for w in widths) + "+"

    def line(cells):
        return "|" + "|".join(c.rjust(w) for c, w in zip(cells, widths)) + "|"

    lines = [rule, line([cut(n) for n in names]), rule, *(line(r) for r in shown), rule]
    if more or len(rows) > TEXT_ROWS:
        lines.append(f"only showing top {TEXT_ROWS} rows")
    return "\n".join(lines) + "\n"


def table_text(table):
    """The text rendering of a table from dataframe_table."""
    names = [field["name"] for field in table["schema"]["fields"]]
    return render_text(names, table["data"], table["truncated"])


def dataframe_answer(df, printed=""):
    """The answer of a cell whose value is `df`: its table, and its text after what was printed."""
    table = dataframe_table(df)
    text = printed + table_text(table)
    return {"result": text, "data": {"text/plain": text, "application/json": table}}


def text_answer(text):
    """An answer of plain text (None when the cell printed nothing and had no value)."""
    return {"result": text, "data": None if text is None else {"text/plain": text}}
