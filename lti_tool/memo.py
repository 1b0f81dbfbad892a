"""A per-process memo with an expiry, for what changes rarely and is read on every launch (registrations,
active deployments, platform key PEMs). Never for anything learner-specific: that lives in the shared cache."""
from __future__ import annotations

import time
from typing import Any


class TtlMemo:
    def __init__(self, seconds: float, max_entries: int = 10_000):
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[Any, tuple[float, Any]] = {}

    def get(self, key) -> Any | None:
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def put(self, key, value) -> None:
        if len(self._entries) >= self.max_entries:  # bounded: a flood of made-up keys cannot grow it
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.seconds, value)
