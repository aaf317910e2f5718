"""pmloop — the product owner's whole loop, self-hosted."""

__version__ = "0.1.0"
