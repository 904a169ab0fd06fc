"""The worker process: imports the student's modules and runs calls on request.

Started by :class:`autograder.sandbox.client.Sandbox` with two private pipe
file descriptors (requests in, responses out); the student's stdout and stderr
are separate pipes the grader reads and truncates. Everything the worker sends
back is treated by the grader as untrusted data.

A request is ``{"op": "import", "module": NAME}``, answered by one frame
``{"status", "error"}``, or ``{"op": "run", "calls": [...]}``, answered by
one frame per call, sent as soon as that call returns: ``{"call": i,
"status", "value", "error", "args"}``. So when a call hangs or
kills the worker, the grader has the replies of the calls before it and knows
which call was running. Each call is a dict with ``kind`` ("call", "attr" or
"task"), ``target`` ("module:name"), ``args``, ``kwargs``, ``ret``, ``pick``
and ``echo_args``. An argument ``{"__ref__": [i, index]}`` stands for the
result of call ``i`` of the same request (or its element ``index``).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

from autograder.sandbox import protocol

TASK_PACKAGE = "autograder.sandbox.tasks"
_import_errors: dict[str, str] = {}
_MAIN_PID = os.getpid()


def _only_the_worker_goes_on() -> None:
    """A process the student's code forked must not answer the grader."""
    if os.getpid() != _MAIN_PID:
        os._exit(0)


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame inside the submission, or ''."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{os.path.basename(exc.filename)}:{exc.lineno}"
    root = os.getcwd()
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename).startswith(root + os.sep):
            where = f"{os.path.relpath(frame.filename, root)}:{frame.lineno}"
    return where


def describe_exception(exc: BaseException) -> str:
    """One line naming the exception, its message and where it was raised."""
    if isinstance(exc, SystemExit):
        text = f"the code called sys.exit({exc.code!r})"
    elif isinstance(exc, NotImplementedError):
        detail = str(exc).strip()
        text = "not implemented yet" + (f" ({detail})" if detail else "")
    elif isinstance(exc, SyntaxError):
        text = f"SyntaxError: {exc.msg}"
    else:
        message = str(exc).strip().splitlines()
        text = type(exc).__name__ + (f": {message[0][:300]}" if message else "")
    where = _where(exc)
    return f"{text} ({where})" if where else text


def student_module(name: str):
    """Import one of the submission's modules, remembering a failure."""
    if name in _import_errors:
        raise ImportError(_import_errors[name])
    try:
        return importlib.import_module(name)
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything
        if isinstance(exc, ModuleNotFoundError) and exc.name == name:
            message = f"{name}.py is missing from the submission"
        else:
            message = f"{name}.py failed to import: {describe_exception(exc)}"
        _import_errors[name] = message
        sys.modules.pop(name, None)
        raise ImportError(message) from None


class _Failed(Exception):
    pass


def _resolve(value, results):
    if type(value) is dict:
        if set(value) == {"__ref__"}:
            index, item = value["__ref__"]
            status, result = results[index]
            if status != "ok":
                raise _Failed(f"skipped: call {index + 1} of this check failed")
            return result if item is None else result[item]
        return {k: _resolve(v, results) for k, v in value.items()}
    if type(value) is list:
        return [_resolve(v, results) for v in value]
    if type(value) is tuple:
        return tuple(_resolve(v, results) for v in value)
    return value


def _target(kind: str, target: str):
    module_name, _, name = target.partition(":")
    if kind == "task":
        if not module_name.startswith(TASK_PACKAGE + "."):
            raise _Failed(f"unknown task {target}")
        module = importlib.import_module(module_name)
    else:
        module = student_module(module_name)
    if not hasattr(module, name):
        raise _Failed(f"{module_name}.py has no {name}")
    return getattr(module, name)


def _run_call(call: dict, results: list):
    kind = call.get("kind", "call")
    found = _target(kind, call["target"])
    if kind == "attr":
        return found, None
    args = _resolve(call.get("args", []), results)
    kwargs = _resolve(call.get("kwargs", {}), results)
    if not callable(found):
        raise _Failed(f"{call['target'].replace(':', '.')} is not a function")
    value = found(*args, **kwargs)
    echoed = (list(args), dict(kwargs)) if call.get("echo_args") else None
    return value, echoed


def _run(calls: list):
    """Run the calls in order, yielding each one's reply as soon as it returns."""
    results: list = []
    for index, call in enumerate(calls):
        reply: dict = {"call": index}
        try:
            value, echoed = _run_call(call, results)
            results.append(("ok", value))
            reply["status"] = "ok"
            if call.get("ret", True):
                pick = call.get("pick")
                if pick is not None:
                    if type(value) is not tuple or not -len(value) <= pick < len(value):
                        raise _Failed(
                            f"{call['target'].split(':')[-1]} should return a tuple "
                            f"with at least {pick + 1} items, got {type(value).__name__}")
                    value = value[pick]
                reply["value"] = value
            if echoed is not None:
                reply["args"] = echoed
        except _Failed as exc:
            results.append(("error", None))
            reply = {"call": index, "status": "error", "error": str(exc)}
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            _only_the_worker_goes_on()
            results.append(("error", None))
            reply = {"call": index, "status": "error", "error": describe_exception(exc)}
        _only_the_worker_goes_on()
        yield reply


def _send(response_fd: int, reply: dict) -> None:
    """Write one reply frame; a value that cannot be encoded becomes an error reply."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        protocol.write_frame(response_fd, reply)
    except Exception as exc:  # noqa: BLE001 - e.g. an unencodable monkeypatched value
        protocol.write_frame(response_fd, {"call": reply.get("call"), "status": "error",
                                           "error": f"could not send the result: {exc}"})


def serve(request_fd: int, response_fd: int) -> None:
    """Answer requests until the grader closes the channel."""
    while True:
        try:
            request = protocol.read_frame(request_fd)
        except EOFError:
            return
        op = request.get("op")
        if op == "run":
            for reply in _run(request["calls"]):
                _send(response_fd, reply)
            continue
        if op == "import":
            try:
                student_module(request["module"])
                reply = {"status": "ok"}
            except ImportError as exc:
                reply = {"status": "error", "error": str(exc)}
            _only_the_worker_goes_on()
        else:
            reply = {"status": "error", "error": f"unknown op {op!r}"}
        _send(response_fd, reply)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    request_fd, response_fd = int(argv[0]), int(argv[1])
    sys.path.insert(0, os.getcwd())
    sys.dont_write_bytecode = True
    serve(request_fd, response_fd)


if __name__ == "__main__":
    main()
