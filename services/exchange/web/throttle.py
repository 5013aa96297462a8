"""Failed sign-ins are counted per user name and per address; past the limit, sign-in waits.

Each check costs an Argon2 hash (tens of milliseconds, 64 MiB), so unlimited guessing would
both try passwords and starve the pages. The counts live in the API process: with several
API workers each keeps its own, which multiplies the limit by their number but still bounds it.
"""

from __future__ import annotations

import threading
import time
from collections import deque

WINDOW_SECONDS = 15 * 60
PER_NAME = 5
PER_ADDRESS = 20
_MAX_KEYS = 10_000


class SignInThrottle:
    def __init__(
        self,
        per_name: int = PER_NAME,
        per_address: int = PER_ADDRESS,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self._limits = {"name": per_name, "address": per_address}
        self._window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self._window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def wait_seconds(self, name: str, address: str) -> float:
        """0 if a sign-in may be tried now; otherwise how long until the oldest failure ages."""
        now = time.monotonic()
        with self._lock:
            wait = 0.0
            for kind, value in (("name", name.lower()), ("address", address)):
                times = self._recent((kind, value), now)
                if len(times) >= self._limits[kind]:
                    wait = max(wait, times[0] + self._window - now)
            return wait

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > _MAX_KEYS:  # forget the oldest, never grow without bound
                for key in list(self._failures)[: _MAX_KEYS // 10]:
                    del self._failures[key]
            for key in (("name", name.lower()), ("address", address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(("name", name.lower()), None)
