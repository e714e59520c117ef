"""Start the production server (gunicorn with gunicorn.conf.py) on a free 127.0.0.1 port, and stop it."""

import contextlib
import http.client
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench import REPO_ROOT

HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """gunicorn did not come up (the message ends with the tail of its log)."""


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(
            log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        )
    except OSError:
        return "(no log)"


def _ready(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def gunicorn_server(
    *, env: dict[str, str], log_path: Path, workers: int = 2, ready_path: str = "/"
) -> Iterator[str]:
    """Run `gunicorn -c gunicorn.conf.py kompass.wsgi`; yield its base URL, stop it afterwards."""
    port = free_port()
    server_env = {
        **env,
        "GUNICORN_BIND": f"{HOST}:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": "1",
        # One access-log line per request would only slow the measured server down.
        "GUNICORN_ACCESS_LOG": "off",
        "GUNICORN_LOG_LEVEL": "warning",
        # The control socket's default path is shared by every gunicorn of this user.
        "GUNICORN_CONTROL_SOCKET": "off",
        # Nothing recycled in the middle of a measurement.
        "GUNICORN_MAX_REQUESTS": "0",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(REPO_ROOT / "gunicorn.conf.py"),
        "kompass.wsgi",
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and config
            command, cwd=REPO_ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not _ready(port, ready_path):
            if process.poll() is not None:
                raise ServerError(
                    f"gunicorn exited with {process.returncode}:\n{_log_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise ServerError(f"gunicorn did not answer within 60 s:\n{_log_tail(log_path)}")
            time.sleep(0.1)
        yield f"http://{HOST}:{port}"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # graceful stop of the master and its workers
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
