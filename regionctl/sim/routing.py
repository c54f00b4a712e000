"""How clients find the leader again after a failover: DNS TTLs, health checks, proxies.

A client group moves from its old target to the new one over a window; within the
window the share of requests reaching the new target grows linearly (clients'
caches expire uniformly). This is what makes RTO longer than the promotion.
"""

from __future__ import annotations

from dataclasses import dataclass

# Route 53 style: a health check every 30 s, 3 failures before the record flips (REFERENCE.md).
HEALTH_CHECK_INTERVAL = 30.0
HEALTH_CHECK_FAILURES = 3
# HAProxy-style: check every 2 s, a server is up again after 2 good checks.
PROXY_CHECK_INTERVAL = 2.0
PROXY_RISE = 2
# A topology-aware driver retries after a short backoff and finds the new leader itself.
CLIENT_RETRY = 1.0


@dataclass(slots=True)
class Route:
    target: str | None
    old: str | None = None
    start: float = 0.0
    end: float = 0.0

    def share_new(self, now: float) -> float:
        """Share of requests that reach `target` (the rest still reach `old`)."""
        if self.old is None or now >= self.end:
            return 1.0
        if now < self.start:
            return 0.0
        return (now - self.start) / (self.end - self.start) if self.end > self.start else 1.0

    def settle(self, now: float) -> None:
        if self.old is not None and now >= self.end:
            self.old = None


def switch_window(routing: str, dns_ttl: float, promoted_at: float, lost_at: float) -> tuple[float, float]:
    """(start, end) of the clients' move to a leader promoted at `promoted_at`."""
    if routing == "dns":
        return promoted_at, promoted_at + dns_ttl
    if routing == "health-check-dns":
        flip = max(promoted_at, lost_at + HEALTH_CHECK_INTERVAL * HEALTH_CHECK_FAILURES)
        return flip, flip + dns_ttl
    if routing == "proxy":
        ready = promoted_at + PROXY_CHECK_INTERVAL * PROXY_RISE
        return ready, ready
    return promoted_at + CLIENT_RETRY, promoted_at + CLIENT_RETRY
