"""Chat-turn throughput and latency over HTTP with concurrent sessions, for rule-routed turns.

Starts the real server as its own process (`patient-assistant serve`, LLM off, temporary data dir)
unless --url is given, so client and server do not share an interpreter, then
drives N concurrent sessions, each sending a fixed script of rule-routed turns (greeting, hand-off
phrases, out-of-scope, clarification), and prints turns per second and p50/p95/p99 latency.
Target: p95 under 50 ms with 20 concurrent sessions on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Rule-routed turns: greetings, hand-off to a person, out-of-scope statements (no retrieval, no LLM).
SCRIPTS = {
    "rules": ["你好", "hello", "帮我写首诗", "good morning", "讲个笑话", "转人工", "早上好", "I want a real person"],
    # Questions answered from the documents: retrieval (BM25 + vectors) and the verifier, no LLM.
    "faq": ["周六有门诊吗", "停车怎么收费", "做胃镜前要注意什么", "ICU探视时间是什么时候", "病历复印多少钱一页"],
}
SCRIPT = SCRIPTS["rules"]
_rng = random.Random(7)


async def session(client: httpx.AsyncClient, turns: int, latencies: list[float], errors: list[str],
                  script: list[str] = SCRIPT, think_s: float = 0.0) -> None:
    sid = None
    for i in range(turns):
        if think_s and i:
            # a patient reads the reply and types the next message (jittered, so sessions do not march in step)
            await asyncio.sleep(think_s * _rng.uniform(0.5, 1.5))
        body = {"text": script[i % len(script)]}
        if sid:
            body["session_id"] = sid
        t0 = time.perf_counter()
        r = await client.post("/api/v1/chat", json=body)
        latencies.append(time.perf_counter() - t0)
        if r.status_code != 200:
            errors.append(f"{r.status_code} {r.text[:80]}")
            continue
        sid = r.json()["session_id"]


async def drive(base: str, sessions: int, turns: int, think_s: float) -> None:
    limits = httpx.Limits(max_connections=sessions, max_keepalive_connections=sessions)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        for name, script, think in [(n, sc, t) for n, sc in SCRIPTS.items() for t in (think_s, 0.0)]:
            name = f"{name}, {'think ' + format(think, 'g') + ' s' if think else 'no think time (saturation)'}"
            await session(client, len(script), [], [], script)  # warm-up
            latencies: list[float] = []
            errors: list[str] = []
            t0 = time.perf_counter()
            await asyncio.gather(*(session(client, turns, latencies, errors, script, think) for _ in range(sessions)))
            wall = time.perf_counter() - t0
            lat = sorted(latencies)
            q = statistics.quantiles(lat, n=100)
            print(f"[{name}] sessions={sessions} turns={len(lat)} errors={len(errors)}")
            print(f"[{name}] throughput: {len(lat) / wall:.1f} turns/s")
            print(f"[{name}] latency per turn: p50 {q[49] * 1000:.1f} ms  p95 {q[94] * 1000:.1f} ms  p99 {q[98] * 1000:.1f} ms")
            if name.startswith("rules"):
                print(f"[{name}] p95 vs 50 ms target: {q[94] * 1000 / 50:.2f}x of budget")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", help="an already running server")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--turns", type=int, default=25, help="turns per session")
    ap.add_argument("--think", type=float, default=1.0, help="seconds a patient takes between turns (also run with 0)")
    args = ap.parse_args()
    if args.url:
        asyncio.run(drive(args.url, args.sessions, args.turns, args.think))
        return
    from tests.server import free_port

    port = free_port()
    env = dict(os.environ, PA_LLM_ENABLED="false", PA_LOG_LEVEL="WARNING", PA_ADMIN_USER="bench", PA_ADMIN_PASSWORD="bench-password-1")
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(sys.executable).parent / "patient-assistant"
        proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--data-dir", tmp], env=env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:  # measure a warmed-up service: index, speech models loaded
                try:
                    if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            asyncio.run(drive(base, args.sessions, args.turns, args.think))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
