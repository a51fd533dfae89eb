"""The paper's figures and tables (``experiments/``) and its sweep runner
(``experiments/sweep.py``), found and imported for ``neurosim experiment``,
``neurosim sweep`` and the tests.

``experiments/`` is a directory of the repository, not an installed package.
It is found at ``$NEUROSIM_EXPERIMENTS`` if set, else beside the ``neurosim``
package (a source checkout or an editable install), else in the current
directory, and imported by path as the package ``neurosim_experiments`` (a
private name, so it never clashes with another ``experiments`` module).
"""
import importlib
import importlib.util
import os
import sys
from pathlib import Path

PACKAGE = "neurosim_experiments"


def experiments_dir():
    """The ``experiments/`` directory (see the module docstring)."""
    candidates = []
    if os.environ.get("NEUROSIM_EXPERIMENTS"):
        candidates.append(Path(os.environ["NEUROSIM_EXPERIMENTS"]))
    candidates += [Path(__file__).resolve().parent.parent / "experiments", Path.cwd() / "experiments"]
    for path in candidates:
        if (path / "__init__.py").is_file():
            return path
    raise FileNotFoundError("cannot find the experiments/ directory (looked in: "
                            + ", ".join(str(p) for p in candidates)
                            + "); set NEUROSIM_EXPERIMENTS to its path")


def load_experiments():
    """The experiments package, imported once by path."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    where = experiments_dir()
    spec = importlib.util.spec_from_file_location(PACKAGE, where / "__init__.py",
                                                  submodule_search_locations=[str(where)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[PACKAGE]
        raise
    return module


def load_sweep():
    """``experiments/sweep.py`` (its package imported first)."""
    load_experiments()
    return importlib.import_module(f"{PACKAGE}.sweep")


def run_pickled(blob, *args):
    """Worker side of a sweep: ``cloudpickle.loads(blob)`` is ``(function,
    first_argument)``; returns ``function(first_argument, *args)``. Lives here
    because every worker with neurosim installed can import it."""
    import cloudpickle
    fn, first = cloudpickle.loads(blob)
    return fn(first, *args)
