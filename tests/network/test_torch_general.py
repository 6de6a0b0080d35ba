"""from_torch / to_torch for general piecewise-linear networks, checked against PyTorch.

Every conversion is compared with the module itself in float64 at random inputs (max error
<= 1e-10 relative to the output scale); gradients with torch autograd Jacobians; round trips
both ways keep the function, the layer kinds and the units.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
nn = torch.nn
F = nn.functional

from relugeom.errors import NetworkError, UnsupportedLayerError  # noqa: E402
from relugeom.network import Network, NetworkBuilder, ReLUNetwork, from_torch, to_torch  # noqa: E402

TOL = 1e-10


def _agree(net, m, shape, n=9, seed=0, scale=1.0):
    """net and the float64 module agree at n random inputs (in the input shape)."""
    g = torch.Generator().manual_seed(seed)
    X = scale * torch.randn((n,) + tuple(shape), dtype=torch.float64, generator=g)
    with torch.no_grad():
        y = m(X).reshape(n, -1).numpy()
    z = net(X.numpy().reshape(n, -1))
    assert z.shape == y.shape
    err = np.abs(z - y).max()
    assert err <= TOL * max(1.0, np.abs(y).max()), err
    return X


def _convert(m, shape, **kw):
    m = m.double().eval()
    net = from_torch(m, shape, **kw)
    _agree(net, m, shape)
    return net


class Fn(nn.Module):
    """A module whose forward is a lambda (functions and methods in the trace)."""

    def __init__(self, f, *children):
        super().__init__()
        self.f = f
        self.children_ = nn.ModuleList(children)

    def forward(self, x):
        return self.f(x)


def _bn(c, d=2):
    bn = (nn.BatchNorm1d if d == 1 else nn.BatchNorm2d)(c)
    g = torch.Generator().manual_seed(c)
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(c, generator=g))
        bn.running_var.copy_(torch.rand(c, generator=g) + 0.5)
        bn.weight.copy_(torch.randn(c, generator=g))
        bn.bias.copy_(torch.randn(c, generator=g))
    return bn.eval()


def _prelu(c):
    p = nn.PReLU(c)
    with torch.no_grad():
        p.weight.copy_(torch.linspace(-0.5, 0.8, c))
    return p


# ------------------------------------------------------------------ modules
MODULES = {
    "linear": (lambda: nn.Linear(5, 3), (4, 5), ["dense"]),
    "linear-nobias": (lambda: nn.Linear(5, 3, bias=False), (5,), ["dense"]),
    "conv2d": (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1, dilation=2), (2, 7, 8), ["conv"]),
    "conv2d-same": (lambda: nn.Conv2d(2, 3, (4, 3), padding="same", dilation=(1, 2)), (2, 7, 8), ["conv"]),
    "conv2d-valid-groups": (lambda: nn.Conv2d(4, 6, 3, padding="valid", groups=2, bias=False), (4, 5, 5), ["conv"]),
    "conv2d-stride-asym": (lambda: nn.Conv2d(2, 3, (3, 1), stride=(2, 1), padding=(1, 0)), (2, 6, 5), ["conv"]),
    "conv2d-reflect": (lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (2, 5, 6), ["take", "conv"]),
    "conv2d-circular": (lambda: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"), (2, 5, 6), ["take", "conv"]),
    "conv1d": (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 9), ["conv"]),
    "conv1d-replicate": (lambda: nn.Conv1d(2, 3, 3, padding=2, padding_mode="replicate"), (2, 6), ["take", "conv"]),
    "convT2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), (2, 4, 5),
                ["take", "affine", "conv"]),
    "convT2d-groups": (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=2, groups=2, dilation=2), (4, 4, 5),
                       ["take", "affine", "conv"]),
    "convT1d": (lambda: nn.ConvTranspose1d(2, 3, 4, stride=3), (2, 5), ["take", "affine", "conv"]),
    "bn2d": (lambda: _bn(3), (3, 4, 4), ["affine"]),
    "bn1d": (lambda: _bn(3, 1), (3,), ["affine"]),
    "bn1d-seq": (lambda: _bn(3, 1), (3, 5), ["affine"]),
    "avgpool2d": (lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 7, 7), ["avgpool"]),
    "avgpool2d-nocip": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 7, 7), ["avgpool"]),
    "avgpool2d-ceil-tiles": (lambda: nn.AvgPool2d(2, ceil_mode=True), (2, 6, 6), ["avgpool"]),
    "avgpool2d-divisor": (lambda: nn.AvgPool2d(2, divisor_override=3), (2, 6, 6), ["avgpool", "affine"]),
    "avgpool1d": (lambda: nn.AvgPool1d(3, stride=2, padding=1), (2, 9), ["avgpool"]),
    "adaptive-avg2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 6, 6), ["avgpool"]),
    "adaptive-avg2d-none": (lambda: nn.AdaptiveAvgPool2d((None, 2)), (2, 5, 6), ["avgpool"]),
    "adaptive-avg2d-uneven": (lambda: nn.AdaptiveAvgPool2d((4, 3)), (2, 7, 5), ["reshape", "dense", "reshape"]),
    "adaptive-avg1d": (lambda: nn.AdaptiveAvgPool1d(3), (2, 9), ["avgpool"]),
    "maxpool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 7, 7), ["maxpool"]),
    "maxpool2d-dilation": (lambda: nn.MaxPool2d(2, stride=1, padding=1, dilation=2), (2, 7, 7), ["maxpool"]),
    "maxpool2d-ceil": (lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 6, 6), ["maxpool"]),
    "maxpool1d": (lambda: nn.MaxPool1d(3, stride=2), (2, 9), ["maxpool"]),
    "adaptive-max2d": (lambda: nn.AdaptiveMaxPool2d((2, 1)), (2, 4, 6), ["maxpool"]),
    "adaptive-max1d": (lambda: nn.AdaptiveMaxPool1d(2), (2, 6), ["maxpool"]),
    "relu": (lambda: nn.ReLU(), (3, 4), ["relu"]),
    "leaky": (lambda: nn.LeakyReLU(0.2), (5,), ["leaky_relu"]),
    "prelu-one": (lambda: nn.PReLU(), (5,), ["leaky_relu"]),
    "prelu-channels": (lambda: _prelu(3), (3, 2, 2), ["leaky_relu"]),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.7), (5,), ["clip"]),
    "relu6": (lambda: nn.ReLU6(), (5,), ["clip"]),
    "rrelu-eval": (lambda: nn.RReLU(), (5,), ["leaky_relu"]),
    "hardsigmoid": (lambda: nn.Hardsigmoid(), (5,), ["affine", "clip"]),
    "softshrink": (lambda: nn.Softshrink(0.3), (5,), ["clip", "add"]),
    "threshold-continuous": (lambda: nn.Threshold(0.2, 0.2), (5,), ["clip"]),
    "flatten": (lambda: nn.Flatten(), (2, 3), ["reshape"]),
    "unflatten": (lambda: nn.Unflatten(1, (2, 3)), (6,), ["reshape"]),
    "identity-dropout": (lambda: nn.Sequential(nn.Identity(), nn.Dropout(0.5), nn.ReLU()), (4,), ["relu"]),
    "zeropad": (lambda: nn.ZeroPad2d((1, 2, 0, 1)), (2, 3, 4), ["pad"]),
    "constpad": (lambda: nn.ConstantPad1d(2, 0.5), (2, 3), ["pad"]),
    "reflectpad": (lambda: nn.ReflectionPad2d(1), (2, 3, 4), ["take"]),
    "upsample-nearest": (lambda: nn.Upsample(scale_factor=2), (2, 3, 4), ["take"]),
    "upsample-bilinear": (lambda: nn.Upsample(scale_factor=(1, 2), mode="bilinear"), (2, 3, 4),
                          ["reshape", "dense", "reshape"]),
    "pixelshuffle": (lambda: nn.PixelShuffle(2), (8, 2, 3), ["take"]),
}


@pytest.mark.parametrize("key", sorted(MODULES))
def test_module_agrees_with_torch(key):
    torch.manual_seed(0)
    make, shape, kinds = MODULES[key]
    net = _convert(make(), shape)
    assert [l.kind for l in net.layers[1:]] == kinds


def _f(x, dt=torch.float64):
    return torch.arange(x, dtype=dt)


FUNCTIONS = {
    "relu": (lambda x: F.relu(x) + torch.relu(x - 1) + x.relu(), ["relu", "affine", "relu", "add", "relu", "add"]),
    "relu-inplace": (lambda x: F.relu(x * 1.0, inplace=True), ["relu"]),
    "leaky": (lambda x: F.leaky_relu(x, 0.3), ["leaky_relu"]),
    "hardtanh-relu6": (lambda x: F.hardtanh(x, -0.2, 0.4) + F.relu6(3 * x), ["clip", "affine", "clip", "add"]),
    "abs": (lambda x: torch.abs(x) - abs(x) * 2 + x.abs(), None),
    "clamp": (lambda x: torch.clamp(x, -0.5, 0.5) + torch.clip(x, min=0.1) + x.clamp(max=0.3), None),
    "clamp-tensor": (lambda x: torch.clamp(x, min=torch.linspace(-1, 0, 5, dtype=torch.float64),
                                           max=torch.tensor(0.7, dtype=torch.float64)), ["const", "max", "const", "min"]),
    "clamp-inputs": (lambda x: torch.clamp(x[:, :2], min=x[:, 2:4], max=x[:, 3:]), None),
    "max-min-2": (lambda x: torch.max(x[:, :2], x[:, 3:]) - torch.min(x[:, 1:3], x[:, 2:4]), None),
    "maximum-minimum": (lambda x: torch.maximum(x, torch.zeros(5, dtype=torch.float64)) + torch.minimum(x, -x), None),
    "amax-amin": (lambda x: torch.amax(x.view(-1, 1, 5), dim=2) - x.amin(1, keepdim=True), None),
    "max-dim": (lambda x: x.view(x.size(0), 5, 1).max(1).values.sum(1, keepdim=True) + x.min(dim=1)[0].unsqueeze(1)
                + torch.max(x, 1, keepdim=True)[0], None),
    "flatten-view": (lambda x: torch.flatten(x.view(-1, 5, 1), 1).reshape(x.shape[0], 5).contiguous(), ["reshape", "reshape"]),
    "permute-transpose": (lambda x: x.reshape(x.shape[0], 5, 1).transpose(1, 2).permute(0, 2, 1).squeeze(2), None),
    "cat": (lambda x: torch.cat([x, 2 * x, torch.ones(x.shape[0], 2, dtype=torch.float64)], dim=1),
            ["affine", "const", "concat"]),
    "stack": (lambda x: torch.stack([x, -x], dim=1).flatten(1), None),
    "arith-constants": (lambda x: (((x + 1) - 2) * 3 / 4 - (1 - x) + 2 * x - x / 2 - (-x)), None),
    "arith-methods": (lambda x: torch.add(x, x, alpha=2) + torch.sub(x, 1.5) + x.mul(2).add(1).sub(x).div(3).neg(), None),
    "arith-tensor": (lambda x: x * _f(5) + torch.ones(1, 5, dtype=torch.float64) - _f(5) / 7, None),
    "rsub": (lambda x: torch.rsub(x, 2.0, alpha=3), ["affine"]),
    "mean-sum": (lambda x: x.view(-1, 5, 1).mean(dim=(1, 2)) + torch.sum(x, 1) + x.sum(dim=-1), None),
    "getitem": (lambda x: x[:, 1:4] + x[:, [0, 2, 4]] - x[:, ::2].flip(1) + x[..., 1:4].roll(1, 1), None),
    "split-chunk": (lambda x: torch.relu(x.split(2, dim=1)[0]) - x.chunk(3, 1)[1], None),
    "F.pad": (lambda x: F.pad(x, (1, 2), value=0.5) + F.pad(x, (2, 1)), ["pad", "pad", "add"]),
    "F.pad-crop": (lambda x: F.pad(x, (-1, 2), value=0.5), ["take", "affine"]),
    "F.linear-matmul": (lambda x: F.linear(x, torch.ones(3, 5, dtype=torch.float64), _f(3))
                        + x[:, :3] @ torch.eye(3, dtype=torch.float64), None),
    "matmul-vector": (lambda x: torch.matmul(x, _f(5)).unsqueeze(1) + x, None),
    "addcmul": (lambda x: torch.addcmul(torch.ones(5, dtype=torch.float64), x, _f(5)), ["affine"]),
    "dropout-eval": (lambda x: F.dropout(x, 0.5, training=False) + F.dropout(x, 0.3, False), ["add"]),
    "expand-repeat": (lambda x: x[:, :2].unsqueeze(1).expand(-1, 3, -1).flatten(1) + x.repeat(1, 2)[:, 3:9], None),
}


@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_function_agrees_with_torch(key):
    f, kinds = FUNCTIONS[key]
    net = _convert(Fn(f), (5,))
    if kinds is not None:
        assert [l.kind for l in net.layers[1:]] == kinds


IMAGE_FUNCTIONS = {
    "F.pool": (lambda x: F.avg_pool2d(x, 2) + F.max_pool2d(x, 2, stride=2), ["avgpool", "maxpool", "add"]),
    "F.pool1d": (lambda x: F.max_pool1d(x.flatten(2), 3, stride=2, padding=1) - F.avg_pool1d(x.flatten(2), 3, 2, 1),
                 None),
    "F.conv2d": (lambda x: F.conv2d(x, torch.ones(3, 2, 3, 3, dtype=torch.float64), _f(3), padding=1, stride=(1, 2)),
                 ["conv"]),
    "F.conv1d": (lambda x: F.conv1d(x.flatten(2), torch.ones(3, 2, 3, dtype=torch.float64), padding="same"), None),
    "F.adaptive": (lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1) + F.adaptive_max_pool2d(x, (1, 1)).view(x.size(0), -1),
                   None),
    "F.batch_norm": (lambda x: F.batch_norm(x, _f(2), _f(2) + 1, _f(2) - 1, _f(2), training=False), ["affine"]),
    "F.interpolate": (lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), ["take"]),
    "mean-spatial": (lambda x: x - x.mean((2, 3), keepdim=True), ["reduce_sum", "add"]),
    "F.pad-2d": (lambda x: F.pad(x, (1, 0, 2, 1), mode="replicate"), ["take"]),
}


@pytest.mark.parametrize("key", sorted(IMAGE_FUNCTIONS))
def test_image_function_agrees_with_torch(key):
    f, kinds = IMAGE_FUNCTIONS[key]
    net = _convert(Fn(f), (2, 4, 4))
    if kinds is not None:
        assert [l.kind for l in net.layers[1:]] == kinds


# ------------------------------------------------------------------ real architectures
class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock (conv-BN-ReLU-conv-BN, identity or 1x1 downsample)."""

    def __init__(self, inp, out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = _bn(out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = _bn(out)
        self.downsample = None
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), _bn(out))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TinyResNet(nn.Module):
    def __init__(self, widths=(3, 4), classes=3, in_ch=2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_ch, widths[0], 3, padding=1, bias=False), _bn(widths[0]), nn.ReLU())
        blocks, inp = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(BasicBlock(inp, w, 1 if i == 0 else 2))
            inp = w
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inp, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


def _jacobian_check(net, m, shape, X):
    G = net.gradient(X.numpy().reshape(len(X), -1))
    for i in range(len(X)):
        J = torch.autograd.functional.jacobian(lambda v: m(v.reshape((1,) + tuple(shape))).reshape(-1),
                                               X[i].reshape(-1), vectorize=True)
        np.testing.assert_allclose(G[i], J.numpy(), rtol=0, atol=TOL * max(1.0, float(J.abs().max())))


@pytest.mark.parametrize("stride, inp, out", [(1, 3, 3), (2, 3, 4), (1, 2, 4)])
def test_resnet_basic_block(stride, inp, out):
    torch.manual_seed(stride + inp + out)
    block = BasicBlock(inp, out, stride).double().eval()
    net = from_torch(block, (inp, 6, 6))
    X = _agree(net, block, (inp, 6, 6))
    kinds = [l.kind for l in net.layers]
    assert kinds.count("conv") == (3 if block.downsample is not None else 2)
    assert kinds.count("affine") == kinds.count("conv")  # batch norms folded into affine layers
    assert kinds.count("add") == 1 and kinds.count("relu") == 2
    assert [g.name for g in net.units] == ["relu", "relu_2"]  # one ReLU module, called twice
    _jacobian_check(net, block, (inp, 6, 6), X[:3])


def test_small_cnn_with_max_pooling_and_classifier():
    torch.manual_seed(1)
    cnn = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3), _bn(6), nn.LeakyReLU(0.1), nn.MaxPool2d(2, ceil_mode=True),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(6 * 2 * 2, 10), nn.ReLU(), nn.Linear(10, 3),
    ).double().eval()
    net = from_torch(cnn, (1, 10, 10))
    assert isinstance(net, Network) and not isinstance(net, ReLUNetwork)
    assert [l.kind for l in net.layers] == ["input", "conv", "relu", "maxpool", "conv", "affine", "leaky_relu",
                                            "maxpool", "reshape", "dense", "relu", "dense"]
    assert [l.name for l in net.layers[1:4]] == ["0", "1", "2"]
    X = _agree(net, cnn, (1, 10, 10), n=20)
    _jacobian_check(net, cnn, (1, 10, 10), X[:4])
    pat = net.activation_patterns(X.numpy().reshape(20, -1))
    assert pat.shape == (20, net.n_neurons)


def test_tiny_resnet_and_float32_module():
    torch.manual_seed(2)
    m = TinyResNet().eval()  # float32: converted from a float64 copy, the model is unchanged
    net = from_torch(m, (2, 8, 8))
    assert next(m.parameters()).dtype == torch.float32 and not m.training
    X = torch.randn(6, 2, 8, 8)
    np.testing.assert_allclose(net(X.numpy().reshape(6, -1).astype(np.float64)), m(X).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    _agree(net, m.double(), (2, 8, 8))


# ------------------------------------------------------------------ hypothesis
@st.composite
def cnns(draw):
    seed = draw(st.integers(0, 2 ** 16))
    torch.manual_seed(seed)
    c0 = draw(st.integers(1, 2))
    hw = draw(st.integers(5, 8))
    layers, c, h = [], c0, hw
    acts = [nn.ReLU, lambda: nn.LeakyReLU(0.15), lambda: nn.Hardtanh(-1.0, 0.8), lambda: _prelu(c_out)]
    for _ in range(draw(st.integers(1, 2))):
        c_out = draw(st.integers(1, 4))
        k = draw(st.integers(1, 3))
        p = draw(st.integers(0, k // 2))
        s = draw(st.integers(1, 2))
        if (h + 2 * p - k) // s + 1 < 2:
            s, p = 1, k // 2
        layers.append(nn.Conv2d(c, c_out, k, s, p, bias=draw(st.booleans())))
        h = (h + 2 * p - k) // s + 1
        if draw(st.booleans()):
            layers.append(_bn(c_out))
        layers.append(acts[draw(st.integers(0, 3))]())
        c = c_out
        if draw(st.booleans()):
            block = BasicBlock(c, c, 1)
            layers.append(block)
        pool = draw(st.sampled_from(["none", "max", "avg"]))
        if pool != "none" and h >= 2:
            layers.append(nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2))
            h //= 2
    layers += [nn.Flatten(), nn.Linear(c * h * h, 3)]
    return nn.Sequential(*layers).double().eval(), (c0, hw, hw)


@pytest.mark.slow
@settings(max_examples=8, deadline=None)
@given(cnns())
def test_random_cnns_and_resnets(model_shape):
    m, shape = model_shape
    net = from_torch(m, shape)
    X = _agree(net, m, shape, n=12, seed=3)
    _jacobian_check(net, m, shape, X[:2])
    # torch -> relugeom -> torch: the same function
    back = to_torch(net)
    with torch.no_grad():
        np.testing.assert_allclose(back(X).reshape(12, -1).numpy(), m(X).reshape(12, -1).numpy(),
                                   rtol=0, atol=TOL * max(1.0, float(m(X).abs().max())))


# ------------------------------------------------------------------ round trips
def _builder_networks():
    rng = np.random.default_rng(0)
    nets = {}
    b = NetworkBuilder((2, 6, 7))
    h = b.conv(b.input, rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3), strides=(2, 1), pads=(1, 0, 2, 1),
               dilations=(1, 2))  # asymmetric pads
    h = b.avgpool(b.relu(h), (2, 2), strides=(1, 2), pads=(1, 1, 0, 1))
    nets["asymmetric-pads"] = b.build(b.maxpool(h, (2, 3), strides=(2, 1), pads=(0, 2, 1, 0)))
    b = NetworkBuilder((2, 6, 7))
    h = b.conv(b.input, rng.normal(size=(4, 1, 3, 3)), pads=(1, 1, 1, 1), groups=2)
    h = b.leaky_relu(h, rng.uniform(0, 0.3, size=(4, 1, 1)))  # PReLU
    h = b.avgpool(h, (3, 3), strides=(2, 2), pads=(1, 1, 1, 1), count_include_pad=True)
    h = b.avgpool(b.abs(h), (2, 2), strides=(1, 1), pads=(1, 1, 1, 1))
    nets["symmetric-pads"] = b.build(b.maxpool(h, (2, 2), strides=(2, 2), pads=(1, 1, 1, 1)))
    b = NetworkBuilder((5,))
    a = b.dense(b.input, rng.normal(size=(4, 5)), rng.normal(size=4))
    h = b.max(a, b.const(rng.normal(size=(4,))), b.dense(b.input, rng.normal(size=(4, 5))))
    h2 = b.min(h, b.abs(a))
    h = b.add(b.add(h, h2, a, coefs=(0.5, -2.0, 1.5)), h2, coefs=(1.0, -0.5))
    h = b.clip(b.clip(b.clip(h, lo=-0.3), hi=0.4), -0.1, 0.2)
    nets["units"] = b.build(b.leaky_relu(b.leaky_relu(h, rng.uniform(size=4)), 0.1))
    b = NetworkBuilder((2, 3, 4))
    r = b.reshape(b.transpose(b.input, (2, 0, 1)), (4, 6))
    pd = b.pad(b.take(r, rng.integers(0, 24, size=10), (2, 5)), (1, 0, 0, 2), value=0.5)
    cc = b.concat(pd, b.const(np.ones((3, 3))), axis=1)
    s = b.reduce_sum(cc, (1,), keepdims=False)
    mn = b.reduce_sum(cc, (0,), mean=True, keepdims=False)
    mx, mi = b.reduce_max(cc, (1,)), b.reduce_min(cc, (0, 1), keepdims=True)
    af = b.affine(b.relu(s), scale=rng.normal(size=3), shift=rng.normal(size=3))
    nets["shapes"] = b.build(b.concat(af, b.affine(mn, scale=2.0), b.affine(mx, shift=np.ones(3)),
                                      b.reshape(mi, (1,)), axis=0))
    b = NetworkBuilder((1, 8))
    h = b.maxpool(b.conv(b.input, rng.normal(size=(2, 1, 3)), pads=(2, 1)), (2,), strides=(2,))
    h = b.flatten(b.avgpool(h, (3,), pads=(1, 1)))
    nets["1d"] = b.build(b.dense(b.relu(h), rng.normal(size=(2, 8))))
    b = NetworkBuilder((4,))
    nets["skip"] = b.build(b.add(b.relu(b.input), b.input, coefs=(2.0, 1.0)))
    return nets


@pytest.mark.parametrize("key", sorted(_builder_networks()))
def test_round_trip_relugeom_torch_relugeom(key):
    net = _builder_networks()[key]
    m = to_torch(net)
    assert isinstance(m, nn.Module) and not isinstance(m, nn.Sequential)
    X = np.random.default_rng(1).normal(size=(7, net.input_dim))
    with torch.no_grad():
        y = m(torch.as_tensor(X).reshape((7,) + net.input_shape))
    assert tuple(y.shape) == (7,) + net.output_shape
    np.testing.assert_allclose(y.reshape(7, -1).numpy(), net(X), rtol=0, atol=1e-12)
    back = from_torch(m, net.input_shape)
    assert back.input_shape == net.input_shape and back.output_shape == net.output_shape
    np.testing.assert_allclose(back(X), net(X), rtol=0, atol=1e-12)
    # the same layers (a constant is placed just before its first use) and the same units
    assert sorted(l.kind for l in back.layers) == sorted(l.kind for l in net.layers)
    assert [(g.kind, g.shape) for g in back.units] == [(g.kind, g.shape) for g in net.units]
    assert back.n_neurons == net.n_neurons
    np.testing.assert_array_equal(back.activation_patterns(X), net.activation_patterns(X))
    # flat inputs work too, and float32
    m32 = to_torch(net, "float32")
    with torch.no_grad():
        y32 = m32(torch.as_tensor(X, dtype=torch.float32))
    np.testing.assert_allclose(y32.reshape(7, -1).numpy(), net(X), rtol=1e-4, atol=1e-4)


def test_round_trip_torch_relugeom_torch():
    torch.manual_seed(5)
    m = TinyResNet().double().eval()
    net = from_torch(m, (2, 8, 8))
    back = from_torch(to_torch(net), (2, 8, 8))
    assert [l.kind for l in back.layers] == [l.kind for l in net.layers]
    assert [(g.kind, g.shape) for g in back.units] == [(g.kind, g.shape) for g in net.units]
    _agree(back, m, (2, 8, 8))


def test_dense_chains_stay_relu_networks():
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    old = from_torch(seq)
    assert isinstance(old, ReLUNetwork) and old.widths == (3, 4, 2)
    assert from_torch(seq, (3,)) == old
    # a dense chain with normalisation is a ReLUNetwork too (composed in float64)
    chain = nn.Sequential(nn.Flatten(), nn.Linear(6, 4), _bn(4, 1), nn.ReLU(), nn.Dropout(), nn.Linear(4, 2)).eval()
    net = from_torch(chain, (2, 3))
    assert isinstance(net, ReLUNetwork) and net.widths == (6, 4, 2)
    _agree(net, chain.double(), (2, 3))
    # a lone batch norm is not a dense chain
    assert type(from_torch(_bn(3).double(), (3, 2, 2))) is Network
    # ReLUNetwork -> nn.Sequential as before
    assert isinstance(to_torch(old), nn.Sequential)


def test_input_shape_inference_and_example_input():
    torch.manual_seed(0)
    m = Fn(lambda x: torch.relu(x), nn.Linear(2, 2))
    with pytest.raises(UnsupportedLayerError, match="class Fn: the model must start with Linear"):
        from_torch(m)
    net = from_torch(m, example_input=torch.zeros(1, 3, 2))
    assert net.input_shape == (3, 2)
    net = from_torch(m, 4)
    assert net.input_shape == (4,)

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(5, 2)

        def forward(self, x):
            return torch.clamp(self.fc(torch.flatten(x, 1)), -1, 1)

    assert from_torch(Head().double()).input_shape == (5,)
    with pytest.raises(UnsupportedLayerError, match=r"\(Conv2d, position 0 .*must start with Linear|must start "
                                                    r"with Linear.*\(Conv2d, position 0 "):
        from_torch(nn.Sequential(nn.Conv2d(1, 1, 1), nn.Flatten(), nn.Linear(4, 1)))
    with pytest.raises(ValueError, match="input_shape"):
        from_torch(m, (0, 2))
    with pytest.raises(ValueError, match="example_input"):
        from_torch(m, (2,), example_input=torch.zeros(1, 3))


def test_check_catches_inplace_aliasing():
    """fx does not see that an in-place op changed a tensor used later; the check does."""

    def f(x):
        y = x * 1.0
        z = y.relu_()  # y itself is changed
        return y + z

    with pytest.raises(NetworkError, match="does not match the torch model"):
        from_torch(Fn(f), (3,))
    net = from_torch(Fn(f), (3,), check=False)  # unchecked: what fx recorded, x + relu(x)
    assert net([[-1.0, 2.0, 0.5]]).tolist() == [[-1.0, 4.0, 1.0]]


@pytest.mark.slow
def test_shape_dependent_control_flow_uses_torch_export():
    class ShapeBranch(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)

        def forward(self, x):
            if x.shape[-1] == 3:  # fx cannot trace this; torch.export specialises on it
                x = F.relu(self.fc(x))
            for i in range(x.shape[1]):
                x = x + i
            return F.max_pool1d(x.unsqueeze(1), 2).flatten(1)

    torch.manual_seed(0)
    m = ShapeBranch().double().eval()
    net = from_torch(m, (3,))
    assert [l.kind for l in net.layers] == ["input", "dense", "relu", "affine", "affine", "affine", "reshape",
                                            "maxpool", "reshape"]
    _agree(net, m, (3,))


# ------------------------------------------------------------------ errors
class _Act(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = act

    def forward(self, x):
        return self.act(self.fc(x))


class _Deep(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.layer1 = nn.Sequential(_Act(act))

    def forward(self, x):
        return self.layer1(x)


def test_unsupported_modules_named():
    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(_Deep(nn.GELU()), (4,))
    assert str(e.value) == "torch module 'layer1.0.act' (GELU) is not supported: GELU is not piecewise linear"
    with pytest.raises(UnsupportedLayerError, match=r"torch module '1' \(Sigmoid, position 1 of the flattened "
                                                    "sequence\\) is not supported: Sigmoid is not piecewise linear"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()))
    with pytest.raises(UnsupportedLayerError, match=r"'layer1.0.act' \(LayerNorm\).*statistics of its input"):
        from_torch(_Deep(nn.LayerNorm(4)), (4,))
    with pytest.raises(UnsupportedLayerError, match=r"'<root>' \(GELU\) is not supported"):
        from_torch(nn.GELU(), (3,))
    with pytest.raises(UnsupportedLayerError, match="Hardshrink is not continuous"):
        from_torch(_Deep(nn.Hardshrink()), (4,))
    with pytest.raises(UnsupportedLayerError, match="3-D Conv"):
        from_torch(nn.Conv3d(1, 1, 2), (1, 3, 3, 3))
    with pytest.raises(UnsupportedLayerError, match=r"'0' \(MaxPool2d, position 0 .*return_indices"):
        from_torch(nn.Sequential(nn.MaxPool2d(2, return_indices=True)), (1, 4, 4))
    with pytest.raises(UnsupportedLayerError, match="multiple of the output size"):
        from_torch(nn.AdaptiveMaxPool2d(3), (1, 4, 6))
    with pytest.raises(UnsupportedLayerError, match="ceil_mode"):
        from_torch(nn.AvgPool2d(2, ceil_mode=True), (1, 5, 6))


def test_training_mode_errors():
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    with pytest.raises(UnsupportedLayerError, match=r"'1' \(BatchNorm2d, position 1 .*training mode.*call "
                                                    r"model.eval\(\)"):
        from_torch(m, (1, 5, 5))
    assert m.training  # unchanged
    with pytest.raises(UnsupportedLayerError, match=r"\(Dropout, position 2 .*training mode: dropout is random"):
        from_torch(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.1), nn.Linear(3, 1)))
    with pytest.raises(UnsupportedLayerError, match="training mode"):
        from_torch(Fn(lambda x: F.dropout(x, 0.5)), (3,))
    bn = nn.BatchNorm1d(3, track_running_stats=False).eval()
    with pytest.raises(UnsupportedLayerError, match="statistics of the batch"):
        from_torch(bn, (3,))
    # in eval mode all of these convert
    from_torch(m.eval(), (1, 5, 5))


def test_unsupported_functions_named():
    cases = [
        (lambda x: torch.sigmoid(x) + x, "torch function 'torch.sigmoid' is not supported: sigmoid is not "
                                         "piecewise linear"),
        (lambda x: x * x, "a product of two input-dependent tensors is not piecewise linear"),
        (lambda x: 1.0 / x, "division by an input-dependent tensor"),
        (lambda x: torch.sign(x), "sign is not continuous"),
        (lambda x: x.max(1)[1].double(), "indices of max"),
        (lambda x: F.max_pool1d(x.unsqueeze(1), 2, return_indices=True)[1].double(), "return_indices"),
        (lambda x: x.sum(), "batch axis"),
        (lambda x: torch.cat([x, x], 0), "batch axis"),
        (lambda x: x.view(-1), "batch axis"),
        (lambda x: torch.cumsum(x, 1), "no conversion for 'torch.cumsum'"),
        (lambda x: F.threshold(x, 0.5, 0.0), "not continuous"),
        (lambda x: x.round(), "round is not continuous"),
        (lambda x: (x, -x), "several tensors"),
        (lambda x: torch.ones(2), "does not depend on its input"),
    ]
    for f, msg in cases:
        with pytest.raises(UnsupportedLayerError, match=msg.replace("(", r"\(").replace(")", r"\)")):
            from_torch(Fn(f), (4,))


def test_data_dependent_control_flow_error():
    class Branch(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            y = self.fc(x)
            if y.sum() > 0:
                return torch.relu(y)
            return y

    with pytest.raises(UnsupportedLayerError, match="cannot trace the torch model with torch.fx"):
        from_torch(Branch())
    with pytest.raises(UnsupportedLayerError, match="data-dependent control flow"):
        from_torch(Branch(), (3,))


def test_several_inputs_and_bad_arguments():
    class Two(nn.Module):
        def forward(self, x, y):
            return x + y

    with pytest.raises(UnsupportedLayerError, match="several inputs"):
        from_torch(Two(), (2,))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        from_torch([[1.0]], (1,))
    with pytest.raises(TypeError, match="relugeom Network"):
        to_torch([[1.0]])
    b = NetworkBuilder((2,))
    with pytest.raises(ValueError, match="dtype"):
        to_torch(b.build(b.relu(b.input)), "int32")
