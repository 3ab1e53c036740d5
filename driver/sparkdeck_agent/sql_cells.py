"""SQL cells: `spark.sql` on the agent's session, one statement after another; the last one's
rows (a command's too, possibly none) are the answer's table."""

import re

from . import tables

KEYWORDS = (
    "SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "HAVING", "LIMIT", "JOIN", "LEFT JOIN", "INNER JOIN", "ON",
    "AS", "AND", "OR", "NOT", "NULL", "IS", "IN", "LIKE", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END",
    "DISTINCT", "UNION", "WITH", "INSERT INTO", "VALUES", "CREATE", "TEMPORARY VIEW", "OR REPLACE", "TABLE",
    "DROP", "SHOW TABLES", "DESCRIBE", "EXPLAIN", "CACHE TABLE", "COUNT", "SUM", "AVG", "MIN", "MAX",
)


def split_statements(code):
    """The statements of `code` separated by `;` outside quotes, backticks and comments."""
    statements, start, i, quote = [], 0, 0, None
    while i < len(code):
        ch = code[i]
        if quote:
            if ch == "\\" and quote != "`":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif code.startswith("--", i):
            end = code.find("\n", i)
            i = len(code) if end < 0 else end
        elif code.startswith("/*", i):
            end = code.find("*/", i + 2)
            i = len(code) if end < 0 else end + 1
        elif ch == ";":
            statements.append(code[start:i])
            start = i + 1
        i += 1
    statements.append(code[start:])
    return [s.strip() for s in statements if s.strip() and not _only_comments(s)]


def _only_comments(text):
    return not re.sub(r"--[^\n]*|/\*.*?\*/", "", text, flags=re.S).strip()


class SqlCells:
    def __init__(self, spark):
        self.spark = spark

    def run(self, code):
        statements = split_statements(code)
        if not statements:
            raise ValueError("the SQL cell has no statement")
        df = None
        for statement in statements:
            df = self.spark.sql(statement)
        return tables.dataframe_answer(df)

    def complete(self, code, cursor):
        """Keywords, then tables and views, that start with the word before the cursor."""
        match = re.search(r"[A-Za-z_][\w.]*$", code[:cursor])
        if not match:
            return []
        word = match.group(0)
        names = list(KEYWORDS)
        names += [t.name for t in self.spark.catalog.listTables()]
        return [n for n in dict.fromkeys(names) if n.lower().startswith(word.lower())]
