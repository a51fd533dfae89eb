"""What every ``neurosim`` command shares: a parser whose errors are one line
and whose help shows every default, flag types that check a value's type,
finiteness and range (the message names the flag, the value and the expected
form), the flags of the shared vocabulary (topology, ``--out`` / ``--force``,
``--json``), the flags a user wrote on the command line, and the output of a
summary."""
import argparse
import json
import math
import signal
import sys
import threading
import time

import numpy as np

from ..engine import MAX_STEPS
from ..files import check_output
from ..validate import MAX_SEED, bounds_text, in_bounds


class Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help with ``(default: ...)`` after every option that has a default value
    its help text does not already state."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit status 2,
    which takes flags only by their full name (no abbreviations: a flag is what
    it says, see :func:`given_flags`), and takes the deprecated spellings of
    :meth:`alias` with a note on stderr."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)
        self.aliases = {}

    def alias(self, old, new):
        """Accept flag ``old`` as a hidden, deprecated spelling of flag ``new``."""
        self.aliases[old] = new

    def parse_known_args(self, args=None, namespace=None):
        words = []
        for word in sys.argv[1:] if args is None else args:
            flag, eq, value = word.partition("=")
            if flag in self.aliases:
                print(f"{self.prog}: {flag} is deprecated, use {self.aliases[flag]}", file=sys.stderr)
                word = self.aliases[flag] + eq + value
            words.append(word)
        namespace, rest = super().parse_known_args(words, namespace)
        given = {self._option_string_actions[w.partition("=")[0]].dest for w in words
                 if w.partition("=")[0] in self._option_string_actions}
        namespace.given = getattr(namespace, "given", set()) | given
        return namespace, rest

    def error(self, message):
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def integer(lo=None, hi=None):
    """A flag type: an integer in [lo, hi]."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not in_bounds(value, lo, hi):
            raise argparse.ArgumentTypeError(f"must be an integer{bounds_text(lo, hi)}, got {text!r}")
        return value
    return parse


def number(lo=None, hi=None, above=None):
    """A flag type: a finite number in [lo, hi], or > ``above``."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not in_bounds(value, lo, hi, above):
            raise argparse.ArgumentTypeError(f"must be a finite number{bounds_text(lo, hi, above)}, got {text!r}")
        return value
    return parse


COUNT = integer(lo=1)          # sizes, batches, epochs
STEPS = integer(lo=0)          # step counts, sample counts where 0 means none
SEED = integer(lo=0, hi=MAX_SEED)
BUDGET = integer(lo=0, hi=MAX_STEPS)  # --max-steps
UNIT = number(lo=0.0, hi=1.0)  # probabilities and densities
NONNEG = number(lo=0.0)
POSITIVE = number(above=0.0)
REAL = number()


def add_out(p, help, keep=None):
    """``--out FILE`` and ``--force`` (replace an existing FILE). ``keep`` names
    another flag that accepts an existing file (train: --resume)."""
    p.add_argument("--out", help=help + "; an existing file is refused unless --force"
                                 + (f" (or {keep})" if keep else ""))
    p.add_argument("--force", action="store_true", help="replace an existing --out file")


def out_path(args, keep=None, keep_existing=False):
    """``args.out`` checked before any work (:func:`neurosim.files.check_output`),
    or None when no --out was given. ``keep_existing``: the file is meant to be
    continued (``keep`` names the flag that said so)."""
    if args.out is None:
        return None
    return check_output(args.out, force=args.force or keep_existing, keep=keep)


def add_json(p):
    """``--json``: the summary as one JSON object on the last line of stdout."""
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")


def add_batch(p, default, help):
    """``--batch-size`` (``--batch``: deprecated)."""
    p.add_argument("--batch-size", type=COUNT, default=default, help=help)
    p.alias("--batch", "--batch-size")


def add_mode(p, modes=("sync", "prob", "async"), help="update rule of the discrete engine"):
    """``--mode`` and ``--p``, the update probability of mode prob."""
    p.add_argument("--mode", choices=modes, default="sync", help=help)
    p.add_argument("--p", type=UNIT, default=0.5, help="update probability of mode prob")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with the one line that says what was kept."""


class CtrlC:
    """Ctrl-C that cannot be lost, as a context manager. Python raises
    KeyboardInterrupt wherever the main thread is; when that is inside a ctypes
    callback (numba compiling a kernel through llvmlite), ctypes prints it as
    unraisable and drops it, the command would run on, and numba may then fail
    on the half-built kernel. Inside the block SIGINT sets ``pressed``, raises
    KeyboardInterrupt and raises it again every ``repeat_s`` seconds until the
    block is left; unraisable KeyboardInterrupts are not printed. Outside the
    main thread, or under a SIGINT handler of the caller's, nothing changes."""

    def __init__(self, repeat_s=0.5):
        self.repeat_s, self.pressed, self.active = repeat_s, False, False
        self._left, self._sending = threading.Event(), threading.Lock()

    def _again(self):
        with self._sending:
            if not self._left.is_set():
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    def _handler(self, signum, frame):
        if self._left.is_set():           # a repeat sent just before the block was left
            return
        self.pressed = True
        timer = threading.Timer(self.repeat_s, self._again)
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    def _unraisable(self, info):
        if not isinstance(info.exc_value, KeyboardInterrupt):
            self._hook(info)

    def __enter__(self):
        self.active = (threading.current_thread() is threading.main_thread()
                       and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        if self.active:
            self._hook, sys.unraisablehook = sys.unraisablehook, self._unraisable
            signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self.active:
            with self._sending:
                self._left.set()
            if self.pressed:              # only a press starts repeats: one already on its way lands here
                time.sleep(0.05)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            sys.unraisablehook = self._hook
        return False


def given_flags(args):
    """The destinations of the flags written on the command line (``--eta-j 0.1``
    or ``--eta-j=0.1``, or a deprecated spelling: :class:`Parser` records them)."""
    return args.given & set(vars(args))


def plain(value):
    """``value`` for ``json.dumps``: numpy arrays and scalars as lists and numbers,
    anything else as its text."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def emit(summary, as_json, lines):
    """Print ``summary`` as one JSON line, or the text ``lines``."""
    if as_json:
        print(json.dumps(summary, default=plain))
    else:
        print("\n".join(lines))


def add_topology_args(p, n=1000, rho=0.01, j_d=0.5):
    """The flags of :func:`build_topology`; a default of None is the training
    protocol's (Table VI)."""
    def preset(help, default):
        return help if default is not None else help + " (default: Table VI of the protocol)"
    p.add_argument("--topology", default="core", help="ready topology (neurosim.topologies): core, chain, ...")
    p.add_argument("--n", type=COUNT, default=n, help=preset("neurons per layer (local: the grid has about n pixels)", n))
    p.add_argument("--layers", type=COUNT, default=3, help="layers of chain-like topologies")
    p.add_argument("--rho", type=UNIT, default=rho, help=preset("density of the learnable couplings", rho))
    p.add_argument("--j-d", type=NONNEG, default=j_d, help=preset("self-coupling J_D", j_d))
    p.add_argument("--lam", type=NONNEG, default=1.0, help="chain coupling lambda between adjacent layers")
    p.add_argument("--seed", type=SEED, default=0, help="seed of every random draw")


def build_topology(args, **extra):
    """A topology from CLI arguments: only the parameters its function accepts."""
    from ..topologies import TOPOLOGIES, parameters
    if args.topology not in TOPOLOGIES:
        raise ValueError(f"unknown topology {args.topology!r}; known: {', '.join(sorted(TOPOLOGIES))}")
    side = int(round(np.sqrt(args.n)))
    given = dict(n=args.n, layers=args.layers, rho=args.rho, j_d=args.j_d, lam=args.lam, seed=args.seed,
                 height=side, width=side, **extra)
    accepted = parameters(args.topology)
    return TOPOLOGIES[args.topology](**{k: v for k, v in given.items() if k in accepted})


def random_inputs(args):
    """The compiled topology of ``args`` and its ``--batch-size`` random +-1 inputs."""
    from ..compiled import compile
    net = build_topology(args, lam_x=args.lam_x, **({} if args.topology == "local" else {"input_dim": args.input_dim}))
    cn = compile(net)
    return cn, np.random.default_rng(args.seed).choice([-1.0, 1.0], size=(args.batch_size, cn.input_dim))


def add_inputs(p, batch):
    """The flags of :func:`random_inputs` beside the topology's."""
    add_topology_args(p)
    add_batch(p, batch, "random inputs relaxed together")
    p.add_argument("--input-dim", type=COUNT, default=100, help="dimension of the random +-1 inputs")
    p.add_argument("--lam-x", type=NONNEG, default=1.0, help="input field strength lambda_x")
