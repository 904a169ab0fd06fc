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

The grader decodes what student code may have written (the reply pipe's fd
is in the worker's argv), so the decoder trusts nothing and allocates only
what it has checked:
  - a frame's declared length is compared with the caller's limit before the
    body is allocated; a frame over the limit is read and dropped in small
    chunks (FrameTooLarge), or refused when over MAX_MESSAGE_BYTES;
  - the archive is parsed by hand, strictly: stored (uncompressed) members
    only, at most MAX_ARRAYS of them, each name once, no two members sharing
    bytes, the header's size checked against MAX_HEADER_BYTES before it is read;
  - each array's dtype (plain numbers and bools) and shape are read from its
    .npy header and must account for exactly the member's bytes; an array is
    copied out of the body only when the document refers to it, at most once;
  - reading and decoding stop at the caller's deadline (TimeoutError).
"""

from __future__ import annotations

import ast
import io
import json
import math
import os
import select
import struct
import time

import numpy as np

_LEN = struct.Struct("<Q")
MAX_MESSAGE_BYTES = 1 << 30
MAX_HEADER_BYTES = 1 << 20
MAX_ARRAYS = 10_000
_MAX_DEPTH = 20
_MAX_NPY_HEADER = 4096
_READ_CHUNK = 1 << 20
_NUMERIC_KINDS = "biufc"


class ProtocolError(Exception):
    """A message that is not a well-formed protocol frame."""


class FrameTooLarge(ProtocolError):
    """A frame longer than the reader's limit; it was read and dropped, unseen."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"a message of {size} bytes, over the limit of {limit}")
        self.size, self.limit = size, limit


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


def array_bytes(tree) -> int:
    """Total bytes of the ndarrays in a tree of tuples, lists and dicts (for reply budgets)."""
    if isinstance(tree, np.ndarray):
        return int(tree.nbytes)
    if isinstance(tree, dict):
        return sum(array_bytes(v) for v in tree.values())
    if isinstance(tree, (tuple, list)):
        return sum(array_bytes(v) for v in tree)
    return 0


def _encode(value, arrays: dict, depth: int):
    if depth > _MAX_DEPTH:
        return {"__opaque__": "a value nested too deeply"}
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is np.ndarray:
        if value.dtype.kind not in _NUMERIC_KINDS or value.dtype.fields is not None \
                or value.dtype.subdtype is not None:
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


# -- the archive, parsed strictly --------------------------------------------------------
_END = struct.Struct("<4s4H2LH")            # end of central directory record
_CENTRAL = struct.Struct("<4s6H3L5H2L")     # central directory file header
_LOCAL = struct.Struct("<4s5H3L2H")         # local file header
_ZIP64_MARK = 0xFFFFFFFF
_UTF8_NAMES = 0x800


class _Member:
    """One .npy member of the archive: where its array's bytes lie and what they hold."""

    def __init__(self, body, name: str, start: int, size: int):
        self.name, self.used = name, False
        self.dtype, self.shape, self.fortran, self.offset = _npy_header(body, name, start, size)

    def array(self, body) -> np.ndarray:
        """A fresh, writable, aligned copy of the member's array."""
        count = math.prod(self.shape)
        flat = np.frombuffer(body, dtype=self.dtype, count=count, offset=self.offset)
        return flat.reshape(self.shape, order="F" if self.fortran else "C").copy()


def _npy_header(body, name: str, start: int, size: int):
    """(dtype, shape, fortran order, data offset) from the .npy header at ``start``,
    refused unless it describes plain numbers that fill the member exactly."""
    head = bytes(body[start:start + min(size, _MAX_NPY_HEADER)])
    if head[:6] != b"\x93NUMPY" or len(head) < 10:
        raise ProtocolError(f"{name} is not a .npy array")
    major = head[6]
    if major == 1:
        (length,), skip = struct.unpack("<H", head[8:10]), 10
    elif major == 2:
        (length,), skip = struct.unpack("<L", head[8:12]), 12
    else:
        raise ProtocolError(f"{name} has .npy format version {major}")
    if skip + length > len(head):
        raise ProtocolError(f"{name} has an over-long .npy header")
    try:
        fields = ast.literal_eval(head[skip:skip + length].decode("latin1"))
        dtype = np.dtype(fields["descr"]) if type(fields["descr"]) is str else None
        shape, fortran = fields["shape"], fields["fortran_order"]
    except Exception:  # noqa: BLE001 - any malformed header is one error
        raise ProtocolError(f"{name} has a malformed .npy header") from None
    if dtype is None or dtype.kind not in _NUMERIC_KINDS or dtype.itemsize > 16:
        raise ProtocolError(f"{name} does not hold plain numbers")
    if type(shape) is not tuple or len(shape) > 32 or \
            not all(type(n) is int and n >= 0 for n in shape) or type(fortran) is not bool:
        raise ProtocolError(f"{name} has a malformed shape")
    if math.prod(shape) * dtype.itemsize != size - skip - length:
        raise ProtocolError(f"{name}'s shape {shape} does not match its {size - skip - length} bytes")
    return dtype, shape, fortran, start + skip + length


def _directory(body) -> dict[str, tuple[int, int]]:
    """{member name: (data start, size)} from the central directory; refuses
    anything np.savez would not write (compression, encryption, zip64, comments,
    repeated names, members that share bytes)."""
    if len(body) < _END.size:
        raise ProtocolError("too short for an archive")
    (signature, _, _, _, count, directory_size, directory_at,
     comment) = _END.unpack_from(body, len(body) - _END.size)
    if signature != b"PK\x05\x06" or comment or directory_at + directory_size != len(body) - _END.size:
        raise ProtocolError("not an archive the worker writes")
    if count > MAX_ARRAYS + 1:
        raise ProtocolError(f"{count} members, more than {MAX_ARRAYS + 1}")
    members: dict[str, tuple[int, int]] = {}
    spans = []
    position = directory_at
    for _ in range(count):
        if position + _CENTRAL.size > len(body) - _END.size:
            raise ProtocolError("truncated archive directory")
        (signature, _, _, flags, method, _, _, _, packed, size, name_length, extra_length,
         comment_length, _, _, _, local_at) = _CENTRAL.unpack_from(body, position)
        name_at = position + _CENTRAL.size
        position = name_at + name_length + extra_length + comment_length
        if signature != b"PK\x01\x02" or flags & ~_UTF8_NAMES:
            raise ProtocolError("malformed or encrypted archive member")
        if method != 0 or packed != size:
            raise ProtocolError("compressed archive member (only stored members are accepted)")
        if size == _ZIP64_MARK or local_at == _ZIP64_MARK:
            raise ProtocolError("zip64 archive member")
        name = bytes(body[name_at:name_at + name_length]).decode("utf-8", "replace")
        if name in members:
            raise ProtocolError(f"archive member {name} appears twice")
        start = _local_data_start(body, local_at, name_length, directory_at)
        if start + size > directory_at:
            raise ProtocolError(f"archive member {name} runs past its data")
        members[name] = (start, size)
        spans.append((local_at, start + size))
    if position != len(body) - _END.size:
        raise ProtocolError("malformed archive directory")
    spans.sort()
    if any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])):
        raise ProtocolError("archive members share bytes")
    return members


def _local_data_start(body, local_at: int, name_length: int, limit: int) -> int:
    if local_at + _LOCAL.size > limit:
        raise ProtocolError("archive member outside the archive")
    signature, _, flags, method, _, _, _, _, _, local_name, extra = _LOCAL.unpack_from(body, local_at)
    if signature != b"PK\x03\x04" or method != 0 or local_name != name_length or flags & ~_UTF8_NAMES:
        raise ProtocolError("archive member headers disagree")
    return local_at + _LOCAL.size + local_name + extra


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise TimeoutError("the message was still being decoded at the deadline")


def _decode(node, archive: _Archive, depth: int):
    if depth > _MAX_DEPTH:
        raise ProtocolError("message nested too deeply")
    if node is None or type(node) in (bool, int, float, str):
        return node
    if type(node) is list:
        return [_decode(v, archive, depth + 1) for v in node]
    if type(node) is not dict or len(node) not in (1, 2):
        raise ProtocolError("unexpected node in message")
    if "__array__" in node:
        return archive.array(node["__array__"])
    if "__tuple__" in node and type(node["__tuple__"]) is list:
        return tuple(_decode(v, archive, depth + 1) for v in node["__tuple__"])
    if "__dict__" in node and type(node["__dict__"]) is list:
        out = {}
        for item in node["__dict__"]:
            if type(item) is not list or len(item) != 2 or type(item[0]) is not str or item[0] in out:
                raise ProtocolError("malformed dict in message")
            out[item[0]] = _decode(item[1], archive, depth + 1)
        return out
    if "__npscalar__" in node:
        dtype = np.dtype(str(node["__npscalar__"]))
        if dtype.kind not in _NUMERIC_KINDS or dtype.itemsize > 16 or \
                type(node.get("value")) not in (bool, int, float):
            raise ProtocolError("malformed scalar in message")
        return dtype.type(node["value"])
    if "__opaque__" in node:
        return Opaque(str(node["__opaque__"])[:200])
    raise ProtocolError("unknown node in message")


class _Archive:
    """The arrays of one message body, each handed out at most once."""

    def __init__(self, body, deadline: float | None):
        self.body, self.deadline = body, deadline
        self.members = {}
        for name, (start, size) in _directory(body).items():
            if not name.endswith(".npy"):
                raise ProtocolError(f"archive member {name} is not an array")
            self.members[name[:-4]] = (start, size)

    def header(self):
        if "__header__" not in self.members:
            raise ProtocolError("message without a header")
        start, size = self.members.pop("__header__")
        member = _Member(self.body, "__header__", start, size)
        if member.dtype != np.uint8 or len(member.shape) != 1 or member.shape[0] > MAX_HEADER_BYTES:
            raise ProtocolError(f"message header over {MAX_HEADER_BYTES} bytes or malformed")
        text = bytes(self.body[member.offset:member.offset + member.shape[0]])
        return json.loads(text.decode("utf-8"))

    def array(self, key) -> np.ndarray:
        if type(key) is not str or key not in self.members:
            raise ProtocolError("message refers to a missing array")
        start, size = self.members.pop(key)  # a second reference finds nothing
        _check_deadline(self.deadline)
        return _Member(self.body, key, start, size).array(self.body)


def decode(body, deadline: float | None = None):
    """Inverse of :func:`encode`; never unpickles, allocates only checked arrays,
    and raises TimeoutError once ``deadline`` (time.monotonic()) has passed."""
    try:
        archive = _Archive(memoryview(body), deadline)
        return _decode(archive.header(), archive, 0)
    except (ProtocolError, TimeoutError):
        raise
    except Exception as exc:  # noqa: BLE001 - anything malformed is one error
        raise ProtocolError(f"malformed message: {type(exc).__name__}: {exc}") from None


def write_frame(fd: int, document) -> None:
    """Write one length-prefixed message to a file descriptor."""
    body = encode(document)
    data = _LEN.pack(len(body)) + body
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _wait_readable(fd: int, deadline: float | None) -> None:
    """Return once ``fd`` (a pipe) has data or has closed; TimeoutError at the deadline."""
    if deadline is None:
        return
    if os.name == "nt":
        _wait_readable_windows(fd, deadline)
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
        raise TimeoutError("no complete message before the deadline")


def _wait_readable_windows(fd: int, deadline: float) -> None:
    """select() takes only sockets on Windows: poll the pipe with PeekNamedPipe."""
    import ctypes
    import msvcrt
    from ctypes import wintypes

    handle = wintypes.HANDLE(msvcrt.get_osfhandle(fd))  # type: ignore[attr-defined]
    available = wintypes.DWORD()
    peek = ctypes.windll.kernel32.PeekNamedPipe  # type: ignore[attr-defined]
    while peek(handle, None, 0, None, ctypes.byref(available), None) and not available.value:
        if time.monotonic() >= deadline:
            raise TimeoutError("no complete message before the deadline")
        time.sleep(0.005)
    # data is waiting, or the pipe is closed and the next read says so


def read_exact(fd: int, size: int, deadline: float | None = None) -> bytearray:
    """``size`` bytes from ``fd`` (EOFError if it closes first, TimeoutError at the deadline)."""
    buffer = bytearray(size)
    done = 0
    while done < size:
        _wait_readable(fd, deadline)
        chunk = os.read(fd, min(size - done, _READ_CHUNK))
        if not chunk:
            raise EOFError("channel closed")
        buffer[done:done + len(chunk)] = chunk
        done += len(chunk)
    return buffer


def _drop(fd: int, size: int, deadline: float | None) -> None:
    """Read and forget ``size`` bytes, a chunk at a time."""
    while size:
        _wait_readable(fd, deadline)
        chunk = os.read(fd, min(size, _READ_CHUNK))
        if not chunk:
            raise EOFError("channel closed")
        size -= len(chunk)


def read_frame(fd: int, limit: int = MAX_MESSAGE_BYTES, deadline: float | None = None):
    """Read one message written by :func:`write_frame`.

    limit: the most body bytes accepted; a longer frame (up to
    MAX_MESSAGE_BYTES) is dropped and FrameTooLarge raised, so the next frame
    can still be read. deadline: time.monotonic() by which reading and
    decoding must be done (TimeoutError), None to wait for ever.
    """
    (size,) = _LEN.unpack(read_exact(fd, _LEN.size, deadline))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"a message of {size} bytes, over the limit of {MAX_MESSAGE_BYTES}")
    if size > limit:
        _drop(fd, size, deadline)
        raise FrameTooLarge(size, limit)
    return decode(read_exact(fd, size, deadline), deadline)
