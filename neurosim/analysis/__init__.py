"""Analysis tools that work on any compiled network."""
from .fixed_points import enumerate_fixed_points, margins

__all__ = ["enumerate_fixed_points", "margins"]
