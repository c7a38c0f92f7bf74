#!/usr/bin/env python3
"""Load generator for `clip serve` (Python standard library only; each client is a thread with
one keep-alive HTTP/1.1 connection).

Usage (the server already running, e.g. `clip serve --model DIR --index photos.db --port 8080`):
  python3 Scripts/load_serve.py compare  [--url U] [--clients 32] [--seconds 20]
        text and image embeddings per second, one request at a time vs N concurrent clients
  python3 Scripts/load_serve.py mixed    [--url U] [--clients 32] [--requests 10000]
        a mix of embeddings / classify / search / models and deliberate bad requests; every
        response must have the status its kind expects (0 unexpected), latency percentiles
  python3 Scripts/load_serve.py soak     [--url U] [--clients 32] [--seconds 300] [--warmup 300] --pid PID
        mixed load while sampling the server's resident memory (VmRSS) every 5 s after a warm-up of
        the same load (default 5 minutes: the first minutes still grow by a few percent)
  python3 Scripts/load_serve.py sigterm  [--url U] [--clients 32] --pid PID
        sends SIGTERM during load: every request the server accepted must get a whole response
Images are the JPEG/PNG files of --images (default Examples/photos and Examples/images).
Prints one JSON object per run.
"""
import argparse
import base64
import http.client
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["cat", "dog", "car", "tree", "beach", "city", "star", "heart", "mountain", "boat",
         "flower", "bird", "road", "house", "river", "cloud"]


class Client:
    """One keep-alive connection; reconnects after the server closes it."""

    def __init__(self, url, api_key=None):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.headers = {"Content-Type": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        """(status, body bytes, seconds); raises on a transport error."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        start = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers={**self.headers, **(headers or {})})
            response = self.connection.getresponse()
            payload = response.read()
        except Exception:
            self.connection.close()
            self.connection = None
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        return response.status, payload, time.perf_counter() - start


def load_images(folders):
    files = []
    for folder in folders:
        files += sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        sys.exit("error: no images in " + ", ".join(folders))
    return [base64.b64encode(p.read_bytes()).decode() for p in files]


def text_request(rng):
    return {"input": f"a photo of a {rng.choice(WORDS)} and a {rng.choice(WORDS)}, number {rng.randrange(10**6)}"}


def image_request(rng, images):
    return {"input": [{"type": "image", "image": rng.choice(images)}]}


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run_clients(url, clients, make_request, stop, api_key=None):
    """Runs `clients` threads calling make_request(rng) -> (method, path, body, expected) until
    stop() is true; returns the list of (ok, expected status, got status, seconds, kind)."""
    results, lock = [], threading.Lock()

    def worker(seed):
        rng = random.Random(seed)
        client = Client(url, api_key)
        local = []
        while not stop(len(local)):
            kind, method, path, body, headers, expected = make_request(rng)
            try:
                status, payload, seconds = client.request(method, path, body, headers)
                local.append((status == expected, expected, status, seconds, kind, payload[:200] if status != expected else b""))
            except Exception as error:  # a transport error is never expected
                local.append((False, expected, repr(error), 0.0, kind, b""))
        with lock:
            results.extend(local)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def timed(seconds):
    deadline = time.monotonic() + seconds
    return lambda _: time.monotonic() >= deadline


def throughput(url, clients, seconds, kind, images, api_key):
    def make(rng):
        body = text_request(rng) if kind == "text" else image_request(rng, images)
        return kind, "POST", "/v1/embeddings", body, None, 200
    run_clients(url, clients, make, timed(min(3.0, seconds / 4)), api_key)  # warm-up
    start = time.monotonic()
    results = run_clients(url, clients, make, timed(seconds), api_key)
    elapsed = time.monotonic() - start
    latencies = [r[3] for r in results if r[0]]
    return {"kind": kind, "clients": clients, "requests": len(results),
            "errors": sum(1 for r in results if not r[0]),
            "per_second": round(len(latencies) / elapsed, 2),
            "p50_ms": round(1000 * percentile(latencies, 50), 1) if latencies else None,
            "p99_ms": round(1000 * percentile(latencies, 99), 1) if latencies else None}


def mixed_maker(images, api_key):
    labels = ["cat", "dog", "car", "tree", "star"]

    def make(rng):
        r = rng.random()
        if r < 0.40:
            return "text", "POST", "/v1/embeddings", text_request(rng), None, 200
        if r < 0.55:
            return "image", "POST", "/v1/embeddings", image_request(rng, images), None, 200
        if r < 0.65:
            return "classify", "POST", "/v1/classify", {"image": rng.choice(images), "labels": labels}, None, 200
        if r < 0.75:
            return "search", "POST", "/v1/search", {"text": f"a {rng.choice(WORDS)}", "top": 5}, None, 200
        if r < 0.78:
            return "models", "GET", "/v1/models", None, None, 200
        if r < 0.83:
            return "bad-json", "POST", "/v1/embeddings", b'{"input": ["unterminated', None, 400
        if r < 0.88:
            return "bad-base64", "POST", "/v1/embeddings", {"input": [{"type": "image", "image": "%%%not base64%%%"}]}, None, 400
        if r < 0.91:
            return "bad-image", "POST", "/v1/embeddings", {"input": [{"type": "image", "image": base64.b64encode(b"not an image at all").decode()}]}, None, 400
        if r < 0.94:
            return "too-many-inputs", "POST", "/v1/embeddings", {"input": ["x"] * 10_000}, None, 413
        if r < 0.97:
            return "wrong-type", "POST", "/v1/embeddings", {"input": 42}, None, 400
        if api_key:
            return "no-key", "POST", "/v1/embeddings", text_request(rng), {"Authorization": "Bearer wrong"}, 401
        return "unknown-route", "GET", "/v1/nothing-here", None, None, 404
    return make


def summarize(results, elapsed):
    by_kind = {}
    for ok, expected, got, seconds, kind, body in results:
        entry = by_kind.setdefault(kind, {"count": 0, "unexpected": 0, "expected_status": expected, "latencies": []})
        entry["count"] += 1
        if ok:
            entry["latencies"].append(seconds)
        else:
            entry["unexpected"] += 1
            entry.setdefault("examples", []).append(f"{got}: {body.decode(errors='replace')}")
    latencies = [r[3] for r in results if r[0]]
    summary = {"requests": len(results), "seconds": round(elapsed, 1),
               "per_second": round(len(results) / elapsed, 1),
               "unexpected": sum(e["unexpected"] for e in by_kind.values()),
               "p50_ms": round(1000 * percentile(latencies, 50), 1),
               "p99_ms": round(1000 * percentile(latencies, 99), 1), "kinds": {}}
    for kind, e in sorted(by_kind.items()):
        summary["kinds"][kind] = {"count": e["count"], "status": e["expected_status"], "unexpected": e["unexpected"],
                                  "p99_ms": round(1000 * percentile(e["latencies"], 99), 1) if e["latencies"] else None}
        if "examples" in e:
            summary["kinds"][kind]["examples"] = e["examples"][:3]
    return summary


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["compare", "mixed", "soak", "sigterm"])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--warmup", type=float, default=300, help="soak: seconds of load before sampling")
    parser.add_argument("--api-key")
    parser.add_argument("--images", nargs="*", default=[str(ROOT / "Examples/photos"), str(ROOT / "Examples/images")])
    args = parser.parse_args()
    images = load_images(args.images)

    if args.mode == "compare":
        seconds = args.seconds or 20
        out = {}
        for kind in ("text", "image"):
            serial = throughput(args.url, 1, seconds, kind, images, args.api_key)
            concurrent = throughput(args.url, args.clients, seconds, kind, images, args.api_key)
            out[kind] = {"serial": serial, "concurrent": concurrent,
                         "ratio": round(concurrent["per_second"] / serial["per_second"], 2)}
        print(json.dumps(out))
    elif args.mode == "mixed":
        make = mixed_maker(images, args.api_key)
        per_client = -(-args.requests // args.clients)
        start = time.monotonic()
        results = run_clients(args.url, args.clients, make, lambda n: n >= per_client, args.api_key)
        print(json.dumps(summarize(results[:max(args.requests, 0)] if len(results) > args.requests else results,
                                   time.monotonic() - start)))
    elif args.mode == "soak":
        if not args.pid:
            sys.exit("error: soak needs --pid (the server's process id)")
        seconds = args.seconds or 300
        make = mixed_maker(images, args.api_key)
        run_clients(args.url, args.clients, make, timed(args.warmup), args.api_key)  # warm-up
        samples, done = [], threading.Event()

        def sampler():
            while not done.is_set():
                samples.append((round(time.monotonic(), 1), rss_kib(args.pid)))
                done.wait(5)
        thread = threading.Thread(target=sampler)
        thread.start()
        start = time.monotonic()
        results = run_clients(args.url, args.clients, make, timed(seconds), args.api_key)
        done.set()
        thread.join()
        values = [v for _, v in samples if v]
        summary = summarize(results, time.monotonic() - start)
        summary.pop("kinds")
        summary["rss_mib"] = {"first": round(values[0] / 1024, 1), "last": round(values[-1] / 1024, 1),
                              "min": round(min(values) / 1024, 1), "max": round(max(values) / 1024, 1),
                              "spread_percent": round(100 * (max(values) - min(values)) / min(values), 2),
                              "samples": len(values),
                              "series": [round(v / 1024) for v in values]}
        print(json.dumps(summary))
    elif args.mode == "sigterm":
        if not args.pid:
            sys.exit("error: sigterm needs --pid (the server's process id)")
        make = mixed_maker(images, args.api_key)
        sent = {"at": None}

        def stop(_):
            # No client starts a request after the signal: every request counted was sent
            # before it, on a connection the server had accepted, and must be answered.
            return sent["at"] is not None

        def killer():
            time.sleep(args.seconds or 5)
            sent["at"] = time.monotonic()
            os.kill(args.pid, signal.SIGTERM)
        threading.Thread(target=killer).start()
        results = run_clients(args.url, args.clients, lambda rng: make(rng), stop, args.api_key)
        answered = [r for r in results if isinstance(r[2], int)]
        dropped = [r for r in results if not isinstance(r[2], int)]
        wrong = [r for r in answered if not r[0]]
        print(json.dumps({"requests": len(results), "answered": len(answered),
                          "answered_with_unexpected_status": len(wrong),
                          "unexpected_statuses": sorted({r[2] for r in wrong}),
                          "dropped": len(dropped), "dropped_examples": [str(r[2]) for r in dropped[:5]],
                          "ok": not dropped and not wrong}))
        sys.exit(0 if not dropped and not wrong else 1)


if __name__ == "__main__":
    main()
