"""Subcommands of `autograder`, one module each.

A module here defines ``register(subparsers)``, which adds its parser and sets
``func`` to a function taking the parsed arguments and returning an exit code.
cli.py finds the modules listed in ORDER first, then any others.
"""

ORDER = ["grade", "check", "generate", "list", "demo"]
