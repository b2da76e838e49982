"""Usage reports: the app keeps its queries in SQLite's dialect and runs them on SQL Server.

`to_tsql` needs sqlglot, which the app installs only where it deploys; the tests replay the
shipped model of it, so they run where sqlglot is not installed.
"""
from __future__ import annotations

WEEKLY = {
    "top_users": "SELECT name FROM users WHERE age > 21 LIMIT 5",
    "shipped": "SELECT COUNT(*) FROM orders WHERE status = 'shipped'",
    "recent_posts": "SELECT id, title FROM posts ORDER BY created DESC LIMIT 10",
}


def to_tsql(query: str) -> str:
    """T-SQL for a SQLite query (sqlglot raises where T-SQL lacks a feature)."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    return "\n".join(sqlglot.transpile(query, read="sqlite", write="tsql", unsupported_level=ErrorLevel.RAISE))


def weekly_statements() -> dict[str, str]:
    """The weekly report's statements, ready for SQL Server; a query that cannot be translated is left out."""
    statements = {}
    for name, query in WEEKLY.items():
        try:
            statements[name] = to_tsql(query)
        except ValueError:  # sqlglot's ParseError and UnsupportedError are ValueErrors
            continue
    return statements
