"""Run a parser on an untrusted file in a child process with a time limit and a memory limit.

A parser fed a hostile file can loop for minutes or allocate gigabytes; in the app process that
would stall every upload behind it (and, with no memory limit, the machine). Here each file is
read in its own child process that has ``RLIMIT_AS`` (memory), a real-time alarm (the wall-clock
limit, enforced by the kernel even while the child is stuck in C code) and ``RLIMIT_CPU`` (a
backstop). Whatever the child does, the caller gets a result or a ``core.errors`` exception that
names the file and the limit.

Where the children come from: a small "parse server" process, started once per app process
with only the parsing modules imported, forks one child per file. Not ``fork`` from the app
itself: it has torch, tokenizers and the stores loaded and runs threads, so a fork could copy a
lock held by another thread (a deadlock in the child) and would inherit gigabytes of address
space that ``RLIMIT_AS`` counts. Not ``multiprocessing``'s spawn or forkserver either: they
re-run the parent's ``__main__`` in the child, which under Streamlit is the app script itself.
Not a fresh interpreter per file: importing the parsers alone costs about 250 ms.

POSIX only (``fork``, ``resource``), like the rest of the deployment.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

from core.errors import ParseMemoryExceeded, ParseTimeout, UnsupportedFile, WorkbenchError

logger = logging.getLogger(__name__)

# What the parse server imports once, so that a child starts with the parsers already loaded.
# The app's heavy modules (torch, chromadb) are deliberately absent: no parser needs them, and
# they would add hundreds of MB to every child's address space.
PRELOAD = (
    "core.ingest.parsers", "core.ingest.parse_text", "core.ingest.parse_pdf", "core.ingest.parse_office",
    "pypdf", "docx", "bs4", "bs4.builder._htmlparser",
)
_MB = 1024 * 1024
_START_TIMEOUT_SECONDS = 60.0
# How long past the limit the caller waits for a child whose own alarm should already have
# killed it (a stopped or traced child); after that it reports the timeout regardless.
_GRACE_SECONDS = 2.0


def run_limited(function: Callable[..., Any], *args: Any, name: str, timeout_seconds: float, memory_mb: int) -> Any:
    """``function(*args)`` in a sandboxed child process: its result, or the WorkbenchError it raised.

    Raises ParseTimeout after ``timeout_seconds``, ParseMemoryExceeded when the child runs out of
    its ``memory_mb``, UnsupportedFile when it dies any other way. ``function`` must be importable
    by the parse server (a module-level function of ``core``); it, its arguments and its result
    must be picklable. ``name`` is the file name used in messages.
    """
    started = time.monotonic()
    connection = _SERVER.connect()
    try:
        connection.send((function, args, memory_mb * _MB, float(timeout_seconds)))
        if not connection.poll(timeout_seconds + _GRACE_SECONDS):
            raise ParseTimeout(timeout_message(name, timeout_seconds))
        try:
            status, value = connection.recv()
        except EOFError:
            # It died without answering. Its own alarm kills it at the limit; earlier than that,
            # the kernel or a C library gave up on it, almost always for lack of memory.
            if time.monotonic() - started >= timeout_seconds:
                raise ParseTimeout(timeout_message(name, timeout_seconds)) from None
            raise UnsupportedFile(
                f"{name} could not be read: the reader stopped unexpectedly, most likely because the file needs "
                f"more than its {memory_mb} MB memory limit (AW_PARSE_MEMORY_MB)."
            ) from None
    finally:
        connection.close()
    if status == "ok":
        return value
    if status == "memory":
        raise ParseMemoryExceeded(memory_message(name, memory_mb))
    if status == "error":
        raise value
    raise UnsupportedFile(f"{name} could not be read: the reader failed ({value}).")


def timeout_message(name: str, timeout_seconds: float) -> str:
    return (
        f"{name} took longer than {timeout_seconds:g} s to read, so it was skipped: the file is unusually "
        "large or malformed. Split it into smaller files or re-save it (for example print it to a new PDF), "
        "or ask an administrator to raise AW_PARSE_TIMEOUT."
    )


def memory_message(name: str, memory_mb: int) -> str:
    return (
        f"{name} needs more than {memory_mb} MB of memory to read, so it was skipped: the file is unusually "
        "large or malformed. Split it into smaller files or re-save it, or ask an administrator to raise "
        "AW_PARSE_MEMORY_MB."
    )


# ---------------------------------------------------------------- the caller's side of the server

class _ParseServer:
    """The parse server process of this app process, started on first use, restarted if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._folder: str | None = None
        self._address = ""

    def connect(self) -> Connection:
        """A connection to a fresh child of the server; starts (or restarts) the server if needed."""
        for attempt in range(2):
            with self._lock:
                if attempt or self._process is None or self._process.poll() is not None:
                    self._start()
                address = self._address
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                client.connect(address)
                return Connection(client.detach())
            except OSError:
                client.close()
                logger.warning("the parse server at %s did not answer; restarting it", address, exc_info=True)
        raise UnsupportedFile("Files cannot be read right now: the parsing process does not answer. Check the server log.")

    def forget(self) -> None:
        """In a process forked from the app (a worker): the server is the parent's, not ours."""
        self._lock = threading.Lock()  # it may have been held by a thread that does not exist here
        self._process = None
        self._folder = None

    def _start(self) -> None:
        self.stop()
        # A private folder (mode 0700) holds the socket: only this user can connect to it.
        self._folder = tempfile.mkdtemp(prefix="aw-parse-")
        self._address = str(Path(self._folder) / "server.sock")
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        # The server must import ``core`` whatever the caller's working directory is.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH", "")]))
        process = subprocess.Popen(
            [sys.executable, "-c", "from core.ingest.sandbox import serve; serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=package_root, close_fds=True,
        )
        line = b""
        try:
            process.stdin.write(pickle.dumps({"address": self._address, "preload": PRELOAD}))
            process.stdin.flush()  # kept open: the server exits when it reads end-of-file (this process died)
            # poll(), not select(): select() refuses descriptors numbered 1024 and up, which a long-lived
            # process with many stores and connections open reaches ("filedescriptor out of range").
            waiting = select.poll()
            waiting.register(process.stdout, select.POLLIN)
            if waiting.poll(_START_TIMEOUT_SECONDS * 1000):
                line = process.stdout.readline()
        finally:
            if line.strip() != b"ready":  # no answer, or an error here: leave no server behind we do not know of
                process.kill()
                process.wait()
        if line.strip() != b"ready":
            raise UnsupportedFile("Files cannot be read right now: the parsing process did not start. Check the server log.")
        self._process = process

    def stop(self) -> None:
        if self._process is not None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


# One per app process, like the embedding model: a cached handle to a process, not state.
_SERVER = _ParseServer()
atexit.register(_SERVER.stop)
os.register_at_fork(after_in_child=_SERVER.forget)


# ---------------------------------------------------------------- the server and its children

def serve() -> None:
    """The parse server's main loop: fork a limited child per connection until stdin closes."""
    config = pickle.load(sys.stdin.buffer)
    for module in config["preload"]:
        __import__(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel as they exit
    # Ctrl-C in a terminal reaches the whole process group; the app decides what stops, and
    # the server ends when the app does (end of stdin). Children inherit this and stop at their alarm.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(config["address"])
    listener.listen(64)
    sys.stdout.buffer.write(b"ready\n")
    sys.stdout.buffer.flush()
    # From here on nothing reads our stdout; a parser that prints must not block on a full pipe.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    stdin = sys.stdin.buffer.fileno()
    while True:
        readable, _, _ = select.select([listener, stdin], [], [])
        if stdin in readable and not os.read(stdin, 4096):
            os._exit(0)  # the app process is gone (or stopped us): so are we
        if listener in readable:
            connection, _ = listener.accept()
            if os.fork() == 0:
                listener.close()
                _child(Connection(connection.detach()))
            connection.close()


def _child(connection: Connection) -> None:
    """One file: read the request, set the limits, run, send one outcome, exit."""
    status = 1
    try:
        function, args, memory_bytes, timeout_seconds = connection.recv()
        _limit(resource.RLIMIT_AS, memory_bytes)
        _limit(resource.RLIMIT_CPU, int(timeout_seconds) + 2)
        _limit(resource.RLIMIT_CORE, 0)  # a crash on a hostile file should not leave a core dump behind
        # SIGALRM's default action ends the process, even in the middle of a regex or C parser.
        signal.setitimer(signal.ITIMER_REAL, timeout_seconds)
        try:
            outcome: tuple[str, Any] = ("ok", function(*args))
        except MemoryError:
            # Set here, sent below: leaving the except block drops the traceback and with it
            # the frames that hold the memory, so the answer can be pickled.
            outcome = ("memory", None)
        except WorkbenchError as exc:
            outcome = ("error", exc)
        except BaseException as exc:  # a bug in a parser, not a property of the file; still an answer
            outcome = ("crash", f"{type(exc).__name__}: {exc}"[:200])
        try:
            connection.send(outcome)
        except MemoryError:
            connection.send(("memory", None))
        status = 0
    finally:
        os._exit(status)  # never return into the server's loop


def _limit(kind: int, value: int) -> None:
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard))
