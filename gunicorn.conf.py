"""gunicorn settings for OZG-Kompass in production: `gunicorn -c gunicorn.conf.py kompass.wsgi`.

Every value comes from an environment variable with a default that suits one machine behind a
reverse proxy (see docs/operations.md). Django itself is configured by its own variables
(SECRET_KEY, DATABASE_URL, …); this file only concerns the HTTP server.

    GUNICORN_BIND            address(es) to listen on, comma-separated   127.0.0.1:8000
    GUNICORN_WORKERS         worker processes (or WEB_CONCURRENCY)       2 × CPU cores + 1
    GUNICORN_THREADS         threads per worker (> 1 uses gthread)       1
    GUNICORN_TIMEOUT         seconds before a silent worker is killed    30
    GUNICORN_MAX_REQUESTS    recycle a worker after this many requests   1000 (0: never)
    GUNICORN_ACCESS_LOG      file for the access log, "-" for stdout,    -
                             "off" for none
    GUNICORN_LOG_LEVEL       error log level                             info
    GUNICORN_CONTROL_SOCKET  path of gunicornc's control socket, "off"   gunicorn's default
                             to disable it (one per instance!)
    FORWARDED_ALLOW_IPS      proxies whose X-Forwarded-* headers are     127.0.0.1,::1
                             trusted (read by gunicorn itself)
"""

import gc
import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}.") from None


def _cpu_cores() -> int:
    # Respect CPU affinity (containers, taskset) where the platform reports it.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


wsgi_app = "kompass.wsgi:application"
proc_name = "kompass"

bind = [
    address.strip()
    for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
    if address.strip()
]
workers = _env_int("GUNICORN_WORKERS", _env_int("WEB_CONCURRENCY", 2 * _cpu_cores() + 1))
threads = _env_int("GUNICORN_THREADS", 1)

# Load Django once in the master before forking: a configuration error (e.g. the development
# SECRET_KEY with DEBUG off, refused in kompass.wsgi) stops the start at once instead of letting
# workers crash in a loop, and the workers share the loaded code. Restart (not HUP) to deploy code.
preload_app = True

timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Connections come from the reverse proxy on the same host or network.
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
# Recycling workers now and then bounds the effect of any slow memory growth.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", max(max_requests // 10, 0))

_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "-").strip()
accesslog = None if _access_log.lower() in {"", "off", "none"} else _access_log
# The default format plus the time taken in milliseconds (%(M)s).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control_socket.lower() in {"off", "none", "false", "0"}:
    control_socket_disable = True
elif _control_socket:
    control_socket = _control_socket


def pre_fork(server, worker):
    """Move everything the master loaded (Django, the apps, the URL and template machinery) out of
    the garbage collector's reach before forking: the workers' collections no longer scan those
    long-lived objects (about 0.5 ms less per list page at SCALE=de), and the pages holding them
    stay shared between the workers instead of being copied when a collection touches them."""
    gc.collect()
    gc.freeze()
