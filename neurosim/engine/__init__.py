"""The numba reference engine."""
from .relax import RelaxResult, is_fixed_point, local_fields, relax

__all__ = ["RelaxResult", "relax", "local_fields", "is_fixed_point"]
