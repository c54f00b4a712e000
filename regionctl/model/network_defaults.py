"""Default round-trip times for region pairs a topology does not list.

Figures and their sources: docs/reference.md. Region names are the user's own, so a pair is
matched by geography words in the names (`us-east`, `eu-west-1`, `ap-southeast`...);
what cannot be matched falls back to a same-continent or cross-continent figure.
"""

from __future__ import annotations

# (area, area) -> RTT seconds. Source: acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html
_KNOWN: dict[frozenset[str], float] = {
    frozenset({"us-east", "eu-west"}): 0.080,
    frozenset({"us-east", "us-west"}): 0.087,
    frozenset({"eu-west", "eu-central"}): 0.020,
    frozenset({"eu-west", "ap-northeast"}): 0.212,
    frozenset({"eu-west", "ap-southeast"}): 0.239,
    frozenset({"us-east", "ap-southeast"}): 0.230,
    # etcd.io/docs/v3.5/tuning/: US ~ Japan 350-400 ms (lower bound taken).
    frozenset({"us-east", "ap-northeast"}): 0.350,
}
# Derived: midpoint of Azure's within-continent range (NA 5-72 ms, EU 3-28 ms).
SAME_CONTINENT_RTT = 0.040
# Derived: between the published transatlantic (80 ms) and Europe~Asia (212-239 ms) figures.
CROSS_CONTINENT_RTT = 0.150
# AWS availability zones: 0.25-3.4 ms (xkyle.com/Measuring-AWS-Region-and-AZ-Latency/).
DEFAULT_ZONE_RTT = 0.001
DEFAULT_LOCAL_RTT = 0.0005

_CONTINENTS = {"us": "na", "ca": "na", "na": "na", "eu": "eu", "ap": "asia", "asia": "asia",
               "sa": "sa", "af": "af", "me": "me", "au": "oc", "oc": "oc"}


def _area(region: str) -> str:
    parts = region.lower().replace("_", "-").split("-")
    if len(parts) >= 2:
        return f"{parts[0]}-{parts[1]}"
    return parts[0]


def _continent(region: str) -> str | None:
    return _CONTINENTS.get(region.lower().split("-")[0])


def default_rtt(a: str, b: str) -> tuple[float, str]:
    """RTT seconds for an unlisted region pair, and where the figure comes from."""
    if a == b:
        return DEFAULT_LOCAL_RTT, "same region"
    known = _KNOWN.get(frozenset({_area(a), _area(b)}))
    if known is not None:
        return known, "published AWS inter-region figure (docs/reference.md)"
    ca, cb = _continent(a), _continent(b)
    if ca is not None and ca == cb:
        return SAME_CONTINENT_RTT, "same-continent default (derived, docs/reference.md)"
    return CROSS_CONTINENT_RTT, "cross-continent default (derived, docs/reference.md)"
