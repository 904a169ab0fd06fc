"""Answers to the questions in the a1 notebook: numbers, fractions not percentages."""

import math


# Trainable parameters (weights and biases) of a 784-10-10 MLP.
MLP_784_10_10_PARAMS = None
### BEGIN SOLUTION hint: each layer has fan_in * fan_out weights and fan_out biases
MLP_784_10_10_PARAMS = (784 * 10 + 10) + (10 * 10 + 10)
### END SOLUTION

# The same for a 784-300-10 MLP.
MLP_784_300_10_PARAMS = None
### BEGIN SOLUTION hint: the same count for 784-300-10
MLP_784_300_10_PARAMS = (784 * 300 + 300) + (300 * 10 + 10)
### END SOLUTION

# Expected accuracy of guessing uniformly at random among 10 classes.
CHANCE_ACCURACY_10_CLASSES = None
### BEGIN SOLUTION hint: one chance in ten, as a fraction
CHANCE_ACCURACY_10_CLASSES = 1 / 10
### END SOLUTION

# Softmax cross-entropy when all 10 logits are equal.
INITIAL_LOSS_10_CLASSES = None
### BEGIN SOLUTION hint: every class gets probability 1/10; take -log of that
INITIAL_LOSS_10_CLASSES = -math.log(1 / 10)
### END SOLUTION
