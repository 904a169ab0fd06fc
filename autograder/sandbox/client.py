"""Grader-side handle on a worker process that runs one submission's code."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.sandbox import isolation, protocol
from autograder.sandbox.isolation import Limits
from autograder.sandbox.runtime import runtime_dir
from autograder.sandbox.scratch import ScratchDir, sweep_stale_once

OUTPUT_LIMIT = 64 * 1024
PINNED_THREADS = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class Ref:
    """An argument that stands for the result of an earlier call of the same run."""

    call: int
    index: int | None = None


@dataclass
class Call:
    """One request to the worker.

    target: "module:name" of the submission (or of a task module for kind "task").
    kind: "call" calls the function, "attr" reads a module attribute,
        "task" runs a trusted routine from autograder.sandbox.tasks.
    ret: send the value back (False keeps opaque values such as caches in the worker).
    pick: return only element ``pick`` of a tuple result.
    echo_args: also send back the arguments after the call (in-place checks).
    """

    target: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    kind: str = "call"
    ret: bool = True
    pick: int | None = None
    echo_args: bool = False


@dataclass
class Outcome:
    """What one call gave: status is ok, error, timeout or crashed."""

    status: str
    value: Any = None
    error: str = ""
    args: Any = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _wire(value):
    if isinstance(value, Ref):
        return {"__ref__": [value.call, value.index]}
    if type(value) is tuple:
        return tuple(_wire(v) for v in value)
    if type(value) is list:
        return [_wire(v) for v in value]
    if type(value) is dict:
        return {k: _wire(v) for k, v in value.items()}
    return value


class _Drain(threading.Thread):
    """Reads a pipe to its end, keeping the first OUTPUT_LIMIT bytes."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.kept, self.total = stream, bytearray(), 0

    def run(self) -> None:
        while True:
            chunk = self.stream.read1(1 << 16) if hasattr(self.stream, "read1") else self.stream.read(1 << 16)
            if not chunk:
                return
            self.total += len(chunk)
            room = OUTPUT_LIMIT - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]

    def text(self) -> str:
        body = self.kept.decode("utf-8", "replace")
        if self.total > len(self.kept):
            body += f"\n[... {self.total - len(self.kept)} more bytes cut]"
        return body


class Sandbox:
    """Runs calls into one submission in a separate worker process.

    The submission directory is copied to a fresh temporary directory that
    becomes the worker's working directory. Modules are imported once per
    worker, each in its own request; a module that fails or hangs at import
    is remembered and its calls fail at once with that message. A request
    that exceeds its timeout kills the worker, which restarts on demand.
    The worker dies with the thread that started it (PR_SET_PDEATHSIG), so a
    Sandbox is used from one thread that outlives it; the working directory is
    a ScratchDir, which the next grader sweeps if this one is killed.
    """

    def __init__(self, submission: str | os.PathLike, modules: list[str], *,
                 timeout: float = 10.0, import_timeout: float = 20.0,
                 limits: Limits = Limits()):
        self.submission = Path(submission)
        self.modules = list(modules)
        self.timeout = timeout
        self.import_timeout = import_timeout
        self.limits = limits
        self.isolation = isolation.probe()
        sweep_stale_once()
        self.import_errors: dict[str, str] = {}
        self.restarts = 0
        self._process: subprocess.Popen | None = None
        self._uid: int | None = None
        self._workdir: str | None = None
        self._scratch: ScratchDir | None = None
        self._drains: list[_Drain] = []
        self._output = {"stdout": "", "stderr": ""}

    # -- lifecycle -----------------------------------------------------
    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _copy_submission(self, uid: int | None) -> str:
        """A fresh private copy of the submission, owned by the worker's user."""
        self._scratch = ScratchDir("ag-work-")
        workdir = self._scratch.path
        if self.submission.is_dir():
            shutil.copytree(self.submission, workdir, dirs_exist_ok=True, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".git"))
        if uid is not None:
            for path in [Path(workdir), *Path(workdir).rglob("*")]:
                os.lchown(path, uid, uid)
        return workdir

    def _environment(self) -> dict:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self._workdir,
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg", **PINNED_THREADS}
        for key in ("LANG", "LC_ALL", "CUDA_VISIBLE_DEVICES", "AUTOGRADER_DATA"):
            if key in os.environ:
                env[key] = os.environ[key]
        return env

    def _start(self) -> None:
        uid = isolation.fresh_ids() if self.isolation == "full" else None
        self._uid = uid
        self._workdir = self._copy_submission(uid)
        steps = isolation.plan(self.isolation, self.limits, keep=(self._workdir, runtime_dir()))
        if uid is not None:
            steps = dataclasses.replace(steps, uid=uid)
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        bootstrap = ("import site, sys\n"
                     "for d in %r: site.addsitedir(d)\n"
                     "sys.path.insert(0, %r)\n"
                     "from autograder.sandbox.worker import main; main()"
                     % (steps.site_dirs(), runtime_dir()))
        worker = [steps.executable(), "-I", "-c", bootstrap, str(request_r), str(response_w)]
        self._process = subprocess.Popen(
            steps.command(worker), pass_fds=(request_r, response_w), cwd=self._workdir,
            env=self._environment(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
        os.close(request_r)
        os.close(response_w)
        self._request_fd, self._response_fd = request_w, response_r
        self._drains = [_Drain(self._process.stdout), _Drain(self._process.stderr)]
        for drain in self._drains:
            drain.start()
        for module in self.modules:
            if module in self.import_errors:
                continue
            reply = self._exchange({"op": "import", "module": module}, self.import_timeout)
            if reply.status != "ok":
                self.import_errors[module] = reply.error if reply.status == "error" else \
                    f"{module}.py failed to import: {reply.error}"
                if reply.status != "error":
                    self._kill()
                    self._start()
                    return

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for fd in (self._request_fd, self._response_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        if process.poll() is None:
            try:
                os.killpg(process.pid, 9)
            except (ProcessLookupError, PermissionError):
                process.kill()
        process.wait()
        if self._uid is not None:
            isolation.kill_user(self._uid)
        for name, drain in zip(("stdout", "stderr"), self._drains):
            drain.join(timeout=1.0)
            self._output[name] += drain.text()
        if self._scratch:
            self._scratch.remove()
            self._scratch = self._workdir = None

    def close(self) -> None:
        """Stop the worker and remove its working directory."""
        self._kill()

    def output(self, name: str = "stdout") -> str:
        """What the student's code printed (bounded), once the worker has stopped."""
        return self._output[name]

    # -- requests ------------------------------------------------------
    def _exchange(self, request: dict, timeout: float) -> Outcome:
        """Send one request and wait for the reply, killing the worker on timeout."""
        started = time.perf_counter()
        box: dict = {}

        def receive() -> None:
            try:
                box["reply"] = protocol.read_frame(self._response_fd)
            except EOFError:
                box["eof"] = True
            except protocol.ProtocolError as exc:
                box["bad"] = str(exc)
            except OSError as exc:
                box["eof"] = str(exc)

        try:
            protocol.write_frame(self._request_fd, request)
        except OSError:
            self._kill()
            return Outcome("crashed", error=self._crash_message())
        reader = threading.Thread(target=receive, daemon=True)
        reader.start()
        reader.join(timeout)
        seconds = time.perf_counter() - started
        if reader.is_alive():
            self._kill()
            self.restarts += 1
            return Outcome("timeout", error=f"timed out after {timeout:g} s", seconds=seconds)
        if "reply" in box and isinstance(box["reply"], dict):
            reply = box["reply"]
            return Outcome(reply.get("status", "ok") if "results" not in reply else "ok",
                           value=reply, error=str(reply.get("error", "")), seconds=seconds)
        message = self._crash_message() if "eof" in box else f"unreadable reply ({box.get('bad')})"
        self._kill()
        self.restarts += 1
        return Outcome("crashed", error=message, seconds=seconds)

    def _crash_message(self) -> str:
        code = self._process.poll() if self._process else None
        if code is None and self._process is not None:
            try:
                code = self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
        if code == 121:
            return "the sandbox could not isolate the worker: " + self._drains[1].text().strip()[-300:]
        if code is not None and code < 0:
            return f"the worker process was killed by signal {-code} (a crash or a resource limit)"
        return f"the worker process exited (code {code}) during the call, e.g. through sys.exit() or os._exit()"

    def run(self, calls: list[Call], timeout: float | None = None) -> list[Outcome]:
        """Run a list of calls in one round trip; one Outcome per call."""
        timeout = self.timeout if timeout is None else timeout
        outcomes: list[Outcome | None] = [None] * len(calls)
        for i, call in enumerate(calls):
            module = call.target.partition(":")[0]
            if call.kind != "task" and module in self.import_errors:
                outcomes[i] = Outcome("error", error=self.import_errors[module])
        if all(outcome is not None for outcome in outcomes):
            return outcomes  # type: ignore[return-value]
        if self._process is None:
            self._start()
            for i, call in enumerate(calls):
                module = call.target.partition(":")[0]
                if outcomes[i] is None and call.kind != "task" and module in self.import_errors:
                    outcomes[i] = Outcome("error", error=self.import_errors[module])
        wire = [{"kind": c.kind, "target": c.target, "args": _wire(list(c.args)),
                 "kwargs": _wire(dict(c.kwargs)), "ret": c.ret, "pick": c.pick,
                 "echo_args": c.echo_args} for c in calls]
        reply = self._exchange({"op": "run", "calls": wire}, timeout)
        if reply.status != "ok":
            return [o or Outcome(reply.status, error=reply.error, seconds=reply.seconds)
                    for o in outcomes]
        results = reply.value.get("results") if isinstance(reply.value, dict) else None
        if not isinstance(results, list) or len(results) != len(calls):
            return [o or Outcome("error", error="the worker sent a malformed reply")
                    for o in outcomes]
        for i, item in enumerate(results):
            if outcomes[i] is not None:
                continue
            if not isinstance(item, dict) or item.get("status") not in ("ok", "error"):
                outcomes[i] = Outcome("error", error="the worker sent a malformed reply")
                continue
            seconds = item.get("seconds") if isinstance(item.get("seconds"), float) else 0.0
            outcomes[i] = Outcome(item["status"], value=item.get("value"),
                                  error=str(item.get("error", ""))[:1000],
                                  args=item.get("args"), seconds=seconds)
        return outcomes  # type: ignore[return-value]

    def call(self, target: str, *args, timeout: float | None = None, **kwargs) -> Outcome:
        """Convenience: run a single function call."""
        return self.run([Call(target, args, kwargs)], timeout=timeout)[0]
