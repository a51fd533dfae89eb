"""Where the loaders look for data files.

Search order (the first directory holding a complete copy wins):

1. an explicit ``data_dir=`` argument -- if given, it is the only place searched;
2. the ``NEUROSIM_DATA`` environment variable (one directory, or several
   separated by ``os.pathsep``);
3. the user cache ``$XDG_CACHE_HOME/neurosim`` (default ``~/.cache/neurosim``);
4. data-set specific system directories, e.g. Debian's
   ``/usr/share/datasets/fashion-mnist/`` (package ``dataset-fashion-mnist``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_VAR", "cache_dir", "search_dirs", "default_data_dir"]

ENV_VAR = "NEUROSIM_DATA"


def cache_dir() -> Path:
    """The per-user cache directory ``~/.cache/neurosim`` (honours ``XDG_CACHE_HOME``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "neurosim"


def search_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Directories to search, in order: ``[data_dir]`` alone, else ``NEUROSIM_DATA`` then the cache."""
    if data_dir is not None:
        return [Path(data_dir).expanduser()]
    dirs = [Path(p).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    dirs.append(cache_dir())
    return dirs


def default_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Where downloads go: ``data_dir``, else the first ``NEUROSIM_DATA`` entry, else the cache."""
    return search_dirs(data_dir)[0]
