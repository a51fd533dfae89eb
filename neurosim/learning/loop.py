"""The epoch loop of every trainer (Algorithm 1, its Brian2 backend, the
hetero-association trials, the backprop MLP): epoch e visits the samples in a
seeded order, in mini-batches,

    order_e = permutation of range(P) seeded [seed, e]
    batch k of epoch e = order_e[k B : (k + 1) B]     (the last one may be shorter)

so that a run is replayable and can be continued from any epoch.
"""
import numpy as np


def epoch_order(seed, epoch, n):
    """The sample order of epoch ``epoch``: the permutation of range(n) seeded [seed, epoch]."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def run_epochs(step, n, batch_size, epochs, start=0, seed=0, order=None, begin=None, end=None, progress=False):
    """Epochs ``start`` .. ``epochs`` - 1 over n samples. Epoch e calls
    ``begin(e)``, then ``step(e, k, idx)`` for its batch k of sample indices idx
    (``order(e)``, default :func:`epoch_order`, in batches of ``batch_size``;
    None: the whole epoch as one batch), then ``end(e, results)`` with the list
    of what the steps returned; an ``end`` that returns True stops the loop.
    ``progress`` shows a bar of each epoch's batches on stderr. Returns the
    number of epochs run."""
    for e in range(start, epochs):
        if begin is not None:
            begin(e)
        idx = epoch_order(seed, e, n) if order is None else order(e)
        cuts = [idx] if batch_size is None else [idx[a:a + batch_size] for a in range(0, len(idx), batch_size)]
        if progress:
            from tqdm.auto import tqdm
            cuts = tqdm(cuts, desc=f"epoch {e + 1}/{epochs}", leave=False)
        results = [step(e, k, b) for k, b in enumerate(cuts)]
        if end is not None and end(e, results):
            return e + 1 - start
    return max(epochs - start, 0)
