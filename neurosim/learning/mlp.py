"""The backprop reference of SM-D: a binarised 3-layer perceptron

    x -> Linear(H) -> sgn(tanh(.)) -> Linear(H) -> sgn(tanh(.)) -> Linear(C)

trained on the cross entropy with Adam; the backward pass ignores the sign
(straight-through estimator) and differentiates tanh. Its width H is chosen so
that its parameter count matches a recurrent model's (Fig. 2)."""
from dataclasses import dataclass, field

import numpy as np

from ..engine import sign
from ..validate import check_nonneg_int, check_positive_int, check_real
from .loop import run_epochs
from .readout import softmax


def mlp_parameters(d_in, width, n_classes):
    """Weights and biases of the three Linear layers."""
    return d_in * width + width + width * width + width + width * n_classes + n_classes


def recurrent_parameters(cn):
    """Learnable parameters of a recurrent model: J on its pattern, W_in on its
    pattern (a_in rows) and the readout W_out (a_out columns)."""
    w_in = int((cn.w_in_mask & cn.a_in[:, None]).sum())
    return int(cn.j_data.size) + w_in + int(cn.w_out.shape[0] * cn.a_out.sum())


def matching_width(n_params, d_in, n_classes):
    """The width H whose MLP has the parameter count closest to ``n_params``."""
    b = d_in + n_classes + 2
    h = int(round((-b + np.sqrt(b * b + 4 * max(n_params - n_classes, 0))) / 2))
    return min((max(1, h + k) for k in (-1, 0, 1)), key=lambda w: abs(mlp_parameters(d_in, w, n_classes) - n_params))


@dataclass
class BinaryMLP:
    d_in: int
    width: int
    n_classes: int
    seed: int = 0
    params: list = field(default_factory=list)

    def __post_init__(self):
        rng = np.random.default_rng(self.seed)
        dims = [self.d_in, self.width, self.width, self.n_classes]
        if not self.params:
            for a, b in zip(dims[:-1], dims[1:]):
                bound = 1.0 / np.sqrt(a)
                self.params += [rng.uniform(-bound, bound, (a, b)), np.zeros(b)]
        self._m = [np.zeros_like(p) for p in self.params]
        self._v = [np.zeros_like(p) for p in self.params]
        self._t = 0

    def forward(self, x):
        """Logits and the pre-activations of the two hidden layers."""
        W1, b1, W2, b2, W3, b3 = self.params
        z1 = x @ W1 + b1
        a1 = sign(np.tanh(z1)).astype(np.float64)
        z2 = a1 @ W2 + b2
        a2 = sign(np.tanh(z2)).astype(np.float64)
        return a2 @ W3 + b3, (x, z1, a1, z2, a2)

    def gradients(self, x, labels):
        logits, (x, z1, a1, z2, a2) = self.forward(x)
        err = softmax(logits)
        err[np.arange(len(labels)), labels] -= 1.0
        err /= len(labels)
        W1, b1, W2, b2, W3, b3 = self.params
        d2 = (err @ W3.T) * (1.0 - np.tanh(z2) ** 2)   # straight through sgn, then tanh'
        d1 = (d2 @ W2.T) * (1.0 - np.tanh(z1) ** 2)
        return [x.T @ d1, d1.sum(0), a1.T @ d2, d2.sum(0), a2.T @ err, err.sum(0)]

    def adam_step(self, grads, lr, decay=0.0, beta1=0.9, beta2=0.999, eps=1e-8):
        self._t += 1
        for k, (p, g) in enumerate(zip(self.params, grads)):
            g = g + decay * p
            self._m[k] = beta1 * self._m[k] + (1 - beta1) * g
            self._v[k] = beta2 * self._v[k] + (1 - beta2) * g * g
            mhat = self._m[k] / (1 - beta1 ** self._t)
            vhat = self._v[k] / (1 - beta2 ** self._t)
            p -= lr * mhat / (np.sqrt(vhat) + eps)

    def fit(self, x, labels, epochs=20, batch_size=64, lr=0.003, decay=0.0, seed=0):
        epochs, batch_size = check_nonneg_int("epochs", epochs), check_positive_int("batch_size", batch_size)
        lr, decay = check_real("lr", lr, above=0), check_real("decay", decay, lo=0)
        x = np.asarray(x, dtype=np.float64)
        run_epochs(lambda e, k, idx: self.adam_step(self.gradients(x[idx], labels[idx]), lr, decay), len(x),
                   batch_size, epochs, seed=seed)
        return self

    def predict(self, x):
        return np.argmax(self.forward(np.asarray(x, dtype=np.float64))[0], axis=1)

    def accuracy(self, x, labels):
        return float(np.mean(self.predict(x) == labels))
