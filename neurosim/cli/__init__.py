"""The ``neurosim`` command line: one module per command group.

    simulate, info, demo     neurosim.cli.simulate      the discrete engine
    train, eval              neurosim.cli.train         Algorithm 1 and its checkpoints
    continuous               neurosim.cli.continuous    continuous-time dynamics and learning
    theory                   neurosim.cli.theory        the paper's analytic results
    hw, export               neurosim.cli.hw            neuromorphic estimate and Lava export
    experiment, sweep        neurosim.cli.experiments   the paper's figures, Dask sweeps

Every command prints a human-readable summary, or with ``--json`` one JSON
object on the last line of stdout; a bad value or file is one line on stderr
and exit status 2. Each command has one home: ``simulate`` runs the discrete
engine only and ``continuous simulate`` / ``continuous train`` the
continuous-time dynamics only.

One vocabulary (:mod:`neurosim.cli.common`): the same thing has the same flag
and default in every command.

* ``--j-d`` is the self-coupling J_D (``theory`` took ``--jd``);
* ``--batch-size`` is the number of samples handled together (``simulate``,
  ``demo``, ``continuous simulate`` and ``export lava`` took ``--batch``);
* ``--p``, the update probability of mode prob, defaults to 0.5 everywhere
  (``train`` had 1.0, where mode prob equals sync);
* ``--rule`` is the plasticity rule variant (asym, sym1, sym2; ``train`` took
  ``--variant``, ``continuous train`` ``--rule-variant``) and ``--dynamics`` the
  continuous-time dynamics (hard, tanh, poisson; ``continuous`` took
  ``--variant``).

The old spellings still work, hidden, with a deprecation note on stderr
(:meth:`neurosim.cli.common.Parser.alias`). Help shows every default.
"""
import sys

from ..datasets.core import DatasetError
from . import continuous, experiments, hw, simulate, theory, train
from .common import CtrlC, Parser

DESCRIPTION = ("neurosim: event-driven simulation, local learning (Algorithm 1), continuous-time dynamics, "
               "analytic theory and neuromorphic export of recurrent networks of binary neurons. Every command "
               "prints a summary, or with --json one JSON object on the last line of stdout.")


def make_parser():
    """The ``neurosim`` parser with every command group."""
    parser = Parser(prog="neurosim", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (simulate, train, continuous, theory, hw, experiments):
        group.register(sub)
    return parser


USER_ERRORS = (ValueError, OSError, MemoryError, DatasetError)
"""What a user's input or environment causes (bad values, files, memory): one
line on stderr and exit status 2, never a traceback."""


def main(argv=None):
    """Run the command in ``argv`` (default: ``sys.argv[1:]``); returns its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command, ctrl_c = "neurosim", CtrlC()
    try:
        parser = make_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        args.argv, command = argv, f"neurosim {args.command}"
        with ctrl_c:
            return args.func(args)
    except KeyboardInterrupt as exc:
        print(f"{command}: interrupted{f': {exc}' if str(exc) else ''}", file=sys.stderr)
        return 130
    except Exception as exc:
        if ctrl_c.pressed:                # what failed after Ctrl-C (numba on a half-built kernel)
            print(f"{command}: interrupted", file=sys.stderr)
            return 130
        if not isinstance(exc, USER_ERRORS):
            raise
        if isinstance(exc, MemoryError) and not str(exc):
            exc = "out of memory"
        print(f"{command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
