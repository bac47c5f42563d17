"""The few places where SQLite and PostgreSQL need different SQL."""

from __future__ import annotations

from sqlalchemy import Connection


def make_append_only(conn: Connection, table: str) -> None:
    """Have the database itself refuse UPDATE and DELETE on `table`."""
    if conn.dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"
            )
    else:
        conn.exec_driver_sql(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{table} are append-only'; END $$"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
