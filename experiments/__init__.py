"""One module per figure or table of the paper (DESIGN.md section 3).

Each implemented experiment is ``experiments/<name>.py`` with

    run(quick: bool = True, out_dir: Path = ".", **overrides) -> dict

which writes ``<out_dir>/<name>.h5`` (raw results), ``<name>.png`` (the figure)
and ``<name>.md`` (a short summary with the paper's numbers beside ours), and
returns the numbers (see ``_common.result``). ``overrides`` replace single
parameters of the quick or full setting (unknown names are errors).

This directory is not an installed package: ``neurosim experiment`` loads it by
path (see ``neurosim/experiments.py``), so it is importable from a source
checkout or an editable install, or from ``$NEUROSIM_EXPERIMENTS``.
"""
import importlib

#: Implemented experiments: name -> what the paper shows there.
IMPLEMENTED = {
    "fig2": "test accuracy vs trainable parameters, core module vs binarised MLP (main text, Fig. 2; SM-D)",
    "fig3": "2-layer ensemble accuracy vs J_D (lambda = 0) and vs lambda (J_D = 0) (main text, Fig. 3)",
    "fig4": "internal entropy of the dense region around the reference vs distance (End Matter, Fig. 4)",
    "fig5": "annealed entropy of fixed points, two-layer chain (SM-A, Fig. 5)",
    "fig7": "full vs approximate training over J_D (SM-C, Fig. 7)",
    "fig8": "trained core vs random features vs reservoir over N (SM-D, Fig. 8)",
    "fig9": "hetero-association capacity vs N for chain depths L (SM-D, Fig. 9)",
    "fig10": "asym / sym0 / sym1 / sym2 accuracy at J_D = 0, 0.5 (SM-E, Fig. 10)",
    "fig11": "symmetry level (Eq. 94) of J during training, asym and sym0 init (SM-F, Fig. 11)",
    "fig12": "path curvature and attractor displacement before/after training (SM-G, Fig. 12)",
    "fig13": "normalised distances along interpolated trajectories before/after training (SM-G, Fig. 13)",
    "fig14": "accuracy vs J_D for several N (SM-G, Fig. 14)",
    "fig15": "similarity matrices of internal representations before/after training (SM-H, Fig. 15)",
    "table7": "q_dyn overlap of s' and s* during training (SM-H, Table VII)",
    "capacity": "binary perceptron capacity alpha_c(kappa) (paper 000)",
    "continuous": "continuous-time vs discrete-time training of the same core module (main text, neurosim.continuous)",
}

#: Named in DESIGN / the issue but not written yet: name -> what it needs.
PLANNED = {}


def names():
    return sorted(IMPLEMENTED)


def get(name):
    """The module of experiment ``name``."""
    if name in PLANNED:
        raise ValueError(f"experiment {name!r} is not implemented yet: {PLANNED[name]}")
    if name not in IMPLEMENTED:
        raise ValueError(f"unknown experiment {name!r}; implemented: {', '.join(names())}; "
                         f"planned: {', '.join(sorted(PLANNED))}")
    return importlib.import_module(f"{__name__}.{name}")


def run(name, quick=True, out_dir=".", **overrides):
    """Run experiment ``name`` and return its result dict."""
    from pathlib import Path
    return get(name).run(quick=quick, out_dir=Path(out_dir), **overrides)
