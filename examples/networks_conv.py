"""A small residual CNN from PyTorch: convert, export to ONNX, and draw its regions on a slice.

The model (conv, batch norm, ReLU, a residual block, average pooling, a linear head) is read
with ``from_torch`` (traced by torch.fx), written to ONNX and read back; all three agree. The
regions on the plane through three inputs are enumerated by the skeleton method and checked
against the LP traversal on a corner of the plane, then drawn coloured by predicted class
with the decision boundary.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import torch

import relugeom as rg
from relugeom.network import from_torch, load_onnx
from relugeom.regions import enumerate_regions, slice_through


class Block(torch.nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(c, c, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(c)
        self.conv2 = torch.nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return torch.relu(x + self.conv2(torch.relu(self.bn(self.conv1(x)))))


def main() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, stride=2, padding=1), torch.nn.ReLU(),
        Block(3), torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(12, 3),
    ).eval()
    net = from_torch(model, (1, 8, 8))
    print(net)
    x = torch.randn(5, 1, 8, 8)
    print("max |relugeom - torch|:", float(np.abs(net(x.numpy()) - model(x).detach().numpy()).max()))
    path = os.path.join(tempfile.mkdtemp(), "block.onnx")
    net.to_onnx(path)
    again = load_onnx(path)
    print("ONNX round trip, max difference:", float(np.abs(again(x.numpy()) - net(x.numpy())).max()))

    p0, p1, p2 = (x[i].numpy() for i in range(3))
    cx = enumerate_regions(net, slice_through(p0, p1, p2))
    print(f"plane through three inputs: {cx.n_regions} regions, {cx.n_facets} facets "
          f"({cx.stats['method']}, {cx.stats['seconds']:.2f} s); check: {cx.check().ok}")
    corner = slice_through(p0, p1, p2, box=(0.0, 0.2))
    a = enumerate_regions(net, corner, method="skeleton")
    b = enumerate_regions(net, corner, method="lp")
    print(f"corner [0, 0.2]^2: skeleton {a.n_regions}, LP {b.n_regions} regions; identical patterns: "
          f"{np.array_equal(a.patterns, b.patterns)}")
    ax = cx.plot(color_by="class")
    ax.figure.savefig("networks_conv.png", dpi=110, bbox_inches="tight")
    print("wrote networks_conv.png;", rg.__name__, "classes at the three inputs:",
          net(np.stack([p0, p1, p2])).argmax(axis=1).tolist())


if __name__ == "__main__":
    main()
