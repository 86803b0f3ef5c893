#!/usr/bin/env python3
"""Trap ingestion benchmark: raw recvmmsg sink vs nocwatch vs snmptrapd, one sender.

Run through scripts/bench-traps (it builds nocwatch, compiles the sink and checks
snmptrapd). Everything is on loopback; every receiver is started here on a free port
and stopped by PID. The sender for every receiver is `nocwatch sim storm` (pre-encoded
SNMPv2c traps from 100 loopback addresses, sendmmsg, paced).

For each receiver and each offered rate (sustained steps of --step-seconds, then a
200k burst at full speed) it measures: traps processed, processed per second, loss %,
receiver CPU per processed trap, receiver RSS. "Sustained" is the highest offered rate
taken with zero loss. nocwatch's losses are split into counted drops (kernel socket
drops it reads, pipeline drops by reason, refused datagrams) and unaccounted loss
(sent - processed - counted drops), which must be 0.

Fairness: nocwatch with 1,000 quiet sources at 1 trap/s each, stamped with their send
time, first alone, then beside one noisy source at --noisy-rate; every quiet trap must
be delivered and their p99 latency (send -> JSON line read from nocwatch's stdout)
must stay within 2x of the run without the noisy source.

"Sustained" per receiver = the highest rate actually sent (at most the step's target)
in a step with zero loss where processing kept up (processed/s >= 95 % of sent/s).

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


def udp_counters():
    lines = [l.split() for l in open("/proc/net/snmp") if l.startswith("Udp:")]
    return dict(zip(lines[0][1:], map(int, lines[1][1:])))


def stop(p, sig=signal.SIGTERM, timeout=30):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class Storm:
    def __init__(self, nocwatch, sources):
        self.nocwatch = nocwatch
        self.sources = sources

    def run(self, port, rate, seconds, count=None, extra=()):
        args = [self.nocwatch, "sim", "storm", "--target", f"127.0.0.1:{port}", "--rate", str(rate),
                "--duration", str(seconds), "--sources", str(self.sources), "--json", *extra]
        if count:
            args += ["--count", str(count)]
        out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 120)
        if out.returncode != 0:
            raise RuntimeError(f"storm failed: {out.stderr}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def metrics(port):
    """Prometheus text -> {name: summed value} and {name{labels}: value}."""
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


# --- receivers ---------------------------------------------------------------------


class RawSink:
    name = "raw sink (C recvmmsg)"

    def __init__(self, binary):
        self.binary = binary

    def step(self, storm, rate, seconds, count=None):
        port = free_port()
        p = subprocess.Popen([self.binary, str(port), "1000", str(seconds + 60)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        time.sleep(0.3)
        c0 = cpu_s(p.pid)
        u0 = udp_counters()
        gen = storm.run(port, rate, seconds, count)
        time.sleep(0.2)
        c1 = cpu_s(p.pid) if p.poll() is None else c0
        rss = rss_mib(p.pid) if p.poll() is None else 0.0
        out, _ = p.communicate(timeout=120)
        r = json.loads(out.strip().splitlines()[-1])
        u1 = udp_counters()
        return dict(sent=gen["sent"], processed=r["received"], seconds=r["seconds"], cpu=c1 - c0, rss=rss,
                    counted_drops=0, kernel_rcvbuf_errors=u1["RcvbufErrors"] - u0["RcvbufErrors"], gen=gen)


class Snmptrapd:
    name = "snmptrapd"

    def __init__(self, binary, conf_dir):
        self.binary = binary
        self.dir = conf_dir

    def step(self, storm, rate, seconds, count=None):
        port = free_port()
        conf = os.path.join(self.dir, "snmptrapd.conf")
        with open(conf, "w") as f:
            # As ../shared/bench/conf/snmptrapd.conf, on our port.
            f.write(f"snmpTrapdAddr udp:127.0.0.1:{port}\nauthCommunity log public\n"
                    "disableAuthorization yes\ndoNotRetainNotificationLogs yes\n")
        logf = os.path.join(self.dir, "snmptrapd.log")
        if os.path.exists(logf):
            os.remove(logf)
        env = dict(os.environ, MIBS="", SNMP_PERSISTENT_DIR=self.dir)
        p = subprocess.Popen([self.binary, "-f", "-n", "-m", "", "-On", "-C", "-c", conf, "-Lf", logf], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if os.path.exists(logf) and os.path.getsize(logf) > 0:
                    break
                time.sleep(0.05)
            time.sleep(0.3)
            base = count_headers(logf)
            c0 = cpu_s(p.pid)
            u0 = udp_counters()
            t0 = time.perf_counter()
            gen = storm.run(port, rate, seconds, count)
            last_n, last_change = -1, time.perf_counter()
            while True:  # done when the log stops growing for 1.5 s
                n = count_headers(logf) - base
                now = time.perf_counter()
                if n != last_n:
                    last_n, last_change = n, now
                elif now - last_change > 1.5 or now - t0 > seconds + 120:
                    break
                time.sleep(0.1)
            c1 = cpu_s(p.pid)
            rss = rss_mib(p.pid)
            u1 = udp_counters()
            return dict(sent=gen["sent"], processed=last_n, seconds=last_change - t0, cpu=c1 - c0, rss=rss,
                        counted_drops=0, kernel_rcvbuf_errors=u1["RcvbufErrors"] - u0["RcvbufErrors"], gen=gen)
        finally:
            stop(p)


def count_headers(path):
    n = 0
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.startswith(b"20"):  # "YYYY-MM-DD hh:mm:ss <host> [UDP: ...]:"
                    n += 1
    except FileNotFoundError:
        pass
    return n


# The pipeline's accounting (nocwatch-traps): every datagram read is decoded or
# refused (drops{stage="decode"}); every decoded event is journaled or dropped
# (stage="journal") and classified; every classified event passes the limiter or is
# dropped (stage="limiter") and then reaches dedup and the sinks. So "processed" =
# classified - limiter drops, and the counted drops are every drops_total series plus
# what the kernel dropped on our sockets (read from SO_RXQ_OVFL and /proc/net/udp),
# datagrams too long for a receive slot, and the intake's per-source queue overflows.
COUNTED_DROPS = ["nocwatch_trap_drops_total", "nocwatch_trap_socket_kernel_drops_total",
                 "nocwatch_trap_socket_truncated_total", "nocwatch_trap_intake_drops_total"]


def processed_of(m):
    sums, series = m
    limiter = sum(v for k, v in series.items() if k.startswith('nocwatch_trap_drops_total{stage="limiter"'))
    return sums.get("nocwatch_trap_classified_total", 0.0) - limiter


def drops_of(m):
    sums, _ = m
    return sum(sums.get(n, 0.0) for n in COUNTED_DROPS)


class Nocwatch:
    name = "nocwatch"

    def __init__(self, binary, work, extra):
        self.binary = binary
        self.work = work
        self.extra = extra
        self.p = None

    def start(self, json_out=None):
        self.port = free_port()
        self.mport = free_port(socket.SOCK_STREAM)
        journal = os.path.join(self.work, "journal")
        shutil.rmtree(journal, ignore_errors=True)
        args = [self.binary, "trap", "listen", "--listen", f"127.0.0.1:{self.port}", "--json",
                "--metrics-listen", f"127.0.0.1:{self.mport}", *self.extra]
        if "--journal" not in self.extra and self.supports_journal():
            args += ["--journal", journal]
        self.p = subprocess.Popen(args, stdout=json_out if json_out is not None else subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.p.stderr.readline()
            if not line:
                break
            if "metrics on http://" in line:
                break
        else:
            raise RuntimeError("nocwatch trap listen did not start")
        if self.p.poll() is not None:
            raise RuntimeError(f"nocwatch trap listen exited: {self.p.stderr.read()}")

    def supports_journal(self):
        h = subprocess.run([self.binary, "trap", "listen", "--help"], capture_output=True, text=True).stdout
        return "--journal" in h and "not built" not in h

    def stop(self):
        if self.p:
            stop(self.p)
            self.p = None

    def settle(self, timeout=60):
        """Waits until processed + drops stop moving; returns the metric sums."""
        last, since = None, time.perf_counter()
        t_end = time.perf_counter() + timeout
        while time.perf_counter() < t_end:
            sums = metrics(self.mport)
            cur = (processed_of(sums), drops_of(sums))
            now = time.perf_counter()
            if cur != last:
                last, since = cur, now
                self.last_change = now
            elif now - since > 1.0:
                return sums
            time.sleep(0.1)
        return sums

    def step(self, storm, rate, seconds, count=None):
        m0 = metrics(self.mport)
        c0 = cpu_s(self.p.pid)
        u0 = udp_counters()
        t0 = time.perf_counter()
        gen = storm.run(self.port, rate, seconds, count)
        m1 = self.settle()
        c1 = cpu_s(self.p.pid)
        u1 = udp_counters()
        processed = processed_of(m1) - processed_of(m0)
        drops = drops_of(m1) - drops_of(m0)
        return dict(sent=gen["sent"], processed=int(processed), seconds=self.last_change - t0, cpu=c1 - c0,
                    rss=rss_mib(self.p.pid), counted_drops=int(drops),
                    kernel_rcvbuf_errors=u1["RcvbufErrors"] - u0["RcvbufErrors"], gen=gen)


# --- runs --------------------------------------------------------------------------


def row(rcv, label, rate, r):
    sent = max(r["sent"], 1)
    loss = 100.0 * (sent - r["processed"]) / sent
    per_s = round(r["processed"] / max(r["seconds"], 1e-9))
    # Taken: nothing lost, and processing kept up with the sender (not just buffered).
    kept_up = r["processed"] >= r["sent"] and per_s >= 0.95 * r["gen"]["rate"]
    nocwatch = rcv == "nocwatch"
    return dict(receiver=rcv, step=label, offered=rate, sent=r["sent"], processed=r["processed"],
                per_s=per_s, send_per_s=round(r["gen"]["rate"]), loss_pct=round(loss, 3),
                kept_up="yes" if kept_up else "no",
                cpu_us=round(1e6 * r["cpu"] / max(r["processed"], 1), 2), rss_mib=round(r["rss"], 1),
                udp_rcvbuf_errors=r["kernel_rcvbuf_errors"],
                counted_drops=r["counted_drops"] if nocwatch else "-",
                unaccounted=r["sent"] - r["processed"] - r["counted_drops"] if nocwatch else "-")


def ladder(receiver, storm, rates, seconds, rows, stop_after_loss=False, burst=200_000):
    sustained = 0
    lossy_steps = 0
    for rate in rates:
        r = receiver.step(storm, rate, seconds, None)
        x = row(receiver.name, "sustained", rate or "max", r)
        rows.append(x)
        log(fmt_row(x))
        if x["kept_up"] == "yes" and rate:
            # The rate actually offered: when the sender fell short of the step's
            # target (it shares the machine), that is what was taken.
            sustained = max(sustained, min(rate, x["send_per_s"]))
        elif x["processed"] < x["sent"]:
            lossy_steps += 1
            if stop_after_loss and lossy_steps >= 2:
                break
    r = receiver.step(storm, 0, 60, burst)
    b = row(receiver.name, f"burst {burst // 1000}k", "max", r)
    rows.append(b)
    log(fmt_row(b))
    return sustained, b


COLS = ["receiver", "step", "offered", "sent", "processed", "per_s", "send_per_s", "loss_pct", "kept_up",
        "cpu_us", "rss_mib", "udp_rcvbuf_errors", "counted_drops", "unaccounted"]


def fmt_row(x):
    return " | ".join(str(x.get(c, "")) for c in COLS)


def fairness(binary, work, extra, storm_bin, quiet, noisy_rate, seconds):
    """quiet sources at 1/s (stamped), optionally beside one noisy source."""
    results = {}
    for label, noisy in [("quiet alone", None), ("quiet + noisy", noisy_rate)]:
        n = Nocwatch(binary, work, extra)
        n.start(json_out=subprocess.PIPE)
        storm_args = [storm_bin, "sim", "storm", "--target", f"127.0.0.1:{n.port}", "--rate", str(quiet),
                      "--duration", str(seconds), "--sources", str(quiet), "--stamp", "--json", "--mix", "flap"]
        if noisy:
            storm_args += ["--noisy-rate", str(noisy)]
        sender = subprocess.Popen(storm_args, stdout=subprocess.PIPE, text=True)
        lat, quiet_events, noisy_events = [], 0, 0
        # Latencies of the first second (process warm-up) are left out, in both runs.
        warm_until_us = (time.time() + 1.0) * 1e6
        out = n.p.stdout
        fd = out.fileno()
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
        sums = n.settle()
        n.stop()
        lat.sort()
        p99 = lat[int(0.99 * (len(lat) - 1))] if lat else float("nan")
        p50 = lat[len(lat) // 2] if lat else float("nan")
        results[label] = dict(quiet_sent=gen["regular_sent"], quiet_delivered=quiet_events,
                              noisy_sent=gen["noisy_sent"], noisy_events=noisy_events,
                              p50_ms=round(p50 / 1000, 3), p99_ms=round(p99 / 1000, 3),
                              drops=int(drops_of(sums)))
        log(f"fairness {label}: {results[label]}")
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nocwatch", required=True)
    ap.add_argument("--sink", required=True)
    ap.add_argument("--snmptrapd", required=True)
    ap.add_argument("--rates", default="20000,50000,100000,200000,300000,400000,0")
    ap.add_argument("--snmptrapd-rates", default="5000,10000,15000,20000,25000,30000,40000")
    ap.add_argument("--step-seconds", type=float, default=5.0)
    ap.add_argument("--sources", type=int, default=100)
    ap.add_argument("--burst", type=int, default=200_000)
    ap.add_argument("--quiet", type=int, default=1000)
    ap.add_argument("--noisy-rate", type=int, default=100_000)
    ap.add_argument("--fair-seconds", type=float, default=10.0)
    ap.add_argument("--listen-args", default="", help="extra `trap listen` arguments")
    ap.add_argument("--load", default="", help="note on machine load for the record")
    ap.add_argument("--fairness-only", action="store_true", help="skip the rate ladders")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="nocwatch-bench-traps-")
    extra = a.listen_args.split()
    rates = [int(x) for x in a.rates.split(",") if x != ""]
    storm = Storm(a.nocwatch, a.sources)
    rows = []
    if a.fairness_only:
        try:
            fair = fairness(a.nocwatch, work, extra, a.nocwatch, a.quiet, a.noisy_rate, a.fair_seconds)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        alone, noisy = fair["quiet alone"], fair["quiet + noisy"]
        print(json.dumps(dict(
            quiet_delivered_pct=round(100.0 * noisy["quiet_delivered"] / max(noisy["quiet_sent"], 1), 3),
            quiet_p99_ms_alone=alone["p99_ms"], quiet_p99_ms_with_noisy=noisy["p99_ms"],
            quiet_p99_ratio=round(noisy["p99_ms"] / alone["p99_ms"], 3) if alone["p99_ms"] else None,
            machine_load=a.load or None)))
        return
    log(" | ".join(COLS))
    try:
        sink_sustained, sink_burst = ladder(RawSink(a.sink), storm, rates, a.step_seconds, rows, burst=a.burst)
        n = Nocwatch(a.nocwatch, work, extra)
        n.start()
        try:
            nw_sustained, nw_burst = ladder(n, storm, rates, a.step_seconds, rows, burst=a.burst)
        finally:
            n.stop()
        td_rates = [int(x) for x in a.snmptrapd_rates.split(",") if x]
        td = Snmptrapd(a.snmptrapd, work)
        td_sustained, td_burst = ladder(td, storm, td_rates, a.step_seconds, rows, stop_after_loss=True,
                                        burst=a.burst)
        fair = fairness(a.nocwatch, work, extra, a.nocwatch, a.quiet, a.noisy_rate, a.fair_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # The table.
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLS}
    print("| " + " | ".join(c.ljust(widths[c]) for c in COLS) + " |")
    print("|" + "|".join("-" * (widths[c] + 2) for c in COLS) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[c]).ljust(widths[c]) for c in COLS) + " |")
    print()
    for label, f in fair.items():
        print(f"fairness, {label}: quiet sent {f['quiet_sent']}, delivered {f['quiet_delivered']}, "
              f"p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms; noisy sent {f['noisy_sent']}, "
              f"noisy events out {f['noisy_events']}, counted drops {f['drops']}")
    nw_rows = [r for r in rows if r["receiver"] == "nocwatch"]
    alone, noisy = fair["quiet alone"], fair["quiet + noisy"]
    summary = dict(
        nocwatch_sustained_per_s=nw_sustained,
        snmptrapd_sustained_per_s=td_sustained,
        raw_sink_per_s=sink_sustained,
        nocwatch_max_processed_per_s=max(r["per_s"] for r in nw_rows),
        raw_sink_max_per_s=max(r["per_s"] for r in rows if r["receiver"].startswith("raw")),
        burst_loss_pct=nw_burst["loss_pct"],
        snmptrapd_burst_loss_pct=td_burst["loss_pct"],
        raw_sink_burst_loss_pct=sink_burst["loss_pct"],
        unaccounted_loss=int(sum(r["unaccounted"] for r in nw_rows)),
        nocwatch_cpu_us_per_trap=min(r["cpu_us"] for r in nw_rows),
        snmptrapd_cpu_us_per_trap=min(r["cpu_us"] for r in rows if r["receiver"] == "snmptrapd"),
        quiet_delivered_pct=round(100.0 * noisy["quiet_delivered"] / max(noisy["quiet_sent"], 1), 3),
        quiet_p99_ms_alone=alone["p99_ms"],
        quiet_p99_ms_with_noisy=noisy["p99_ms"],
        quiet_p99_ratio=round(noisy["p99_ms"] / alone["p99_ms"], 3) if alone["p99_ms"] else None,
        machine_load=a.load or None,
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
