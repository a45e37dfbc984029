"""Memory as a container's limit counts it: an app started in a memory cgroup of its own is
charged each page once, however many of its processes map it (summed RSS counts a page shared
by four forked processes four times). Linux only, and only where this process may create a
cgroup under its own (root in a container usually may); otherwise the figure is left out.

Pages of files another process had already read (shared libraries of the venv) stay charged
to whoever read them first, so `file` undercounts them; `anon` (heap, stacks, copied-on-write
pages) is exact."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

V1_ROOT = Path("/sys/fs/cgroup/memory")
V2_ROOTS = (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))


def own_memory_cgroup() -> Path | None:
    """This process's memory cgroup directory (cgroup v1's memory controller, else v2)."""
    with open("/proc/self/cgroup", encoding="ascii") as listed:
        lines = [line.rstrip("\n").split(":", 2) for line in listed]
    for _, controllers, path in lines:
        if "memory" in controllers.split(",") and (V1_ROOT / path.lstrip("/")).is_dir():
            return V1_ROOT / path.lstrip("/")
    for hierarchy, _, path in lines:
        if hierarchy == "0":
            for root in V2_ROOTS:
                found = root / path.lstrip("/")
                if (found / "memory.stat").is_file():
                    return found
    return None


def new_group(name: str) -> Path | None:
    parent = own_memory_cgroup()
    if parent is None:
        return None
    group = parent / f"groundline-bench-{name}-{os.getpid()}"
    try:
        group.mkdir()
    except OSError:
        return None
    return group


def enter(group: Path) -> None:
    """Move the calling process into `group` (run in the child, before exec)."""
    (group / "cgroup.procs").write_text(str(os.getpid()))


def charged_mb(group: Path) -> dict[str, float]:
    """What the group is charged: anonymous memory and file pages, in MB."""
    stat = dict(
        (key, int(value))
        for key, value in (
            line.split() for line in (group / "memory.stat").read_text().splitlines()
        )
    )
    anon = stat.get("total_rss", stat.get("anon", 0))
    files = stat.get("total_cache", stat.get("file", 0))
    return {"anon_mb": round(anon / 2**20, 1), "file_mb": round(files / 2**20, 1)}


def remove(group: Path, wait_seconds: float = 5.0) -> None:
    """Remove a group once its processes have exited (a terminated parent's workers can take
    a moment); one still busy after `wait_seconds` stays."""
    deadline = time.monotonic() + wait_seconds
    while True:
        with contextlib.suppress(OSError):
            group.rmdir()
            return
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)
