"""`report daily` on the same million-case book in SQLite and in PostgreSQL, measured side by side.

    eval "$(.ci/postgres start)"
    python bench/backends.py --cases 1000000 --postgres "$JIESU_TEST_DB"
    .ci/postgres stop "$JIESU_PG_DIR"

The PostgreSQL URL names the server's maintenance database; a database
`jiesu_bench_<N>` is created and filled there (by COPY) unless it exists.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import generate  # noqa: E402
from run import JIESU, build, timed  # noqa: E402


def postgres_book(server: str, cases: int) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"jiesu_bench_{cases}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    if not exists:
        print(f"generating {cases:,} cases into PostgreSQL {name} …", file=sys.stderr)
        generate.generate(url, cases, now=datetime.now(timezone.utc))
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--postgres", required=True, help="postgresql+psycopg://… of the server's maintenance database")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    sqlite_book = args.data / f"cases-{args.cases}.db"
    build(sqlite_book, args.cases)
    pg_book = postgres_book(args.postgres, args.cases)
    command = [*JIESU, "report", "daily", "-f", "json"]
    on_sqlite = timed(command, env=os.environ | {"JIESU_DB": str(sqlite_book)}, repeat=args.repeat)
    on_postgres = timed(command, env=os.environ | {"JIESU_DB": pg_book}, repeat=args.repeat)
    print(f"\nreport daily on {args.cases:,} cases, median of {args.repeat} runs, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n")
    print("| backend | report daily | ratio to SQLite |")
    print("|---|---|---|")
    print(f"| SQLite file | {on_sqlite:.3f} s | 1.00× |")
    print(f"| PostgreSQL (local socket) | {on_postgres:.3f} s | {on_postgres / on_sqlite:.2f}× |")


if __name__ == "__main__":
    main()
