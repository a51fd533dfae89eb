"""The conformance suite of the run contract (``neurosim.testing``), shipped with the package.

* :mod:`~neurosim.testing.cases`: the cases -- every ready topology, partial masks,
  exact ties at h = 0, strong fixed couplings; every update scheme (sync; prob with
  p = 0.5, 0, 1; async) under both tie rules; quantised to integers;
* :mod:`~neurosim.testing.reference`: the plain-numpy reference of Eq. 82;
* :mod:`~neurosim.testing.golden`: its trajectories, stored in ``golden/*.npz``
  (``scripts/make_golden.py`` regenerates them), loaded as :class:`Golden`;
* :mod:`~neurosim.testing.checks`: :func:`assert_same_trajectory` and the
  continuous-time checks; :func:`check_case` runs one case on one backend;
* :mod:`~neurosim.testing.plugin`: the pytest fixtures ``backend`` and
  ``conformance_case``.

Check your own backend (a :class:`neurosim.backends.Backend` subclass)::

    pytest -p neurosim.testing.plugin --pyargs neurosim.testing --neurosim-backend mypackage.module:MyBackend

(``-p`` loads the plugin before the command line is read, for its option;
``pytest --pyargs neurosim.testing`` alone checks every registered backend.)

or, in your own tests, ``pytest_plugins = ["neurosim.testing.plugin"]`` in a
conftest.py (after ``neurosim.backends.register(MyBackend())``) and a test taking
the fixtures ``backend`` and ``conformance_case``, e.g. ``check_case(backend,
conformance_case)``. Without pytest: ``for case in suite_cases(): check_case(b, load(case))``.
"""
from .cases import ALL_CASES, CASES, QUICK, TOPOLOGY_CASES, Case, masked_network, suite_cases, tie_network
from .checks import assert_agree, assert_same_trajectory, assert_settled_fixed_points, check_case
from .golden import Golden, load

__all__ = ["ALL_CASES", "TOPOLOGY_CASES", "CASES", "QUICK", "Case", "masked_network", "tie_network", "suite_cases",
           "assert_same_trajectory", "assert_settled_fixed_points", "assert_agree", "check_case", "Golden", "load"]
