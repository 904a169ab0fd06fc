"""The decoder against hostile frames: student code can write its own frame to
the worker's reply pipe, so every rule here is one an attacker would break."""

from __future__ import annotations

import io
import json
import os
import threading
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from autograder.sandbox.protocol import (
    MAX_ARRAYS,
    MAX_HEADER_BYTES,
    FrameTooLarge,
    ProtocolError,
    decode,
    encode,
    read_frame,
    write_frame,
)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def archive(document, arrays: dict[str, np.ndarray], compression=zipfile.ZIP_STORED,
            header: bytes | None = None) -> bytes:
    """An .npz body as a forger would write it: any header, any members, any compression."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as bundle:
        text = header if header is not None else json.dumps(document).encode()
        bundle.writestr("__header__.npy", npy(np.frombuffer(text, dtype=np.uint8)))
        for key, array in arrays.items():
            bundle.writestr(f"{key}.npy", npy(array))
    return buffer.getvalue()


def test_honest_messages_still_round_trip_and_arrays_are_writable():
    value = {"x": np.asfortranarray(np.arange(12.0).reshape(3, 4)), "n": np.int32(3),
             "e": np.zeros((0, 5)), "t": (np.array([True, False]), [1, None])}
    back = decode(encode(value))
    np.testing.assert_array_equal(back["x"], value["x"])
    assert back["e"].shape == (0, 5) and type(back["n"]) is np.int32 and back["t"][1] == [1, None]
    back["x"][0, 0] = 7.0  # a student's function may legitimately write into its inputs


def test_an_array_referred_to_many_times_is_refused_without_allocating_it_again():
    """0.5 MiB on the wire that the old decoder turned into 1.5 GiB (one copy per reference)."""
    block = np.zeros(1 << 16)  # 512 KiB
    body = archive({"__tuple__": [{"__array__": "a0"}] * 3000}, {"a0": block}, zipfile.ZIP_DEFLATED)
    assert len(body) < 8 << 10
    stored = archive([{"__array__": "a0"}] * 3000, {"a0": block})
    tracemalloc.start()
    try:
        for body_ in (body, stored):
            with pytest.raises(ProtocolError):
                decode(body_)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_compressed_members_are_refused():
    body = archive({"__array__": "a0"}, {"a0": np.zeros(100)}, zipfile.ZIP_DEFLATED)
    with pytest.raises(ProtocolError, match="compressed"):
        decode(body)


def test_a_repeated_member_name_and_members_sharing_bytes_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("__header__.npy", npy(np.frombuffer(b'{"__array__": "a0"}', dtype=np.uint8)))
        bundle.writestr("a0.npy", npy(np.zeros(4)))
        with pytest.warns(UserWarning):  # zipfile warns, and writes it anyway
            bundle.writestr("a0.npy", npy(np.ones(4)))
    with pytest.raises(ProtocolError, match="twice"):
        decode(buffer.getvalue())
    # Two directory entries pointing at the same bytes: the overlapping zip bomb.
    body = archive({"__tuple__": [{"__array__": "a0"}, {"__array__": "a1"}]},
                   {"a0": np.zeros(1000), "a1": np.zeros(1000)})
    offsets = {info.filename: info.header_offset for info in zipfile.ZipFile(io.BytesIO(body)).infolist()}
    entry = body.index(b"a1.npy", body.index(b"PK\x01\x02")) - 46  # a1's central directory entry
    shared = body[:entry + 42] + offsets["a0.npy"].to_bytes(4, "little") + body[entry + 46:]
    with pytest.raises(ProtocolError, match="share"):
        decode(shared)


def test_an_oversized_header_is_refused_before_it_is_parsed():
    header = b'["' + b"x" * (MAX_HEADER_BYTES + 10) + b'"]'
    with pytest.raises(ProtocolError, match="header"):
        decode(archive(None, {}, header=header))


def test_arrays_must_be_plain_numbers_whose_shape_fits_their_bytes():
    with pytest.raises(ProtocolError, match="plain numbers"):
        decode(archive({"__array__": "a0"}, {"a0": np.array(["text"])}))
    liar = archive({"__array__": "a0"}, {"a0": np.zeros(4)}).replace(b"(4,)", b"(9,)")
    with pytest.raises(ProtocolError, match="does not match"):
        decode(liar)
    with pytest.raises(ProtocolError, match="scalar"):
        decode(archive({"__npscalar__": "V1000000000", "value": 5}, {}))


def test_too_many_members_are_refused():
    arrays = {f"a{i}": np.zeros(0) for i in range(MAX_ARRAYS + 1)}
    with pytest.raises(ProtocolError, match="members"):
        decode(archive([], arrays))


def test_a_frame_over_the_readers_limit_is_dropped_unread_and_the_next_one_still_arrives():
    read_fd, write_fd = os.pipe()
    try:
        big = np.zeros(1 << 18)  # 2 MiB
        writer = threading.Thread(target=lambda: (write_frame(write_fd, {"value": big}),
                                                  write_frame(write_fd, {"value": 1.5})))
        writer.start()
        with pytest.raises(FrameTooLarge) as caught:
            read_frame(read_fd, limit=1 << 20)
        assert caught.value.size > 2 << 20
        assert read_frame(read_fd, limit=1 << 20) == {"value": 1.5}
        writer.join()
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_frame_that_never_completes_stops_at_the_deadline():
    read_fd, write_fd = os.pipe()
    try:
        body = encode({"value": np.zeros(100)})
        os.write(write_fd, len(body).to_bytes(8, "little") + body[:50])  # and then nothing
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            read_frame(read_fd, deadline=started + 0.5)
        assert time.monotonic() - started < 2.0
    finally:
        os.close(read_fd)
        os.close(write_fd)
