"""The numba reference engine."""
from .relax import (MAX_STEPS, MODES, PhasesResult, RelaxResult, check_tie, count_unstable, is_fixed_point,
                    local_fields, relax, relax_phases, sign)

__all__ = ["RelaxResult", "PhasesResult", "relax", "relax_phases", "local_fields", "is_fixed_point", "sign",
           "count_unstable", "check_tie", "MODES", "MAX_STEPS"]
