"""Output sizes, parameter counts and receptive fields of convolutional nets.

Everything here is integer arithmetic on layer hyper-parameters; no arrays.
The conventions are PyTorch's: ``nn.Conv2d`` and ``nn.MaxPool2d`` with
``ceil_mode=False`` (the output size is rounded DOWN), ``nn.Linear`` and
``nn.BatchNorm2d``.
"""

import math


def _pair(value, what):
    """Return ``value`` as a pair of ints: an int ``k`` becomes ``(k, k)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{what} must be an int or a pair of ints, got {value!r}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Spatial output size of a convolution along one dimension.

    Args:
        size: int, the input size (height or width).
        kernel: int, the kernel size along that dimension.
        stride: int >= 1.
        padding: int >= 0, zeros added on EACH side.
        dilation: int >= 1, spacing between kernel taps.

    Returns:
        int, floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1.

    Raises:
        ValueError: if the output size would be smaller than 1.
    """
    raise NotImplementedError("floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1, ValueError below 1")


def pool_output_size(size, kernel, stride=None, padding=0):
    """Spatial output size of a pooling layer along one dimension.

    Same rule as a convolution with dilation 1, rounding down (PyTorch's
    ``ceil_mode=False``).

    Args:
        size: int, the input size.
        kernel: int, the pooling window size.
        stride: int or None; None means ``stride = kernel`` (non-overlapping).
        padding: int >= 0, added on each side.

    Returns:
        int, floor((size + 2 padding - kernel) / stride) + 1.

    Raises:
        ValueError: if the output size would be smaller than 1.
    """
    raise NotImplementedError("set stride to kernel when it is None, then use the convolution formula with dilation 1")


def conv_param_count(in_channels, out_channels, kernel, bias=True, groups=1):
    """Trainable parameters of a 2-D convolution.

    Args:
        in_channels: int, C_in.
        out_channels: int, C_out.
        kernel: int k (a k x k kernel) or a pair (kh, kw).
        bias: bool, whether the layer has one bias per output channel.
        groups: int dividing both channel counts; each output channel sees
            in_channels / groups input channels.

    Returns:
        (weights, biases): ints; weights = C_out * (C_in / groups) * kh * kw,
        biases = C_out with a bias, else 0.

    Raises:
        ValueError: if groups does not divide both channel counts.
    """
    raise NotImplementedError("each of the out_channels filters has (in_channels // groups) * kh * kw weights, plus one bias each")


def linear_param_count(in_features, out_features, bias=True):
    """Trainable parameters of a fully connected layer.

    Args:
        in_features: int, D.
        out_features: int, M.
        bias: bool.

    Returns:
        (weights, biases): ints; D * M and M (0 without a bias).
    """
    raise NotImplementedError("a D x M weight matrix plus M biases")


def batchnorm_param_count(channels):
    """Parameters and running statistics of a batch-norm layer over C channels.

    Args:
        channels: int, C.

    Returns:
        (trainable, running_stats): ints; gamma and beta are trainable
        (2 C), the running mean and running variance are buffers updated
        during training but not by the optimiser (2 C). PyTorch's extra
        scalar ``num_batches_tracked`` is a counter and is not counted.
    """
    raise NotImplementedError("one scale and one shift per channel are trained, one mean and one variance per channel are tracked")


def receptive_field(layers):
    """Side length of the input region one output unit depends on.

    Args:
        layers: list of (kernel, stride) int pairs, input layer first
            (convolutions or pooling, dilation 1).

    Returns:
        int, the receptive field side length; 1 for an empty list.
    """
    raise NotImplementedError("each layer adds (kernel - 1) times the product of the strides of the layers before it")


def layer_table(input_shape, layers):
    """Output shape and parameter counts of every layer of a sequential net.

    Args:
        input_shape: (H, W, C) of one input image.
        layers: list of dicts, input layer first, one of
            {"type": "conv", "name", "out_channels", "kernel", "stride"=1,
             "padding"=0} (a bias per output channel),
            {"type": "maxpool", "name", "kernel", "stride"=kernel},
            {"type": "fc", "name", "out_features"} (flattens its input).
            Kernel, stride and padding of a conv may also be (h, w) pairs;
            a conv may also carry "dilation"=1, "groups"=1 and "bias"=True,
            a maxpool "padding"=0 (extras as in PyTorch, not graded).

    Returns:
        list of rows (name, output_shape, weights, biases), one per layer;
        output_shape is a tuple (H, W, C) after conv and maxpool, (F,) after
        fc; weights and biases are ints (0 for a pooling layer).

    Raises:
        ValueError: for an unknown layer type, a layer that does not fit its
            input, or a conv/maxpool after an fc layer.
    """
    raise NotImplementedError("walk the layers keeping the current shape; fc layers see prod(shape) inputs")
