"""Network tracking: how many requests and bytes a block of code causes, without root by default."""

from pytest_nwb_benchmarks.nwb.network._tracker import (
    METHODS,
    NetworkTracker,
    TrackingPlan,
    network_activity_tracker,
    network_statistics_result,
    plan_network_tracking,
    selected_method,
)

__all__ = [
    "METHODS",
    "NetworkTracker",
    "TrackingPlan",
    "network_activity_tracker",
    "plan_network_tracking",
    "selected_method",
    "network_statistics_result",
]
