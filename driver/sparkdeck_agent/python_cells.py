"""Python cells, run like a REPL's: printed output, then the last expression's value (a
DataFrame as a table), and Livy's magics on lines of their own:

  %json <expr>     the value as application/json
  %table <expr>    rows (dicts, lists/tuples, Rows or scalars) as application/vnd.livy.table.v1+json
  %matplot <expr>  a pyplot-like object's current figure as image/png (needs matplotlib)
"""

import ast
import base64
import contextlib
import datetime
import decimal
import io
import json
import re
import rlcompleter

from . import tables


class MagicError(Exception):
    """A magic line that cannot be run; its message names the magic."""


class DataFrameValue:
    """A cell's last value that is a DataFrame (answered as a table)."""

    def __init__(self, df):
        self.df = df


class PythonCells:
    def __init__(self, namespace):
        self.namespace = namespace

    def run(self, code):
        """The answer {"result", "data"} of one cell."""
        out = io.StringIO()
        answer = None
        with contextlib.redirect_stdout(out):
            for chunk in split_magics(code):
                if chunk.startswith("%"):
                    answer = self.magic(chunk)
                else:
                    answer = self.statements(chunk, out)
        printed = out.getvalue()
        if answer is None:
            return tables.text_answer(printed or None)
        if isinstance(answer, DataFrameValue):
            return tables.dataframe_answer(answer.df, printed)
        result, data = answer
        text = printed + result if result is not None else (printed or None)
        if "text/plain" in data:
            data = dict(data, **{"text/plain": text})
        return {"result": text, "data": data}

    def statements(self, code, out):
        """Runs plain Python; a DataFrame value as a DataFrameValue, another value printed."""
        from pyspark.sql import DataFrame

        tree = ast.parse(code, "<cell>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, "<cell>", "exec"), self.namespace)
        value = eval(compile(last, "<cell>", "eval"), self.namespace) if last else None
        if isinstance(value, DataFrame):
            return DataFrameValue(value)
        if value is not None:
            printed = out.getvalue()
            out.write(repr(value) if not printed or printed.endswith("\n") else "\n" + repr(value))
        return None

    def magic(self, line):
        name, _, expr = line[1:].partition(" ")
        handler = MAGICS.get(name)
        if handler is None:
            raise MagicError(f"unknown magic %{name}: the magics are {', '.join('%' + m for m in MAGICS)}")
        if not expr.strip():
            raise MagicError(f"%{name} needs an expression, e.g. %{name} x")
        value = eval(compile(expr.strip(), "<magic>", "eval"), self.namespace)
        return handler(value)

    def complete(self, code, cursor):
        match = re.search(r"[A-Za-z_][\w.]*$", code[:cursor])
        if not match:
            return []
        completer = rlcompleter.Completer(self.namespace)
        found = []
        for state in range(200):
            option = completer.complete(match.group(0), state)
            if option is None:
                break
            if option not in found:
                found.append(option)
        return found


def split_magics(code):
    """The cell as chunks of Python and magic lines. A cell that parses as Python has none
    (a `%` line inside a string stays Python); otherwise each line starting with `%` is one."""
    try:
        ast.parse(code, "<cell>", "exec")
        return [code]
    except SyntaxError:
        pass
    chunks, normal = [], []
    for line in code.rstrip().split("\n"):
        if line.startswith("%"):
            if normal:
                chunks.append("\n".join(normal))
                normal = []
            chunks.append(line.rstrip())
        else:
            normal.append(line)
    if normal:
        chunks.append("\n".join(normal))
    return chunks


def magic_json(value):
    try:
        text = json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise MagicError(f"%json: {exc}") from None
    return text, {"application/json": json.loads(text)}


# Livy's names for the types of %table's columns.
def _table_type(value):
    for kind, name in ((type(None), "NULL_TYPE"), (bool, "BOOLEAN_TYPE"), (int, "INT_TYPE"), (float, "DOUBLE_TYPE"),
                       (str, "STRING_TYPE"), (datetime.datetime, "TIMESTAMP_TYPE"), (datetime.date, "DATE_TYPE"),
                       (decimal.Decimal, "DECIMAL_TYPE"), ((list, tuple), "ARRAY_TYPE"), (dict, "MAP_TYPE")):
        if isinstance(value, kind):
            return name
    return "STRING_TYPE"


def _table_value(value):
    if isinstance(value, (datetime.date, decimal.Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_table_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _table_value(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def magic_table(value):
    """Rows as a table: columns named by dict keys (sorted) or positions; each column one type."""
    rows = value if isinstance(value, (list, tuple)) else [value]
    headers, data = {}, []
    for row in rows:
        if hasattr(row, "asDict"):
            row = row.asDict()
        if not isinstance(row, (list, tuple, dict)):
            row = [row]
        cells = sorted(row.items()) if isinstance(row, dict) else enumerate(row)
        values = []
        for name, cell in cells:
            kind = _table_type(cell)
            header = headers.setdefault(name, {"name": str(name), "type": kind})
            if kind != "NULL_TYPE" and header["type"] != kind:
                if header["type"] != "NULL_TYPE":
                    raise MagicError(f"%table: column {name!r} has values of types {header['type']} and {kind}")
                header["type"] = kind
            values.append(_table_value(cell))
        data.append(values)
    ordered = [headers[k] for k in sorted(headers, key=lambda k: (str(type(k)), k))]
    text = tables.render_text([h["name"] for h in ordered], data)
    return text, {"application/vnd.livy.table.v1+json": {"headers": ordered, "data": data}}


def magic_matplot(value):
    try:
        import matplotlib  # noqa: F401  (the figure comes from it)
    except ImportError:
        raise MagicError("%matplot needs matplotlib, which is not installed in this driver's Python environment") from None
    figure = value.gcf() if hasattr(value, "gcf") else value
    image = io.BytesIO()
    figure.savefig(image, format="png")
    return "", {"image/png": base64.b64encode(image.getvalue()).decode(), "text/plain": ""}


MAGICS = {"json": magic_json, "table": magic_table, "matplot": magic_matplot}
