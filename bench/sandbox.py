"""Sandbox throughput: `python bench/sandbox.py`.

Starts the sandbox (`python -m sandbox --seed demo --no-rate-limits`) and a lightweight webhook
receiver, each in its own process, then measures:

- **API throughput**: authenticated GETs in a realistic mix across the rate-limit groups
  (extension info and list, presence, phone numbers, message store, call log, active calls,
  subscriptions), as every seeded user, from `--clients` load processes each keeping
  `--connections` keep-alive connections busy (aiohttp) for `--seconds`. Every answer must be
  200; the figure is completed requests per second.
- **Webhook delivery throughput**: `--subscriptions` WebHook subscriptions to the users'
  presence, then `--events` presence changes as fast as the API takes them; each is fanned out
  to every subscription. The receiver counts deliveries; the figure is deliveries per second
  from the first to the last one received, once all expected have arrived.

The last line of output is one JSON object with `api_rps` and `webhooks_per_s` (and details).
Goals on a 2-core machine: at least 500 API requests/s and 1,000 webhook deliveries/s.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
GETS = (  # (weight, path): what an app's pages and workers read most
    (22, "/restapi/v1.0/account/~/extension/{me}/presence?detailedTelephonyState=true"),
    (18, "/restapi/v1.0/account/~/extension/{me}"),
    (10, "/restapi/v1.0/account/~/extension?perPage=100"),
    (10, "/restapi/v1.0/account/~/extension/{me}/phone-number"),
    (14, "/restapi/v1.0/account/~/extension/{me}/message-store?perPage=20"),
    (12, "/restapi/v1.0/account/~/extension/{me}/call-log?perPage=20&dateFrom={month}"),
    (6, "/restapi/v1.0/account/~/extension/{me}/active-calls"),
    (4, "/restapi/v1.0/account/{account}"),
    (4, "/restapi/v1.0/subscription"),
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the API run")
    parser.add_argument("--clients", type=int, default=1, help="load processes")
    parser.add_argument("--connections", type=int, default=32, help="connections per process")
    parser.add_argument("--subscriptions", type=int, default=24)
    parser.add_argument("--events", type=int, default=1000, help="presence changes to fan out")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what: str, proc: subprocess.Popen | None = None, timeout=30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}")
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} not ready after {timeout}s")


# --- the webhook receiver (its own process) ---


def receiver_main(port: int) -> None:
    """Answer the validation handshake, count deliveries (with the time of the first and the
    last), report them on GET /stats."""
    stats = {"count": 0, "first": None, "last": None}

    async def hook(request: web.Request) -> web.Response:
        token = request.headers.get("Validation-Token")
        if token is not None:
            return web.Response(headers={"Validation-Token": token})
        await request.read()
        now = time.monotonic()
        stats["count"] += 1
        stats["first"] = stats["first"] or now
        stats["last"] = now
        return web.Response()

    async def read_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    async def reset(request: web.Request) -> web.Response:
        stats.update(count=0, first=None, last=None)
        return web.json_response(stats)

    app = web.Application()
    app.add_routes(
        [web.post("/hook", hook), web.get("/stats", read_stats), web.post("/reset", reset)]
    )
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# --- API load (one process per client) ---


def load_main(base: str, tokens: list[tuple[str, str]], account: str, seconds, conns, seed, out):
    month = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30 * 86400))
    weights = [w for w, _ in GETS]
    rng = random.Random(seed)

    async def run() -> None:
        counts: Counter[int] = Counter()
        received = 0
        connector = aiohttp.TCPConnector(limit=conns, force_close=False)
        async with aiohttp.ClientSession(base, connector=connector) as session:
            deadline = time.monotonic() + seconds

            async def worker() -> None:
                nonlocal received
                while time.monotonic() < deadline:
                    me, token = rng.choice(tokens)
                    path = rng.choices(GETS, weights)[0][1]
                    url = path.format(me=me, month=month, account=account)
                    headers = {"Authorization": f"Bearer {token}"}
                    async with session.get(url, headers=headers) as response:
                        received += len(await response.read())
                        counts[response.status] += 1

            started = time.monotonic()
            cpu = time.process_time()
            await asyncio.gather(*(worker() for _ in range(conns)))
            out.put(
                {
                    "counts": dict(counts),
                    "bytes": received,
                    "elapsed": time.monotonic() - started,
                    "cpu": time.process_time() - cpu,
                }
            )

    asyncio.run(run())


def run_api(args, base: str, tokens, account: str) -> dict:
    out: multiprocessing.Queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(
            target=load_main,
            args=(base, tokens, account, args.seconds, args.connections, i, out),
        )
        for i in range(args.clients)
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=args.seconds + 60) for _ in procs]
    for proc in procs:
        proc.join()
    statuses: Counter[int] = Counter()
    for result in results:
        statuses.update({int(k): v for k, v in result["counts"].items()})
    elapsed = max(r["elapsed"] for r in results)
    total = sum(statuses.values())
    return {
        "api_rps": round(total / elapsed, 1),
        "api_requests": total,
        "api_statuses": dict(statuses),
        "api_mean_response_bytes": round(sum(r["bytes"] for r in results) / max(1, total)),
        "api_client_cpu_share": round(sum(r["cpu"] for r in results) / elapsed, 2),
    }


# --- webhook fan-out ---


def run_webhooks(args, sandbox: httpx.Client, tokens, hook_url: str, stats_url: str) -> dict:
    users = [me for me, _ in tokens]
    subscribed = 0
    for index in range(args.subscriptions):
        _, token = tokens[index % len(tokens)]
        filters = [
            f"/restapi/v1.0/account/~/extension/{ext}/presence?detailedTelephonyState=true"
            for ext in users
        ]
        response = sandbox.post(
            "/restapi/v1.0/subscription",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "eventFilters": filters,
                "deliveryMode": {"transportType": "WebHook", "address": hook_url},
            },
        )
        response.raise_for_status()
        subscribed += 1
    expected = args.events * subscribed

    async def change_presence() -> float:
        statuses = ("Busy", "Available")
        async with aiohttp.ClientSession(str(sandbox.base_url)) as session:

            async def put(i: int) -> None:
                me, token = tokens[i % len(tokens)]
                async with session.put(
                    f"/restapi/v1.0/account/~/extension/{me}/presence",
                    headers={"Authorization": f"Bearer {token}"},
                    json={"userStatus": statuses[(i // len(tokens)) % 2]},
                ) as response:
                    assert response.status == 200, await response.text()

            started = time.monotonic()
            for start in range(0, args.events, 50):
                await asyncio.gather(*(put(i) for i in range(start, min(args.events, start + 50))))
            return time.monotonic() - started

    publish_s = asyncio.run(change_presence())
    deadline = time.monotonic() + 120
    stats = httpx.get(stats_url).json()
    while stats["count"] < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        stats = httpx.get(stats_url).json()
    span = (stats["last"] or 0) - (stats["first"] or 0)
    return {
        "webhooks_per_s": round(stats["count"] / span, 1) if span > 0 else 0.0,
        "webhook_deliveries": stats["count"],
        "webhook_expected": expected,
        "webhook_subscriptions": subscribed,
        "webhook_events": args.events,
        "webhook_publish_s": round(publish_s, 2),
        "webhook_span_s": round(span, 2),
    }


def main() -> None:
    args = parse_args()
    sandbox_port, receiver_port = free_port(), free_port()
    base = f"http://127.0.0.1:{sandbox_port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "sandbox", "--port", str(sandbox_port)),
            *("--seed", "demo", "--no-rate-limits"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    receiver = multiprocessing.Process(target=receiver_main, args=(receiver_port,), daemon=True)
    receiver.start()
    try:
        wait_until(lambda: httpx.get(f"{base}/sandbox/v1/status").status_code == 200, "sandbox")
        stats_url = f"http://127.0.0.1:{receiver_port}/stats"
        wait_until(lambda: httpx.get(stats_url).status_code == 200, "webhook receiver")
        with httpx.Client(base_url=base, timeout=30) as sandbox:
            creds = sandbox.get("/sandbox/v1/credentials").json()
            auth = (creds["client_id"], creds["client_secret"])
            tokens = []
            for user in creds["users"]:
                token = sandbox.post(
                    "/restapi/oauth/token",
                    auth=auth,
                    data={
                        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                        "assertion": user["jwt"],
                    },
                )
                token.raise_for_status()
                tokens.append((user["extension_id"], token.json()["access_token"]))
            print(f"API: {args.clients} x {args.connections} connections for {args.seconds}s …")
            api = run_api(args, base, tokens, creds["account_id"])
            print(json.dumps(api))
            print(f"Webhooks: {args.subscriptions} subscriptions x {args.events} events …")
            hooks = run_webhooks(
                args, sandbox, tokens, f"http://127.0.0.1:{receiver_port}/hook", stats_url
            )
            print(json.dumps(hooks))
    finally:
        receiver.terminate()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    print(json.dumps({**api, **hooks}))


if __name__ == "__main__":
    main()
