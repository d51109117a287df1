"""Read benchmark: a node holding a realistic two-year history answers every list and detail page quickly.

    .venv/bin/python bench/read.py                          # 300,000 events from 500 groups, SQLite
    .venv/bin/python bench/read.py --postgres postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/read.py --events 1000000 --groups 1500
    .venv/bin/python bench/read.py --events 20000 --groups 100 --requests 5     # while developing

The history (bench/read_data.py, cached in bench/.cache/) is imported into a fresh node with `solnet import`
(import_per_s: events held per second, integrity check + storing, the figure catch-up from a peer is measured by;
import_total_per_s: the whole command, read-model projection and start-up included), then a `solnet serve` process
answers, on loopback, each API list and web page (first page and a page `--depth` pages deep, following `next`
cursors) and each detail page (the busiest callout, campaign and group), `--requests` times each, one request at a
time; p50/p95 are per endpoint, worst_p95_ms the worst of them. digest_after_write_ms is the median time of GET
/api/v1/digest right after a publish; rss_mb is the server's resident memory at the end (VmRSS; peak VmHWM as
rss_peak_mb). The last line is one JSON object. Targets (issue 11): worst p95 <= 50 ms on SQLite (<= 100 ms on
PostgreSQL), digest after a write <= 50 ms, import >= 40,000 events/s, RSS <= 300 MB."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from read_data import bundle_path

SOLNET = [sys.executable, "-c", "import sys; from node.cli import main; sys.argv[0] = 'solnet'; sys.exit(main())"]
API_LISTS = [
    "/api/v1/callouts",
    "/api/v1/callouts?status=all",
    "/api/v1/callouts?need=money",
    "/api/v1/callouts?area=hackney",
    "/api/v1/campaigns",
    "/api/v1/groups",
    "/api/v1/reports",
    "/api/v1/pledges",
    "/api/v1/decisions",
    "/api/v1/assemblies",
]
WEB_LISTS = ["/", "/?need=skills", "/campaigns", "/groups", "/assemblies"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> tuple[float, float]:
    """Return (VmRSS, VmHWM) of a process in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def fresh_postgres(url: str) -> str:
    """Return the URL of a new empty database beside the one in `url` (dropped and made again)."""
    import psycopg

    name = f"solnet_bench_read_{os.getpid()}"  # one per run: other people's runs on the same server keep theirs
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def drop_postgres(url: str, made: str) -> None:
    """Drop the database `made` that fresh_postgres made beside `url`."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {made.rpartition('/')[2]} WITH (FORCE)")


def run(*args: str, cwd: Path) -> str:
    done = subprocess.run([*SOLNET, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"solnet {' '.join(args[:2])} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


async def timed_get(session: aiohttp.ClientSession, url: str) -> tuple[float, dict | str]:
    start = time.perf_counter()
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=60)) as reply:
        body = await reply.read()
        if reply.status != 200:
            raise SystemExit(f"GET {url} answered {reply.status}: {body[:300]!r}")
    elapsed = (time.perf_counter() - start) * 1000
    if reply.content_type == "application/json":
        return elapsed, json.loads(body)
    return elapsed, body.decode()


async def deep_url(session: aiohttp.ClientSession, base: str, path: str, depth: int) -> str:
    """Return the URL of the page `depth` pages into the list at `path` (or its last page), following `next`."""
    url = base + path
    sep = "&" if "?" in path else "?"
    for _ in range(depth):
        _, body = await timed_get(session, url)
        if not isinstance(body, dict) or not body.get("next"):
            break
        url = f"{base}{path}{sep}cursor={body['next']}"
    return url


async def measure(base: str, token: str, args: argparse.Namespace) -> dict:
    out: dict[str, dict[str, float]] = {}
    async with aiohttp.ClientSession() as session:

        async def sample(label: str, url: str) -> None:
            times = [(await timed_get(session, url))[0] for _ in range(args.requests)]
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            out[label] = {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(p95, 2)}
            print(f"{label:62s} p50 {out[label]['p50_ms']:8.2f} ms  p95 {p95:8.2f} ms", flush=True)

        for path in API_LISTS:
            await sample(path, base + path)
            await sample(f"{path} (page {args.depth})", await deep_url(session, base, path, args.depth))
        # Web lists: the same cursor as the API list that serves the page (the feed's is the callouts').
        web_api = {"/": "/api/v1/callouts", "/?need=skills": "/api/v1/callouts?need=skills", "/campaigns": "/api/v1/campaigns",
                   "/groups": "/api/v1/groups", "/assemblies": "/api/v1/assemblies?limit=10"}  # fmt: skip
        for path in WEB_LISTS:
            await sample(f"web {path}", base + path)
            deep = await deep_url(session, base, web_api[path], args.depth)
            cursor = deep.partition("cursor=")[2]
            if cursor:
                sep = "&" if "?" in path else "?"
                await sample(f"web {path} (page {args.depth})", f"{base}{path}{sep}cursor={cursor}")
        # Detail pages: the busiest callout (most pledges), campaign and group in the first pages.
        _, callouts = await timed_get(session, base + "/api/v1/callouts?status=all&limit=200")
        busiest = max(callouts["callouts"], key=lambda c: c["totals"]["pledges"])
        _, campaigns = await timed_get(session, base + "/api/v1/campaigns?limit=200")
        _, groups = await timed_get(session, base + "/api/v1/groups?limit=200")
        group = max(groups["groups"], key=lambda g: g.get("events") or 0)
        details = {
            "callout": f"/callouts/{busiest['id']}",
            "campaign": f"/campaigns/{campaigns['campaigns'][0]['id']}",
            "group": f"/groups/{group['group_id']}",
        }
        for what, path in details.items():
            await sample(f"/api/v1{path} ({what})", base + "/api/v1" + path)
            await sample(f"web {path} ({what})", base + path)
        # The digest right after a write.
        headers = {"Authorization": f"Bearer {token}"}
        digest_times = []
        for i in range(args.requests):
            body = {"kind": "report.published", "payload": {"title": f"bench {i}", "text": "measured"}}
            async with session.post(base + "/api/v1/events", json=body, headers=headers) as reply:
                assert reply.status == 201, await reply.text()
            elapsed, _ = await timed_get(session, base + "/api/v1/digest")
            digest_times.append(elapsed)
        digest_ms = statistics.median(digest_times)
        print(f"{'digest after a write':62s} median {digest_ms:8.2f} ms  max {max(digest_times):8.2f} ms", flush=True)
    return {"endpoints": out, "digest_after_write_ms": round(digest_ms, 2)}


async def browser_feed(base: str, times: int) -> dict[str, float]:
    """Load the feed in Debian's Chromium (Playwright) `times` times; return the medians of its navigation timings (ms)."""
    from playwright.async_api import async_playwright

    chromium = os.environ.get("SOLNET_CHROMIUM", "/usr/bin/chromium")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = await browser.new_page()
            samples = []
            for _ in range(times):
                await page.goto(base + "/", wait_until="load")
                timing = await page.evaluate(
                    "() => { const t = performance.getEntriesByType('navigation')[0];"
                    " return [t.responseStart - t.requestStart, t.responseEnd - t.startTime,"
                    " t.domContentLoadedEventEnd - t.startTime, t.loadEventEnd - t.startTime,"
                    " document.querySelectorAll('article.callout').length]; }"
                )
                samples.append(timing)
        finally:
            await browser.close()
    names = ("first_byte_ms", "response_end_ms", "dom_content_loaded_ms", "load_ms")
    out = {name: round(statistics.median(s[i] for s in samples), 1) for i, name in enumerate(names)}
    out["callouts_shown"] = samples[-1][4]
    print(f"{'browser: the feed in Chromium':62s} " + ", ".join(f"{k} {v}" for k, v in out.items()), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--depth", type=int, default=20, help="pages deep for the deep-page figures")
    parser.add_argument("--postgres", metavar="URL", help="use a fresh database on this PostgreSQL server")
    parser.add_argument("--browser", action="store_true", help="also load the feed in Chromium (Playwright)")
    parser.add_argument("--keep", metavar="DIR", help="keep the node's data dir here (and reuse it if it exists)")
    args = parser.parse_args()

    bundle = bundle_path(args.events, args.groups)
    root = Path(__file__).resolve().parent.parent
    data = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="solnet-read-")) / "node"
    import_per_s = import_total_per_s = read_models_s = import_per_cpu_s = None
    database = ["--database", fresh_postgres(args.postgres)] if args.postgres and not data.exists() else []
    if not data.exists():
        run("init", "--data", str(data), "--name", "Bench Tenants", *database, cwd=root)
        start = time.perf_counter()
        out = json.loads(run("import", "--json", "--data", str(data), str(bundle), cwd=root))
        import_total_per_s = args.events / (time.perf_counter() - start)
        seconds = out["seconds"]
        import_per_s = out["stored"] / (seconds["check"] + seconds["store"])
        read_models_s = seconds["read_models"]
        cpu = out.get("cpu_seconds") or {}
        if cpu:  # CPU seconds of the importing process: the fairer figure when other jobs share the machine
            # (the decoding child's too: it frames and decodes the bundle beside the writer, node/commands/bundle_decoder.py)
            import_per_cpu_s = out["stored"] / max(cpu["check"] + cpu["store"] + (cpu.get("decoder") or 0), 1e-9)
            print(f"import CPU seconds: {cpu} ({import_per_cpu_s:,.0f} events held per CPU second)", flush=True)
        print(
            f"import: {import_per_s:,.0f} events/s held (integrity check + storing), {import_total_per_s:,.0f} events/s "
            f"for the whole command ({read_models_s:,.1f} s of it projecting the read models)",
            flush=True,
        )
    port = free_port()
    # the only copy of this log: no peer could confirm its own head (docs/OPERATIONS.md), so publishing says so
    serve = ["serve", "--data", str(data), "--listen", f"127.0.0.1:{port}", "--i-am-the-only-copy"]
    server = subprocess.Popen([*SOLNET, *serve], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        result = asyncio.run(measure(base, (data / "api-token").read_text().strip(), args))
        if args.browser:
            result["browser_feed"] = asyncio.run(browser_feed(base, args.requests))
        rss, peak = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
        if not args.keep:
            shutil.rmtree(data.parent, ignore_errors=True)
            if database:
                drop_postgres(args.postgres, database[1])
    worst = max(result["endpoints"].items(), key=lambda kv: kv[1]["p95_ms"])
    print(f"worst p95: {worst[1]['p95_ms']} ms ({worst[0]}); server RSS {rss:.0f} MB (peak {peak:.0f} MB)")
    summary = {
        "backend": "postgresql" if args.postgres else "sqlite",
        "events": args.events,
        "groups": args.groups,
        "worst_p95_ms": worst[1]["p95_ms"],
        "worst_endpoint": worst[0],
        "import_per_s": round(import_per_s) if import_per_s else None,
        "import_total_per_s": round(import_total_per_s) if import_total_per_s else None,
        "import_per_cpu_s": round(import_per_cpu_s) if import_per_cpu_s else None,
        "load_1m": os.getloadavg()[0],
        "import_read_models_s": read_models_s,
        "digest_after_write_ms": result["digest_after_write_ms"],
        "rss_mb": round(rss, 1),
        "rss_peak_mb": round(peak, 1),
        "cpus": os.cpu_count(),
        "browser_feed": result.get("browser_feed"),
        "endpoints": result["endpoints"],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
