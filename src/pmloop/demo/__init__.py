"""The demo workspace: users for every role and two products, seeded through services only."""

from pmloop.demo.seed import DemoInfo, seed_demo

__all__ = ["DemoInfo", "seed_demo"]
