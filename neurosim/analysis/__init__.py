"""Analysis tools that work on any compiled network: fixed points and their
entropy, landscape geometry, representations, symmetry, local entropy,
hetero-association capacity."""
from .capacity import (CapacityFit, HeteroCapacity, fit_capacity, hetero_capacity, hetero_network,
                       hetero_overlaps, hetero_trial, learned, o5)
from .fixed_point_entropy import (FixedPointEntropy, core_entropy, count_fixed_points, empirical_entropy,
                                  expected_fixed_points, finite_n_annealed_entropy)
from .fixed_points import enumerate_fixed_points, margins
from .hamming import hamming, overlap, pairwise_hamming
from .landscape import (Displacement, InterpolationPath, attractor_displacement, flip_noise, interpolated_inputs,
                        interpolation_path, pair_curvatures, path_curvature, stable_states, trajectory_distances)
from .local_entropy import LocalEntropyProfile, local_entropy_profile
from .representations import (QDyn, Similarity, back_targets, inference_states, label_block_means,
                              mean_similarity, q_dyn, representation_similarity, shift_by_common_mean,
                              similarity_matrix)
from .symmetry import symmetric_antisymmetric_norms, symmetry_level

__all__ = [name for name in dir() if not name.startswith("_")]
