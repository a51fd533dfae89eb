"""One line on stderr while numba compiles neurosim's kernels.

numba compiles a kernel the first time it runs with new argument types, which takes
up to a minute for the engine, and stores the machine code in its on-disk cache
(``cache=True``), from which later processes load it in a fraction of a second. numba
announces each real compilation (not a load from the cache) with a ``numba:compile``
event; the first such event for a neurosim function prints the notice, at most once
per process. With a warm cache nothing compiles and nothing is printed.
"""
import sys

from numba.core import event

NOTICE = ("neurosim: compiling numba kernels for their first use (up to a minute; "
          "numba caches them on disk for later runs)")


class _CompileNotice(event.Listener):
    def __init__(self):
        self.shown = False

    def on_start(self, ev):
        module = getattr(ev.data["dispatcher"].py_func, "__module__", None) or ""
        if not self.shown and module.startswith("neurosim."):
            self.shown = True
            print(NOTICE, file=sys.stderr, flush=True)

    def on_end(self, ev):
        pass


def install():
    """Listen to numba's compilations for the rest of the process."""
    event.register("numba:compile", _CompileNotice())
