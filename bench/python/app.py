"""The Python service nocwatch replaces, rebuilt for side-by-side benchmarks.

Same design as the description we were given and as nocwatch: a background
thread polls the producer's CSV matrix every POLL_INTERVAL seconds with a
timeout, parses and validates it outside any lock, and publishes the new
snapshot by one reference assignment (read-copy-update: readers take the
current reference once and never see a half-built snapshot). FastAPI serves
the same two endpoints with the same JSON shapes, errors and data age.

Run: PRODUCER_URL=http://127.0.0.1:9001/counters uvicorn app:app --port 8081
"""

import csv
import io
import logging
import os
import threading
import time
import urllib.request
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

PRODUCER_URL = os.environ.get("PRODUCER_URL", "http://127.0.0.1:9001/counters")
POLL_INTERVAL = float(os.environ.get("POLL_INTERVAL", "10"))
POLL_TIMEOUT = float(os.environ.get("POLL_TIMEOUT", "5"))

ID_COLUMN = "Switch_ID"
COUNTERS = ["Bytes_In", "Bytes_Out", "Packets_In", "Packets_Out", "Errors_In", "Drops_In"]
GAUGES = ["Latency_Avg_uSec", "Latency_P99_uSec", "Link_Util_Pct", "CPU_Util_Pct", "Temperature_C"]
METRICS = COUNTERS + GAUGES

log = logging.getLogger("fabric")


class Snapshot:
    __slots__ = ("data", "published_at", "generation")

    def __init__(self, data, published_at, generation):
        self.data = data  # {switch_id: {metric: value}}
        self.published_at = published_at  # time.time() of the publish, or None
        self.generation = generation


# The one shared reference. Writers build a new Snapshot and assign it here.
_current = Snapshot({}, None, 0)
stats = {"cycles_ok": 0, "failures": {}, "last_cycle_ms": None}


def parse(body: bytes):
    text = body.decode("utf-8")
    if not text.strip():
        raise ValueError("empty")
    rows = csv.reader(io.StringIO(text))
    header = next(rows)
    if not header or header[0] != ID_COLUMN:
        raise ValueError("schema: first column")
    index = {name: i for i, name in enumerate(header)}
    missing = [m for m in METRICS if m not in index]
    if missing:
        raise ValueError(f"schema: missing {missing}")
    cols = [(m, index[m], int if m in COUNTERS else float) for m in METRICS]
    width = len(header)
    data = {}
    for row in rows:
        if not row:
            continue
        if len(row) != width:
            raise ValueError("corrupt: field count")
        sid = row[0]
        if not sid or sid in data:
            raise ValueError("duplicate or empty id")
        data[sid] = {m: conv(row[i]) for m, i, conv in cols}
    if not text.endswith("\n"):
        raise ValueError("truncated")
    if not data:
        raise ValueError("no rows")
    return data


def poll_once():
    global _current
    t0 = time.perf_counter()
    with urllib.request.urlopen(PRODUCER_URL, timeout=POLL_TIMEOUT) as r:
        body = r.read()
    t1 = time.perf_counter()
    data = parse(body)
    t2 = time.perf_counter()
    _current = Snapshot(data, time.time(), _current.generation + 1)  # the swap
    t3 = time.perf_counter()
    stats["cycles_ok"] += 1
    stats["last_cycle_ms"] = {
        "fetch_ms": (t1 - t0) * 1e3,
        "parse_ms": (t2 - t1) * 1e3,
        "swap_ms": (t3 - t2) * 1e3,
    }


def poller():
    while True:
        started = time.monotonic()
        try:
            poll_once()
        except Exception as e:  # keep serving the last good snapshot
            kind = type(e).__name__
            stats["failures"][kind] = stats["failures"].get(kind, 0) + 1
            log.warning("poll failed: %s", e)
        time.sleep(max(0.0, POLL_INTERVAL - (time.monotonic() - started)))


@asynccontextmanager
async def lifespan(_app):
    threading.Thread(target=poller, daemon=True).start()
    yield


app = FastAPI(lifespan=lifespan)


def _age_ms(snap, now):
    return None if snap.published_at is None else int((now - snap.published_at) * 1000)


def _error(status, code, message, age):
    headers = {} if age is None else {"X-Data-Age-Ms": str(age)}
    return JSONResponse(
        {"error": code, "message": message, "data_age_ms": age}, status_code=status, headers=headers
    )


@app.get("/telemetry/GetMetric")
async def get_metric(switch_id: str | None = None, metric_name: str | None = None):
    snap = _current  # one reference read: a consistent snapshot
    age = _age_ms(snap, time.time())
    if not switch_id:
        return _error(400, "missing_parameter", 'missing query parameter "switch_id"', age)
    if not metric_name:
        return _error(400, "missing_parameter", 'missing query parameter "metric_name"', age)
    if snap.generation == 0:
        return _error(503, "no_data", "no data yet", age)
    metrics = snap.data.get(switch_id)
    if metrics is None:
        return _error(404, "unknown_switch", f'unknown switch "{switch_id}"', age)
    value = metrics.get(metric_name)
    if value is None:
        return _error(404, "unknown_metric", f'unknown metric "{metric_name}"', age)
    return JSONResponse(
        {
            "switch_id": switch_id,
            "metric_name": metric_name,
            "value": value,
            "generation": snap.generation,
            "data_age_ms": age,
        },
        headers={"X-Data-Age-Ms": str(age)},
    )


@app.get("/telemetry/ListMetrics")
async def list_metrics(request: Request):
    snap = _current
    age = _age_ms(snap, time.time())
    q = request.query_params
    wanted = [s for v in q.getlist("switch_id") for s in v.split(",") if s]
    prefix = q.get("metric_prefix", "")
    for s in wanted:
        if s not in snap.data:
            return _error(404, "unknown_switch", f'unknown switch "{s}"', age)
    ids = wanted or list(snap.data)
    switches = [
        {"switch_id": s, "metrics": {m: v for m, v in snap.data[s].items() if m.startswith(prefix)}}
        for s in ids
    ]
    return JSONResponse(
        {"generation": snap.generation, "data_age_ms": age, "switches": switches, "count": len(switches)}
    )


@app.get("/health")
async def health():
    snap = _current
    return {"data_age_ms": _age_ms(snap, time.time()), "generation": snap.generation, **stats}
