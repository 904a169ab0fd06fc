"""A sandboxed autograder for a six-assignment deep-learning course."""

__version__ = "0.1.0"
