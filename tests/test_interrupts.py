"""Ctrl-C and SIGTERM mid-command: one line saying whether the change was saved, exit 130 or 143, never a traceback."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from conftest import sqlite_only


def _interrupted_at_the_next_statement(conn) -> None:
    """Ctrl-C as it lands inside a statement: SQLAlchemy then invalidates (closes) the connection under the code using it."""

    def interrupt(*_):
        raise KeyboardInterrupt

    sa.event.listen(conn, "before_cursor_execute", interrupt)


@sqlite_only
def test_an_import_interrupted_inside_a_statement_of_its_stage_unwinds_as_the_interruption(store):
    """A tester's Ctrl-C near the end of a big import: `Cannot operate on a closed database` from the stage's
    clean-up (its page cache put back on the connection the interruption had closed), with a traceback."""
    from jiesu.staging import staging

    with pytest.raises(KeyboardInterrupt), staging(store) as stage:
        _interrupted_at_the_next_statement(stage.conn)
        stage.add([])
    with store.connection() as conn:  # the book is open as before
        assert conn.exec_driver_sql("SELECT count(*) FROM cases").scalar() == 0
