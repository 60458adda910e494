"""Storage write rate: okc's record_queue_event (one transaction per event, as the ACD writes) against
the same INSERT + COMMIT through the sqlite3 module (the floor under any ORM), both on a SQLite WAL file.
With OKC_TEST_POSTGRES_URL set, the same okc call on PostgreSQL is shown too.
"""

from __future__ import annotations

import itertools
import os
import random
import sqlite3
import tempfile
from pathlib import Path

import sqlalchemy as sa

from benchmarks.report import Measurement, rate, show
from okc.ids import InteractionId
from okc.storage import Channel, Database, Direction, QueueEventKind, StorageModel, record_interaction
from okc.storage import record_queue_event as okc_record

T0 = 1_790_000_000.0


def _okc_rate(db: Database) -> float:
    iid = InteractionId.new(T0, random.Random(1))
    record_interaction(db, iid, channel=Channel.VOICE, direction=Direction.INBOUND, started_at=T0)
    clock = itertools.count()
    return rate(
        lambda: okc_record(db, iid, "Входящие вызовы", QueueEventKind.ENTERED, at=T0 + next(clock)),
        min_seconds=2.0,
        batch=50,
    )


def _sqlite3_rate(path: Path) -> float:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    iid = str(InteractionId.new(T0, random.Random(2)))
    connection.execute(
        "INSERT INTO interaction (id, channel, direction, started_at) VALUES (?, 'voice', 'inbound', ?)",
        (iid, T0),
    )
    connection.commit()
    clock = itertools.count()

    def write() -> None:
        connection.execute(
            "INSERT INTO queue_event (interaction_id, service, at, kind) VALUES (?, ?, ?, 'entered')",
            (iid, "Входящие вызовы", T0 + next(clock)),
        )
        connection.commit()

    result = rate(write, min_seconds=2.0, batch=50)
    connection.close()
    return result


def main() -> None:
    """Measure and print queue-event writes per second."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp))
        db.upgrade()
        ours = Measurement("okc record_queue_event (SQLite WAL)", _okc_rate(db), "events/s")
        db.close()
        peers = [
            Measurement("sqlite3 INSERT+COMMIT (same file)", _sqlite3_rate(Path(tmp) / "okc.db"), "events/s")
        ]
    url = os.environ.get("OKC_TEST_POSTGRES_URL")
    if url:
        pg = Database.open(url)
        with pg.engine.begin() as connection:
            StorageModel.metadata.drop_all(connection)
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        pg.upgrade()
        peers.append(Measurement("okc record_queue_event (PostgreSQL)", _okc_rate(pg), "events/s"))
        pg.downgrade("base")
        pg.close()
    show("Storage: one queue event per transaction", ours, peers)


if __name__ == "__main__":
    main()
