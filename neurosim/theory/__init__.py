"""Pure-math companions of the paper (arXiv 004, "Dynamical learning in deep
asymmetric recurrent neural networks") and of the local-entropy paper 000:

* :mod:`.special` - ``H(x) = erfc(x/sqrt2)/2`` and ``log H``;
* :mod:`.annealed` - annealed entropy of fixed points of an ``L``-layer chain
  (transfer matrix, brute force, closed forms; Eqs. 17-27, 3);
* :mod:`.stability` - replica-symmetric stability coefficient (Eqs. 49-57);
* :mod:`.convergence` - ``J_D = sqrt(2 ln N)`` bound and exact Gaussian maxima
  (Eqs. 29-31);
* :mod:`.local_entropy` - local-entropy free energy, internal and external
  entropies, ``y*(d)``, critical ``J_D`` and ``lambda`` (Eqs. 7-9, 73-81);
* :mod:`.perceptron` - RS entropy and capacity of the binary perceptron (000).
"""
from .annealed import (annealed_entropy, annealed_entropy_brute_force, annealed_entropy_l1,
                       annealed_entropy_l2, transfer_matrix)
from .convergence import (convergence_threshold, exceedance_probability, expected_max_bound,
                          expected_max_gaussian, union_bound)
from .local_entropy import (FIG4_CASES, LocalEntropy, critical_lambda, critical_self_coupling, external_entropy,
                            internal_entropy, internal_entropy_curve, internal_entropy_min_slope,
                            local_entropy_at_y_star, local_entropy_point, local_free_energy, y_star)
from .perceptron import perceptron_capacity, perceptron_entropy, perceptron_saddle_point
from .special import H, gauss_hermite, log_H
from .stability import (rs_free_entropy, rs_quadratic_form, rs_quadratic_form_numeric,
                        rs_stability_coefficient, rs_stability_l1, rs_stability_l2, rs_stability_numeric)

__all__ = [
    "H", "log_H", "gauss_hermite",
    "annealed_entropy", "annealed_entropy_brute_force", "annealed_entropy_l1", "annealed_entropy_l2",
    "transfer_matrix",
    "rs_stability_l1", "rs_stability_l2", "rs_stability_coefficient", "rs_quadratic_form",
    "rs_free_entropy", "rs_quadratic_form_numeric", "rs_stability_numeric",
    "convergence_threshold", "union_bound", "exceedance_probability", "expected_max_gaussian",
    "expected_max_bound",
    "FIG4_CASES", "LocalEntropy", "local_entropy_point", "local_free_energy", "internal_entropy", "external_entropy",
    "y_star", "local_entropy_at_y_star", "internal_entropy_curve", "internal_entropy_min_slope",
    "critical_self_coupling", "critical_lambda",
    "perceptron_entropy", "perceptron_saddle_point", "perceptron_capacity",
]
