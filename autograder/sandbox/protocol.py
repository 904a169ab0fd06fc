"""The wire format between grader and worker.

A message is a length-prefixed ``.npz`` archive. Its ``__header__`` entry is a
UTF-8 JSON document; arrays inside the document are replaced by
``{"__array__": KEY}`` and stored as entries of the archive. Decoding uses
``allow_pickle=False``, so nothing executable ever crosses the boundary.

Encoded forms inside the JSON tree:
  ndarray (exact type)   {"__array__": "a3"}
  tuple                  {"__tuple__": [...]}
  dict                   {"__dict__": [[key, value], ...]}   (str keys only)
  NumPy scalar           {"__npscalar__": dtype_str, "value": number}
  anything else          {"__opaque__": "a short description of its type"}
  float, int, bool, str, None, list: themselves (NaN/inf allowed)
"""

from __future__ import annotations

import io
import json
import struct

import numpy as np

_LEN = struct.Struct("<Q")
MAX_MESSAGE_BYTES = 1 << 30
_MAX_DEPTH = 20


class ProtocolError(Exception):
    """A message that is not a well-formed protocol frame."""


class Opaque:
    """A worker-side value that could not cross the boundary (e.g. a cache)."""

    def __init__(self, description: str):
        self.description = description

    def __repr__(self) -> str:
        return f"<opaque {self.description}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Opaque) and other.description == self.description


def _describe(value) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _encode(value, arrays: dict, depth: int):
    if depth > _MAX_DEPTH:
        return {"__opaque__": "a value nested too deeply"}
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is np.ndarray:
        if value.dtype.hasobject or value.dtype.fields is not None:
            return {"__opaque__": f"ndarray of dtype {value.dtype}"}
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, np.ndarray):
        return {"__opaque__": f"ndarray subclass {_describe(value)}"}
    if type(value) in (np.float64, np.float32, np.float16, np.int64, np.int32,
                       np.int16, np.int8, np.uint8, np.uint16, np.uint32,
                       np.uint64, np.bool_):
        return {"__npscalar__": value.dtype.str, "value": value.item()}
    if type(value) is tuple:
        return {"__tuple__": [_encode(v, arrays, depth + 1) for v in value]}
    if type(value) is list:
        return [_encode(v, arrays, depth + 1) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": [[k, _encode(v, arrays, depth + 1)] for k, v in value.items()]}
    return {"__opaque__": _describe(value)}


def encode(document) -> bytes:
    """Serialise a tree of plain values and arrays to one message body."""
    arrays: dict = {}
    tree = _encode(document, arrays, 0)
    header = json.dumps(tree).encode("utf-8")
    buffer = io.BytesIO()
    np.savez(buffer, __header__=np.frombuffer(header, dtype=np.uint8), **arrays)
    return buffer.getvalue()


def _decode(node, archive, depth: int):
    if depth > _MAX_DEPTH:
        raise ProtocolError("message nested too deeply")
    if node is None or type(node) in (bool, int, float, str):
        return node
    if type(node) is list:
        return [_decode(v, archive, depth + 1) for v in node]
    if type(node) is not dict or len(node) not in (1, 2):
        raise ProtocolError("unexpected node in message")
    if "__array__" in node:
        key = node["__array__"]
        if type(key) is not str or key not in archive.files or key == "__header__":
            raise ProtocolError("message refers to a missing array")
        return archive[key]
    if "__tuple__" in node:
        return tuple(_decode(v, archive, depth + 1) for v in node["__tuple__"])
    if "__dict__" in node:
        out = {}
        for item in node["__dict__"]:
            if type(item) is not list or len(item) != 2 or type(item[0]) is not str:
                raise ProtocolError("malformed dict in message")
            out[item[0]] = _decode(item[1], archive, depth + 1)
        return out
    if "__npscalar__" in node:
        dtype = np.dtype(str(node["__npscalar__"]))
        if dtype.hasobject:
            raise ProtocolError("object scalar in message")
        return dtype.type(node["value"])
    if "__opaque__" in node:
        return Opaque(str(node["__opaque__"])[:200])
    raise ProtocolError("unknown node in message")


def decode(body: bytes):
    """Inverse of :func:`encode`; never unpickles."""
    try:
        archive = np.load(io.BytesIO(body), allow_pickle=False)
        header = bytes(archive["__header__"]).decode("utf-8")
        return _decode(json.loads(header), archive, 0)
    except ProtocolError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything malformed is one error
        raise ProtocolError(f"malformed message: {exc}") from None


def write_frame(fd: int, document) -> None:
    """Write one length-prefixed message to a file descriptor."""
    import os

    body = encode(document)
    data = _LEN.pack(len(body)) + body
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exact(fd: int, size: int) -> bytes:
    import os

    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int):
    """Read one message written by :func:`write_frame`."""
    (size,) = _LEN.unpack(read_exact(fd, _LEN.size))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {size} bytes is over the limit")
    return decode(read_exact(fd, size))
