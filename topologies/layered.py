"""Layered topologies: the multilayer chain (Eq. 2, Fig. 1), its skip-connection
variant and the fully-connected (block-tridiagonal) chain of SM-C."""
import numbers

import numpy as np

from neurosim.validate import check_nonneg

from ._common import check_core, check_sizes, finish, gaussian_scale, start

MASKS = ("a_in", "a_back", "a_out")


def layer_name(l):
    return f"layer{l}"


def chain(layers, n, rho=0.01, j_d=0.5, lam=1.0, seed=0, lam_l=None, lam_r=None, p_masks=None, rho_between=0.0,
          between="both", **common):
    """Multilayer chain (Eq. 2): ``layers`` core modules ``"layer0"`` ..., each of
    ``n`` neurons with its own J (density ``rho``, N(0, 1/(rho n))) and J_D = ``j_d``,
    and fixed couplings between homologous neurons of adjacent layers,
        h_i^(l) += lam_l s_i^(l-1) + lam_r s_i^(l+1)   (lam_l = lam_r = ``lam`` unless given).
    Input reaches the first layer, supervision and readout the last (Fig. 1).
    ``p_masks`` overrides masks per layer: ``{layer: {"a_in": mask, ...}}`` with the
    layer given by index or name and each mask a bool or a 0/1 array of length n.
    ``rho_between`` > 0 adds learnable couplings between adjacent layers, both
    directions, of density ``rho_between`` off the homologous pairs, drawn
    N(0, 1/(rho_between n)): the fully-connected multi-layer design of SM-C on top
    of the fixed lam (0: Eq. 2 as printed). ``between="forward"`` keeps only the
    blocks from layer l-1 to layer l (the authors' multi-layer code: learnable
    feed-forward blocks, fixed lam feedback)."""
    layers, n = check_sizes(layers=layers, n=n)
    rho, j_d = check_core(rho, j_d)
    lam = check_nonneg("lam", lam)
    lam_l = lam if lam_l is None else check_nonneg("lam_l", lam_l)
    lam_r = lam if lam_r is None else check_nonneg("lam_r", lam_r)
    rho_between = check_nonneg("rho_between", rho_between)
    if rho_between > 1:
        raise ValueError(f"rho_between must be a density in [0, 1], got {rho_between!r}")
    if between not in ("both", "forward"):
        raise ValueError(f"between must be 'both' or 'forward', got {between!r}")
    p_masks = mask_overrides(p_masks, layers)
    masks = layer_masks(layers, range(1), range(layers - 1, layers), p_masks)
    params = dict(layers=layers, n=n, rho=rho, j_d=j_d, lam=lam, seed=seed, lam_l=lam_l, lam_r=lam_r,
                  p_masks=p_masks, rho_between=rho_between, between=between)
    net, opts = start("chain", params, common)
    add_chain(net, n, rho, j_d, lam_l, lam_r, masks)
    if rho_between > 0:
        for l in range(1, layers):
            for post, pre in ((l, l - 1), (l - 1, l))[:1 if between == "forward" else 2]:
                pattern = (net.rng().random((n, n)) < rho_between) & ~np.eye(n, dtype=bool)
                net.connect(layer_name(post), layer_name(pre), pattern, rho=rho_between)
    return finish(net, opts)


def skip(layers, n, rho=0.01, j_d=0.5, lam=1.0, seed=0, input_layers=None, output_layers=None, **common):
    """Chain with skip connections to the input and the output (SM-C): as
    :func:`chain` (Eq. 2 with lam_l = lam_r = ``lam``), but a_in is set on every
    layer in ``input_layers`` and a_back, a_out on every layer in
    ``output_layers`` (each a list of layer indices; default: all layers)."""
    layers, n = check_sizes(layers=layers, n=n)
    rho, j_d = check_core(rho, j_d)
    lam = check_nonneg("lam", lam)
    ins = layer_indices("input_layers", input_layers, layers)
    outs = layer_indices("output_layers", output_layers, layers)
    params = dict(layers=layers, n=n, rho=rho, j_d=j_d, lam=lam, seed=seed, input_layers=ins, output_layers=outs)
    net, opts = start("skip", params, common)
    add_chain(net, n, rho, j_d, lam, lam, layer_masks(layers, ins, outs, None))
    return finish(net, opts)


def fc_chain(layers, n, rho=1.0, j_d=0.5, seed=0, **common):
    """Fully-connected multilayer design (SM-C): learnable A is block-tridiagonal,
    A^(l,m) random of density ``rho`` for |l - m| <= 1 (no diagonal inside a
    layer) and zero otherwise; J_D = ``j_d``. Every coupling onto layer l is drawn
    N(0, 1/(rho n k_l)) with k_l the number of blocks feeding layer l, so the
    field variance matches the core's (Eq. 1; ``layers=1`` is the core).
    Input reaches the first layer, supervision and readout the last."""
    layers, n = check_sizes(layers=layers, n=n)
    rho, j_d = check_core(rho, j_d)
    net, opts = start("fc_chain", dict(layers=layers, n=n, rho=rho, j_d=j_d, seed=seed), common)
    masks = layer_masks(layers, range(1), range(layers - 1, layers), None)
    for l in range(layers):
        net.add_population(layer_name(l), n, j_d, **masks[l])
    for l in range(layers):
        pres = [m for m in (l - 1, l, l + 1) if 0 <= m < layers]
        scale = gaussian_scale(rho, n * len(pres))
        for m in pres:
            net.connect(layer_name(l), layer_name(m), "random", rho=rho, scale=scale)
    return finish(net, opts)


def add_chain(net, n, rho, j_d, lam_l, lam_r, masks):
    """Declare the layers of Eq. 2 (each a random core) and couple neighbours."""
    for l, m in enumerate(masks):
        net.add_population(layer_name(l), n, j_d, **m)
        net.connect(layer_name(l), layer_name(l), "random", rho=rho)
    for l in range(1, len(masks)):
        net.couple_chain(layer_name(l - 1), layer_name(l), lam_l, lam_r)


def layer_masks(layers, ins, outs, overrides):
    """Per-layer masks: a_in on layers ``ins``, a_back and a_out on ``outs``, then
    the ``overrides`` (normalised by :func:`mask_overrides`)."""
    masks = [{"a_in": l in ins, "a_back": l in outs, "a_out": l in outs} for l in range(layers)]
    for name, given in (overrides or {}).items():
        masks[int(name[len("layer"):])].update(given)
    return masks


def mask_overrides(p_masks, layers):
    """:func:`chain`'s ``p_masks`` as ``{"layerK": {mask name: bool or 0/1 list}}``
    (JSON-friendly, so it can sit in ``net.meta``); ``None`` stays ``None``."""
    if p_masks is None:
        return None
    if not isinstance(p_masks, dict):
        raise ValueError(f"p_masks must be a dict {{layer: {{mask name: mask}}}}, got {p_masks!r}")
    out = {}
    for key, given in p_masks.items():
        name = layer_name(layer_key(key, layers))
        if not isinstance(given, dict) or set(given) - set(MASKS):
            raise ValueError(f"p_masks[{key!r}] must be a dict with keys among {MASKS}, got {given!r}")
        out.setdefault(name, {}).update(
            {m: bool(v) if isinstance(v, (bool, np.bool_)) else np.asarray(v).tolist() for m, v in given.items()})
    return out


def layer_key(key, layers):
    """A layer given by index (negative counts from the end) or by name."""
    names = [layer_name(l) for l in range(layers)]
    if isinstance(key, str) and key in names:
        return names.index(key)
    if isinstance(key, numbers.Integral) and not isinstance(key, bool) and -layers <= key < layers:
        return int(key) % layers
    raise ValueError(f"layer {key!r} must be an index in [-{layers}, {layers}) or a name in {names}")


def layer_indices(name, value, layers):
    """A non-empty list of distinct layers (``None`` = all), as sorted indices."""
    if value is None:
        return list(range(layers))
    if isinstance(value, (str, numbers.Integral)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} must be a list of layer indices, got {value!r}")
    try:
        out = sorted({layer_key(k, layers) for k in value})
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    if not out:
        raise ValueError(f"{name} must name at least one layer, got {value!r}")
    return out
