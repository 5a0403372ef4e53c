"""The history schema (``quart_app`` in the history database), applied at start in order."""

from __future__ import annotations

import logging

import asyncpg

log = logging.getLogger(__name__)

SCHEMA = "quart_app"

# Append only: each entry runs once per database, in its own transaction.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE quart_app.event_ids (
        singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        last_id    bigint  NOT NULL
    );
    INSERT INTO quart_app.event_ids (last_id) VALUES (0);

    CREATE TABLE quart_app.status_events (
        event_id    bigint      PRIMARY KEY,
        request_id  text        NOT NULL,
        topic       text        NOT NULL,
        final       boolean     NOT NULL,
        stored_at   timestamptz NOT NULL DEFAULT now(),
        body        text        NOT NULL
    );
    CREATE INDEX ON quart_app.status_events (request_id, event_id);
    CREATE INDEX ON quart_app.status_events (topic, event_id);
    CREATE INDEX ON quart_app.status_events (stored_at);

    CREATE TABLE quart_app.jobs (
        request_id   text        PRIMARY KEY,
        topic        text        NOT NULL,
        status       text        NOT NULL,
        created_at   timestamptz NOT NULL,
        finished_at  timestamptz,
        duration_ms  integer,
        question     text,
        sql          text,
        row_count    integer,
        error        jsonb,
        result       jsonb
    );
    CREATE INDEX ON quart_app.jobs (created_at DESC);
    """,
    # Which process runs a job, and when each process was last heard from: a job whose
    # process has gone quiet for too long is ended by the others (services/orphans.py).
    """
    CREATE TABLE quart_app.processes (
        id          text        PRIMARY KEY,
        host        text        NOT NULL,
        pid         integer     NOT NULL,
        started_at  timestamptz NOT NULL DEFAULT now(),
        seen_at     timestamptz NOT NULL DEFAULT now()
    );
    ALTER TABLE quart_app.jobs ADD COLUMN owner text;
    CREATE INDEX ON quart_app.jobs (owner) WHERE status = 'running';
    """,
)


async def migrate(connection: asyncpg.Connection) -> int:
    """Apply what is missing; returns the schema version. Safe with several processes at once."""
    async with connection.transaction():
        # One process migrates at a time; the others wait here, then find nothing to do.
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext('quart_app.migrations'))")
        await connection.execute(
            f"""
            CREATE SCHEMA IF NOT EXISTS {SCHEMA};
            CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_version (
                version     integer     PRIMARY KEY,
                applied_at  timestamptz NOT NULL DEFAULT now()
            );
            """
        )
        current = await connection.fetchval(
            f"SELECT coalesce(max(version), 0) FROM {SCHEMA}.schema_version"
        )
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version > current:
                await connection.execute(statements)
                await connection.execute(
                    f"INSERT INTO {SCHEMA}.schema_version (version) VALUES ($1)", version
                )
                log.info("history schema migrated to version %d", version)
        return len(MIGRATIONS)
