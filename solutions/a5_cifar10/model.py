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
        ### BEGIN SOLUTION hint: build self.features (3 x conv 5x5 pad 2 [+ BatchNorm2d], ReLU, MaxPool2d(2)) and self.classifier (Flatten, Linear(1024, 1000), ReLU, Dropout, Linear)
        layers = []
        in_channels = 3
        for out_channels in (32, 64, 64):
            layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=5, padding=2))
            if batchnorm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
            in_channels = out_channels
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 1000),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(1000, num_classes),
        )
        ### END SOLUTION

    def forward(self, x):
        """x: float32 (N, 3, 32, 32) -> logits (N, num_classes)."""
        ### BEGIN SOLUTION hint: apply the features, then the classifier
        return self.classifier(self.features(x))
        ### END SOLUTION


def count_parameters(model):
    """The number of trainable parameters of ``model`` (an int)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
