"""Readout trained offline by softmax regression (SM-D, second stage): minimise
the cross entropy of p = softmax(W_out (a_out * s)) by mini-batch gradient
descent, dW_out = -eta/B sum_mu (p^mu - e_{c(mu)}) (a_out * s^mu)^T."""
import numpy as np


def softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_epoch(cn, states, labels, order, batch_size, eta):
    """One pass of mini-batch gradient descent on W_out over ``order``."""
    feats = states.astype(np.float64) * cn.a_out
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        f = feats[idx]
        err = softmax(f @ cn.w_out.T)
        err[np.arange(len(idx)), labels[idx]] -= 1.0
        cn.w_out -= (eta / len(idx)) * (err.T @ f)
