"""Memory estimates before large allocations: a request that cannot fit is
refused with the estimate and the memory available, instead of dying later
with a MemoryError traceback (or being killed)."""
import os


class MemoryEstimateError(MemoryError):
    """An allocation estimated to exceed the available memory (a user error: the
    message says what was asked, the estimate and what is available)."""


def available_memory():
    """Bytes this process can still allocate: MemAvailable of /proc/meminfo,
    capped by a cgroup memory limit (v2 or v1) when one is set; the free
    physical pages where /proc is absent."""
    avail = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
    except OSError:
        pass
    if avail is None:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                          "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit) as fl, open(usage) as fu:
                text = fl.read().strip()
                if text.isdigit():
                    avail = min(avail, max(0, int(text) - int(fu.read().strip())))
        except (OSError, ValueError):
            continue
    return avail


def gib(nbytes):
    """A byte count in words: "74.5 GiB", "12.0 MiB"."""
    for unit, size in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{int(nbytes)} bytes"


SMALL = 1 << 26  # below 64 MiB nothing is checked (hot loops ask often)


def check_memory(what, nbytes):
    """Refuse ``what`` (e.g. "the couplings of a -> a") if its estimated
    ``nbytes`` exceed the available memory; returns ``nbytes``."""
    if nbytes < SMALL:
        return nbytes
    avail = available_memory()
    if nbytes > avail:
        raise MemoryEstimateError(f"{what} needs about {gib(nbytes)} of memory, but only {gib(avail)} "
                                  "is available")
    return nbytes
