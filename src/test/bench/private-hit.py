#!/usr/bin/env python3
"""What a private hit costs: the cache's answer time for stored content, public and private.

  private-hit.py [--layers 40] [--rounds 5] [--jar target/registry-cache.jar]

Starts the e2e kit's upstreams (../shared/e2e, its own ports 15180-15183: anonymous and Basic),
pushes two images of --layers small (4 KiB) layers, one to each, and a cache (`cache --config`)
that mirrors docker.io (the anonymous upstream) and private.example (the Basic upstream, no
credentials in the config: its images are private). After one pull of each has stored them,
every layer is asked for again on one keep-alive connection, and the time until the whole
answer is read is taken for:
  public       docker.io layers, anonymously (an ordinary hit)
  private-new  private.example layers with the client's credentials, the check not remembered:
               the cache asks upstream (HEAD with the client's credentials) before it answers
  private-kept the same again within the minute: the check remembered, no upstream request
  refused      private.example layers without credentials: 401, no upstream request
Reported: median, p90 and max in milliseconds per kind. Each round waits out the checks'
memory (61 s) before private-new. Every process this script starts is stopped by its PID.
Only the Python standard library is used.
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
E2E = os.path.join(ROOT, "..", "shared", "e2e")
PORTS = {"E2E_UPSTREAM_PORT": "15180", "E2E_UPSTREAM_BASIC_PORT": "15181",
         "E2E_UPSTREAM_TOKEN_PORT": "15182", "E2E_TOKEN_SERVER_PORT": "15183"}
CACHE, ADMIN = 15190, 15191
AUTH = "Basic " + base64.b64encode(b"e2e:e2e-password").decode()


def run(cmd, env, timeout=300):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (" ".join(cmd), out.stdout, out.stderr))
    return out.stdout


def push(work, env, name, port, creds):
    layout = os.path.join(work, name)
    summary = json.loads(run(["python3", os.path.join(E2E, "mkimage.py"), "--out", layout, "--tag", "v1",
                              "--layers", ",".join(["4K"] * ARGS.layers), "--seed", "%s-%d" % (name, time.time_ns()),
                              "--layout", "oci"], env))
    cmd = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false"]
    if creds:
        cmd += ["--dest-creds", creds]
    run(cmd + ["oci:%s:v1" % layout, "docker://127.0.0.1:%d/team/%s:v1" % (port, name)], env)
    return summary


def layers_of(summary):
    """The layer digests in mkimage.py's summary, wherever it lists them."""
    found = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "layers" and isinstance(v, list):
                    found.extend(x["digest"] if isinstance(x, dict) else x for x in v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(summary)
    return found


def timed(conn, path, headers, want):
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    r.read()
    ms = (time.perf_counter() - t0) * 1000
    if r.status != want:
        sys.exit("GET %s: %d, expected %d" % (path, r.status, want))
    return ms


def stats(xs):
    xs = sorted(xs)
    return "median %.2f  p90 %.2f  max %.2f ms  (%d answers)" % (
        statistics.median(xs), xs[int(len(xs) * 0.9) - 1], xs[-1], len(xs))


def upstream_requests():
    c = http.client.HTTPConnection("127.0.0.1", ADMIN, timeout=10)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("registry_cache_upstream_request_duration_seconds_count"))


def main():
    work = tempfile.mkdtemp(prefix="private-hit-")
    env = dict(os.environ, E2E_STATE_DIR=os.path.join(work, "e2e"), **PORTS)
    cache = None
    try:
        run(["bash", os.path.join(E2E, "start-upstream.sh"), "--auth"], env)
        public = layers_of(push(work, env, "public", 15180, None))
        private = layers_of(push(work, env, "private", 15181, "e2e:e2e-password"))
        if len(public) != ARGS.layers or len(private) != ARGS.layers:
            sys.exit("unexpected layer counts %d, %d" % (len(public), len(private)))
        config = os.path.join(work, "config.yaml")
        with open(config, "w") as f:
            f.write("listen: 127.0.0.1:%d\nadminListen: 127.0.0.1:%d\nstorage: {path: %s, maxSize: 1GiB, "
                    "minFreeSpace: 10MiB}\nregistries:\n  - {name: docker.io, url: \"http://127.0.0.1:15180\"}\n"
                    "  - {name: private.example, url: \"http://127.0.0.1:15181\"}\n"
                    % (CACHE, ADMIN, os.path.join(work, "storage")))
        cache = subprocess.Popen(["java", "-Xmx256m", "-jar", ARGS.jar, "cache", "--config", config, "--no-access-log"],
                                 stdout=open(os.path.join(work, "cache.log"), "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", ADMIN, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or cache.poll() is not None:
                sys.exit("the cache did not become ready; see " + work)
            time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", CACHE, timeout=30)
        pub = ["/v2/docker.io/team/public/blobs/" + d for d in public]
        priv = ["/v2/private.example/team/private/blobs/" + d for d in private]
        # the first pulls store everything (a manifest first, as every client asks)
        timed(conn, "/v2/docker.io/team/public/manifests/v1", {}, 200)
        timed(conn, "/v2/private.example/team/private/manifests/v1", {"Authorization": AUTH}, 200)
        for p in pub:
            timed(conn, p, {}, 200)
        for p in priv:
            timed(conn, p, {"Authorization": AUTH}, 200)
        time.sleep(1)  # the stores' index catches up with the last answers
        kinds = {"public": [], "private-new": [], "private-kept": [], "refused": []}
        upstream = {k: 0.0 for k in kinds}
        for rnd in range(ARGS.rounds):
            time.sleep(61)  # the remembered checks expire
            conn.close()  # an idle connection is closed by the cache's header timeout meanwhile
            conn = http.client.HTTPConnection("127.0.0.1", CACHE, timeout=30)
            for kind, paths, headers, want in (("private-new", priv, {"Authorization": AUTH}, 200),
                                               ("private-kept", priv, {"Authorization": AUTH}, 200),
                                               ("public", pub, {}, 200), ("refused", priv, {}, 401)):
                before = upstream_requests()
                for p in paths:
                    kinds[kind].append(timed(conn, p, headers, want))
                upstream[kind] += upstream_requests() - before
            print("round %d done" % (rnd + 1), file=sys.stderr)
        for kind in ("public", "private-new", "private-kept", "refused"):
            print("%-13s %s, %.1f upstream requests per answer" % (kind, stats(kinds[kind]),
                                                                   upstream[kind] / len(kinds[kind])))
    finally:
        if cache is not None:
            cache.terminate()
            try:
                cache.wait(20)
            except subprocess.TimeoutExpired:
                cache.kill()
        subprocess.run(["bash", os.path.join(E2E, "stop-all.sh")], env=env, capture_output=True, timeout=120)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "registry-cache.jar"))
    ARGS = ap.parse_args()
    main()
