"""Moved to `regionctl.contract.snapshot` (issue 15: the shared contract sits at the bottom of the layers).

Kept only so that branches written before the move still import; new code imports `regionctl.contract.snapshot`.
Remove once those branches have merged.
"""

from regionctl.contract.snapshot import (
    ClusterView,
    EventView,
    FaultView,
    NodeView,
    RegionView,
    ServiceView,
    Snapshot,
    TenantView,
)

__all__ = [
    "ClusterView", "EventView", "FaultView", "NodeView", "RegionView", "ServiceView", "Snapshot", "TenantView",
]
