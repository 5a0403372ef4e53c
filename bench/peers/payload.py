"""The event the Python peers publish: quart_app's status event shape and size."""

from __future__ import annotations

import json


def event_json(index: int, sent_at: float | None = None) -> str:
    """Event ``index``; with ``sent_at`` (epoch seconds), ``metadata.sentAt`` as quart_app's has."""
    metadata: dict[str, float] = {"rowsFetched": index}
    if sent_at is not None:
        metadata["sentAt"] = sent_at
    return json.dumps(
        {
            "eventId": index + 1,
            "requestId": "bench-0123456789ab",
            "topic": "query-execution",
            "status": "progress",
            "stage": "fetching",
            "message": f"Fetched {index} rows",
            "progress": 50,
            "sequence": index + 1,
            "timestamp": "2026-11-25T18:40:00.123Z",
            "metadata": metadata,
        },
        separators=(",", ":"),
    )
