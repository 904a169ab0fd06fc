"""First stage of a worker: apply the isolation plan, then exec the worker.

Run as ``python -I -S confine.py PLAN_JSON -- COMMAND...`` so that it starts
from a clean interpreter (no threads, no inherited locks, no site imports),
which is why the grader does not use ``preexec_fn``. PLAN_JSON is an
isolation.Plan as a dict. Only the standard library is used, because this
file runs from the worker's private runtime copy.
"""

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")
LIBC = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source, target, fstype, flags, data):
    check(LIBC.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                     flags, data and data.encode()), f"mount {target}")


def mount_namespace(plan):
    """Private /tmp holding only the kept directories; hidden paths covered."""
    check(LIBC.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    kept = [(os.open(path, os.O_PATH), path) for path in plan["keep"]]
    if plan["python_mount"]:
        kept.append((os.open(plan["python_prefix"], os.O_PATH), plan["python_mount"]))
    for path in PRIVATE_TMP:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=256m,mode=1777")
    for fd, path in kept:
        os.makedirs(path, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, None)
        os.close(fd)
    for path in plan["hide"]:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=000")


def apply_limits(limits):
    def cap(which, value):
        if value is not None:
            resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_AS, limits["memory_mb"] and limits["memory_mb"] << 20)
    cap(resource.RLIMIT_CPU, limits["cpu_s"])
    cap(resource.RLIMIT_FSIZE, limits["file_mb"] and limits["file_mb"] << 20)
    cap(resource.RLIMIT_NPROC, limits["processes"])
    cap(resource.RLIMIT_CORE, 0)


def confine(plan):
    if plan["level"] == "full":
        mount_namespace(plan)
    elif plan["level"] == "network":
        check(LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNET), "unshare")
    apply_limits(plan["limits"])
    if plan["uid"] is not None:
        os.setgroups([])
        os.setgid(plan["uid"])
        os.setuid(plan["uid"])
    die_with_grader(plan["grader"])


def die_with_grader(grader_pid):
    """SIGKILL this process (and so the worker it becomes) when the grader dies,
    however it dies. Set last: a change of user clears it; exec keeps it."""
    check(LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    if os.getppid() != grader_pid:  # the grader died before the line above
        os._exit(122)


def main(argv):
    separator = argv.index("--")
    plan, command = json.loads(argv[0]), argv[separator + 1:]
    try:
        confine(plan)
    except OSError as exc:
        sys.stderr.write(f"sandbox: could not isolate the worker ({exc})\n")
        os._exit(121)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
