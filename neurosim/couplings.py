"""Storage of one recurrent coupling map W [post, pre] over N neurons, on its
fixed pattern A, in the layout that suits its density.

    csc    indptr [N+1] over the pre-neurons j, indices [nnz] the post-neurons i,
           data [nnz] the weights W_ij: column j is the out-neighbour list of j
    dense  block [N, N] with block[j, i] = W_ij (row j = column j of W, contiguous)
           and exact zeros off the pattern

The pattern (indptr, indices) is kept in both layouts: it is the IR every backend
reads, and ``data`` always gives the values in CSC order (for a dense map, a
read-only copy gathered from the block; assigning to ``data`` scatters into it).
The layout is chosen when the network is compiled: dense when nnz / N**2 >=
``threshold`` (``DENSE_THRESHOLD`` by default, measured in ``bench/engine.py``:
there a flip costs one contiguous column update of N values instead of an
indexed one of nnz / N, and fields over a batch are one BLAS product).
"""
import numpy as np

LAYOUTS = ("csc", "dense")
DENSE_THRESHOLD = 0.25
EMPTY_BLOCK = np.zeros((0, 0))


class CouplingMap:
    """One coupling map: pattern + values in the ``csc`` or ``dense`` layout."""

    def __init__(self, n, indptr, indices, data, threshold=None, layout=None):
        self.n = int(n)
        self.indptr, self.indices = indptr, indices
        self.kind = _pattern_kind(self.n, indptr, indices)
        if layout is None:
            limit = DENSE_THRESHOLD if threshold is None else float(threshold)
            layout = "dense" if indices.size and indices.size >= limit * self.n * self.n else "csc"
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        self.layout = layout
        self._mask = None  # the pattern as a bool block, made on first use by restore_pattern
        if layout == "csc":  # learning writes the values in place: a read-only array is copied
            self._data, self.block = (data if data.flags.writeable else data.copy()), EMPTY_BLOCK
        else:
            self._data, self.block = None, np.zeros((self.n, self.n), dtype=data.dtype)
            self._scatter(data)

    # ------------------------------------------------------------ values
    @property
    def data(self):
        """The values in CSC order: the stored array (csc), or a read-only copy
        gathered from the block (dense; assign to ``data`` to change values)."""
        if self.layout == "csc":
            return self._data
        out = self._gather()
        out.flags.writeable = False
        return out

    @data.setter
    def data(self, values):
        values = np.asarray(values)
        if values.shape != self.indices.shape:
            raise ValueError(f"data must have shape {self.indices.shape}, got {values.shape}")
        if self.layout == "csc":
            self._data[:] = values
        else:
            self._scatter(values)

    @property
    def dtype(self):
        return self.block.dtype if self.layout == "dense" else self._data.dtype

    def _offdiag(self):
        """View of the off-diagonal entries of the block, in CSC order."""
        n = self.n
        return self.block.reshape(-1)[1:].reshape(n - 1, n + 1)[:, :n]

    def _gather(self):
        if self.kind == "full":
            return self.block.reshape(-1).copy()
        if self.kind == "offdiag":
            return self._offdiag().reshape(-1).copy()
        return self.block[self._columns(), self.indices]

    def _scatter(self, values):
        if self.kind == "full":
            self.block.reshape(-1)[:] = values
        elif self.kind == "offdiag":
            self._offdiag()[:] = values.reshape(self.n - 1, self.n)
        else:
            self.block[self._columns(), self.indices] = values

    def _columns(self):
        return np.repeat(np.arange(self.n), np.diff(self.indptr))

    def restore_pattern(self):
        """Zero the block off the pattern (after a dense update touched every entry)."""
        if self.layout != "dense" or self.kind == "full":
            return
        if self.kind == "offdiag":
            np.fill_diagonal(self.block, 0.0)
            return
        if self._mask is None:
            self._mask = np.zeros((self.n, self.n), dtype=bool)
            self._mask[self._columns(), self.indices] = True
        self.block *= self._mask

    # ------------------------------------------------------------- engine
    def kernel_arrays(self):
        """(indptr, indices, data, block) as the kernels read them: ``data`` is
        empty for a dense map and ``block`` is [0, 0] for a csc one."""
        if self.layout == "csc":
            return self.indptr, self.indices, self._data, EMPTY_BLOCK.astype(self._data.dtype)
        return self.indptr, self.indices, np.zeros(0, dtype=self.block.dtype), self.block

    def copy(self):
        return CouplingMap(self.n, self.indptr.copy(), self.indices.copy(), self.data.copy(), layout=self.layout)

    @property
    def nbytes(self):
        values = self.block.nbytes if self.layout == "dense" else self._data.nbytes
        return self.indptr.nbytes + self.indices.nbytes + values


def _pattern_kind(n, indptr, indices):
    """'full' (every entry), 'offdiag' (every entry but the diagonal, in order)
    or 'mask' (anything else)."""
    if n and indices.size == n * n and np.array_equal(indices, np.tile(np.arange(n), n)):
        return "full"
    if n > 1 and indices.size == n * (n - 1):
        expect = np.arange(n * (n - 1)) % (n - 1)
        cols = np.repeat(np.arange(n), n - 1)
        expect += expect >= cols
        if np.array_equal(indices, expect):
            return "offdiag"
    return "mask"
