#!/usr/bin/env python3
"""A cluster on one machine: N cache processes as N nodes, pulling the same new content at once.

  peer-cluster.py [--nodes 2,4,8] [--size 256M] [--image 4M,16M,64M] [--clients 2]
                  [--upstream-rate 100M] [--jar target/registry-cache.jar] [--kill-owner]

Each node is a cache process (`cache --config`) on a loopback address of its own (127.0.0.2,
127.0.0.3, ...): its clients' endpoint and its peer endpoint listen there, and a peers file lists
every node, as EndpointSlices do on Kubernetes. All of them mirror docker.io from the bench
upstream of ../shared/bench (setup.sh first), which logs every request it serves and throttles
each response body to --upstream-rate.

For every N, with the nodes asking their peers (on) and, for comparison, each on its own (off,
what every node-local cache does today):
  blob   one new blob of --size; --clients clients on every node GET it at the same moment
  image  a new image of several layers (--image); every node's clients GET all its layers at once
and, with --kill-owner, the blob again with the owner's process killed (SIGKILL) halfway:
every client of the other nodes must still get the right bytes.
Reported per case: upstream GETs and bytes for the content (ideal: 1 each, 1.0x its size),
client TTFB and total time (median and max) against one GET straight from the upstream, and how
many clients got the right bytes (sha256). Every wait is bounded; every process this script
starts is stopped by its PID. Only the Python standard library is used.
"""
import argparse
import hashlib
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
BENCH = os.path.abspath(os.path.join(ROOT, "..", "shared", "bench"))
STATE = os.environ.get("BENCH_STATE_DIR", os.path.join(BENCH, ".state"))
UPLOG = os.path.join(STATE, "requests", "bench-uplog.jsonl")
FAULTS = os.path.join(STATE, "faults", "bench-uplog.json")
UPSTREAM = "127.0.0.1:15110"
UPSTREAM_REGISTRY = "127.0.0.1:15100"
UPSTORE = os.path.join(STATE, "registries", "bench-upstream", "data", "docker", "registry", "v2")
CLIENT_PORT, ADMIN_PORT, PEER_PORT = 15180, 15181, 15183
TOKEN = "peer-cluster-bench-token"
BUF = 1 << 20


def size_bytes(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1], 1)
    return int(s[:-1] if s[-1] in "KMG" else s) * mult


class Image:
    """A new image with random layers, pushed to the bench upstream; dropped again afterwards."""

    def __init__(self, layers, work):
        self.repo = "peer-cluster/r%d-%d" % (int(time.time()), os.getpid())
        layout = os.path.join(work, "layout")
        summary = subprocess.run([sys.executable, os.path.join(BENCH, "mkbench.py"), "--out", layout, "--tag", "v1",
                                  "--layers", ",".join(layers), "--seed", self.repo + str(time.time_ns())],
                                 check=True, capture_output=True, text=True, timeout=600).stdout
        self.summary = json.loads(summary)
        self.layers = [(l["digest"], l["size"]) for l in self.summary["layers"]]
        env = dict(os.environ, HOME=os.path.join(work, "home"), TMPDIR=work)
        os.makedirs(env["HOME"], exist_ok=True)
        subprocess.run(["skopeo", "copy", "-q", "--preserve-digests", "--dest-tls-verify=false", "oci:%s:v1" % layout,
                        "docker://%s/%s:v1" % (UPSTREAM_REGISTRY, self.repo)], check=True, env=env, timeout=600)
        shutil.rmtree(layout)

    def drop(self):
        shutil.rmtree(os.path.join(UPSTORE, "repositories", self.repo), ignore_errors=True)
        for d in [self.summary["manifest"]["digest"], self.summary["config"]["digest"]] + [d for d, _ in self.layers]:
            h = d.split(":", 1)[1]
            shutil.rmtree(os.path.join(UPSTORE, "blobs", "sha256", h[:2], h), ignore_errors=True)


def throttle(digests, rate):
    os.makedirs(os.path.dirname(FAULTS), exist_ok=True)
    rules = [{"match": "^GET /.*/blobs/%s" % d, "status": -1, "rate": rate} for d in digests]
    with open(FAULTS + ".tmp", "w") as f:
        json.dump(rules, f)
    os.replace(FAULTS + ".tmp", FAULTS)
    time.sleep(1.5)  # the proxy re-reads its rules when the file changed


class Node:
    def __init__(self, i, jar, work, peers_file, token_file, peers_on):
        self.host = "127.0.0.%d" % (i + 2)
        self.name = "node-%d" % i
        self.dir = os.path.join(work, self.name)
        os.makedirs(self.dir, exist_ok=True)
        cfg = os.path.join(self.dir, "config.yaml")
        lines = ["listen: %s:%d" % (self.host, CLIENT_PORT), "adminListen: %s:%d" % (self.host, ADMIN_PORT),
                 "accessLog: false", "storage: {path: %s/storage}" % self.dir,
                 "registries:", "  - {name: docker.io, url: \"http://%s\"}" % UPSTREAM]
        if peers_on:
            lines += ["peers:", "  port: %d" % PEER_PORT, "  address: %s" % self.host, "  file: %s" % peers_file,
                      "  tokenFile: %s" % token_file, "  connectTimeout: 50ms"]
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(self.dir, "cache.log"), "w")
        self.proc = subprocess.Popen(["java", "-Xmx128m", "-jar", jar, "cache",
                                      "--config", cfg], stdout=self.log, stderr=subprocess.STDOUT)

    def ready(self):
        try:
            c = http.client.HTTPConnection(self.host, ADMIN_PORT, timeout=2)
            c.request("GET", "/readyz")
            return c.getresponse().status == 200
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def start_cluster(n, jar, work, peers_on):
    os.makedirs(work, exist_ok=True)
    peers_file = os.path.join(work, "peers.txt")
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    with open(peers_file, "w") as f:
        for i in range(n):
            f.write("node-%d 127.0.0.%d:%d\n" % (i, i + 2, PEER_PORT))
    nodes = [Node(i, jar, work, peers_file, token_file, peers_on) for i in range(n)]
    deadline = time.monotonic() + 120
    while not all(nd.ready() for nd in nodes):
        if time.monotonic() > deadline or any(nd.proc.poll() is not None for nd in nodes):
            for nd in nodes:
                nd.stop()
            raise SystemExit("the cache processes did not become ready (logs under %s)" % work)
        time.sleep(0.2)
    warm_up(nodes)
    return nodes


WARM = []  # (repo, digest) of small blobs that warm up the miss and peer paths of every new cluster


def warm_up(nodes):
    """Each node serves the bench image's small blobs twice first (a fresh JVM loads and compiles its
    code), then a few small new blobs (its miss path, and with peers the peer path: each blob's owner
    fetches it, the others ask the owner), so that the cases measure the cache, not its first run."""
    for nd in nodes:
        for repo, d in WARM:
            c = http.client.HTTPConnection(nd.host, CLIENT_PORT, timeout=60)
            c.request("GET", "/v2/%s/blobs/%s" % (repo, d))
            c.getresponse().read()
    with open(os.path.join(STATE, "catalog.json")) as f:
        catalog = json.load(f)
    small = [b["digest"] for b in catalog.get("blobs", catalog.get("layers", [])) if b.get("size", 1 << 30) <= 1 << 20]
    for nd in nodes:
        for _ in range(2):
            for d in small:
                c = http.client.HTTPConnection(nd.host, CLIENT_PORT, timeout=60)
                c.request("GET", "/v2/library/bench/blobs/" + d)
                c.getresponse().read()


def get(host, port, path, digest, barrier, out, key):
    r = {"status": None, "ok": False}
    try:
        conn = http.client.HTTPConnection(host, port, timeout=300)
        conn.connect()
        barrier.wait(60)
        t0 = time.monotonic()
        conn.request("GET", path, headers={"Accept": "application/vnd.oci.image.layer.v1.tar, */*"})
        resp = conn.getresponse()
        r["status"] = resp.status
        h = hashlib.sha256()
        h.update(resp.read(1))  # the first body byte alone: a read of BUF would wait for a whole buffer
        r["ttfb"] = time.monotonic() - t0
        while True:
            b = resp.read(BUF)
            if not b:
                break
            h.update(b)
        r["total"] = time.monotonic() - t0
        r["ok"] = resp.status == 200 and "sha256:" + h.hexdigest() == digest
    except Exception as e:  # noqa: BLE001 - a client failure is a result, reported
        r["error"] = str(e)
    out[key] = r


def upstream_gets(since_line, digests):
    gets, nbytes = 0, 0
    with open(UPLOG) as f:
        for i, line in enumerate(f):
            if i < since_line:
                continue
            rec = json.loads(line)
            if rec.get("event") == "start" or rec.get("method") != "GET":
                continue
            if any(rec.get("path", "").endswith("/blobs/" + d) for d in digests):
                gets += 1
                nbytes += rec.get("bytes") or 0
    return gets, nbytes


def uplog_lines():
    with open(UPLOG) as f:
        return sum(1 for _ in f)


def settle(since):
    """Waits (at most 30 s) until every upstream request started since {since} has finished."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        started, ended = set(), set()
        with open(UPLOG) as f:
            for i, line in enumerate(f):
                if i >= since:
                    rec = json.loads(line)
                    (started if rec.get("event") == "start" else ended).add(rec.get("id"))
        if started <= ended:
            return
        time.sleep(0.3)


def direct(digest):
    out = {}
    barrier = threading.Barrier(1)
    get(UPSTREAM.split(":")[0], int(UPSTREAM.split(":")[1]), "/v2/%s/blobs/%s" % (REPO_FOR[digest], digest),
        digest, barrier, out, 0)
    return out[0]


REPO_FOR = {}


def run_case(nodes, layers, clients, kill_owner=False):
    since = uplog_lines()
    jobs, out = [], {}
    barrier = threading.Barrier(len(nodes) * clients * len(layers))
    for nd in nodes:
        for c in range(clients):
            for digest, _ in layers:
                key = (nd.name, c, digest)
                t = threading.Thread(target=get, args=(nd.host, CLIENT_PORT, "/v2/%s/blobs/%s" % (REPO_FOR[digest], digest),
                                                       digest, barrier, out, key))
                t.start()
                jobs.append(t)
    killed = None
    if kill_owner:
        time.sleep(1.0)  # the owner is halfway through the throttled blob by now
        owner = owner_of(layers[0][0], nodes)
        owner.stop(signal.SIGKILL)
        killed = owner.name
    for t in jobs:
        t.join(600)
    settle(since)
    gets, nbytes = upstream_gets(since, [d for d, _ in layers])
    res = [r for k, r in out.items() if k[0] != killed]
    ttfb = [r["ttfb"] for r in res if "ttfb" in r]
    total = [r["total"] for r in res if "total" in r]
    return {"upstream_gets": gets, "upstream_bytes": nbytes, "ok": sum(1 for r in res if r["ok"]),
            "clients": len(res), "ttfb_med": statistics.median(ttfb) if ttfb else None,
            "ttfb_max": max(ttfb) if ttfb else None, "total_med": statistics.median(total) if total else None,
            "total_max": max(total) if total else None, "killed": killed}


def owner_of(digest, nodes):
    """The node rendezvous hashing picks, computed the way the cache does (FNV-1a, SplitMix64)."""
    def fnv(s):
        h = 0xcbf29ce484222325
        for b in s.encode():
            h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
        return h

    def mix(z):
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    k = fnv(digest)
    return max(nodes, key=lambda nd: (mix(k ^ mix(fnv(nd.name))), [-ord(c) for c in nd.name]))


def row(n, mode, case, r, size, d):
    fmt = lambda v: "-" if v is None else "%.2f" % v  # noqa: E731
    print("%3d  %-4s %-12s %4d %8.2fx  %7s ms %7s ms  %6s s %6s s   %3d/%-3d %s" % (
        n, mode, case, r["upstream_gets"], r["upstream_bytes"] / size, fmt(r["ttfb_med"] * 1000 if r["ttfb_med"] else None),
        fmt(r["ttfb_max"] * 1000 if r["ttfb_max"] else None), fmt(r["total_med"]), fmt(r["total_max"]),
        r["ok"], r["clients"], ("(direct TTFB %.0f ms, total %.2f s)" % (d["ttfb"] * 1000, d["total"])) if d else ""))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", default="2,4,8")
    ap.add_argument("--size", default="256M")
    ap.add_argument("--image", default="4M,16M,64M")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--upstream-rate", default="100M")
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "registry-cache.jar"))
    ap.add_argument("--kill-owner", action="store_true")
    ap.add_argument("--modes", default="on,off")
    a = ap.parse_args()
    if not os.path.exists(UPLOG):
        raise SystemExit("no bench upstream log at %s: run ../shared/bench/setup.sh first" % UPLOG)
    work = tempfile.mkdtemp(prefix="peer-cluster-")
    images = []
    try:
        warm = Image(["256K"] * 8, work)
        images.append(warm)
        WARM.extend((warm.repo, d) for d, _ in warm.layers)
        print("node-local caches as a cluster: upstream %s throttled to %s/s per response, %d clients per node"
              % (UPSTREAM, a.upstream_rate, a.clients))
        print("  N  mode case         GETs  bytes/size     TTFB med     TTFB max   total med  total max  right  ")
        for n in [int(x) for x in a.nodes.split(",")]:
            for mode in a.modes.split(","):
                cases = [("blob", [a.size]), ("image", a.image.split(","))]
                if a.kill_owner and mode == "on":
                    cases.append(("owner-killed", [a.size]))
                for case, layers in cases:
                    img = Image(layers, work)
                    images.append(img)
                    for d, _ in img.layers:
                        REPO_FOR[d] = img.repo
                    throttle([d for d, _ in img.layers], a.upstream_rate)
                    d = direct(img.layers[0][0]) if case != "image" else None
                    nodes = start_cluster(n, a.jar, os.path.join(work, "%s-%d-%s" % (mode, n, case)), mode == "on")
                    try:
                        r = run_case(nodes, img.layers, a.clients, kill_owner=(case == "owner-killed"))
                    finally:
                        for nd in nodes:
                            nd.stop()
                    row(n, mode, case, r, sum(s for _, s in img.layers), d)
                    img.drop()
                    images.remove(img)
    finally:
        for img in images:
            img.drop()
        if os.path.exists(FAULTS):
            os.remove(FAULTS)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
