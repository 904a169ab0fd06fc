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
from autograder.sandbox.submission_tree import BadSubmission, check_tree

OUTPUT_LIMIT = 64 * 1024
DEFAULT_REPLY_BYTES = 64 << 20
FRAME_OVERHEAD = 1 << 20  # the reply's JSON header and archive directory
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
    max_bytes: the most bytes of arrays the returned value may hold (default
        DEFAULT_REPLY_BYTES); checks derive it from what they expect back
        (reply_budget), so a far larger reply is dropped unread and the call fails.
    """

    target: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    kind: str = "call"
    ret: bool = True
    pick: int | None = None
    echo_args: bool = False
    max_bytes: int | None = None

    def frame_limit(self) -> int:
        """The most bytes the reply frame of this call may take."""
        value = DEFAULT_REPLY_BYTES if self.max_bytes is None else self.max_bytes
        echoed = 2 * protocol.array_bytes((self.args, self.kwargs)) if self.echo_args else 0
        return value + echoed + FRAME_OVERHEAD

    def refers_back(self) -> bool:
        """Whether an argument stands for the result of another call (a Ref)."""
        return _has_ref((self.args, self.kwargs))


@dataclass
class Outcome:
    """What one call gave: status is one of report.model.CallStatus's values, ok,
    error, timeout, crashed or skipped (not run: an earlier call of the same
    request timed out or crashed and took the worker with it; ``error`` names
    that call). ``seconds`` is measured by the grader."""

    status: str
    value: Any = None
    error: str = ""
    args: Any = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def reply_budget(expected, factor: int = 64, floor: int = 1 << 20) -> int:
    """Call.max_bytes for a call whose right answer is ``expected``: room for
    a wrong dtype or a missing reduction (an extra batch axis), not for more."""
    return min(DEFAULT_REPLY_BYTES, max(floor, factor * protocol.array_bytes(expected)))


def _has_ref(value) -> bool:
    if isinstance(value, Ref):
        return True
    if type(value) in (tuple, list):
        return any(_has_ref(v) for v in value)
    if type(value) is dict:
        return any(_has_ref(v) for v in value.values())
    return False


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
            check_tree(self.submission)
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
    def _lost(self, status: str, error: str = "") -> Outcome:
        """Kill the worker after a call that timed out or broke the channel."""
        if status == "crashed" and not error:
            error = self._crash_message()
        self._kill()
        self.restarts += 1
        return Outcome(status, error=error)

    def _exchange(self, request: dict, timeout: float) -> Outcome:
        """Send a one-reply request (an import) and wait for the reply, killing the worker on timeout."""
        started = time.monotonic()
        try:
            protocol.write_frame(self._request_fd, request)
            reply = protocol.read_frame(self._response_fd, FRAME_OVERHEAD, started + timeout)
        except TimeoutError:
            outcome = self._lost("timeout", f"timed out after {timeout:g} s")
        except (EOFError, OSError):
            outcome = self._lost("crashed")
        except protocol.ProtocolError as exc:
            outcome = self._lost("crashed", f"unreadable reply ({exc})")
        else:
            if isinstance(reply, dict) and reply.get("status") in ("ok", "error"):
                outcome = Outcome(reply["status"], value=reply, error=str(reply.get("error", ""))[:1000])
            else:
                outcome = self._lost("crashed", "the worker sent a malformed reply")
        outcome.seconds = time.monotonic() - started
        return outcome

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

    def _receive(self, index: int, call: Call, deadline: float, timeout: float) -> Outcome:
        """Read the reply frame of call ``index`` of the request in flight."""
        try:
            reply = protocol.read_frame(self._response_fd, call.frame_limit(), deadline)
        except protocol.FrameTooLarge as exc:
            return Outcome("error", error=f"returned {exc.size / 2**20:.1f} MiB, more than the "
                                          f"{call.frame_limit() / 2**20:.1f} MiB this check accepts "
                                          "(is the shape of what it returns right?)")
        except TimeoutError:
            return self._lost("timeout", f"timed out after {timeout:g} s")
        except (EOFError, OSError):
            return self._lost("crashed")
        except protocol.ProtocolError as exc:
            return self._lost("crashed", f"unreadable reply ({exc})")
        if not isinstance(reply, dict) or reply.get("call") != index or \
                reply.get("status") not in ("ok", "error"):
            return self._lost("crashed", "the worker's reply was out of order or malformed "
                                         "(did the code write to the grader's channel?)")
        return Outcome(reply["status"], value=reply.get("value"), error=str(reply.get("error", ""))[:1000],
                       args=reply.get("args"))

    def _stream(self, calls: list[Call], timeout: float) -> list[Outcome | None]:
        """Send the calls as one request and read one reply frame per call as the
        worker finishes it, so a timeout or crash is charged to the call that was
        running; the calls after it are None (not run)."""
        outcomes: list[Outcome | None] = [None] * len(calls)
        wire = [{"kind": c.kind, "target": c.target, "args": _wire(list(c.args)),
                 "kwargs": _wire(dict(c.kwargs)), "ret": c.ret, "pick": c.pick,
                 "echo_args": c.echo_args} for c in calls]
        started = time.monotonic()
        try:
            protocol.write_frame(self._request_fd, {"op": "run", "calls": wire})
        except OSError:
            outcomes[0] = self._lost("crashed")
            return outcomes
        for index, call in enumerate(calls):
            outcome = self._receive(index, call, started + timeout, timeout)
            now = time.monotonic()
            outcome.seconds, started = now - started, now
            outcomes[index] = outcome
            if self._process is None:
                break
        return outcomes

    def run(self, calls: list[Call], timeout: float | None = None, *,
            independent: bool = False) -> list[Outcome]:
        """Run a list of calls in one round trip; one Outcome per call.

        ``timeout`` bounds the whole request. A call that times out or takes
        the worker down gets that status and the calls after it are skipped;
        with ``independent`` (separate tests, e.g. one call per function), they
        run instead in a fresh worker with a fresh timeout, except calls that
        refer to earlier results or call a function that already timed out or
        crashed in this run.
        """
        timeout = self.timeout if timeout is None else timeout
        outcomes: list[Outcome | None] = [None] * len(calls)
        self._fail_imports(calls, outcomes)
        lost: dict[str, Outcome] = {}  # target -> the outcome that took the worker down
        while todo := [i for i, outcome in enumerate(outcomes)
                       if outcome is None and (not lost or _retryable(calls[i], lost))]:
            if self._process is None:
                try:
                    self._start()
                except BadSubmission as exc:
                    return [outcome or Outcome("error", error=str(exc)) for outcome in outcomes]
                self._fail_imports(calls, outcomes)
                if all(outcomes[i] is not None for i in todo):
                    break
            # The first request holds every call, so that Refs keep their indices; a
            # retry holds only calls without Refs.
            sent = todo if lost else list(range(len(calls)))
            for i, outcome in zip(sent, self._stream([calls[i] for i in sent], timeout)):
                if outcome is not None and outcome.status in ("timeout", "crashed"):
                    lost.setdefault(calls[i].target, outcome)
                if outcomes[i] is None:
                    outcomes[i] = outcome
            if not independent:
                break
        return [outcome or _skipped(call, lost) for call, outcome in zip(calls, outcomes)]

    def _fail_imports(self, calls: list[Call], outcomes: list[Outcome | None]) -> None:
        """Give calls into a module that failed to import that module's error."""
        for i, call in enumerate(calls):
            module = call.target.partition(":")[0]
            if outcomes[i] is None and call.kind != "task" and module in self.import_errors:
                outcomes[i] = Outcome("error", error=self.import_errors[module])

    def call(self, target: str, *args, timeout: float | None = None, **kwargs) -> Outcome:
        """Convenience: run a single function call."""
        return self.run([Call(target, args, kwargs)], timeout=timeout)[0]


def _skipped(call: Call, lost: dict[str, Outcome]) -> Outcome:
    """The outcome of a call that was not run because ``lost`` took the worker down."""
    target, outcome = (call.target, lost[call.target]) if call.target in lost else next(iter(lost.items()))
    what = "timed out" if outcome.status == "timeout" else "crashed the worker"
    when = "on an earlier call" if target == call.target else "before it"
    return Outcome("skipped", error=f"not run: {target.split(':')[-1]} {what} {when}")


def _retryable(call: Call, lost: dict) -> bool:
    """Whether a call not run because of another call's timeout or crash can run on its own."""
    return not call.refers_back() and call.target not in lost
