"""Operating-system isolation of the worker process.

Applied by the worker's first stage (confine.py) before it execs the worker,
strongest first:

``full`` (grader running as root):
    new mount and network namespaces; /tmp, /var/tmp and /dev/shm are fresh
    private tmpfs mounts holding only the worker's own directories; the
    repository (reference solutions, grader source) and the installed
    autograder package are covered by empty read-only tmpfs mounts; the Python
    installation is bind-mounted at a neutral path so an unprivileged user can
    run it; then the process drops to a fresh unprivileged uid/gid of its own.
``network`` (not root, but unprivileged user namespaces allowed):
    new user and network namespaces: no network, same files.
``none``:
    resource limits only.

Resource limits (CPU time, address space, processes, file size) apply at
every level. ``probe()`` finds the level once per grader process by starting
a throwaway child with the same steps.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEVELS = ("full", "network", "none")
PYTHON_MOUNT = "/tmp/ag-python"
DESCRIPTIONS = {
    "full": "separate process, new network namespace (no network), reference and grader files "
            "hidden, unprivileged user, resource limits",
    "network": "separate process, new network namespace (no network), resource limits",
    "none": "separate process with resource limits (no namespaces available)",
}


@dataclass(frozen=True)
class Limits:
    """Per-worker resource limits; None leaves one unlimited.

    memory_mb: address space (RLIMIT_AS); cpu_s: CPU seconds (RLIMIT_CPU);
    processes: processes of the worker's own user (RLIMIT_NPROC, effective
    once it runs as its own uid); file_mb: largest file it may write."""

    memory_mb: int | None = 4096
    cpu_s: int | None = 600
    processes: int | None = 64
    file_mb: int | None = 64


def hidden_paths() -> list[str]:
    """Directories the student's code must not read: the repository (with the
    reference) and the autograder package, wherever it is installed."""
    from autograder.reference import REPOSITORY

    package = Path(__file__).resolve().parents[1]
    paths = {str(REPOSITORY)} if (REPOSITORY / "solutions").is_dir() else set()
    paths.add(str(package))
    return sorted(p for p in paths if not any(p.startswith(q + os.sep) for q in paths))


def python_prefix_needs_mount() -> bool:
    """Whether an unprivileged user could not reach the Python installation."""
    path = Path(sys.base_prefix).resolve()
    for part in [path, *path.parents]:
        if not os.stat(part).st_mode & 0o001:
            return True
    return False


def fresh_ids() -> int:
    """A uid (used as gid too) that no other worker and no account uses."""
    return 200_000 + (os.getpid() * 7919 + int.from_bytes(os.urandom(2), "little")) % 600_000


@dataclass(frozen=True)
class Plan:
    """What the child does before exec: level, limits, uid, mounts.

    keep: directories (the working copy, the worker's runtime) that stay
    visible, at the same paths, inside the private /tmp."""

    level: str
    limits: Limits
    uid: int | None = None
    python_mount: str | None = None
    hide: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()

    def command(self, worker: list[str]) -> list[str]:
        """The command that confines itself by this plan, then execs ``worker``."""
        from autograder.sandbox.runtime import runtime_dir

        document = {"level": self.level, "limits": dataclasses.asdict(self.limits), "uid": self.uid,
                    "python_mount": self.python_mount, "python_prefix": sys.base_prefix,
                    "hide": list(self.hide), "keep": list(self.keep), "grader": os.getpid()}
        confine = os.path.join(runtime_dir(), "autograder", "sandbox", "confine.py")
        return [sys.executable, "-I", "-S", confine, json.dumps(document), "--", *worker]

    def _moved(self, path: str) -> str:
        if not self.python_mount:
            return path
        relative = Path(path).resolve().relative_to(Path(sys.base_prefix).resolve())
        return str(Path(self.python_mount) / relative)

    def executable(self) -> str:
        """The Python the worker runs (the bind-mounted one at level full)."""
        return self._moved(sys.executable)

    def site_dirs(self) -> list[str]:
        """The grader's site-packages as the worker sees them (the worker adds
        them itself: Python does not find them under a bind-mounted prefix)."""
        import site

        base = Path(sys.base_prefix).resolve()
        dirs = [p for p in site.getsitepackages() if Path(p).is_dir()]
        return [self._moved(p) for p in dirs if not self.python_mount or base in Path(p).resolve().parents]


def kill_user(uid: int) -> None:
    """SIGKILL every process of the worker's own uid (children that left its group)."""
    for _ in range(3):
        found = False
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid == uid:
                    os.kill(int(entry.name), 9)
                    found = True
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
        if not found:
            return


def plan(level: str, limits: Limits, keep: tuple[str, ...] = ()) -> Plan:
    """The steps for one worker at ``level``, keeping ``keep`` visible."""
    if level != "full":
        return Plan(level, limits)
    mount = PYTHON_MOUNT if python_prefix_needs_mount() or sys.base_prefix.startswith("/tmp") else None
    return Plan(level, limits, uid=fresh_ids(), python_mount=mount, hide=tuple(hidden_paths()),
                keep=keep)


@lru_cache(maxsize=1)
def probe() -> str:
    """The strongest level that works on this machine for this process."""
    forced = os.environ.get("AUTOGRADER_ISOLATION")
    candidates = [forced] if forced in LEVELS else list(LEVELS)
    for level in candidates:
        if level == "none":
            return level
        if level == "full" and os.geteuid() != 0:
            continue
        steps = plan(level, Limits())
        try:
            result = subprocess.run(steps.command([steps.executable(), "-I", "-c", "import socket"]),
                                    capture_output=True, timeout=30, cwd="/")
        except (OSError, subprocess.SubprocessError):
            continue
        if result.returncode == 0:
            return level
    return "none"
