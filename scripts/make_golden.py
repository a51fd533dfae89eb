#!/usr/bin/env python3
"""Regenerate the golden trajectories of the conformance suite (neurosim/testing/golden/*.npz)
from the plain-numpy reference, or check them.

    python scripts/make_golden.py            # rewrite the shipped files
    python scripts/make_golden.py --check    # compare only; exit status 1 when a file differs

See neurosim/testing/golden.py; tests/test_backends.py checks that the stored files
equal a fresh reference run.
"""
import sys

from neurosim.testing.golden import main

if __name__ == "__main__":
    sys.exit(main())
