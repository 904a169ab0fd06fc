"""How checks write the arguments of a call into a message."""

from __future__ import annotations

from typing import Any


def show_value(value: Any) -> str:
    """A value for a message: floats to 6 significant digits, dicts item by item."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {show_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def show_config(config: dict | None) -> str:
    """A config dict as keyword arguments, e.g. "learning_rate=0.01, momentum=0.9"."""
    if config is None:
        return "config=None"
    return ", ".join(f"{k}={show_value(v)}" for k, v in config.items())
