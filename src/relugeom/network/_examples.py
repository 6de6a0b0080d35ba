"""Small built-in networks used by the demo, the docs and the tests."""

from __future__ import annotations

import numpy as np

from ._network import ReLUNetwork

__all__ = ["example_network", "random_network", "EXAMPLES"]


def random_network(widths: tuple[int, ...] | list[int], *, rng: object = None,
                   bias_scale: float = 0.1) -> ReLUNetwork:
    """A He-normal random network with N(0, bias_scale²) biases.

    Parameters
    ----------
    widths : sequence of int
        ``(n_0, …, n_L)``.
    rng : seed or numpy Generator, optional

    Examples
    --------
    >>> random_network((2, 8, 1), rng=0).widths
    (2, 8, 1)
    """
    gen = np.random.default_rng(rng)
    Ws, bs = [], []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        Ws.append(gen.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in)))
        bs.append(gen.normal(0.0, bias_scale, size=n_out))
    return ReLUNetwork(Ws, bs)


def _sawtooth() -> ReLUNetwork:
    # h(x) = relu(2x) - relu(4x - 2) + relu(2x - 2); h(h(x))
    W1, b1 = np.array([[2.0], [4.0], [2.0]]), np.array([0.0, -2.0, -2.0])
    c = np.array([[1.0, -1.0, 1.0]])
    W2 = W1 @ c  # second layer's pre-activations are 2h, 4h-2, 2h-2
    return ReLUNetwork([W1, W2, c], [b1, b1, np.zeros(1)])


EXAMPLES = {
    "demo": "2→[8,8]→1 random network (seed 7), the network of `relugeom demo`",
    "abs": "|x| = relu(x) + relu(-x)",
    "three_pieces": "relu(x) − 2 relu(1 − x): 3 linear pieces on R",
    "sawtooth": "h(h(x)), h(x) = relu(2x) − relu(4x − 2) + relu(2x − 2): 6 pieces on R",
    "three_units": "relu(x) + relu(y) + relu(1 − x − y): 7 regions on R^2",
}


def example_network(name: str = "demo") -> ReLUNetwork:
    """A named built-in network (see ``EXAMPLES``).

    Examples
    --------
    >>> example_network("three_pieces")([[-1.0], [0.5], [2.0]]).ravel().tolist()
    [-4.0, -0.5, 2.0]
    >>> example_network("nope")
    Traceback (most recent call last):
    ...
    ValueError: unknown example network 'nope'; choose one of abs, demo, sawtooth, three_pieces, three_units
    """
    if name == "demo":
        return random_network((2, 8, 8, 1), rng=7)
    if name == "abs":
        return ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
    if name == "three_pieces":
        return ReLUNetwork([[[1.0], [-1.0]], [[1.0, -2.0]]], [[0.0, 1.0], [0.0]])
    if name == "sawtooth":
        return _sawtooth()
    if name == "three_units":
        return ReLUNetwork([[[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [[1.0, 1.0, 1.0]]],
                           [[0.0, 0.0, 1.0], [0.0]])
    raise ValueError(f"unknown example network {name!r}; choose one of {', '.join(sorted(EXAMPLES))}")
