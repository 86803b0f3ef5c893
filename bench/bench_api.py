#!/usr/bin/env python3
"""Orchestrates scripts/bench-api (standard library only).

One run, side by side on this machine:
  (a) ingestion cycle (fetch / parse / swap) for 50 and for N (100,000) switches,
      from the service's own /health and /metrics;
  (b) at the SAME thread/worker count W (--workers): wrk against GetMetric with
      random switches and metrics over an N-switch snapshot, in interleaved rounds:
      nocwatch (`[api] threads = W`, `[runtime] worker_threads = W`) without
      ingestion, with the whole body fetched every second and refused, and with a
      swap every second; the Python FastAPI + uvicorn service of bench/python with
      W workers; null_http (an HTTP server that does no work, W threads): the most
      any server can reach here with wrk on the same cores;
  (c) each at its BEST: nocwatch and Python again at every count of --best-counts
      (no swaps), the best requests/s of each reported with its count;
  (d) the effect of a swap on p99 apart from the 9 MB transfer: with --swap-serve
      BINARY, a server over a pre-parsed N-switch snapshot that publishes it into the
      store every second while wrk runs; --swap-rounds interleaved rounds with and
      without the publishing (see --swap-serve for what the binary must do).
CPU per request, for every wrk run: utime + stime of the server's whole process tree
(/proc/PID/stat of the process and of every descendant, which covers uvicorn's
workers) before and after the run, divided by the requests wrk completed.
Non-2xx answers and socket errors are counted per server.
Prints a table, then one JSON object as the last line (the unsuffixed keys are
the first --connections value; *_cC the others).
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
    def __init__(self, name, cmd, env=None, cwd=None, pipe=True):
        """`pipe`: stdout is read with line_with (only for a process that prints
        little: a pipe nobody reads could fill and stall it); else it goes to the log."""
        self.name = name
        self.log = tempfile.TemporaryFile()
        self.p = subprocess.Popen(
            cmd, env={**os.environ, **(env or {})}, cwd=cwd,
            stdout=subprocess.PIPE if pipe else self.log, stderr=self.log, text=True,
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


def service(nocwatch, url, interval, history, workers, api_threads=None):
    port = free_port()
    cfg = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    threads = "" if api_threads is None else f"threads = {api_threads}\n"
    cfg.write(f"""[api]
listen = "127.0.0.1:{port}"
{threads}[runtime]
worker_threads = {workers}
[store]
history = {history}
[http_csv]
url = "{url}"
interval = "{interval}"
timeout = "10s"
""")
    cfg.close()
    # Ready when /health reports data (no banner parsed: it may change).
    p = Proc(f"nocwatch-run-{interval}", [nocwatch, "run", "--config", cfg.name], pipe=False)
    base = f"http://127.0.0.1:{port}"
    wait_data(p, base + "/health", lambda j: j.get("generation", 0) >= 1)
    os.unlink(cfg.name)
    return p, base


def wait_data(p, health_url, ok, timeout=120, checks=1):
    deadline = time.time() + timeout
    good = 0
    while time.time() < deadline:
        if p.p.poll() is not None:
            p.fail(f"exited with status {p.p.returncode}")
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


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """(ppid, utime + stime in seconds) of a process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK


def tree_cpu(pid):
    """CPU seconds used so far by a process and every live descendant (each
    process's utime + stime covers all of its threads)."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                stats[int(name)] = st
    children = {}
    for p, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(p)
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        if p in stats:
            total += stats[p][1]
        todo.extend(children.get(p, []))
    return total


def wrk(url, switches, args, conns, seconds=None, pid=None):
    """One wrk run; with `pid`, the server tree's CPU per completed request too."""
    cmd = ["wrk", f"-t{args.threads}", f"-c{conns}", f"-d{seconds or args.duration}s",
           "-s", os.path.join(HERE, "wrk", "getmetric.lua"), url]
    env = {**os.environ, "SWITCHES": str(switches)}
    c0 = tree_cpu(pid) if pid else 0.0
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    c1 = tree_cpu(pid) if pid else 0.0
    r = json.loads(out.strip().splitlines()[-1])
    if pid:
        r["cpu_s"] = c1 - c0
        r["cpu_us_per_req"] = 1e6 * (c1 - c0) / r["requests"] if r["requests"] else float("nan")
    return r


def median_run(runs):
    """Median of each figure over the rounds, plus the per-round values."""
    out = {}
    for k in ("rps", "p50_ms", "p99_ms"):
        v = sorted(r[k] for r in runs)
        out[k] = v[len(v) // 2]
        out[k + "_rounds"] = [r[k] for r in runs]
    out["non_2xx"] = sum(r["non_2xx"] for r in runs)
    out["socket_errors"] = sum(r["socket_errors"] for r in runs)
    out["requests"] = sum(r["requests"] for r in runs)
    out["swaps"] = [r.get("swaps", 0) for r in runs]
    cpu = sorted(r["cpu_us_per_req"] for r in runs if "cpu_us_per_req" in r)
    out["cpu_us_per_req"] = cpu[len(cpu) // 2] if cpu else None
    out["cpu_us_per_req_rounds"] = [round(r["cpu_us_per_req"], 2) for r in runs if "cpu_us_per_req" in r]
    return out


def set_mode(producer_url, mode):
    req = urllib.request.Request(producer_url.replace("/counters", f"/mode?mode={mode}"), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        r.read()


def parse_connections(text):
    conns = [int(c) for c in text.split(",") if c.strip()]
    if not conns or any(c < 1 for c in conns):
        raise argparse.ArgumentTypeError("a comma-separated list of positive connection counts")
    return conns


def start_python(args, producer_url, workers, name="python"):
    port = free_port()
    py = Proc(name, [args.python, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
                     "--port", str(port), "--workers", str(workers),
                     "--log-level", "warning", "--no-access-log"],
              env={"PRODUCER_URL": producer_url, "POLL_INTERVAL": "3600", "POLL_TIMEOUT": "30"},
              cwd=os.path.join(HERE, "python"), pipe=False)
    base = f"http://127.0.0.1:{port}"
    # Every worker has its own snapshot: wait until several answers in a row have data.
    wait_data(py, base + "/health", lambda j: j.get("generation", 0) >= 1, checks=4 * workers)
    return py, base


def wait_http(p, url, timeout=30):
    deadline = time.time() + timeout
    while http_get(url)[0] != 200:
        if time.time() > deadline:
            p.fail("not answering")
        time.sleep(0.1)


def start_null(args, threads):
    port = free_port()
    null = Proc("null_http", [args.null_http, f"127.0.0.1:{port}", str(threads)], pipe=False)
    base = f"http://127.0.0.1:{port}"
    wait_http(null, base + "/")
    return null, base


def swap_only(args, big):
    """(d): --swap-rounds interleaved rounds, with and without a pre-parsed snapshot
    published every second, in one --swap-serve process."""
    port = free_port()
    sv = Proc("swap-serve", [args.swap_serve, f"127.0.0.1:{port}", str(big), str(args.workers)])
    try:
        sv.line_with("listening on", timeout=300)
        base = f"http://127.0.0.1:{port}"
        url = base + "/telemetry/GetMetric"
        wait_http(sv, base + "/health")

        def generation():
            status, body = http_get(base + "/health")
            return json.loads(body).get("generation", 0) if status == 200 else 0

        wrk(url, big, args, args.connections[0], seconds=2)  # warm-up
        runs = {"no_swap": [], "swap_only": []}
        for i in range(args.swap_rounds):
            # Alternate which goes first, so a trend in the machine's load does
            # not fall on one side only.
            order = ("no_swap", "swap_only") if i % 2 == 0 else ("swap_only", "no_swap")
            for cfg in order:
                sv.p.send_signal(signal.SIGUSR1 if cfg == "swap_only" else signal.SIGUSR2)
                time.sleep(1.5)  # a publish in flight finishes; the first one starts
                g0 = generation()
                r = wrk(url, big, args, args.connections[0], pid=sv.p.pid)
                r["swaps"] = generation() - g0
                runs[cfg].append(r)
        sv.p.send_signal(signal.SIGUSR2)
    finally:
        sv.stop()
    return {k: median_run(v) for k, v in runs.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nocwatch", required=True)
    ap.add_argument("--python", required=True, help="venv python with fastapi and uvicorn")
    ap.add_argument("--null-http", required=True,
                    help="the null_http example (nocwatch-api): an HTTP server that does no work")
    ap.add_argument("--switches", type=int, default=100_000)
    ap.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (one thread cannot drive the Rust server)")
    ap.add_argument("--connections", type=parse_connections, default=[16, 32],
                    help="wrk connection counts, comma-separated (default 16,32); the first is the headline")
    ap.add_argument("--workers", type=int, default=2,
                    help="the same count for both: nocwatch API threads (and runtime workers), uvicorn "
                         "workers, null_http threads")
    ap.add_argument("--best-counts", default="1,2,4",
                    help="thread / worker counts tried for each server's best (comma-separated)")
    ap.add_argument("--ingest-seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="wrk runs per configuration (medians reported)")
    ap.add_argument("--swap-serve", default=None,
                    help="a server binary run as `BIN 127.0.0.1:PORT SWITCHES THREADS` that serves the API "
                         "over a pre-parsed SWITCHES-switch snapshot, prints a line with `listening on` "
                         "when ready, reports the store generation in /health, and publishes the "
                         "pre-built snapshot into its store every second after SIGUSR1 until SIGUSR2; "
                         "without it p99_ms_swap_only is not measured")
    ap.add_argument("--swap-rounds", type=int, default=5, help="interleaved rounds for p99_ms_swap_only")
    args = ap.parse_args()
    big = args.switches
    conns = args.connections
    W = args.workers
    best_counts = sorted({int(c) for c in args.best_counts.split(",") if c.strip()} | {W})
    procs = []
    try:
        p50, url50 = producer(args.nocwatch, 50, "1s")
        pbig, urlbig = producer(args.nocwatch, big, "1s")
        procs += [p50, pbig]

        # (a) 50 switches, polled every second.
        s, base = service(args.nocwatch, url50, "1s", 60, W, W)
        sampler = CycleSampler(base)
        time.sleep(args.ingest_seconds)
        ingest50 = sampler.medians()
        ingest50_mean = phase_means(prom(base))
        s.stop()

        # (b) the same count W for every server. They run side by side; each round
        # runs every configuration once, so a burst of load from elsewhere on the
        # machine does not fall on one server only.
        # nocwatch, N switches polled every second. Swaps are switched on and off
        # by the producer's mode in one service process over the same data:
        # ERROR_500 -> every poll fails at once and nothing is swapped (the last
        # good snapshot stays served); WRONG_SCHEMA -> every poll fetches the whole
        # body (the producer renders it) and the service refuses it at the header:
        # the transfer without parse or swap; OK -> an N-switch swap every second.
        set_mode(urlbig, "OK")
        s, base = service(args.nocwatch, urlbig, "1s", 4, W, W)
        procs.append(s)
        url = base + "/telemetry/GetMetric"
        gen_key = "nocwatch_store_generation"
        sampler = CycleSampler(base)
        # Python, same producer and data, steady state (it loads one snapshot per
        # worker at start and never polls again during the run).
        py, pybase = start_python(args, urlbig, W)
        procs.append(py)
        null, nullbase = start_null(args, W)
        procs.append(null)

        targets = {"nocwatch": url, "python": pybase + "/telemetry/GetMetric",
                   "null": nullbase + "/telemetry/GetMetric"}
        for name, target in targets.items():  # warm-up, not recorded
            wrk(target, big, args, conns[0], seconds=2)
        runs = {(cfg, c): [] for cfg in ("steady", "fetch", "swaps", "python", "null") for c in conns}
        for _ in range(args.rounds):
            for mode, cfg in (("ERROR_500", "steady"), ("WRONG_SCHEMA", "fetch"), ("OK", "swaps")):
                set_mode(urlbig, mode)
                time.sleep(1.5)  # a swap in flight finishes
                for c in conns:
                    g0 = prom(base).get(gen_key, 0)
                    r = wrk(url, big, args, c, pid=s.p.pid)
                    r["swaps"] = int(prom(base).get(gen_key, 0) - g0)
                    runs[(cfg, c)].append(r)
            # No swaps while the other servers are measured.
            set_mode(urlbig, "ERROR_500")
            time.sleep(1.5)
            for cfg, target, pid in (("python", targets["python"], py.p.pid),
                                     ("null", targets["null"], null.p.pid)):
                for c in conns:
                    runs[(cfg, c)].append(wrk(target, big, args, c, pid=pid))
        ingestbig = sampler.medians()
        ingestbig_mean = phase_means(prom(base))
        for p in (s, py, null):
            p.stop()
        res = {k: median_run(v) for k, v in runs.items()}
        for c in conns:
            sw = res[("swaps", c)]
            sw["swaps_during_run"] = round(sum(sw["swaps"]) / len(sw["swaps"]))

        # (c) each at its best: every count of --best-counts, no swaps, headline
        # connections; W's figures come from (b).
        best = {"nocwatch": {W: res[("steady", conns[0])]}, "python": {W: res[("python", conns[0])]}}
        for n in best_counts:
            if n == W:
                continue
            # Both load their snapshot from the producer (OK), then no more swaps.
            set_mode(urlbig, "OK")
            sn, bn = service(args.nocwatch, urlbig, "1s", 4, n, n)
            procs.append(sn)
            pn, pbn = start_python(args, urlbig, n, name=f"python-{n}")
            procs.append(pn)
            set_mode(urlbig, "ERROR_500")
            time.sleep(1.5)
            wrk(bn + "/telemetry/GetMetric", big, args, conns[0], seconds=2)
            wrk(pbn + "/telemetry/GetMetric", big, args, conns[0], seconds=2)
            rn, rp = [], []
            for _ in range(args.rounds):
                rn.append(wrk(bn + "/telemetry/GetMetric", big, args, conns[0], pid=sn.p.pid))
                rp.append(wrk(pbn + "/telemetry/GetMetric", big, args, conns[0], pid=pn.p.pid))
            sn.stop()
            pn.stop()
            best["nocwatch"][n] = median_run(rn)
            best["python"][n] = median_run(rp)
        set_mode(urlbig, "ERROR_500")

        # (d) swap only, apart from the transfer.
        swap = swap_only(args, big) if args.swap_serve else None

        # Python ingestion of the 50-switch matrix (one worker, from its /health).
        port = free_port()
        py50 = Proc("python-50", [args.python, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
                                  "--port", str(port), "--log-level", "warning", "--no-access-log"],
                    env={"PRODUCER_URL": url50, "POLL_INTERVAL": "1"},
                    cwd=os.path.join(HERE, "python"), pipe=False)
        procs.append(py50)
        wait_data(py50, f"http://127.0.0.1:{port}/health", lambda j: j.get("cycles_ok", 0) >= 5, timeout=60)
        _, body = http_get(f"http://127.0.0.1:{port}/health")
        py50_cycle = json.loads(body)["last_cycle_ms"]
        py50.stop()
    finally:
        for p in procs:
            p.stop()

    def f(x, nd=2):
        return "n/a" if x is None else f"{x:.{nd}f}"

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
    names = {"steady": "GetMetric, no swap", "swaps": f"GetMetric, {big} swap every 1 s",
             "fetch": f"GetMetric, {big} fetched every 1 s, refused",
             "python": "python GetMetric, no swap", "null": "ceiling: null_http, no work"}

    def line(r):
        return (f"p50 {f(r['p50_ms'], 3)} / p99 {f(r['p99_ms'], 3)} ms, CPU {f(r['cpu_us_per_req'])} us/req, "
                f"non-2xx {r['non_2xx']}, errors {r['socket_errors']}")

    for c in conns:
        for cfg in ("steady", "fetch", "swaps", "python", "null"):
            r = res[(cfg, c)]
            rows.append((f"-c{c} {names[cfg]}", line(r), f"{r['rps']:,.0f} req/s"))
    for srv in ("nocwatch", "python"):
        for n in best_counts:
            r = best[srv][n]
            unit = "API threads" if srv == "nocwatch" else "workers"
            rows.append((f"-c{conns[0]} {srv}, {n} {unit}, no swap", line(r), f"{r['rps']:,.0f} req/s"))
    if swap:
        for cfg, label in (("no_swap", "swap-serve, no publish"),
                           ("swap_only", f"swap-serve, pre-parsed {big} published every 1 s")):
            r = swap[cfg]
            rows.append((f"-c{conns[0]} {label}", line(r), f"{r['rps']:,.0f} req/s"))
    w = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print(f"\nwrk -t{args.threads} -c{'/'.join(map(str, conns))} -d{args.duration}s x {args.rounds} rounds; "
          f"same count: nocwatch {W} API threads + {W} runtime workers, python {W} uvicorn workers, "
          f"null_http {W} threads; best of {best_counts}; {big} switches x 11 metrics, random keys; "
          f"load average {os.getloadavg()[0]:.2f}")
    for name, detail, total in rows:
        print(f"  {name:<{w}}  {detail:<{w2}}  {total:>14}")

    def ratio(a, b):
        return a / b if a is not None and b else None

    def derived(c):
        steady, swaps, pyres, null = (res[(k, c)] for k in ("steady", "swaps", "python", "null"))
        return {
            "ratio": ratio(steady["rps"], pyres["rps"]),
            "max_ratio": ratio(null["rps"], pyres["rps"]),
            "of_ceiling": ratio(steady["rps"], null["rps"]),
            "cpu_ratio": ratio(pyres["cpu_us_per_req"], steady["cpu_us_per_req"]),
            "p99_change": (swaps["p99_ms"] / steady["p99_ms"] - 1) * 100 if steady["p99_ms"] else float("nan"),
            "p99_change_fetch": (res[("fetch", c)]["p99_ms"] / steady["p99_ms"] - 1) * 100
            if steady["p99_ms"] else float("nan"),
        }

    print(f"  medians of {args.rounds} rounds; servers interleaved round by round; per round p99 ms:")
    for c in conns:
        d = derived(c)
        print(f"  -c{c}: p99 no swap {res[('steady', c)]['p99_ms_rounds']}, fetch only {res[('fetch', c)]['p99_ms_rounds']}, "
              f"swaps {res[('swaps', c)]['p99_ms_rounds']}, "
              f"python {res[('python', c)]['p99_ms_rounds']}, ceiling {res[('null', c)]['p99_ms_rounds']}")
        print(f"  -c{c}: swaps per swap round {res[('swaps', c)]['swaps']}; p99 with fetch+parse+swap vs without: "
              f"{d['p99_change']:+.1f} % (fetch and refuse, no parse or swap: {d['p99_change_fetch']:+.1f} %); "
              f"nocwatch / python requests/s {f(d['ratio'], 1)}x; CPU per request python / nocwatch "
              f"{f(d['cpu_ratio'], 1)}x; nocwatch = {f(100 * d['of_ceiling'], 0)} % of the ceiling; the ceiling "
              f"is {f(d['max_ratio'], 1)}x python: no server can be more than that here")
    nb = max(best_counts, key=lambda n: best["nocwatch"][n]["rps"])
    pb = max(best_counts, key=lambda n: best["python"][n]["rps"])
    bn, bp = best["nocwatch"][nb], best["python"][pb]
    best_ratio = ratio(bn["rps"], bp["rps"])
    best_cpu_ratio = ratio(bp["cpu_us_per_req"], bn["cpu_us_per_req"])
    print(f"  each at its best (-c{conns[0]}): nocwatch {bn['rps']:,.0f} req/s with {nb} API threads, python "
          f"{bp['rps']:,.0f} req/s with {pb} workers: {f(best_ratio, 1)}x; CPU per request "
          f"{f(bn['cpu_us_per_req'])} vs {f(bp['cpu_us_per_req'])} us: {f(best_cpu_ratio, 1)}x")
    swap_change = None
    if swap:
        ns, so = swap["no_swap"], swap["swap_only"]
        swap_change = (so["p99_ms"] / ns["p99_ms"] - 1) * 100 if ns["p99_ms"] else None
        print(f"  swap only (-c{conns[0]}, {args.swap_rounds} interleaved rounds): p99 no publish "
              f"{ns['p99_ms_rounds']}, publishing {so['p99_ms_rounds']} (publishes per round {so['swaps']}); "
              f"median {so['p99_ms']:.3f} vs {ns['p99_ms']:.3f} ms: {swap_change:+.1f} %")
    else:
        print("  swap only: NOT measured (no --swap-serve binary: a server that publishes a pre-parsed "
              "snapshot every second without a transfer; see docs/BENCHMARKS.md)")
    head = conns[0]
    d = derived(head)
    steady = res[("steady", head)]
    goals = [
        ("ingest 50 < 5 ms", ingest50["total"] < 5),
        ("GetMetric >= 100k req/s", steady["rps"] >= 100_000),
        (f"p99 < 1 ms (ceiling's p99 {res[('null', head)]['p99_ms']:.3f} ms)", steady["p99_ms"] < 1.0),
        (">= 20x less CPU per request than python", (d["cpu_ratio"] or 0) >= 20),
        ("swap only: median p99 within 10 % of no swap",
         None if swap_change is None else swap_change <= 10),
    ]
    print(f"  goals (-c{head}, same count {W}): " + ", ".join(
        f"{g}: {'not measured' if ok is None else 'met' if ok else 'NOT met'}" for g, ok in goals))
    non2xx = {srv: sum(r["non_2xx"] for k, r in res.items() if k[0] in cfgs)
              + sum(best[srv][n]["non_2xx"] for n in best_counts if n != W)
              for srv, cfgs in (("nocwatch", ("steady", "fetch", "swaps")), ("python", ("python",)))}
    if any(non2xx.values()):
        print(f"  WARNING: non-2xx answers: {non2xx}")
    out = {
        "ingest_50_ms": round(ingest50["total"], 3),
        "ingest_50_phases_ms": {k: round(ingest50[k], 3) for k in ("fetch", "parse", "swap")},
        "ingest_50_mean_ms": round(ingest50_mean["total"], 3),
        "ingest_100k_ms": round(ingestbig["total"], 3),
        "ingest_100k_mean_ms": round(ingestbig_mean["total"], 3),
        "ingest_100k_phases_ms": {k: round(ingestbig[k], 3) for k in ("fetch", "parse", "swap")},
        "switches": big,
        "connections": head,
        "rounds": args.rounds,
        "same_count": W,
        "python_ingest_50_ms": round(py50_cycle["fetch_ms"] + py50_cycle["parse_ms"] + py50_cycle["swap_ms"], 3),
        "cpu_per_request_ratio": None if d["cpu_ratio"] is None else round(d["cpu_ratio"], 2),
        "cpu_us_per_request": None if steady["cpu_us_per_req"] is None else round(steady["cpu_us_per_req"], 3),
        "python_cpu_us_per_request": None if res[("python", head)]["cpu_us_per_req"] is None
        else round(res[("python", head)]["cpu_us_per_req"], 3),
        "best_threads": nb,
        "best_rps": round(bn["rps"]),
        "best_p99_ms": bn["p99_ms"],
        "best_cpu_us_per_request": None if bn["cpu_us_per_req"] is None else round(bn["cpu_us_per_req"], 3),
        "python_best_workers": pb,
        "python_best_rps": round(bp["rps"]),
        "python_best_p99_ms": bp["p99_ms"],
        "python_best_cpu_us_per_request": None if bp["cpu_us_per_req"] is None
        else round(bp["cpu_us_per_req"], 3),
        "best_rps_ratio": None if best_ratio is None else round(best_ratio, 2),
        "best_cpu_per_request_ratio": None if best_cpu_ratio is None else round(best_cpu_ratio, 2),
        "p99_ms_swap_only": swap["swap_only"]["p99_ms"] if swap else None,
        "p99_ms_swap_only_rounds": swap["swap_only"]["p99_ms_rounds"] if swap else None,
        "p99_ms_swap_only_control": swap["no_swap"]["p99_ms"] if swap else None,
        "p99_ms_swap_only_control_rounds": swap["no_swap"]["p99_ms_rounds"] if swap else None,
        "p99_swap_only_change_pct": None if swap_change is None else round(swap_change, 1),
        "swap_only_publishes": swap["swap_only"]["swaps"] if swap else None,
        "nocwatch_non_2xx": non2xx["nocwatch"],
        "python_non_2xx": non2xx["python"],
    }
    for i, c in enumerate(conns):
        sfx = "" if i == 0 else f"_c{c}"
        steady, swaps, pyres, null = (res[(k, c)] for k in ("steady", "swaps", "python", "null"))
        dc = derived(c)
        out.update({
            f"rps{sfx}": round(steady["rps"]),
            f"p50_ms{sfx}": steady["p50_ms"],
            f"p99_ms{sfx}": steady["p99_ms"],
            f"rps_during_swaps{sfx}": round(swaps["rps"]),
            f"p99_ms_during_swaps{sfx}": swaps["p99_ms"],
            f"p99_ms_during_fetch_only{sfx}": res[("fetch", c)]["p99_ms"],
            f"rps_during_fetch_only{sfx}": round(res[("fetch", c)]["rps"]),
            f"swaps_during_run{sfx}": swaps["swaps_during_run"],
            f"p99_ms_rounds{sfx}": steady["p99_ms_rounds"],
            f"p99_ms_during_swaps_rounds{sfx}": swaps["p99_ms_rounds"],
            f"python_rps{sfx}": round(pyres["rps"]),
            f"python_p50_ms{sfx}": pyres["p50_ms"],
            f"python_p99_ms{sfx}": pyres["p99_ms"],
            f"rps_ratio{sfx}": None if dc["ratio"] is None else round(dc["ratio"], 2),
            f"ceiling_rps{sfx}": round(null["rps"]),
            f"ceiling_p50_ms{sfx}": null["p50_ms"],
            f"ceiling_p99_ms{sfx}": null["p99_ms"],
            f"ceiling_cpu_us_per_request{sfx}": None if null["cpu_us_per_req"] is None
            else round(null["cpu_us_per_req"], 3),
            f"ceiling_ratio_to_python{sfx}": None if dc["max_ratio"] is None else round(dc["max_ratio"], 2),
            f"fraction_of_ceiling{sfx}": None if dc["of_ceiling"] is None else round(dc["of_ceiling"], 3),
        })
        if sfx:
            out[f"cpu_per_request_ratio{sfx}"] = None if dc["cpu_ratio"] is None else round(dc["cpu_ratio"], 2)
    out["goals"] = {g: ok for g, ok in goals}
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
