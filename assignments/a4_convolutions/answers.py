"""Answers: layer tables of two nets and a receptive field.

A table is a list of rows (name, output_shape, weights, biases), one per
layer, exactly as shapes.layer_table returns them: output_shape is (H, W, C)
after conv and maxpool layers and (F,) after fc layers; weights and biases
are ints. Compute the answers with your functions from shapes.py rather than
typing numbers.
"""

from shapes import layer_table, receptive_field

# An AlexNet-style net. Input 256x256x3; conv1 64 7x7 stride 2 pad 0; pool1
# 3x3 stride 2; conv2 256 5x5 pad 2; pool2 3x3 stride 2; conv3, conv4, conv5
# 512 3x3 pad 1; pool3 3x3 stride 2; fc1 4096; fc2 4096; fc3 1000. Name the
# rows conv1, pool1, conv2, pool2, conv3, conv4, conv5, pool3, fc1, fc2, fc3.
ALEXNET_TABLE = None
# YOUR ANSWER HERE (hint: write the 11 layers as dicts for layer_table and call it on the input shape (256, 256, 3))

# A small CIFAR-10 net. Input 32x32x3; conv1 32 5x5 pad 2; pool1 2x2; conv2
# 64 5x5 pad 2; pool2 2x2; conv3 64 5x5 pad 2; pool3 2x2; fc4 1000; fc5 10.
# Strides are 1 for the convs and 2 for the pools. Name the rows conv1,
# pool1, conv2, pool2, conv3, pool3, fc4, fc5.
CIFAR_NET_TABLE = None
# YOUR ANSWER HERE (hint: write the 8 layers as dicts for layer_table and call it on the input shape (32, 32, 3))

# Trainable parameters of the CIFAR net, weights and biases of every layer.
CIFAR_NET_TOTAL_PARAMS = None
# YOUR ANSWER HERE (hint: add the weights and the biases of every row of CIFAR_NET_TABLE)

# Side length of the receptive field of two stacked 3x3 stride-1 convolutions.
RECEPTIVE_FIELD_TWO_3X3 = None
# YOUR ANSWER HERE (hint: call receptive_field with the (kernel, stride) pairs of the two layers)
