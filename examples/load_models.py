"""Load a PyTorch model into relugeom, save it as ONNX and .nnet, read both back, evaluate.

Run: python examples/load_models.py
"""

import tempfile
from pathlib import Path

import numpy as np
import torch

from relugeom.network import from_torch, load_network, save_nnet, save_onnx

torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Flatten(),
    torch.nn.Linear(2, 16), torch.nn.ReLU(),
    torch.nn.Linear(16, 16), torch.nn.ReLU(),
    torch.nn.Linear(16, 1),
)
net = from_torch(model)  # float32 weights, converted exactly to float64
print("from torch:", net)

X = np.random.default_rng(0).uniform(-1, 1, size=(5, 2))
y_torch = model(torch.as_tensor(X, dtype=torch.float32)).detach().numpy()

with tempfile.TemporaryDirectory() as d:
    save_onnx(net, Path(d) / "model.onnx")  # Gemm + Relu, opset 13, float64
    save_nnet(net, Path(d) / "model.nnet")  # identity normalisation
    for name in ("model.onnx", "model.nnet"):
        back = load_network(Path(d) / name)  # dispatch by extension
        print(f"{name}: {back}, identical weights: {back == net}")

print("max |relugeom - torch| on 5 points:", float(np.abs(net(X) - y_torch).max()))
print("activation patterns of the first two points:")
print(net.activation_patterns(X[:2]).astype(int))
