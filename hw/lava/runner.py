"""Run Lava in a worker subprocess under a hard wall-clock timeout.

A Lava runtime forks one process per ProcessModel plus a shared-memory manager; an
exception in a child (a builder error, a failing model) can leave the parent
waiting forever and leak shared memory. neurosim therefore never runs Lava in the
caller's process: :class:`LavaWorker` starts ``python -m neurosim.hw.lava._worker``
in a new session (its own process group), sends it requests (pickled, length-framed,
over its stdin/stdout) and waits for each answer with a deadline. On a timeout, an
error or an exit, it

1. notes the ``/dev/shm`` segments the worker's processes have mapped,
2. kills the whole process group (SIGKILL),
3. unlinks those segments,

and raises :class:`LavaTimeoutError` or :class:`LavaRunError` with the tail of the
worker's stderr. The worker itself calls ``stop()`` in ``finally`` and exits when its
parent disappears.
"""
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time

HEADER = struct.Struct(">Q")


class LavaRunError(RuntimeError):
    """A Lava run failed; the message carries the worker's traceback / stderr."""


class LavaTimeoutError(LavaRunError, TimeoutError):
    """A Lava run exceeded its wall-clock timeout; the worker was killed."""


def _group_pids(pgid):
    """Pids of the live processes in process group ``pgid`` (Linux /proc)."""
    out = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _shm_segments(pids):
    """Names of the /dev/shm files mapped by ``pids``."""
    names = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/maps", "rb") as f:
                for line in f:
                    i = line.find(b"/dev/shm/")
                    if i >= 0:
                        path = line[i:].split(b" (deleted)")[0].strip().decode(errors="replace")
                        names.add(os.path.basename(path))
        except OSError:
            continue
    return names


def group_alive(pgid):
    """True while any process of group ``pgid`` is alive (zombies excluded)."""
    return bool(_group_pids(pgid))


class LavaWorker:
    """A worker subprocess that owns one Lava graph. Use as a context manager::

        with LavaWorker(timeout=60) as w:
            w.call("build", spec=spec, record=T)
            out = w.call("relax", steps=T)

    ``timeout`` bounds the whole session (seconds, wall clock); ``call`` may pass a
    shorter one. Any failure kills the worker's process group and raises."""

    def __init__(self, timeout=120.0):
        self.timeout = float(timeout)
        if not self.timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        self.proc = None
        self.pgid = None
        self.deadline = None
        self.leaked_shm = set()
        self._stderr = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self):
        self._stderr = tempfile.TemporaryFile()
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.deadline = time.monotonic() + self.timeout
        self.proc = subprocess.Popen([sys.executable, "-m", "neurosim.hw.lava._worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._stderr, start_new_session=True,
                                     env=env, close_fds=True)
        self.pgid = self.proc.pid
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.close(graceful=exc_type is None)
        return False

    def __del__(self):
        # a worker nobody closed: kill its group (it also kills itself when its parent exits)
        try:
            if self.proc is not None and self.proc.poll() is None:
                self._kill()
        except Exception:
            pass

    def close(self, graceful=True):
        """Ask the worker to exit (graceful), then make sure its whole group is gone."""
        if self.proc is None:
            return
        try:
            if graceful and self.proc.poll() is None:
                try:
                    self._send(("exit", {}), min(5.0, self._left()))
                    self.proc.wait(timeout=max(0.1, min(10.0, self._left())))
                except (OSError, LavaRunError, subprocess.TimeoutExpired):
                    pass
        finally:
            self._kill()

    def _kill(self):
        pids = _group_pids(self.pgid)
        shm = _shm_segments(pids)
        if pids:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        end = time.monotonic() + 5.0
        while _group_pids(self.pgid) and time.monotonic() < end:
            time.sleep(0.02)
        for name in shm:
            path = os.path.join("/dev/shm", name)
            try:
                os.unlink(path)
                self.leaked_shm.add(name)
            except FileNotFoundError:
                pass
            except OSError:
                pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    # -- messaging --------------------------------------------------------------------
    def _left(self):
        return max(0.0, self.deadline - time.monotonic())

    def stderr_tail(self, limit=4000):
        if self._stderr is None:
            return ""
        try:
            self._stderr.flush()
            size = self._stderr.seek(0, os.SEEK_END)
            self._stderr.seek(max(0, size - limit))
            return self._stderr.read().decode(errors="replace")
        except (OSError, ValueError):
            return ""

    def _send(self, msg, timeout):
        data = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        data = HEADER.pack(len(data)) + data
        fd = self.proc.stdin.fileno()
        end = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            left = end - time.monotonic()
            if left <= 0:
                raise LavaTimeoutError("timed out sending a request to the Lava worker")
            _, w, _ = select.select([], [fd], [], left)
            if not w:
                continue
            try:
                k = os.write(fd, view[:1 << 16])
            except BrokenPipeError:
                raise LavaRunError("the Lava worker exited unexpectedly") from None
            view = view[k:]

    def _read_exact(self, k, end):
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        while len(buf) < k:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, k - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)

    def call(self, op, timeout=None, **kwargs):
        """Send request ``op`` and wait for its answer; a failure closes the worker."""
        if self.proc is None:
            raise LavaRunError("the Lava worker is not running (use it as a context manager)")
        limit = self._left() if timeout is None else min(float(timeout), self._left())
        end = time.monotonic() + limit
        try:
            self._send((op, kwargs), limit)
            head = self._read_exact(HEADER.size, end)
            body = None if head is None else self._read_exact(HEADER.unpack(head)[0], end)
        except EOFError:
            self._kill()
            raise LavaRunError(f"the Lava worker died during {op!r} (exit code {self.proc.returncode}); "
                               f"its stderr ends with:\n{self.stderr_tail()}") from None
        except LavaRunError as exc:
            self._kill()
            cls = LavaTimeoutError if isinstance(exc, LavaTimeoutError) else LavaRunError
            raise cls(f"{exc} during {op!r}; worker stderr ends with:\n{self.stderr_tail()}") from None
        if body is None:
            self._kill()
            removed = f", {len(self.leaked_shm)} shared-memory segments removed" if self.leaked_shm else ""
            raise LavaTimeoutError(
                f"Lava {op!r} did not finish within {limit:.1f} s (the session timeout is {self.timeout:g} s); "
                f"the worker and all its processes were killed{removed}. Worker stderr ends with:\n"
                f"{self.stderr_tail()}")
        status, payload = pickle.loads(body)
        if status != "ok":
            self._kill()
            raise LavaRunError(f"Lava {op!r} failed in the worker:\n{payload}\nworker stderr ends with:\n"
                               f"{self.stderr_tail(2000)}")
        return payload
