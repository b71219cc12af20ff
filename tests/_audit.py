"""Network and file isolation for the whole test session, enforced by a CPython audit hook.

Registered once in tests/conftest.py with ``pytest_plugins = ["tests._audit"]``. From then on,
for every test (and collection, fixtures, session setup):

- a ``socket.connect`` / ``socket.sendto`` / ``socket.sendmsg`` to an address that is not
  loopback (127.0.0.0/8, ::1) and a ``socket.getaddrinfo`` / ``socket.gethostbyname`` of a name
  that is not ``localhost`` or a loopback address are refused: the hook raises
  :class:`IsolationViolation` *before* CPython makes the call (PEP 578: an exception raised by
  a hook aborts the operation), so no DNS query or packet leaves the machine;
- an ``open`` (``open()``, ``io.open``, ``os.open``) of a path outside the allow-list is refused
  the same way: reads are allowed under the project, the shared dir (``kg.shared.shared_dir()``),
  temporary dirs, the interpreter's and the venv's library dirs, ``/dev``, ``/proc``, ``/sys``
  and the few system files Python and its libraries read (CA certificates, time zones, MIME
  types, os-release); writes only under the project, temporary dirs and ``/dev``.

Every violation is recorded, and the test during which it happened fails even when the code
under test caught the exception (a ``try/except OSError`` cannot hide a violation). The session
summary prints the counts, and a violation outside any test fails the session.

What the hook cannot see (docs/reliability.md): subprocesses (the Oxigraph server, Chromium,
``python -m kg`` in the kill test) have their own interpreter or none, and native code that
calls the C library directly (RocksDB inside pyoxigraph, Rust HTTP clients) raises no audit
event. HTTP test servers on 127.0.0.1 need nothing: loopback is allowed. A test that needs more
uses the :func:`allow` context manager (or ``ALLOWED_HOSTS`` / ``ALLOWED_PATHS`` for a whole
plugin), and a test that checks a refusal uses :func:`expect_violation`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import site
import socket
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kg.shared import project_root, shared_dir

__all__ = [
    "ALLOWED_HOSTS",
    "ALLOWED_PATHS",
    "IsolationViolation",
    "Violation",
    "allow",
    "expect_violation",
    "violations",
]


class IsolationViolation(PermissionError):
    """Raised from the audit hook: the operation was refused before it happened."""


@dataclass(frozen=True)
class Violation:
    """One refused operation, and the test (node id) during which it happened."""

    kind: str  #: "network" or "file"
    event: str  #: the audit event, e.g. "socket.connect"
    detail: str
    test: str | None


#: extra hosts (names or addresses) a plugin may allow for the whole session
ALLOWED_HOSTS: set[str] = set()
#: extra path prefixes a plugin may allow (read and write) for the whole session
ALLOWED_PATHS: set[str] = set()

_NET_EVENTS = frozenset(
    {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
     "socket.gethostbyname", "socket.gethostbyaddr", "socket.gethostbyname_ex"}
)  # fmt: skip
_EVENTS = _NET_EVENTS | {"open"}
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", ""})
# System files and dirs that Python or its libraries read on their own (certificates for TLS
# contexts, time zones, MIME types, platform info). Reads only.
_SYSTEM_READS = (
    "/dev/", "/proc/", "/sys/", "/etc/ssl/", "/etc/pki/", "/etc/ca-certificates/",
    "/usr/share/ca-certificates/", "/usr/share/zoneinfo/", "/etc/localtime", "/etc/timezone",
    "/etc/mime.types", "/etc/os-release", "/usr/lib/os-release", "/usr/share/mime/",
    "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf",
)  # fmt: skip
# Files in the home directory that the standard library reads by itself: pdb's rc file (doctest
# creates a pdb.Pdb for every example).
_HOME_READS = ("~/.pdbrc",)
_SYSTEM_WRITES = ("/dev/null", "/dev/shm/", "/dev/tty", "/dev/pts/", "/dev/fd/")


@dataclass
class _State:
    read_roots: tuple[str, ...] = ()
    write_roots: tuple[str, ...] = ()
    read_files: tuple[str, ...] = ()
    test: str | None = None
    log: list[Violation] = field(default_factory=list)
    expecting: int = 0  # >0 inside expect_violation(): record, raise, but do not fail the test
    extra_hosts: list[str] = field(default_factory=list)
    extra_paths: list[str] = field(default_factory=list)
    local = threading.local()


_state = _State()


def _roots(paths: list[str | os.PathLike[str] | None]) -> tuple[str, ...]:
    out: set[str] = set()
    for p in paths:
        if not p:
            continue
        for form in (os.path.abspath(p), os.path.realpath(p)):
            out.add(form.rstrip("/") + "/")
    return tuple(sorted(out))


def _library_dirs() -> list[str | None]:
    dirs: list[str | None] = [sys.prefix, sys.exec_prefix, os.path.dirname(sys.executable)]
    for scheme_vars in ({}, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
        paths = sysconfig.get_paths(vars=scheme_vars)
        dirs += [paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib", "include")]
    dirs += [*site.getsitepackages(), site.getusersitepackages()]
    # .pth-added dirs and the zipped stdlib (probed even when absent); never a top-level dir
    # such as / or /home that a stray PYTHONPATH entry would otherwise open up entirely
    dirs += [p for p in sys.path if p and len(Path(os.path.abspath(p)).parts) > 2]
    return dirs


def _configure(basetemp: str | None = None) -> None:
    temps: list[str | os.PathLike[str] | None] = [tempfile.gettempdir(), basetemp,
                                                   os.environ.get("TMPDIR")]  # fmt: skip
    project = [str(project_root()), str(shared_dir())]
    _state.write_roots = _roots([project[0], *temps, *ALLOWED_PATHS])
    _state.read_roots = _roots([*project, *temps, *_library_dirs(), *ALLOWED_PATHS])
    _state.read_files = tuple(os.path.expanduser(p) for p in _HOME_READS)


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").split("%", 1)[0].lower()
    if host in _LOCAL_NAMES or host in ALLOWED_HOSTS or host in _state.extra_hosts:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _path_allowed(path: str, *, write: bool) -> bool:
    full = os.path.abspath(path)
    full_dir = full.rstrip("/") + "/"
    extra = tuple(p.rstrip("/") + "/" for p in _state.extra_paths)
    if write:
        if full.startswith(_SYSTEM_WRITES) or full_dir.startswith(_state.write_roots + extra):
            return True
    elif (
        full.startswith(_SYSTEM_READS)
        or full in _state.read_files
        or full_dir.startswith(_state.read_roots + extra)
    ):
        return True
    real = os.path.realpath(full)
    if real != full:
        return _path_allowed(real, write=write)
    return False


def _net_detail(event: str, args: tuple[object, ...]) -> str | None:
    """A description of the refused network operation, or None when it is allowed."""
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[-1]
        family = getattr(sock, "family", None)
        if family not in (socket.AF_INET, socket.AF_INET6) or address is None:
            return None  # AF_UNIX and friends are local IPC
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        if _is_loopback(host):
            return None
        port = address[1] if isinstance(address, tuple) and len(address) > 1 else "?"
        return f"{host}:{port}"
    host_arg = args[0]
    if isinstance(host_arg, bytes):
        host_arg = host_arg.decode("ascii", "replace")
    if host_arg is None or _is_loopback(str(host_arg)):
        return None
    return str(host_arg)


def _open_detail(args: tuple[object, ...]) -> str | None:
    path, mode, flags = [*args, None, None, None][:3]
    if isinstance(path, int) or path is None:
        return None  # an already open file descriptor
    if isinstance(path, bytes | os.PathLike):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        return None
    write = False
    if isinstance(mode, str):
        write = any(c in mode for c in "wax+")
    elif isinstance(flags, int):
        write = bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC))
    if _path_allowed(str(path), write=write):
        return None
    return f"{'write' if write else 'read'} {path}"


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event not in _EVENTS or not _state.read_roots:
        return
    if getattr(_State.local, "busy", False):
        return  # the hook's own work (realpath...) must not recurse
    _State.local.busy = True
    try:
        if event == "open":
            detail, kind = _open_detail(args), "file"
        else:
            detail, kind = _net_detail(event, args), "network"
    finally:
        _State.local.busy = False
    if detail is None:
        return
    violation = Violation(kind, event, detail, _state.test)
    if not _state.expecting:
        _state.log.append(violation)
    raise IsolationViolation(f"kg test isolation: {event} refused: {detail}")


_installed = False


def install() -> None:
    """Add the audit hook (once per process; CPython cannot remove a hook)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def violations() -> list[Violation]:
    """Every violation recorded so far in this session (expected ones excluded)."""
    return list(_state.log)


@contextlib.contextmanager
def allow(*, hosts: tuple[str, ...] = (), paths: tuple[str | os.PathLike[str], ...] = ()) -> Iterator[None]:  # fmt: skip
    """Allow more hosts or path prefixes inside a ``with`` block (restored afterwards)."""
    added_hosts = [h.lower() for h in hosts]
    added_paths = [str(p) for p in _roots(list(paths))]
    _state.extra_hosts.extend(added_hosts)
    _state.extra_paths.extend(added_paths)
    try:
        yield
    finally:
        for h in added_hosts:
            _state.extra_hosts.remove(h)
        for p in added_paths:
            _state.extra_paths.remove(p)


@contextlib.contextmanager
def expect_violation() -> Iterator[list[IsolationViolation]]:
    """For tests of the hook itself: refusals inside the block are collected, not failures."""
    caught: list[IsolationViolation] = []
    _state.expecting += 1
    try:
        yield caught
    except IsolationViolation as exc:
        caught.append(exc)
    finally:
        _state.expecting -= 1


# --- the pytest plugin -------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    basetemp = config.option.basetemp or None
    _configure(str(basetemp) if basetemp else None)
    install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _state.test = item.nodeid
    try:
        yield
    finally:
        _state.test = None


def _fail_on_new(item: pytest.Item, before: int, phase: str) -> None:
    mine = [v for v in _state.log[before:] if v.test == item.nodeid]
    if mine:
        listed = "; ".join(f"{v.event} {v.detail}" for v in mine[:5])
        pytest.fail(
            f"{len(mine)} isolation violation(s) during test {phase}: {listed}", pytrace=False
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    before = len(_state.log)
    try:
        return (yield)
    finally:
        _fail_on_new(item, before, "setup")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    before = len(_state.log)
    try:
        return (yield)
    finally:
        _fail_on_new(item, before, "call")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    before = len(_state.log)
    try:
        return (yield)
    finally:
        _fail_on_new(item, before, "teardown")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    net = sum(v.kind == "network" for v in _state.log)
    files = sum(v.kind == "file" for v in _state.log)
    terminalreporter.write_line(
        f"isolation audit: {net} network and {files} file request(s) refused outside the "
        f"allow-list during the session"
    )
    for v in _state.log[:20]:
        terminalreporter.write_line(f"  {v.test or '(outside a test)'}: {v.event} {v.detail}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if any(v.test is None for v in _state.log) and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
