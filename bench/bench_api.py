#!/usr/bin/env python3
"""Orchestrates scripts/bench-api (standard library only).

One run, side by side on this machine:
  (a) ingestion cycle (fetch / parse / swap) for 50 and for 100,000 switches,
      from the service's own /metrics (means over the cycles of the run);
  (b) wrk against GetMetric with random switches and metrics over a
      100,000-switch snapshot: without ingestion, then with a 100,000-switch
      swap every second;
  (c) the same wrk run against the Python FastAPI + uvicorn service of
      bench/python (same RCU design, same producer, same data).
Prints a table, then one JSON object as the last line.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


class Proc:
    def __init__(self, name, cmd, env=None, cwd=None):
        self.name = name
        self.log = tempfile.TemporaryFile()
        self.p = subprocess.Popen(
            cmd, env={**os.environ, **(env or {})}, cwd=cwd,
            stdout=subprocess.PIPE, stderr=self.log, text=True,
        )

    def line_with(self, needle, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.p.stdout.readline()
            if not line:
                break
            if needle in line:
                return line
        self.fail(f"no stdout line with {needle!r}")

    def fail(self, why):
        self.log.seek(0)
        sys.stderr.write(self.log.read().decode(errors="replace")[-4000:])
        self.stop()
        sys.exit(f"bench-api: {self.name}: {why}")

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode


def producer(nocwatch, switches, tick):
    p = Proc(f"producer-{switches}", [nocwatch, "sim", "telemetry", "--listen", "127.0.0.1:0",
                                      "--switches", str(switches), "--tick", tick])
    line = p.line_with("/counters")
    url = re.search(r"http://\S+/counters", line).group(0)
    return p, url


def service(nocwatch, url, interval, history, workers):
    port = free_port()
    cfg = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    cfg.write(f"""[api]
listen = "127.0.0.1:{port}"
[runtime]
worker_threads = {workers}
[store]
history = {history}
[http_csv]
url = "{url}"
interval = "{interval}"
timeout = "10s"
""")
    cfg.close()
    p = Proc(f"nocwatch-run-{interval}", [nocwatch, "run", "--config", cfg.name])
    p.line_with("GetMetric")
    base = f"http://127.0.0.1:{port}"
    wait_data(p, base + "/health", lambda j: j.get("generation", 0) >= 1)
    os.unlink(cfg.name)
    return p, base


def wait_data(p, health_url, ok, timeout=120, checks=1):
    deadline = time.time() + timeout
    good = 0
    while time.time() < deadline:
        status, body = http_get(health_url)
        if status == 200:
            try:
                if ok(json.loads(body)):
                    good += 1
                    if good >= checks:
                        return
            except ValueError:
                pass
        time.sleep(0.2)
    p.fail("no data within the time limit")


def prom(base):
    _, body = http_get(base + "/metrics")
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            out[k] = float(v)
    return out


def phase_means(m, source="fabric"):
    res = {}
    for phase in ("fetch", "parse", "swap"):
        key = f'nocwatch_ingest_phase_seconds_%s{{source="{source}",phase="{phase}"}}'
        n = m.get(key % "count", 0)
        res[phase] = (m.get(key % "sum", 0) / n * 1e3) if n else float("nan")
        res["cycles"] = int(n)
    res["total"] = res["fetch"] + res["parse"] + res["swap"]
    return res


class CycleSampler:
    """Collects each ingestion cycle's phases from /health (last_cycle), once per
    cycle, in a background thread, for medians (the /metrics histograms only give
    means, which a single slow cycle on a loaded machine skews)."""

    def __init__(self, base):
        import threading
        self.base, self.cycles, self.seen, self.stop_flag = base, [], set(), False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop_flag:
            status, body = http_get(self.base + "/health")
            if status == 200:
                j = json.loads(body)
                n = j["source"]["cycles_ok"]
                if n not in self.seen and n >= 2:  # cycle 1 creates the series
                    self.seen.add(n)
                    c = j["source"]["last_cycle"]
                    self.cycles.append({k: c[k + "_ms"] for k in ("fetch", "parse", "swap", "total")})
            time.sleep(0.1)

    def medians(self):
        self.stop_flag = True
        self.t.join()
        out = {"cycles": len(self.cycles)}
        for k in ("fetch", "parse", "swap", "total"):
            v = sorted(c[k] for c in self.cycles)
            out[k] = v[len(v) // 2] if v else float("nan")
        return out


def wrk(url, switches, args, seconds=None):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds or args.duration}s",
           "-s", os.path.join(HERE, "wrk", "getmetric.lua"), url]
    env = {**os.environ, "SWITCHES": str(switches)}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def median_run(runs):
    """Median of each figure over the rounds, plus the per-round values."""
    out = {}
    for k in ("rps", "p50_ms", "p99_ms"):
        v = sorted(r[k] for r in runs)
        out[k] = v[len(v) // 2]
        out[k + "_rounds"] = [r[k] for r in runs]
    out["non_2xx"] = sum(r["non_2xx"] for r in runs)
    out["socket_errors"] = sum(r["socket_errors"] for r in runs)
    out["swaps"] = [r.get("swaps", 0) for r in runs]
    return out


def set_mode(producer_url, mode):
    req = urllib.request.Request(producer_url.replace("/counters", f"/mode?mode={mode}"), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        r.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nocwatch", required=True)
    ap.add_argument("--python", required=True, help="venv python with fastapi and uvicorn")
    ap.add_argument("--switches", type=int, default=100_000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (one thread cannot drive the Rust server)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2, help="server threads / uvicorn workers")
    ap.add_argument("--ingest-seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="wrk runs per configuration (medians reported)")
    args = ap.parse_args()
    big = args.switches
    results = {}
    procs = []
    try:
        p50, url50 = producer(args.nocwatch, 50, "1s")
        pbig, urlbig = producer(args.nocwatch, big, "1s")
        procs += [p50, pbig]

        # (a) 50 switches, polled every second.
        s, base = service(args.nocwatch, url50, "1s", 60, args.workers)
        sampler = CycleSampler(base)
        time.sleep(args.ingest_seconds)
        ingest50 = sampler.medians()
        ingest50_mean = phase_means(prom(base))
        s.stop()

        # (b) 100k switches polled every second. Swaps are switched on and off by the
        # producer's mode, alternately, in one service process over the same data:
        # ERROR_500 -> every poll fails at once and nothing is swapped (the last good
        # snapshot stays served); OK -> a 100k-switch swap every second.
        s, base = service(args.nocwatch, urlbig, "1s", 4, args.workers)
        url = base + "/telemetry/GetMetric"
        gen_key = "nocwatch_store_generation"
        sampler = CycleSampler(base)
        wrk(url, big, args, seconds=2)  # warm-up, not recorded
        steady_runs, swap_runs = [], []
        for _ in range(args.rounds):
            for mode, runs in (("ERROR_500", steady_runs), ("OK", swap_runs)):
                set_mode(urlbig, mode)
                time.sleep(1.5)  # a swap in flight finishes
                g0 = prom(base).get(gen_key, 0)
                r = wrk(url, big, args)
                r["swaps"] = int(prom(base).get(gen_key, 0) - g0)
                runs.append(r)
        ingestbig = sampler.medians()
        ingestbig_mean = phase_means(prom(base))
        s.stop()
        steady, swaps = median_run(steady_runs), median_run(swap_runs)
        swaps["swaps_during_run"] = round(sum(swaps["swaps"]) / len(swaps["swaps"]))

        # (c) Python, same producer and data, steady state.
        port = free_port()
        py = Proc("python", [args.python, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(args.workers),
                             "--log-level", "warning", "--no-access-log"],
                  env={"PRODUCER_URL": urlbig, "POLL_INTERVAL": "3600", "POLL_TIMEOUT": "30"},
                  cwd=os.path.join(HERE, "python"))
        procs.append(py)
        pybase = f"http://127.0.0.1:{port}"
        # Every worker has its own snapshot: wait until several answers in a row have data.
        wait_data(py, pybase + "/health", lambda j: j.get("generation", 0) >= 1, checks=8)
        wrk(pybase + "/telemetry/GetMetric", big, args, seconds=2)  # warm-up
        pyres = median_run([wrk(pybase + "/telemetry/GetMetric", big, args) for _ in range(args.rounds)])
        py.stop()
        # Python ingestion of the 50-switch matrix (one worker, from its /health).
        port = free_port()
        py50 = Proc("python-50", [args.python, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
                                  "--port", str(port), "--log-level", "warning", "--no-access-log"],
                    env={"PRODUCER_URL": url50, "POLL_INTERVAL": "1"},
                    cwd=os.path.join(HERE, "python"))
        procs.append(py50)
        wait_data(py50, f"http://127.0.0.1:{port}/health", lambda j: j.get("cycles_ok", 0) >= 5, timeout=60)
        _, body = http_get(f"http://127.0.0.1:{port}/health")
        py50_cycle = json.loads(body)["last_cycle_ms"]
        py50.stop()
    finally:
        for p in procs:
            p.stop()

    def f(x, nd=2):
        return f"{x:.{nd}f}"

    rows = [
        ("ingest 50 switches (median of %d cycles)" % ingest50["cycles"],
         f"fetch {f(ingest50['fetch'])} / parse {f(ingest50['parse'])} / swap {f(ingest50['swap'])} ms",
         f"{f(ingest50['total'])} ms"),
        ("  (mean of %d cycles)" % ingest50_mean["cycles"],
         f"fetch {f(ingest50_mean['fetch'])} / parse {f(ingest50_mean['parse'])} / swap {f(ingest50_mean['swap'])} ms",
         f"{f(ingest50_mean['total'])} ms"),
        ("python ingest 50 switches (last cycle)",
         f"fetch {f(py50_cycle['fetch_ms'])} / parse {f(py50_cycle['parse_ms'])} / swap {f(py50_cycle['swap_ms'], 4)} ms",
         f"{f(py50_cycle['fetch_ms'] + py50_cycle['parse_ms'] + py50_cycle['swap_ms'])} ms"),
        (f"ingest {big} switches (median of {ingestbig['cycles']} cycles)",
         f"fetch {f(ingestbig['fetch'])} / parse {f(ingestbig['parse'])} / swap {f(ingestbig['swap'])} ms",
         f"{f(ingestbig['total'])} ms"),
        ("  (mean of %d cycles)" % ingestbig_mean["cycles"],
         f"fetch {f(ingestbig_mean['fetch'])} / parse {f(ingestbig_mean['parse'])} / swap {f(ingestbig_mean['swap'])} ms",
         f"{f(ingestbig_mean['total'])} ms"),
    ]
    for name, r in (("GetMetric, no swap", steady), ("GetMetric, 100k swap every 1 s", swaps),
                    ("python GetMetric, no swap", pyres)):
        rows.append((name, f"p50 {f(r['p50_ms'], 3)} / p99 {f(r['p99_ms'], 3)} ms, non-2xx {r['non_2xx']}, errors {r['socket_errors']}",
                     f"{r['rps']:,.0f} req/s"))
    w = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s x {args.rounds}, server {args.workers} threads/workers, "
          f"{big} switches x 11 metrics, random keys; load average {os.getloadavg()[0]:.2f}")
    for name, detail, total in rows:
        print(f"  {name:<{w}}  {detail:<{w2}}  {total:>14}")
    ratio = steady["rps"] / pyres["rps"] if pyres["rps"] else float("inf")
    p99_change = (swaps["p99_ms"] / steady["p99_ms"] - 1) * 100 if steady["p99_ms"] else float("nan")
    print(f"  medians of {args.rounds} rounds, alternated (no swap, swaps); per round p99 ms: no swap "
          f"{steady['p99_ms_rounds']}, swaps {swaps['p99_ms_rounds']}, python {pyres['p99_ms_rounds']}")
    print(f"  swaps per swap round: {swaps['swaps']}; p99 with swaps vs without: {p99_change:+.1f} %")
    print(f"  nocwatch / python requests/s: {ratio:.1f}x; p99 ratio python/nocwatch: "
          f"{pyres['p99_ms'] / steady['p99_ms']:.1f}x")
    goals = [
        ("ingest 50 < 5 ms", ingest50["total"] < 5),
        ("GetMetric >= 100k req/s", steady["rps"] >= 100_000),
        ("p99 < 1 ms", steady["p99_ms"] < 1.0),
        ("p99 with swaps within 10 %", abs(p99_change) <= 10),
        (">= 20x python", ratio >= 20),
    ]
    print("  goals: " + ", ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals))
    print(json.dumps({
        "ingest_50_ms": round(ingest50["total"], 3),
        "ingest_50_phases_ms": {k: round(ingest50[k], 3) for k in ("fetch", "parse", "swap")},
        "ingest_50_mean_ms": round(ingest50_mean["total"], 3),
        "ingest_100k_ms": round(ingestbig["total"], 3),
        "ingest_100k_mean_ms": round(ingestbig_mean["total"], 3),
        "ingest_100k_phases_ms": {k: round(ingestbig[k], 3) for k in ("fetch", "parse", "swap")},
        "switches": big,
        "rps": round(steady["rps"]),
        "p50_ms": steady["p50_ms"],
        "p99_ms": steady["p99_ms"],
        "rps_during_swaps": round(swaps["rps"]),
        "p99_ms_during_swaps": swaps["p99_ms"],
        "swaps_during_run": swaps["swaps_during_run"],
        "rounds": args.rounds,
        "p99_ms_rounds": steady["p99_ms_rounds"],
        "p99_ms_during_swaps_rounds": swaps["p99_ms_rounds"],
        "python_rps": round(pyres["rps"]),
        "python_p50_ms": pyres["p50_ms"],
        "python_p99_ms": pyres["p99_ms"],
        "python_ingest_50_ms": round(py50_cycle["fetch_ms"] + py50_cycle["parse_ms"] + py50_cycle["swap_ms"], 3),
        "rps_ratio": round(ratio, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }))


if __name__ == "__main__":
    main()
