"""A small closed-loop load generator: N client threads, each sending one request after another.

Traffic goes only to the server the bench started on 127.0.0.1. A run is bounded both by the
number of requests and by time. Latency is measured per request from sending it to having read the
whole body, on a fresh connection (gunicorn's sync workers close the connection after each answer).
"""

import http.client
import itertools
import math
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    """Latencies of the successful requests, per URL, plus errors and the wall-clock duration."""

    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    clients: int = 0

    @property
    def all_latencies_ms(self) -> list[float]:
        return [latency for values in self.latencies_ms.values() for latency in values]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction 0.5 is the median, 0.95 the 95th percentile)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _fetch(host: str, port: int, path: str, headers: dict[str, str]) -> tuple[int, float]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Accept-Encoding": "gzip", **headers})
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def run_load(
    *,
    base_url: str,
    paths: list[str],
    clients: int,
    requests: int,
    max_seconds: float,
    headers: dict[str, str] | None = None,
    first: int = 0,
) -> LoadResult:
    """Send `requests` GETs round-robin over `paths` from `clients` threads, stop after max_seconds.
    `headers` (e.g. a session cookie) go with every request. `first` is the number of requests a
    run in parts sent before this part: the round-robin goes on where it stopped."""
    parts = urlsplit(base_url)
    if parts.hostname != "127.0.0.1":
        raise ValueError("The load generator only talks to 127.0.0.1.")
    host, port = parts.hostname, parts.port or 80
    tickets = itertools.count()
    lock = threading.Lock()
    result = LoadResult(latencies_ms={path: [] for path in paths}, clients=clients)
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                ticket = next(tickets)
            if ticket >= requests:
                return
            path = paths[(first + ticket) % len(paths)]
            try:
                status, latency = _fetch(host, port, path, headers or {})
            except OSError as error:
                with lock:
                    result.errors.append(f"{path}: {error}")
                continue
            with lock:
                if status == 200:
                    result.latencies_ms[path].append(latency)
                else:
                    result.errors.append(f"{path}: HTTP {status}")

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def combine(parts: list[LoadResult]) -> LoadResult:
    """The parts of one run (run_load with `first`) as one result; its seconds are theirs alone,
    not what ran between them."""
    combined = LoadResult(clients=max(part.clients for part in parts))
    for part in parts:
        for path, latencies in part.latencies_ms.items():
            combined.latencies_ms.setdefault(path, []).extend(latencies)
        combined.errors.extend(part.errors)
        combined.seconds += part.seconds
    return combined


def summarise(result: LoadResult) -> dict:
    """p50/p95/max/mean in ms, requests per second and per-URL figures, for latest.json."""
    latencies = result.all_latencies_ms
    if not latencies:
        raise RuntimeError(
            "No request succeeded: " + "; ".join(result.errors[:5] or ["no request sent"])
        )
    completed = len(latencies) + len(result.errors)
    return {
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(sum(latencies) / len(latencies), 2),
        "requests": completed,
        "errors": len(result.errors),
        "error_samples": result.errors[:5],
        "clients": result.clients,
        "duration_seconds": round(result.seconds, 3),
        "rps": round(completed / result.seconds, 1) if result.seconds else None,
        "urls": {
            path: {
                "requests": len(values),
                "p50_ms": round(percentile(values, 0.50), 2),
                "p95_ms": round(percentile(values, 0.95), 2),
            }
            for path, values in result.latencies_ms.items()
            if values
        },
    }
