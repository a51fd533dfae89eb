"""What every ``neurosim`` command shares: a parser whose errors are one line,
flag types that check a value's type, finiteness and range (the message names
the flag, the value and the expected form), the ``--out`` / ``--force`` pair,
and the flags a user wrote on the command line."""
import argparse
import math
import sys

from .engine import MAX_STEPS
from .files import check_output
from .validate import MAX_SEED, bounds_text


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit status 2,
    and which takes flags only by their full name (no abbreviations: a flag
    is what it says, see :func:`given_flags`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

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
        if value is None or (lo is not None and value < lo) or (hi is not None and value > hi):
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
        if (not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi)
                or (above is not None and value <= above)):
            form = bounds_text(lo, hi) if above is None else f" in ({above}, {hi}]" if hi is not None else f" > {above}"
            raise argparse.ArgumentTypeError(f"must be a finite number{form}, got {text!r}")
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


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with the one line that says what was kept."""


def given_flags(args):
    """The destinations of the flags written in ``args.argv`` (``--eta-j 0.1`` or
    ``--eta-j=0.1``: :class:`Parser` takes no abbreviation)."""
    names = {token[2:].split("=", 1)[0].replace("-", "_") for token in args.argv if token.startswith("--")}
    return names & set(vars(args))
