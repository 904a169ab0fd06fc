"""The wire format and the worker's request/response cycle."""

from __future__ import annotations

import io

import numpy as np
import pytest

from autograder.sandbox import Call, Ref, Sandbox
from autograder.sandbox.protocol import Opaque, ProtocolError, decode, encode


def test_round_trip_of_plain_values():
    value = {"a": (np.arange(6.0).reshape(2, 3), [1, 2.5, None, "s"]), "b": np.float32(1.5),
             "c": float("nan")}
    back = decode(encode(value))
    np.testing.assert_array_equal(back["a"][0], value["a"][0])
    assert back["a"][1] == [1, 2.5, None, "s"] and type(back["b"]) is np.float32
    assert np.isnan(back["c"])


def test_unencodable_values_become_opaque():
    class Subclass(np.ndarray):
        pass

    back = decode(encode([object(), np.zeros(2).view(Subclass), np.array([object()])]))
    assert all(isinstance(v, Opaque) for v in back)
    assert "subclass" in back[1].description


def test_pickled_payloads_are_refused():
    buffer = io.BytesIO()
    np.savez(buffer, __header__=np.frombuffer(b'{"__array__": "a0"}', dtype=np.uint8),
             a0=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ProtocolError):
        decode(buffer.getvalue())
    with pytest.raises(ProtocolError):
        decode(b"not an npz at all")


@pytest.fixture()
def submission(tmp_path):
    (tmp_path / "mod.py").write_text(
        "import numpy as np\nprint('imported')\n"
        "def forward(x):\n    return 2 * x, {'x': x}\n"
        "def backward(d, cache):\n    return 2 * d\n"
        "def boom():\n    raise ValueError('bad input')\n"
        "def spin():\n    while True:\n        pass\n"
        "CONSTANT = 7\n")
    (tmp_path / "broken.py").write_text("def f(:\n")
    return tmp_path


def test_calls_refs_picks_and_attributes(submission):
    with Sandbox(submission, ["mod"]) as sandbox:
        x = np.arange(3.0)
        out, grad, const = sandbox.run([Call("mod:forward", (x,), pick=0),
                                        Call("mod:backward", (np.ones(3), Ref(0, 1))),
                                        Call("mod:CONSTANT", kind="attr")])
    np.testing.assert_array_equal(out.value, 2 * x)
    np.testing.assert_array_equal(grad.value, 2 * np.ones(3))
    assert const.value == 7
    assert "imported" in sandbox.output()


def test_errors_timeouts_and_restarts(submission):
    with Sandbox(submission, ["mod", "broken", "missing"], timeout=1) as sandbox:
        boom = sandbox.call("mod:boom")
        assert boom.status == "error" and "ValueError: bad input (mod.py:8)" == boom.error
        spin = sandbox.call("mod:spin")
        assert spin.status == "timeout"
        again = sandbox.call("mod:forward", np.ones(2), timeout=5)
        assert again.ok and sandbox.restarts == 1
        broken = sandbox.call("broken:f")
        assert "SyntaxError" in broken.error and "broken.py:1" in broken.error
        assert "missing.py is missing" in sandbox.call("missing:f").error
        assert "has no nothing" in sandbox.call("mod:nothing").error
