"""The requests of this process that another process ended, having taken it for gone.

Learnt two ways: from a heart-beat that finds the process was unseen too long
(``services/orphans.py``), or from storing what was held during an outage
(``outage.py``). From then on the history stores nothing more for them, and
whoever runs them is told to stop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..errors import EndedElsewhere

log = logging.getLogger(__name__)


class Fence:
    def __init__(self) -> None:
        self.ended: set[str] = set()
        self._stops: list[Callable[[str], object]] = []

    def __contains__(self, request_id: str) -> bool:
        return request_id in self.ended

    def refusal(self, request_id: str) -> EndedElsewhere:
        """Why an event of an ended request is not stored."""
        return EndedElsewhere(
            "another server process ended this request while it could not see this one",
            request_id=request_id,
        )

    def on_end(self, stop: Callable[[str], object]) -> None:
        """Call ``stop`` with each request ended elsewhere from now on."""
        self._stops.append(stop)

    def end(self, request_ids: set[str]) -> None:
        """Another process ended these requests: store nothing more for them, and stop them."""
        for request_id in sorted(request_ids - self.ended):
            self.ended.add(request_id)
            log.error(
                "request %s was ended by another process, which took this one for gone; "
                "its events not stored yet, and any it publishes from now on, are dropped",
                request_id,
            )
            for stop in self._stops:
                stop(request_id)
