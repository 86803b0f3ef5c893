#!/usr/bin/env python3
"""Trap ingestion benchmark, like for like: raw sink, nocwatch, snmptrapd (default
config and the storm config), one sender, one rate ladder.

Run through scripts/bench-traps (it builds nocwatch, compiles the sink and checks
snmptrapd). Everything is on loopback; every receiver is started here on a free port,
afresh for every step, and stopped by PID. The sender for every receiver is
`nocwatch sim storm` (SNMPv2c traps from --sources loopback addresses, sendmmsg,
paced); every datagram carries its own request-id and, with --stamp (the default),
its send time, and nocwatch's dedup is off, so no trap is folded into another.

What each receiver does with a trap (the work compared):
  nocwatch   `trap listen --json --journal DIR --dedup-window 0 --rate-limit/--rate-burst
             1e9` with stdout to a file: every trap decoded, journaled, classified and
             written as one JSON line; the limiter is opened so wide it never drops for
             rate, and dedup is off.
  snmptrapd  `-f -n -m '' -On -C -c CONF -F 'TRAP ...%v\\n' -Lf FILE`: every trap
             written as one line to a file; CONF is ../shared/bench/conf/snmptrapd.conf
             ("default") or snmptrapd_bigbuf.conf ("bigbuf", the storm config: 8 MiB
             socket buffer), on our port.
  raw sink   ../shared/bench/udp_sink.c: recvmmsg and count, nothing else (the ceiling
             of this machine's loopback; it writes no file).

Delivery is counted from the receivers' output files (lines), never from nocwatch's own
counters. Every step is checked against the kernel: the machine-wide UDP RcvbufErrors
delta from /proc/net/snmp ("kernel_drops"); "unexplained" = sent - delivered -
kernel_drops (- nocwatch's internal drops, read from its /metrics, for nocwatch only).
RcvbufErrors is machine-wide: another program's drops during a step show up here too.

For each receiver and offered rate (steps of --step-seconds, the same ladder for every
receiver, a receiver's ladder ends after --stop-after-lossy lossy steps in a row), then
a burst of --burst traps at full speed: traps delivered, delivered per second, loss %,
receiver CPU per delivered trap (/proc utime+stime), receiver RSS. "Sustained" = the
highest rate actually sent (at most the step's target) in a step with zero loss where
delivery kept up (delivered/s >= 95 % of sent/s).

Fairness (nocwatch, default limiter and dedup, journal on): 1,000 quiet sources at 1
trap/s each, stamped, first alone, then beside one noisy source at --noisy-rate; every
quiet trap must be delivered and their p99 latency (send -> JSON line read from
nocwatch's stdout) stay within 2x of the run without the noisy source.

Prints a table, then as its last line one JSON object with the headline figures.
"""
import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HZ = os.sysconf("SC_CLK_TCK")
# Burst loss, lossless rate, ratio and CPU goals of issue 12.
GOAL_SUSTAINED = 300_000
GOAL_RATIO = 10.0
GOAL_BURST_LOSS_PCT = 0.1
GOAL_CPU_US = 3.0
# `nocwatch sim storm`'s default --batch (datagrams per sendmmsg).
STORM_BATCH = 64


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port(kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / HZ


def rss_mib(pid, field="VmRSS"):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def rcvbuf_errors():
    """Machine-wide UDP RcvbufErrors (IPv4 and IPv6)."""
    total = 0
    for path, prefix in (("/proc/net/snmp", "Udp:"), ("/proc/net/snmp6", "Udp6RcvbufErrors")):
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        if prefix == "Udp:":
            rows = [l.split() for l in lines if l.startswith("Udp:")]
            total += dict(zip(rows[0][1:], map(int, rows[1][1:])))["RcvbufErrors"]
        else:
            total += sum(int(l.split()[1]) for l in lines if l.startswith(prefix))
    return total


def stop(p, sig=signal.SIGTERM, timeout=30):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def count_lines(path, prefix=None, also=None):
    """Lines in a file (those starting with `prefix` when given); with `also` (a string
    without a newline), the pair (lines, occurrences of `also`)."""
    n = k = 0
    try:
        with open(path, "rb") as f:
            if prefix is None:
                while True:
                    chunk = f.read(1 << 22)
                    if not chunk:
                        break
                    if also:
                        # Read on to the end of the line, so no match is split in two
                        # (one readline: appending fixed-size reads until a chunk ends
                        # on a newline copied the chunk hundreds of times).
                        if not chunk.endswith(b"\n"):
                            chunk += f.readline()
                        k += chunk.count(also)
                    n += chunk.count(b"\n")
            else:
                for line in f:
                    if line.startswith(prefix):
                        n += 1
    except FileNotFoundError:
        pass
    return (n, k) if also else n


def wait_file_settles(path, t0, limit, quiet=1.5):
    """Waits until the file stops growing for `quiet` s; returns the time of its last growth."""
    last, last_change = -1, time.perf_counter()
    while True:
        try:
            size = os.path.getsize(path)
        except FileNotFoundError:
            size = 0
        now = time.perf_counter()
        if size != last:
            last, last_change = size, now
        elif now - last_change > quiet or now - t0 > limit:
            return last_change
        time.sleep(0.1)


class Storm:
    def __init__(self, nocwatch, sources, stamp):
        self.nocwatch = nocwatch
        self.sources = sources
        self.stamp = stamp

    def run(self, port, rate, seconds, count=None):
        args = [self.nocwatch, "sim", "storm", "--target", f"127.0.0.1:{port}", "--rate", str(rate),
                "--duration", str(seconds), "--sources", str(self.sources), "--json"]
        if self.stamp:
            args.append("--stamp")
        if count:
            args += ["--count", str(count)]
        out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 120)
        if out.returncode != 0:
            raise RuntimeError(f"storm failed: {out.stderr}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def metrics(port):
    """Prometheus text -> ({name: summed value}, {name{labels}: value})."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /metrics HTTP/1.0\r\nHost: bench\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    s.close()
    body = data.split(b"\r\n\r\n", 1)[1].decode()
    sums, series = {}, {}
    for line in body.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, val = line.rpartition(" ")
        try:
            v = float(val)
        except ValueError:
            continue
        series[key] = v
        name = key.split("{", 1)[0]
        sums[name] = sums.get(name, 0.0) + v
    return sums, series


def result(gen, delivered, seconds, cpu, rss, kernel, internal=0, extra=None):
    r = dict(sent=gen["sent"] - gen.get("send_errors", 0), send_errors=gen.get("send_errors", 0),
             delivered=delivered, seconds=seconds, cpu=cpu, rss=rss, kernel_drops=kernel,
             internal_drops=internal, gen=gen)
    r.update(extra or {})
    return r


# --- receivers ---------------------------------------------------------------------


class RawSink:
    name = "raw sink"
    writes_file = False

    def __init__(self, binary):
        self.binary = binary

    def step(self, storm, rate, seconds, count=None):
        port = free_port()
        p = subprocess.Popen([self.binary, str(port), "1000", str(seconds + 60)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        time.sleep(0.3)
        c0 = cpu_s(p.pid)
        k0 = rcvbuf_errors()
        gen = storm.run(port, rate, seconds, count)
        time.sleep(0.2)
        c1 = cpu_s(p.pid) if p.poll() is None else c0
        rss = rss_mib(p.pid) if p.poll() is None else 0.0
        out, _ = p.communicate(timeout=120)
        r = json.loads(out.strip().splitlines()[-1])
        return result(gen, r["received"], r["seconds"], c1 - c0, rss, rcvbuf_errors() - k0)


SNMPTRAPD_PREFIX = b"TRAP "
# One line per trap: snmptrapd's -F format for v1 and v2 traps (%v: every binding,
# tab-separated), so lines in the file = traps written.
SNMPTRAPD_FORMAT = "TRAP %B [%b] %v\\n"


class Snmptrapd:
    def __init__(self, binary, conf_path, label, work):
        self.binary = binary
        self.conf_text = open(conf_path).read()
        self.name = label
        self.dir = work

    def step(self, storm, rate, seconds, count=None):
        port = free_port()
        conf = os.path.join(self.dir, "snmptrapd.conf")
        with open(conf, "w") as f:
            # The shared config verbatim, on our port.
            f.write(re.sub(r"(?m)^snmpTrapdAddr .*$", f"snmpTrapdAddr udp:127.0.0.1:{port}", self.conf_text))
        out = os.path.join(self.dir, "snmptrapd.out")
        if os.path.exists(out):
            os.remove(out)
        env = dict(os.environ, MIBS="", SNMP_PERSISTENT_DIR=self.dir)
        p = subprocess.Popen([self.binary, "-f", "-n", "-m", "", "-On", "-C", "-c", conf,
                              "-F", SNMPTRAPD_FORMAT.replace("\\n", "\n"), "-Lf", out], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):  # the start-up banner: bound and ready
                if os.path.exists(out) and os.path.getsize(out) > 0:
                    break
                time.sleep(0.05)
            time.sleep(0.3)
            c0 = cpu_s(p.pid)
            k0 = rcvbuf_errors()
            t0 = time.perf_counter()
            gen = storm.run(port, rate, seconds, count)
            last = wait_file_settles(out, t0, seconds + 120)
            c1 = cpu_s(p.pid)
            rss = rss_mib(p.pid)
            k1 = rcvbuf_errors()
        finally:
            stop(p)
        delivered = count_lines(out, SNMPTRAPD_PREFIX)
        os.remove(out)
        return result(gen, delivered, last - t0, c1 - c0, rss, k1 - k0)


# nocwatch's own drop counters (for the accounting check only; delivery is from the
# file). Kernel drops are left out here: the kernel's RcvbufErrors counts them.
INTERNAL_DROPS = ["nocwatch_trap_drops_total", "nocwatch_trap_socket_truncated_total",
                  "nocwatch_trap_intake_drops_total"]


def internal_drops(m):
    sums, _ = m
    return sum(sums.get(n, 0.0) for n in INTERNAL_DROPS)


def limiter_drops(m):
    _, series = m
    return sum(v for k, v in series.items() if k.startswith('nocwatch_trap_drops_total{stage="limiter"'))


class Nocwatch:
    name = "nocwatch"

    def __init__(self, binary, work, extra, bench_args=True):
        self.binary = binary
        self.work = work
        self.extra = extra
        self.p = None
        self.bench_args = bench_args

    def start(self, json_out=None):
        self.port = free_port()
        self.mport = free_port(socket.SOCK_STREAM)
        self.journal = os.path.join(self.work, "journal")
        shutil.rmtree(self.journal, ignore_errors=True)
        args = [self.binary, "trap", "listen", "--listen", f"127.0.0.1:{self.port}", "--json",
                "--metrics-listen", f"127.0.0.1:{self.mport}", "--journal", self.journal]
        if self.bench_args:
            # Like for like: every trap goes through and out (no dedup, no rate limit).
            args += ["--dedup-window", self.zero_window(), "--rate-limit", "1e9", "--rate-burst", "1e9"]
        args += self.extra
        # stderr to a file: a pipe nobody reads could fill and stall the receiver.
        self.err_path = os.path.join(self.work, "nocwatch.stderr")
        with open(self.err_path, "wb") as err:
            self.p = subprocess.Popen(args, stdout=json_out if json_out is not None else subprocess.DEVNULL,
                                      stderr=err)
        # Ready once its metrics endpoint answers (it binds the trap sockets first).
        deadline = time.time() + 30
        while True:
            if self.p.poll() is not None:
                raise RuntimeError(f"nocwatch trap listen exited: {open(self.err_path).read()[-2000:]}")
            try:
                metrics(self.mport)
                break
            except (OSError, IndexError):
                if time.time() > deadline:
                    raise RuntimeError("nocwatch trap listen did not start within 30 s")
                time.sleep(0.05)

    def zero_window(self):
        """`0` turns dedup off; a duration option may want a unit."""
        if not hasattr(Nocwatch, "_zero"):
            h = subprocess.run([self.binary, "trap", "listen", "--help"], capture_output=True, text=True).stdout
            Nocwatch._zero = "0" if re.search(r"--dedup-window <SECONDS>", h) else "0s"
        return Nocwatch._zero

    def stop(self):
        if self.p:
            stop(self.p)
            self.p = None
        shutil.rmtree(self.journal, ignore_errors=True)

    def settle(self, timeout=60):
        """Waits until delivered + drops stop moving; returns the metric sums (fairness run)."""
        last, since = None, time.perf_counter()
        t_end = time.perf_counter() + timeout
        while time.perf_counter() < t_end:
            m = metrics(self.mport)
            cur = (m[0].get("nocwatch_trap_classified_total", 0.0), internal_drops(m))
            now = time.perf_counter()
            if cur != last:
                last, since = cur, now
            elif now - since > 1.0:
                return m
            time.sleep(0.1)
        return m

    def step(self, storm, rate, seconds, count=None):
        out = os.path.join(self.work, "nocwatch.jsonl")
        with open(out, "wb") as f:
            self.start(json_out=f)
        try:
            m0 = metrics(self.mport)
            c0 = cpu_s(self.p.pid)
            k0 = rcvbuf_errors()
            t0 = time.perf_counter()
            gen = storm.run(self.port, rate, seconds, count)
            last = wait_file_settles(out, t0, seconds + 120)
            c1 = cpu_s(self.p.pid)
            k1 = rcvbuf_errors()
            rss = rss_mib(self.p.pid)
            m1 = metrics(self.mport)
        finally:
            self.stop()  # SIGTERM drains and flushes; the file is complete after this
        delivered, ones = count_lines(out, also=b'"occurrences":1,')
        os.remove(out)
        return result(gen, delivered, last - t0, c1 - c0, rss, k1 - k0,
                      internal=int(internal_drops(m1) - internal_drops(m0)),
                      extra=dict(dedup_folded=delivered - ones,
                                 limiter_drops=int(limiter_drops(m1) - limiter_drops(m0))))


# --- runs --------------------------------------------------------------------------


def row(rcv, label, rate, r):
    sent = max(r["sent"], 1)
    loss = 100.0 * (sent - r["delivered"]) / sent
    per_s = round(r["delivered"] / max(r["seconds"], 1e-9))
    # Taken: nothing lost, and delivery kept up with the sender (not just buffered).
    kept_up = r["delivered"] >= r["sent"] and per_s >= 0.95 * r["gen"]["rate"]
    nocwatch = rcv == "nocwatch"
    return dict(receiver=rcv, step=label, offered=rate, sent=r["sent"], send_errors=r["send_errors"],
                delivered=r["delivered"], per_s=per_s, send_per_s=round(r["gen"]["rate"]),
                loss_pct=round(loss, 3), kept_up="yes" if kept_up else "no",
                cpu_us=round(1e6 * r["cpu"] / max(r["delivered"], 1), 2), rss_mib=round(r["rss"], 1),
                kernel_drops=r["kernel_drops"],
                internal_drops=r["internal_drops"] if nocwatch else "-",
                unexplained=r["sent"] - r["delivered"] - r["kernel_drops"] - r["internal_drops"],
                dedup_folded=r.get("dedup_folded", "-"), limiter_drops=r.get("limiter_drops", "-"))


def ladder(receiver, storm, rates, seconds, rows, stop_after_lossy, burst):
    sustained, sustained_row = 0, None
    lossy_in_a_row = 0
    for rate in rates:
        r = receiver.step(storm, rate, seconds, None)
        x = row(receiver.name, "sustained", rate or "max", r)
        rows.append(x)
        log(fmt_row(x))
        if x["kept_up"] == "yes" and rate:
            lossy_in_a_row = 0
            # The rate actually offered: when the sender fell short of the step's
            # target (it shares the machine), that is what was taken.
            taken = min(rate, x["send_per_s"])
            if taken >= sustained:
                sustained, sustained_row = taken, x
        elif x["delivered"] < x["sent"]:
            lossy_in_a_row += 1
            if stop_after_lossy and lossy_in_a_row >= stop_after_lossy:
                break
    r = receiver.step(storm, 0, 60, burst)
    b = row(receiver.name, f"burst {burst // 1000}k", "max", r)
    rows.append(b)
    log(fmt_row(b))
    return sustained, sustained_row, b


COLS = ["receiver", "step", "offered", "sent", "send_errors", "delivered", "per_s", "send_per_s", "loss_pct",
        "kept_up", "cpu_us", "rss_mib", "kernel_drops", "internal_drops", "unexplained", "dedup_folded",
        "limiter_drops"]


def fmt_row(x):
    return " | ".join(str(x.get(c, "")) for c in COLS)


def table(rows, cols):
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("| " + " | ".join(c.ljust(widths[c]) for c in cols) + " |")
    print("|" + "|".join("-" * (widths[c] + 2) for c in cols) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[c]).ljust(widths[c]) for c in cols) + " |")


def fairness(binary, work, extra, storm_bin, quiet, noisy_rate, seconds):
    """quiet sources at 1/s (stamped), optionally beside one noisy source."""
    results = {}
    for label, noisy in [("quiet alone", None), ("quiet + noisy", noisy_rate)]:
        # The product's defaults here (limiter, dedup): this run is about the fair queue.
        n = Nocwatch(binary, work, extra, bench_args=False)
        n.start(json_out=subprocess.PIPE)
        storm_args = [storm_bin, "sim", "storm", "--target", f"127.0.0.1:{n.port}", "--rate", str(quiet),
                      "--duration", str(seconds), "--sources", str(quiet), "--stamp", "--json", "--mix", "flap"]
        if noisy:
            storm_args += ["--noisy-rate", str(noisy)]
        sender = subprocess.Popen(storm_args, stdout=subprocess.PIPE, text=True)
        lat, quiet_events, noisy_events = [], 0, 0
        # Latencies of the first second (process warm-up) are left out, in both runs.
        warm_until_us = (time.time() + 1.0) * 1e6
        fd = n.p.stdout.fileno()
        os.set_blocking(fd, False)
        buf = b""
        t_end = time.time() + seconds + 15
        quiet_re = re.compile(r'"source":"127\.1\.')
        stamp_re = re.compile(r'"1\.3\.6\.1\.4\.1\.8072\.9999\.9999\.1\.0","type":"Counter64","value":(\d+)')
        occ_re = re.compile(r'"occurrences":(\d+)')
        last_data = time.time()
        while time.time() < t_end:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                if sender.poll() is not None and time.time() - last_data > 3:
                    break
                continue
            chunk = os.read(fd, 1 << 20)
            now_us = time.time() * 1e6
            if not chunk:
                break
            last_data = time.time()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                s = line.decode(errors="replace")
                if quiet_re.search(s):
                    # A dedup summary (occurrences N) follows the first event, which
                    # was emitted on its own: it adds N - 1.
                    occ = int(occ_re.search(s).group(1)) if occ_re.search(s) else 1
                    quiet_events += 1 if occ == 1 else occ - 1
                    m = stamp_re.search(s)
                    if m and int(m.group(1)) > warm_until_us:
                        lat.append(now_us - int(m.group(1)))
                else:
                    noisy_events += 1
        gen = json.loads(sender.communicate(timeout=60)[0].strip().splitlines()[-1])
        m = n.settle()
        n.stop()
        lat.sort()
        p99 = lat[int(0.99 * (len(lat) - 1))] if lat else float("nan")
        p50 = lat[len(lat) // 2] if lat else float("nan")
        results[label] = dict(quiet_sent=gen["regular_sent"], quiet_delivered=quiet_events,
                              noisy_sent=gen["noisy_sent"], noisy_events=noisy_events,
                              p50_ms=round(p50 / 1000, 3), p99_ms=round(p99 / 1000, 3),
                              drops=int(internal_drops(m)))
        log(f"fairness {label}: {results[label]}")
    return results


def fairness_summary(fair):
    alone, noisy = fair["quiet alone"], fair["quiet + noisy"]
    return dict(
        quiet_delivered_pct=round(100.0 * noisy["quiet_delivered"] / max(noisy["quiet_sent"], 1), 3),
        quiet_p99_ms_alone=alone["p99_ms"], quiet_p99_ms_with_noisy=noisy["p99_ms"],
        quiet_p99_ratio=round(noisy["p99_ms"] / alone["p99_ms"], 3) if alone["p99_ms"] else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nocwatch", required=True)
    ap.add_argument("--sink", required=True)
    ap.add_argument("--snmptrapd", required=True)
    ap.add_argument("--snmptrapd-conf", required=True, help="../shared/bench/conf/snmptrapd.conf")
    ap.add_argument("--snmptrapd-bigbuf-conf", required=True, help="../shared/bench/conf/snmptrapd_bigbuf.conf")
    ap.add_argument("--rates", default="10000,15000,20000,25000,30000,40000,50000,100000,200000,300000,"
                                       "400000,500000,0",
                    help="the rate ladder, traps/s (0: as fast as the sender goes), the same for every receiver")
    ap.add_argument("--stop-after-lossy", type=int, default=2,
                    help="end a receiver's ladder after this many lossy steps in a row (0: never)")
    ap.add_argument("--step-seconds", type=float, default=5.0)
    ap.add_argument("--sources", type=int, default=100)
    ap.add_argument("--no-stamp", action="store_true", help="leave the send time out of the traps")
    ap.add_argument("--burst", type=int, default=200_000)
    ap.add_argument("--quiet", type=int, default=1000)
    ap.add_argument("--noisy-rate", type=int, default=100_000)
    ap.add_argument("--fair-seconds", type=float, default=10.0)
    ap.add_argument("--listen-args", default="", help="extra `trap listen` arguments")
    ap.add_argument("--load", default="", help="note on machine load for the record")
    ap.add_argument("--fairness-only", action="store_true", help="skip the rate ladders")
    ap.add_argument("--skip-fairness", action="store_true")
    a = ap.parse_args()
    if a.burst % STORM_BATCH:
        # `sim storm --count N` sends whole batches of --batch (64) datagrams only and
        # then idles to --duration: round the burst up to a whole number of batches.
        a.burst += STORM_BATCH - a.burst % STORM_BATCH
        log(f"burst rounded up to {a.burst} (a multiple of sim storm's batch of {STORM_BATCH})")

    work = tempfile.mkdtemp(prefix="nocwatch-bench-traps-")
    extra = a.listen_args.split()
    rates = [int(x) for x in a.rates.split(",") if x != ""]
    storm = Storm(a.nocwatch, a.sources, not a.no_stamp)
    rows = []
    if a.fairness_only:
        try:
            fair = fairness(a.nocwatch, work, extra, a.nocwatch, a.quiet, a.noisy_rate, a.fair_seconds)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(dict(**fairness_summary(fair), machine_load=a.load or None)))
        return
    log(" | ".join(COLS))
    receivers = [RawSink(a.sink), Nocwatch(a.nocwatch, work, extra),
                 Snmptrapd(a.snmptrapd, a.snmptrapd_conf, "snmptrapd", work),
                 Snmptrapd(a.snmptrapd, a.snmptrapd_bigbuf_conf, "snmptrapd bigbuf", work)]
    res = {}
    try:
        for rcv in receivers:
            res[rcv.name] = ladder(rcv, storm, rates, a.step_seconds, rows, a.stop_after_lossy, a.burst)
        fair = None if a.skip_fairness else fairness(a.nocwatch, work, extra, a.nocwatch, a.quiet,
                                                     a.noisy_rate, a.fair_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    table(rows, COLS)
    print()
    if fair:
        for label, f in fair.items():
            print(f"fairness, {label}: quiet sent {f['quiet_sent']}, delivered {f['quiet_delivered']}, "
                  f"p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms; noisy sent {f['noisy_sent']}, "
                  f"noisy events out {f['noisy_events']}, counted drops {f['drops']}")
        print()

    nw_sus, nw_row, nw_burst = res["nocwatch"]
    td_sus, _, td_burst = res["snmptrapd"]
    tb_sus, _, tb_burst = res["snmptrapd bigbuf"]
    sk_sus, _, sk_burst = res["raw sink"]
    td_best = max(td_sus, tb_sus)
    ratio = round(nw_sus / td_best, 2) if td_best else None
    nw_rows = [r for r in rows if r["receiver"] == "nocwatch"]
    cpu_at_sus = nw_row["cpu_us"] if nw_row else None
    kernel = {name: sum(r["kernel_drops"] for r in rows if r["receiver"] == name) for name in res}

    # The comparison table the issue asks for.
    summary_rows = []
    for name, (sus, srow, burst) in res.items():
        summary_rows.append(dict(
            receiver=name, highest_lossless_per_s=sus,
            nocwatch_over_this=round(nw_sus / sus, 2) if sus else "-",
            cpu_us_at_that_rate=srow["cpu_us"] if srow else "-",
            burst_loss_pct=burst["loss_pct"], burst_kernel_drops=burst["kernel_drops"],
            kernel_drops_all_steps=kernel[name]))
    table(summary_rows, list(summary_rows[0].keys()))
    print()
    goals = {
        f"lossless >= {GOAL_SUSTAINED // 1000}k/s with journal + JSON": nw_sus >= GOAL_SUSTAINED,
        f">= {GOAL_RATIO:g}x snmptrapd's best in this run": ratio is not None and ratio >= GOAL_RATIO,
        f"{a.burst // 1000}k burst loss <= {GOAL_BURST_LOSS_PCT} %": nw_burst["loss_pct"] <= GOAL_BURST_LOSS_PCT,
        f"~{GOAL_CPU_US:g} us CPU per trap at the highest lossless rate":
            cpu_at_sus is not None and cpu_at_sus <= GOAL_CPU_US,
    }
    print(f"nocwatch highest lossless rate / snmptrapd's best ({td_best}/s): "
          f"{ratio if ratio is not None else 'n/a'}x")
    print("goals: " + "; ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals.items()))
    if a.step_seconds < 5 or a.burst < 200_000:
        print("(short steps or a small burst: a smoke run, not figures)")

    summary = dict(
        nocwatch_sustained_per_s=nw_sus,
        snmptrapd_sustained_per_s=td_sus,
        snmptrapd_bigbuf_sustained_per_s=tb_sus,
        snmptrapd_best_sustained_per_s=td_best,
        ratio_to_snmptrapd_best=ratio,
        raw_sink_per_s=sk_sus,
        nocwatch_max_delivered_per_s=max(r["per_s"] for r in nw_rows),
        raw_sink_max_per_s=max(r["per_s"] for r in rows if r["receiver"] == "raw sink"),
        burst=a.burst,
        burst_loss_pct=nw_burst["loss_pct"],
        snmptrapd_burst_loss_pct=td_burst["loss_pct"],
        snmptrapd_bigbuf_burst_loss_pct=tb_burst["loss_pct"],
        raw_sink_burst_loss_pct=sk_burst["loss_pct"],
        kernel_drops=kernel["nocwatch"],
        kernel_drops_by_receiver=kernel,
        unexplained_loss=int(sum(r["unexplained"] for r in nw_rows)),
        dedup_folded=int(sum(r["dedup_folded"] for r in nw_rows)),
        limiter_drops=int(sum(r["limiter_drops"] for r in nw_rows)),
        nocwatch_cpu_us_per_trap=cpu_at_sus,
        nocwatch_cpu_us_per_trap_min=min(r["cpu_us"] for r in nw_rows),
        snmptrapd_cpu_us_per_trap=min(r["cpu_us"] for r in rows if r["receiver"].startswith("snmptrapd")),
        rates=rates,
        step_seconds=a.step_seconds,
        goals={k: bool(v) for k, v in goals.items()},
        machine_load=a.load or None,
    )
    if fair:
        summary.update(fairness_summary(fair))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
