"""CifarNet: the CIFAR network of a4 as a PyTorch module."""

import torch
from torch import nn


class CifarNet(nn.Module):
    """Three conv-ReLU-maxpool stages, then fc 1000, ReLU, dropout and fc.

    conv1 32 5x5 pad 2, pool 2x2; conv2 64 5x5 pad 2, pool 2x2; conv3 64 5x5
    pad 2, pool 2x2; fc4 1024 -> 1000; fc5 1000 -> num_classes. With
    ``batchnorm`` a BatchNorm2d follows each convolution, before its ReLU.
    Without batchnorm and with 10 classes it has 1,191,170 parameters.

    Args:
        num_classes: int, the number of outputs.
        batchnorm: bool, add BatchNorm2d after each convolution.
        dropout: float in [0, 1), the drop probability before the last layer.

    forward(x): float32 (N, 3, 32, 32) -> logits (N, num_classes).
    """

    def __init__(self, num_classes=10, batchnorm=False, dropout=0.0):
        super().__init__()
        raise NotImplementedError("build self.features (3 x conv 5x5 pad 2 [+ BatchNorm2d], ReLU, MaxPool2d(2)) and self.classifier (Flatten, Linear(1024, 1000), ReLU, Dropout, Linear)")

    def forward(self, x):
        """x: float32 (N, 3, 32, 32) -> logits (N, num_classes)."""
        raise NotImplementedError("apply the features, then the classifier")


def count_parameters(model):
    """The number of trainable parameters of ``model`` (an int)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
