#!/usr/bin/env python3
"""Orchestrates scripts/bench-api (standard library only).

One run, side by side on this machine:
  (a) ingestion cycle (fetch / parse / swap) for 50 and for 100,000 switches,
      from the service's own /metrics (means over the cycles of the run);
  (b) wrk against GetMetric with random switches and metrics over a
      100,000-switch snapshot: without ingestion, then with a 100,000-switch
      swap every second;
  (c) the same wrk run against the Python FastAPI + uvicorn service of
      bench/python (same RCU design, same producer, same data);
  (d) the rig's ceiling: the same wrk run against null_http (an HTTP server
      that does no work), the most any server can reach here with wrk on the
      same cores.
Every wrk configuration runs at each of --connections (16 and 32), the four
servers interleaved round by round so that the machine's load hits them alike.
Prints a table, then one JSON object as the last line (the unsuffixed keys are
the first --connections value, 16; *_c32 the second).
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


def wrk(url, switches, args, conns, seconds=None):
    cmd = ["wrk", f"-t{args.threads}", f"-c{conns}", f"-d{seconds or args.duration}s",
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


def parse_connections(text):
    conns = [int(c) for c in text.split(",") if c.strip()]
    if not conns or any(c < 1 for c in conns):
        raise argparse.ArgumentTypeError("a comma-separated list of positive connection counts")
    return conns


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
    ap.add_argument("--workers", type=int, default=2, help="server threads / uvicorn workers")
    ap.add_argument("--api-threads", type=int, default=None,
                    help="nocwatch API threads ([api] threads; default: nocwatch's default) and null_http's")
    ap.add_argument("--ingest-seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="wrk runs per configuration (medians reported)")
    args = ap.parse_args()
    big = args.switches
    conns = args.connections
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

        # The four servers of (b), (c), (d) run side by side; each round runs
        # every configuration once, so a burst of load from elsewhere on the
        # machine does not fall on one server only.
        # (b) nocwatch, 100k switches polled every second. Swaps are switched on
        # and off by the producer's mode in one service process over the same
        # data: ERROR_500 -> every poll fails at once and nothing is swapped (the
        # last good snapshot stays served); WRONG_SCHEMA -> every poll fetches the
        # whole 100k-switch body (the producer renders it) and the service refuses
        # it at the header: the transfer without parse or swap, to tell apart what
        # the fetch costs the readers from what the swap does; OK -> a 100k-switch
        # swap every second.
        s, base = service(args.nocwatch, urlbig, "1s", 4, args.workers, args.api_threads)
        procs.append(s)
        url = base + "/telemetry/GetMetric"
        gen_key = "nocwatch_store_generation"
        sampler = CycleSampler(base)
        # (c) Python, same producer and data, steady state (it loads one snapshot
        # per worker at start and never polls again during the run).
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
        # (d) the ceiling: the same requests to a server that answers each with a
        # fixed 200 without looking at it, on as many threads as nocwatch's API.
        port = free_port()
        null_threads = args.workers if args.api_threads is None else args.api_threads
        null = Proc("null_http", [args.null_http, f"127.0.0.1:{port}", str(null_threads)])
        procs.append(null)
        nullbase = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while http_get(nullbase + "/")[0] != 200:
            if time.time() > deadline:
                null.fail("not answering")
            time.sleep(0.1)

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
                    r = wrk(url, big, args, c)
                    r["swaps"] = int(prom(base).get(gen_key, 0) - g0)
                    runs[(cfg, c)].append(r)
            # No swaps while the other servers are measured.
            set_mode(urlbig, "ERROR_500")
            time.sleep(1.5)
            for cfg, target in (("python", targets["python"]), ("null", targets["null"])):
                for c in conns:
                    runs[(cfg, c)].append(wrk(target, big, args, c))
        ingestbig = sampler.medians()
        ingestbig_mean = phase_means(prom(base))
        for p in (s, py, null):
            p.stop()
        res = {k: median_run(v) for k, v in runs.items()}
        for c in conns:
            sw = res[("swaps", c)]
            sw["swaps_during_run"] = round(sum(sw["swaps"]) / len(sw["swaps"]))

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
    names = {"steady": "GetMetric, no swap", "swaps": f"GetMetric, {big} swap every 1 s",
             "fetch": f"GetMetric, {big} fetched every 1 s, refused",
             "python": "python GetMetric, no swap", "null": "ceiling: null_http, no work"}
    for c in conns:
        for cfg in ("steady", "fetch", "swaps", "python", "null"):
            r = res[(cfg, c)]
            rows.append((f"-c{c} {names[cfg]}",
                         f"p50 {f(r['p50_ms'], 3)} / p99 {f(r['p99_ms'], 3)} ms, non-2xx {r['non_2xx']}, errors {r['socket_errors']}",
                         f"{r['rps']:,.0f} req/s"))
    w = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print(f"\nwrk -t{args.threads} -c{'/'.join(map(str, conns))} -d{args.duration}s x {args.rounds} rounds, "
          f"nocwatch API threads {'(nocwatch default)' if args.api_threads is None else args.api_threads}, "
          f"null_http {args.workers if args.api_threads is None else args.api_threads} threads, "
          f"python {args.workers} workers, {big} switches x 11 metrics, random keys; "
          f"load average {os.getloadavg()[0]:.2f}")
    for name, detail, total in rows:
        print(f"  {name:<{w}}  {detail:<{w2}}  {total:>14}")

    def derived(c):
        steady, swaps, pyres, null = (res[(k, c)] for k in ("steady", "swaps", "python", "null"))
        return {
            "ratio": steady["rps"] / pyres["rps"] if pyres["rps"] else float("inf"),
            "max_ratio": null["rps"] / pyres["rps"] if pyres["rps"] else float("inf"),
            "of_ceiling": steady["rps"] / null["rps"] if null["rps"] else float("nan"),
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
        print(f"  -c{c}: swaps per swap round {res[('swaps', c)]['swaps']}; p99 with swaps vs without: "
              f"{d['p99_change']:+.1f} % (fetch and refuse, no parse or swap: {d['p99_change_fetch']:+.1f} %); "
              f"nocwatch / python requests/s {d['ratio']:.1f}x "
              f"(p99 python/nocwatch {res[('python', c)]['p99_ms'] / res[('steady', c)]['p99_ms']:.1f}x); "
              f"nocwatch = {d['of_ceiling'] * 100:.0f} % of the ceiling; the ceiling is "
              f"{d['max_ratio']:.1f}x python: no server can be more than that here")
    head = conns[0]
    d = derived(head)
    steady, swaps = res[("steady", head)], res[("swaps", head)]
    goals = [
        ("ingest 50 < 5 ms", ingest50["total"] < 5),
        ("GetMetric >= 100k req/s", steady["rps"] >= 100_000),
        (f"p99 < 1 ms (ceiling's p99 {res[('null', head)]['p99_ms']:.3f} ms)", steady["p99_ms"] < 1.0),
        ("p99 with swaps at most 10 % above", d["p99_change"] <= 10),
        (">= 20x python", d["ratio"] >= 20),
    ]
    print(f"  goals (-c{head}): " + ", ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals))
    if d["ratio"] < 20 and d["max_ratio"] < 20:
        print(f"  >= 20x python is out of reach on this rig: wrk against a server doing no work reaches "
              f"{d['max_ratio']:.1f}x python (ceiling {res[('null', head)]['rps']:,.0f} req/s); "
              f"nocwatch reaches {d['of_ceiling'] * 100:.0f} % of that ceiling")
    for c in conns[1:]:
        dc = derived(c)
        sc = res[("steady", c)]
        print(f"  for reference at -c{c}: >= 100k req/s {'met' if sc['rps'] >= 100_000 else 'NOT met'}, "
              f"p99 < 1 ms {'met' if sc['p99_ms'] < 1.0 else 'NOT met'} (ceiling p99 {res[('null', c)]['p99_ms']:.3f} ms), "
              f"p99 with swaps at most 10 % above {'met' if dc['p99_change'] <= 10 else 'NOT met'}, "
              f">= 20x python {'met' if dc['ratio'] >= 20 else 'NOT met'}")
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
        "api_threads": args.api_threads,
        "python_ingest_50_ms": round(py50_cycle["fetch_ms"] + py50_cycle["parse_ms"] + py50_cycle["swap_ms"], 3),
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
            f"rps_ratio{sfx}": round(dc["ratio"], 2),
            f"ceiling_rps{sfx}": round(null["rps"]),
            f"ceiling_p50_ms{sfx}": null["p50_ms"],
            f"ceiling_p99_ms{sfx}": null["p99_ms"],
            f"ceiling_ratio_to_python{sfx}": round(dc["max_ratio"], 2),
            f"fraction_of_ceiling{sfx}": round(dc["of_ceiling"], 3),
        })
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
