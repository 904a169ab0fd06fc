"""shapes.py and the answer tables against PyTorch layers and published figures."""

import math

import numpy as np
import pytest
import torch
from torch import nn

N_RANDOM = 300


def _random_conv_specs(seed, count):
    rng = np.random.default_rng(seed)
    specs = []
    for _ in range(count):
        groups = int(rng.choice([1, 1, 1, 2, 3, 4]))
        specs.append(dict(
            in_channels=groups * int(rng.integers(1, 4)),
            out_channels=groups * int(rng.integers(1, 4)),
            kernel=(int(rng.integers(1, 8)), int(rng.integers(1, 8))),
            stride=(int(rng.integers(1, 5)), int(rng.integers(1, 5))),
            padding=(int(rng.integers(0, 4)), int(rng.integers(0, 4))),
            dilation=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            groups=groups,
            bias=bool(rng.integers(0, 2)),
            size=(int(rng.integers(1, 24)), int(rng.integers(1, 24))),
        ))
    return specs


def _torch_conv(spec):
    return nn.Conv2d(spec["in_channels"], spec["out_channels"], spec["kernel"],
                     stride=spec["stride"], padding=spec["padding"],
                     dilation=spec["dilation"], groups=spec["groups"], bias=spec["bias"])


def _torch_output_hw(module, in_channels, size):
    """(H, W) of module's output on a zero image, or None where torch refuses."""
    try:
        with torch.no_grad():
            out = module(torch.zeros(1, in_channels, *size))
    except RuntimeError:
        return None
    return tuple(out.shape[2:]) if out.numel() else None


@pytest.mark.parametrize("spec", _random_conv_specs(0, N_RANDOM))
def test_conv_output_size_and_params_match_torch(a4, spec):
    module = _torch_conv(spec)
    expected_hw = _torch_output_hw(module, spec["in_channels"], spec["size"])
    dims = list(zip(spec["size"], spec["kernel"], spec["stride"], spec["padding"], spec["dilation"]))
    if expected_hw is None:
        with pytest.raises(ValueError):
            for size, k, s, p, d in dims:
                a4.shapes.conv_output_size(size, k, s, p, d)
    else:
        got = tuple(a4.shapes.conv_output_size(size, k, s, p, d) for size, k, s, p, d in dims)
        assert got == expected_hw
    weights, biases = a4.shapes.conv_param_count(
        spec["in_channels"], spec["out_channels"], spec["kernel"],
        bias=spec["bias"], groups=spec["groups"])
    assert weights == module.weight.numel()
    assert biases == (module.bias.numel() if spec["bias"] else 0)


@pytest.mark.parametrize("spec", _random_conv_specs(1, N_RANDOM // 3))
def test_layer_table_single_conv_matches_torch(a4, spec):
    module = _torch_conv(spec)
    expected_hw = _torch_output_hw(module, spec["in_channels"], spec["size"])
    layer = {"type": "conv", "name": "c", "out_channels": spec["out_channels"],
             "kernel": spec["kernel"], "stride": spec["stride"], "padding": spec["padding"],
             "dilation": spec["dilation"], "groups": spec["groups"], "bias": spec["bias"]}
    input_shape = (*spec["size"], spec["in_channels"])
    if expected_hw is None:
        with pytest.raises(ValueError):
            a4.shapes.layer_table(input_shape, [layer])
        return
    [(name, shape, weights, biases)] = a4.shapes.layer_table(input_shape, [layer])
    assert (name, shape) == ("c", (*expected_hw, spec["out_channels"]))
    assert weights == module.weight.numel()
    assert biases == sum(p.numel() for p in module.parameters()) - module.weight.numel()


def _random_pool_specs(seed, count):
    rng = np.random.default_rng(seed)
    specs = []
    for _ in range(count):
        kernel = int(rng.integers(1, 6))
        stride = None if rng.random() < 0.3 else int(rng.integers(1, 5))
        padding = int(rng.integers(0, kernel // 2 + 1))   # torch allows at most kernel // 2
        specs.append((int(rng.integers(1, 24)), kernel, stride, padding))
    return specs


@pytest.mark.parametrize("size,kernel,stride,padding", _random_pool_specs(2, N_RANDOM))
def test_pool_output_size_matches_torch(a4, size, kernel, stride, padding):
    module = nn.MaxPool2d(kernel, stride=stride, padding=padding)
    expected = _torch_output_hw(module, 1, (size, size))
    if expected is None:
        with pytest.raises(ValueError):
            a4.shapes.pool_output_size(size, kernel, stride, padding)
    else:
        assert a4.shapes.pool_output_size(size, kernel, stride, padding) == expected[0]


def test_pool_stride_defaults_to_kernel(a4):
    assert a4.shapes.pool_output_size(32, 2) == 16
    assert a4.shapes.pool_output_size(7, 3) == 2


@pytest.mark.parametrize("in_f,out_f,bias",
                         [(1, 1, True), (784, 10, True), (3, 7, False), (4096, 1000, True)])
def test_linear_param_count_matches_torch(a4, in_f, out_f, bias):
    layer = nn.Linear(in_f, out_f, bias=bias)
    expected = (layer.weight.numel(), layer.bias.numel() if bias else 0)
    assert a4.shapes.linear_param_count(in_f, out_f, bias=bias) == expected


@pytest.mark.parametrize("channels", [1, 3, 64, 512])
def test_batchnorm_param_count_matches_torch(a4, channels):
    layer = nn.BatchNorm2d(channels)
    trainable = sum(p.numel() for p in layer.parameters() if p.requires_grad)
    running = layer.running_mean.numel() + layer.running_var.numel()
    assert a4.shapes.batchnorm_param_count(channels) == (trainable, running)


def _receptive_field_by_autograd(layers):
    """Side of the input region that reaches one output unit, found with autograd.

    Every layer is a convolution with positive weights (so nothing cancels);
    the input is large enough for the field to fit, and the output unit is
    the central one.
    """
    size = 1
    for kernel, stride in reversed(layers):
        size = (size - 1) * stride + kernel
    size += 8
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = x
    for kernel, stride in layers:
        weight = torch.ones(1, 1, kernel, kernel, dtype=torch.float64)
        out = torch.nn.functional.conv2d(out, weight, stride=stride)
    h, w = out.shape[2:]
    out[0, 0, h // 2, w // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()
    return int(rows.max() - rows.min() + 1)


def _random_stacks(seed, count):
    rng = np.random.default_rng(seed)
    return [[(int(rng.integers(1, 6)), int(rng.integers(1, 4))) for _ in range(rng.integers(1, 5))]
            for _ in range(count)]


@pytest.mark.parametrize("layers", [[], [(3, 1)], [(3, 1), (3, 1)], [(3, 1)] * 3, [(7, 2), (3, 2), (3, 1)]]
                         + _random_stacks(3, 40))
def test_receptive_field_matches_autograd(a4, layers):
    expected = 1 if not layers else _receptive_field_by_autograd(layers)
    assert a4.shapes.receptive_field(layers) == expected


def _random_net(rng):
    """A random sequential net as layer dicts: a few conv/maxpool layers, then fc layers."""
    layers = []
    for i in range(int(rng.integers(1, 5))):
        if rng.random() < 0.65:
            groups = int(rng.choice([1, 1, 2]))
            layers.append({"type": "conv", "name": f"conv{i}",
                           "out_channels": groups * int(rng.integers(1, 5)),
                           "kernel": (int(rng.integers(1, 6)), int(rng.integers(1, 6))),
                           "stride": int(rng.integers(1, 3)), "padding": int(rng.integers(0, 3)),
                           "dilation": int(rng.choice([1, 1, 2])), "groups": groups})
        else:
            kernel = int(rng.integers(2, 4))
            layer = {"type": "maxpool", "name": f"pool{i}", "kernel": kernel}
            if rng.random() < 0.5:
                layer["stride"] = int(rng.integers(1, 4))
            layers.append(layer)
    for i in range(int(rng.integers(0, 3))):
        layers.append({"type": "fc", "name": f"fc{i}", "out_features": int(rng.integers(1, 20))})
    return layers


def _torch_layers(input_shape, layers):
    """The torch modules of a layer-dict net, one per dict (fc gets a Flatten in front)."""
    channels = input_shape[2]
    modules = []
    for layer in layers:
        if layer["type"] == "conv":
            groups = layer.get("groups", 1)
            if channels % groups:
                raise RuntimeError("channels not divisible by groups")
            modules.append(nn.Conv2d(channels, layer["out_channels"], layer["kernel"],
                                     stride=layer.get("stride", 1), padding=layer.get("padding", 0),
                                     dilation=layer.get("dilation", 1), groups=groups))
            channels = layer["out_channels"]
        elif layer["type"] == "maxpool":
            modules.append(nn.MaxPool2d(layer["kernel"], stride=layer.get("stride")))
        else:
            modules.append(nn.Sequential(nn.Flatten(), nn.LazyLinear(layer["out_features"])))
    return modules


def _torch_table(input_shape, layers):
    """Rows (name, output_shape, weights, biases) measured on torch modules."""
    h, w, c = input_shape
    x = torch.zeros(1, c, h, w)
    rows = []
    for layer, module in zip(layers, _torch_layers(input_shape, layers)):
        with torch.no_grad():
            x = module(x)
        if x.numel() == 0:
            raise RuntimeError("empty output")
        shape = (x.shape[2], x.shape[3], x.shape[1]) if x.dim() == 4 else (x.shape[1],)
        params = list(module.parameters())
        weights = sum(p.numel() for p in params if p.dim() > 1)
        biases = sum(p.numel() for p in params if p.dim() == 1)
        rows.append((layer["name"], tuple(int(s) for s in shape), weights, biases))
    return rows


def test_layer_table_random_nets_match_torch(a4):
    rng = np.random.default_rng(4)
    checked = refused = 0
    while checked < 200:
        input_shape = (int(rng.integers(4, 20)), int(rng.integers(4, 20)), int(rng.integers(1, 4)))
        layers = _random_net(rng)
        try:
            expected = _torch_table(input_shape, layers)
        except RuntimeError:
            refused += 1
            with pytest.raises(ValueError):
                a4.shapes.layer_table(input_shape, layers)
            continue
        assert a4.shapes.layer_table(input_shape, layers) == expected, (input_shape, layers)
        checked += 1
    assert refused > 0  # the generator also exercises layers that do not fit


def test_layer_table_rejects_unknown_type(a4):
    with pytest.raises(ValueError):
        a4.shapes.layer_table((8, 8, 3), [{"type": "avgpool", "name": "p", "kernel": 2}])


# ---------------------------------------------------------------- the answers

def _alexnet_torch():
    """The AlexNet-style net of SPEC.md, written directly in torch."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 7, stride=2), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 256, 5, padding=2), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 512, 3, padding=1), nn.Conv2d(512, 512, 3, padding=1),
        nn.Conv2d(512, 512, 3, padding=1), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Linear(14 * 14 * 512, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 1000),
    )


def _cifar_torch():
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 4 * 64, 1000), nn.Linear(1000, 10),
    )


def _table_from_torch(model, input_chw, names):
    device = next(model.parameters()).device
    x = torch.zeros(1, *input_chw, device=device)
    rows = []
    layers = [m for m in model if not isinstance(m, nn.Flatten)]
    assert len(layers) == len(names)
    for module in model:
        with torch.no_grad():
            x = module(x)
        if isinstance(module, nn.Flatten):
            continue
        shape = (x.shape[2], x.shape[3], x.shape[1]) if x.dim() == 4 else (x.shape[1],)
        weights = module.weight.numel() if hasattr(module, "weight") else 0
        biases = module.bias.numel() if hasattr(module, "bias") else 0
        rows.append((names[len(rows)], tuple(int(s) for s in shape), weights, biases))
    return rows


ALEXNET_NAMES = ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool3", "fc1", "fc2", "fc3"]
CIFAR_NAMES = ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "fc4", "fc5"]


def test_alexnet_conv1_published_figures(a4):
    # Published figures: conv1 is 125x125x64 with 7 * 7 * 3 * 64 = 9,408 weights.
    assert a4.answers.ALEXNET_TABLE[0] == ("conv1", (125, 125, 64), 9408, 64)


def test_alexnet_table_matches_torch(a4):
    with torch.device("meta"):  # shapes only: fc1 alone would take 1.6 GB of real memory
        model = _alexnet_torch()
    expected = _table_from_torch(model, (3, 256, 256), ALEXNET_NAMES)
    assert a4.answers.ALEXNET_TABLE == expected


def test_cifar_table_matches_torch(a4):
    model = _cifar_torch()
    assert a4.answers.CIFAR_NET_TABLE == _table_from_torch(model, (3, 32, 32), CIFAR_NAMES)
    assert a4.answers.CIFAR_NET_TOTAL_PARAMS == sum(p.numel() for p in model.parameters())


def test_cifar_total_published_figure(a4):
    assert a4.answers.CIFAR_NET_TOTAL_PARAMS == 1_191_170


def test_receptive_field_answer(a4):
    assert a4.answers.RECEPTIVE_FIELD_TWO_3X3 == _receptive_field_by_autograd([(3, 1), (3, 1)]) == 5


def test_answer_types_are_plain(a4):
    for table in (a4.answers.ALEXNET_TABLE, a4.answers.CIFAR_NET_TABLE):
        assert isinstance(table, list)
        for name, shape, weights, biases in table:
            assert type(name) is str and type(shape) is tuple
            assert all(type(s) is int for s in shape)
            assert type(weights) is int and type(biases) is int
    assert type(a4.answers.CIFAR_NET_TOTAL_PARAMS) is int
    assert type(a4.answers.RECEPTIVE_FIELD_TWO_3X3) is int


def test_fc_parameters_dominate_alexnet(a4):
    """The claim the notebook makes: fc1 holds most of the weights."""
    table = a4.answers.ALEXNET_TABLE
    total = sum(w + b for _, _, w, b in table)
    fc1 = next(w + b for name, _, w, b in table if name == "fc1")
    assert fc1 / total > 0.8
    assert math.prod(next(s for name, s, _, _ in table if name == "pool3")) * 4096 == fc1 - 4096
