"""The gradebook: nbgrader's, in SQLite or on a database server, shared safely by several graders.

The URL is nbgrader's own setting, `c.CourseDirectory.db_url` (or `grade --db URL`):
`sqlite:///gradebook.db` for one machine, `postgresql+psycopg://user@host/db` for a
department's server, which formgrader, `nbgrader export` and every grade command then share.

Two grade commands may write one gradebook at once (two assignments graded on two machines).
nbgrader's Gradebook looks a row up and then creates it, so two writers can both create the
same student, and two first opens can both create the tables; on PostgreSQL each of those
steps is made to wait for the other with an advisory lock (held for one open, or for one
student's write transaction, milliseconds). A write that still meets a conflict (SQLite's
"database is locked", a serialization failure) is rolled back and tried again.
"""

import contextlib
import time

# pg_advisory_lock keys of the course's grader (any two 32-bit numbers that no other program uses).
_SCHEMA, _WRITE = 0x6E62_6772, 0x6E62_7772


def is_server(url):
    return str(url).startswith("postgresql")


def open_gradebook(url, **options):
    """nbgrader's Gradebook for `url` (`options`: its course_id); its tables are made once, even when
    graders start together."""
    from nbgrader.api import Gradebook

    from .course import put_environment_on_path

    put_environment_on_path()
    if not is_server(url):
        return Gradebook(url, **options)
    from sqlalchemy import create_engine, text

    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:a, :b)"), {"a": _SCHEMA, "b": 0})
            try:
                return Gradebook(url, **options)
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": _SCHEMA, "b": 0})
    finally:
        engine.dispose()


def exclusive(gb):
    """Make the other graders' writes wait until this transaction of `gb` ends (PostgreSQL)."""
    if is_server(gb.engine.url.render_as_string()):
        from sqlalchemy import text

        gb.db.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _WRITE, "b": 0})


def write(gb, step, attempts=4):
    """Run `step()` (writes to `gb`, committed by it) as one transaction that other graders cannot
    interleave; on a conflict roll back and run it again (up to `attempts` times)."""
    from nbgrader.api import InvalidEntry
    from sqlalchemy.exc import DBAPIError, IntegrityError

    for attempt in range(attempts):
        try:
            exclusive(gb)
            return step()
        except (IntegrityError, InvalidEntry, DBAPIError):
            with contextlib.suppress(Exception):
                gb.db.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt)
