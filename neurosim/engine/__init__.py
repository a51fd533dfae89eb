"""The numba reference engine."""
from .relax import PhasesResult, RelaxResult, is_fixed_point, local_fields, relax, relax_phases, sign

__all__ = ["RelaxResult", "PhasesResult", "relax", "relax_phases", "local_fields", "is_fixed_point", "sign"]
