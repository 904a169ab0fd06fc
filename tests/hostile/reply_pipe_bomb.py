"""Student code that writes its own frame into the worker's reply pipe.

bomb(x) finds the pipe (a write-only pipe other than stdout and stderr, so
it does not depend on how the worker is started) and writes 0.5 MiB that the
old decoder inflated to 1.5 GiB, one copy per reference to a deflate-compressed
member; then it returns x as if nothing happened. The tests copy this file
into submissions.
"""

import fcntl
import io
import json
import os
import stat
import struct
import zipfile

import numpy as np


def _reply_pipe():
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if fd > 2 and stat.S_ISFIFO(os.fstat(fd).st_mode) and \
                    fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                return fd
        except OSError:
            pass


def _npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def bomb(x):
    references = [{"__array__": "a0"}] * 3000
    reply = [["status", "ok"], ["value", references]]  # the old reply format, and the new one
    header = json.dumps({"__dict__": [["results", [{"__dict__": reply}]], ["call", 0], *reply]})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("__header__.npy", _npy(np.frombuffer(header.encode(), dtype=np.uint8)))
        bundle.writestr("a0.npy", _npy(np.zeros(1 << 16)))
    body = buffer.getvalue()
    os.write(_reply_pipe(), struct.pack("<Q", len(body)) + body)
    return x
