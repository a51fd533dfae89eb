"""Fixed-point quantisation of a CompiledNetwork for a hardware profile (pure: the
input network is never changed).

One common scale S per network maps every real quantity to integers,
``w_int = round(S w)``, so that the integer field is S times the real one up to
rounding and sgn(h) is preserved except where |S h| is within rounding of 0:

* every projection of J and K: one group each (named as the projection), one weight
  exponent e >= 0 per group (one per Lava connection): w_int = m 2^e with an even
  mantissa m in [-254, 254] (the
  MIXED sign mode drops the lowest bit; the range is kept symmetric so that -w
  exists for the dual-rail wiring and the -J learning rail). e = 0 unless the group
  needs more range, so a projection of large weights (a strong chain) costs no
  resolution to the others; the default S = 254 / max|J| puts every projection of J
  at e = 0 with its full 8-bit mantissa, as on-chip learning needs;
* the self-coupling J_D and the external field b become integer neuron parameters
  (``j_d`` and ``bias``, 24-bit state): ``round(S J_D)`` and
  :meth:`QuantizedNetwork.quantize_field` = ``round(S b)``;
* the margin kappa becomes ``floor(S kappa)`` (s h_int <= floor(S kappa) iff
  s h_int <= S kappa, h_int being an integer) and a learning rate eta becomes
  ``round(S eta)`` weight LSBs.

:class:`QuantizedNetwork` holds the integer copy as a CompiledNetwork (``network``,
made with ``cn.with_couplings``; its W_in / W_back are scaled by S, so
``network.field(x, y)`` is S b before rounding: use ``qn.field(x, y)``), which the
numba engine runs directly and which Lava fixed point must reproduce step for step,
plus the scale, the exponents and a :class:`QuantReport`.
"""
import dataclasses
import json
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .profiles import get_profile


@dataclass(frozen=True)
class GroupError:
    """Quantisation error of one group (real units unless said otherwise).

    ``step``: the resolution (one mantissa LSB times 2^e, over S); ``bits_lost``:
    low bits of the scaled integer the hardware cannot hold (e, plus the dropped
    MIXED LSB for weights); ``bound``: the error any unsaturated value stays within
    (step / 2); ``saturated``: values clipped to the range; ``zeroed``: nonzero values
    that became 0."""
    name: str
    count: int
    weight_exp: int
    step: float
    bits_lost: int
    max_abs_error: float
    mean_abs_error: float
    max_rel_error: float
    bound: float
    saturated: int
    zeroed: int


@dataclass(frozen=True)
class QuantReport:
    scale: float
    groups: dict
    dendrite_max: dict                 # projection -> max_i sum_j |w_int_ij| (per connection accumulator)
    dendrite_limit: int
    dendrite_overflow: dict            # group -> neurons whose worst case exceeds the accumulator
    state_max: float                   # max_i (sum_j |J + K|_ij + |J_D,i| + |b_i|) in integer units
    state_limit: int
    fixed_points: int = 0              # states given that are fixed points of the real network
    fixed_points_kept: int = 0         # ... that are fixed points of the integer network too
    fraction_fixed_kept: float = None  # kept / fixed_points
    states_not_fixed: int = 0          # states given that are not fixed points of the real network (ignored)

    @property
    def saturated(self):
        return int(sum(g.saturated for g in self.groups.values()))

    def as_dict(self):
        d = dataclasses.asdict(self)
        d["saturated"] = self.saturated
        return d

    def table(self):
        """A plain-text table of the report."""
        width = max([8] + [len(k) for k in self.groups])
        lines = [f"scale S = {self.scale:.6g} (integer = round(S x))",
                 f"{'group':{width}s} {'count':>7s} {'exp':>4s} {'step':>10s} {'bits lost':>9s} {'max err':>10s} "
                 f"{'mean err':>10s} {'bound':>10s} {'saturated':>9s} {'zeroed':>7s}"]
        for g in self.groups.values():
            lines.append(f"{g.name:{width}s} {g.count:7d} {g.weight_exp:4d} {g.step:10.4g} {g.bits_lost:9d} "
                         f"{g.max_abs_error:10.4g} {g.mean_abs_error:10.4g} {g.bound:10.4g} {g.saturated:9d} "
                         f"{g.zeroed:7d}")
        for k, v in self.dendrite_max.items():
            lines.append(f"dendrite {k}: max sum|w| = {v:.0f} (limit {self.dendrite_limit}, "
                         f"{self.dendrite_overflow[k]} neurons may overflow)")
        lines.append(f"neuron state: worst |h| = {self.state_max:.0f} (limit {self.state_limit})")
        if self.fixed_points:
            lines.append(f"fixed points kept: {self.fixed_points_kept}/{self.fixed_points} "
                         f"({100 * self.fraction_fixed_kept:.1f}%)")
        if self.states_not_fixed:
            lines.append(f"{self.states_not_fixed} given states are not fixed points of the real network (ignored)")
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class QuantizedNetwork:
    network: object                    # CompiledNetwork with integer J, K, J_D
    profile: object
    scale: float
    weight_exp: dict                   # projection name -> exponent of its connection
    report: QuantReport
    source_hash: str = ""

    def quantize_field(self, b):
        """Integer bias [B, N] (float64 holding integers) of a real field b [B, N] or [N]."""
        b = np.atleast_2d(np.asarray(b, dtype=np.float64))
        lim = self.profile.state_max()
        return np.clip(np.round(b * self.scale), -lim, lim)

    def field(self, x=None, y=None, lam_x=None, lam_y=None):
        """The integer bias of inputs x / targets y (as ``cn.field``, then rounded)."""
        lim = self.profile.state_max()
        return np.clip(np.round(self.network.field(x=x, y=y, lam_x=lam_x, lam_y=lam_y)), -lim, lim)

    def quantize_kappa(self, kappa):
        """floor(S kappa): s h_int <= that integer iff s h_int <= S kappa."""
        return float(np.floor(float(kappa) * self.scale))

    def quantize_eta(self, eta):
        """round(S eta), the learning rate in weight LSBs (at least 1)."""
        return float(max(1, int(np.round(float(eta) * self.scale))))

    def dequantize(self):
        """The real-valued network the integers stand for (values / S)."""
        S = self.scale
        n = self.network
        return n.with_couplings(learnable=n.learnable() / S, fixed=n.fixed() / S, j_d=n.j_d / S,
                                w_in=n.w_in / S, w_back=n.w_back / S)


def _weights(values, S, prof, name, e=None):
    """Integer weights m 2^e of one group, its exponent and its GroupError; ``e``
    None: the smallest exponent whose range holds the group (else values beyond
    the range of the given one saturate)."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = prof.weight_range(symmetric=True)
    lsb = prof.weight_lsb
    qmax = hi // lsb
    x = v * S
    big = float(np.abs(x).max()) if x.size else 0.0
    if e is None:
        e = 0
        while e < prof.weight_exp_max and np.round(big / (lsb * 2.0 ** e)) > qmax:
            e += 1
    unit = lsb * 2.0 ** e
    q = np.round(x / unit)
    sat = np.abs(q) > qmax
    q = np.clip(q, -qmax, qmax)
    w = q * unit
    bits = e + int(np.log2(lsb))
    return w, e, _error(name, v, w / S, unit / S, bits, e, int(sat.sum()))


def _integers(values, S, limit, name):
    v = np.asarray(values, dtype=np.float64)
    x = np.round(v * S)
    sat = np.abs(x) > limit
    w = np.clip(x, -limit, limit)
    return w, _error(name, v, w / S, 1.0 / S, 0, 0, int(sat.sum()))


def _error(name, v, back, step, bits, e, saturated):
    err = np.abs(v - back)
    nz = v != 0
    rel = err[nz] / np.abs(v[nz]) if nz.any() else np.zeros(0)
    return GroupError(name=name, count=int(v.size), weight_exp=int(e), step=float(step), bits_lost=int(bits),
                      max_abs_error=float(err.max()) if v.size else 0.0,
                      mean_abs_error=float(err.mean()) if v.size else 0.0,
                      max_rel_error=float(rel.max()) if rel.size else 0.0, bound=float(step) / 2.0,
                      saturated=int(saturated), zeroed=int(np.sum(nz & (back == 0))))


def choose_scale(cn, profile="loihi2"):
    """The default common scale: J's largest |weight| maps to the largest mantissa
    (then K, then J_D, when J is empty or zero)."""
    prof = get_profile(profile)
    hi = prof.weight_range(symmetric=True)[1]
    for arr in (cn.learnable().data, cn.fixed().data, cn.j_d):
        m = float(np.abs(arr).max()) if arr.size else 0.0
        if m > 0:
            return hi / m
    return 1.0


def quantize(cn, profile="loihi2", scale=None, field=None, fixed_points=None, weight_exp=None):
    """Quantise ``cn`` for ``profile`` (see the module docstring); returns a
    :class:`QuantizedNetwork`. ``scale``: the common scale S (default
    :func:`choose_scale`). ``weight_exp``: {projection name: exponent} for
    projections whose exponent is set rather than chosen (e.g. 0 for a projection
    that learns on chip; values beyond its range saturate, as reported).
    ``field`` [B, N] or [N]: an external field to include in the error report
    (group ``"bias"``) and to test ``fixed_points`` [B, N] under:
    of the given states that are fixed points of the real network, the report counts
    how many stay fixed points of the integer network under the quantised field."""
    from ..compiled import CompiledNetwork
    from ..engine import is_fixed_point
    if not isinstance(cn, CompiledNetwork):
        raise TypeError(f"cn must be a CompiledNetwork (use neurosim.compile), got {type(cn).__name__}")
    prof = get_profile(profile)
    S = choose_scale(cn, prof) if scale is None else float(scale)
    if not (np.isfinite(S) and S > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    limit = prof.state_max()
    weight_exp = dict(weight_exp or {})
    for name, e in weight_exp.items():
        cn.projection_index(name)
        if not (isinstance(e, (int, np.integer)) and 0 <= e <= prof.weight_exp_max):
            raise ValueError(f"weight_exp[{name!r}] must be an integer in 0..{prof.weight_exp_max}, got {e!r}")
    groups, exps, mats = {}, {}, {}
    for name, _, _, learnable, _ in cn.projections():
        M = cn.projection_matrix(name)
        w, e, err = _weights(M.data, S, prof, name, weight_exp.get(name))
        Q = sp.csr_matrix((w, M.indices.copy(), M.indptr.copy()), shape=M.shape)
        groups[name], exps[name], mats[name] = err, e, (Q, learnable)
    J = sum((Q for Q, learnable in mats.values() if learnable), sp.csr_matrix((cn.n, cn.n)))
    K = sum((Q for Q, learnable in mats.values() if not learnable), sp.csr_matrix((cn.n, cn.n)))
    j_d, groups["J_D"] = _integers(cn.j_d, S, limit, "J_D")
    b_int = None
    if field is not None:
        b = np.atleast_2d(np.asarray(field, dtype=np.float64))
        if b.shape[1] != cn.n:
            raise ValueError(f"field must have shape [B, {cn.n}], got {np.shape(field)}")
        b_int, groups["bias"] = _integers(b, S, limit, "bias")
    # an empty pattern is passed as None: cn.with_couplings cannot index an empty
    # sparse matrix (scipy returns a sparse 0 x 0 result there)
    qnet = cn.with_couplings(learnable=J if cn.j_indices.size else None,
                             fixed=K if cn.k_indices.size else None, j_d=j_d, w_in=cn.w_in * S,
                             w_back=cn.w_back * S)
    meta = json.loads(qnet.meta or "{}")
    meta["hw_quantized"] = {"profile": prof.name, "scale": S, "weight_exp": exps}
    qnet.meta = json.dumps(meta, sort_keys=True, default=str)  # qnet is a new copy

    dmax, dover = {}, {}
    worst = np.abs(j_d)   # + sum_j |J_ij| + |K_ij| (+ |b_i|): the projections' rows, which never overlap within a map
    for key, (Q, _) in mats.items():
        rowsum = np.asarray(abs(Q).sum(axis=1)).ravel()
        dmax[key] = float(rowsum.max()) if rowsum.size else 0.0
        dover[key] = int(np.sum(rowsum > prof.dendrite_max()))
        worst = worst + rowsum
    if b_int is not None:
        worst = worst + np.abs(b_int).max(axis=0)
    kept = total = not_fixed = 0
    frac = None
    if fixed_points is not None:
        fp = np.atleast_2d(np.asarray(fixed_points))
        if fp.shape[1] != cn.n:
            raise ValueError(f"fixed_points must have shape [B, {cn.n}], got {np.shape(fixed_points)}")
        qb = None if b_int is None else (b_int if b_int.shape[0] in (1, fp.shape[0]) else None)
        if qb is None and b_int is not None:
            raise ValueError("field and fixed_points disagree on the batch size")
        real = is_fixed_point(cn, fp.astype(np.int8), field=None if field is None else
                              np.atleast_2d(np.asarray(field, dtype=np.float64)))
        ok = is_fixed_point(qnet, fp.astype(np.int8), field=qb) & real
        total, kept = int(real.sum()), int(ok.sum())
        not_fixed = int(fp.shape[0] - total)
        frac = kept / total if total else None
    report = QuantReport(scale=S, groups=groups, dendrite_max=dmax, dendrite_limit=prof.dendrite_max(),
                         dendrite_overflow=dover, state_max=float(worst.max()) if worst.size else 0.0,
                         state_limit=limit, fixed_points=total, fixed_points_kept=kept, fraction_fixed_kept=frac,
                         states_not_fixed=not_fixed)
    return QuantizedNetwork(network=qnet, profile=prof, scale=S, weight_exp=exps, report=report,
                            source_hash=cn.content_hash())
