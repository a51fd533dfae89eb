"""Files neurosim writes: the one atomic writer, and the checks an output path
gets before any work is done.

A file is written to a temp file beside its target, named
``.<name>.<pid>-<random>.tmp``, and renamed into place only when complete, so
an interrupted run never leaves half a file. A writer killed outright (SIGKILL,
power loss) leaves its temp file behind: the next write to the same path
removes every such file whose writing process is gone.
"""
import contextlib
import errno
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path, overwrite=True):
    """Yield a temp path beside ``path``; when the block ends without an error
    the temp file is flushed to disk, given the final mode (the replaced file's,
    else 0o666 less the umask) and renamed onto ``path``. With
    ``overwrite=False`` an existing ``path`` raises FileExistsError (checked
    atomically). On any error the temp file is removed and ``path`` is left as
    it was."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "no such directory", directory)
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=_temp_prefix(path) + f"{os.getpid()}-", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode(path))
        _publish(tmp, path, overwrite)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _temp_prefix(path):
    return f".{os.path.basename(path)}."


def remove_stale_temps(path):
    """Remove the temp files of earlier writes to ``path`` whose process is gone;
    returns their names."""
    directory = os.path.dirname(os.path.abspath(path))
    prefix = _temp_prefix(path)
    removed = []
    for name in os.listdir(directory):
        if name.startswith(prefix) and name.endswith(".tmp") and not _writer_alive(name[len(prefix):]):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(directory, name))
                removed.append(name)
    return removed


def _writer_alive(tail):
    """Whether the process named in a temp file's ``<pid>-<random>.tmp`` tail
    still runs (a name without a pid is an older neurosim's: stale)."""
    pid = tail.split("-", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:         # another user's process
        return True
    return True


def _file_mode(path):
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def exists_error(path):
    return FileExistsError(errno.EEXIST, "file exists (pass overwrite=True to replace it)", path)


def _publish(tmp, path, overwrite):
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)          # atomic "create only if absent"
    except FileExistsError:
        raise exists_error(path) from None
    except OSError:                 # no hard links on this file system
        if os.path.exists(path):
            raise exists_error(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def check_output(path, force=False, flag="--out", keep=None):
    """Check, before any work, that ``path`` can be written: a non-empty path
    that is not a directory, in an existing directory where a file can be
    created. An existing file is refused unless ``force`` (``keep`` names the
    other way to accept it, e.g. "--resume to continue it"). Raises ValueError,
    FileExistsError or FileNotFoundError with a one-line message; returns the
    path as a string."""
    if path is None or not os.fspath(path):
        raise ValueError(f"{flag} must name a file, got {path!r}")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{flag} {path!r} is a directory: give a file name")
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{flag} {path!r}: the directory {directory!r} does not exist")
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=_temp_prefix(path) + f"{os.getpid()}-", suffix=".tmp")
    except OSError as e:
        raise ValueError(f"{flag} {path!r}: cannot create a file in {directory!r} ({e.strerror})") from None
    os.close(fd)
    os.unlink(probe)
    if os.path.lexists(path) and not force:
        other = f" (or {keep})" if keep else ""
        raise FileExistsError(f"{flag} {path!r} exists: pass --force to replace it{other}")
    return path
