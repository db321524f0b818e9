"""Streaming-recognition benchmark for the packaged Whisper model on this machine.

Prints real-time factor, end-of-speech→final latency (p50/p95), time to first partial, character
error rate on ../shared/fixtures/zh_speech, and how many concurrent real-time streams one process
sustains. Run: ``.venv/bin/python benchmarks/asr_stream.py [--levels 1,2,4,6] [--workers 2] [--threads 1]
[--full-window] [--json out.json]``. Streamed CER joins the finals that fall inside each clip, so a clip
split at a pause is scored as one text (not misaligned with the next clip).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asr.audio import pcm16_to_float  # noqa: E402
from asr.stream import SpeechEventType, SpeechStream  # noqa: E402
from asr.vocabulary import hospital_vocabulary  # noqa: E402
from asr.whisper import Recognizer, assemble_packaged_model, build_initial_prompt  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.hospital import cached_hospital  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures" / "zh_speech"
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def cer(ref: str, hyp: str) -> float:
    r, h = _PUNCT.sub("", ref), _PUNCT.sub("", hyp)
    prev = list(range(len(h) + 1))
    for i, rc in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hc in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rc != hc))
        prev = cur
    return prev[-1] / max(1, len(r))


def load_fixtures() -> list[tuple[str, bytes, str]]:
    rows = (FIXTURES / "transcripts.tsv").read_text(encoding="utf-8").splitlines()[1:]
    out = []
    for row in rows:
        cols = row.split("\t")
        with wave.open(str(FIXTURES / cols[0])) as w:
            out.append((cols[0], w.readframes(w.getnframes()), cols[1].strip()))
    return out


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


async def stream_session(rec: Recognizer, clips: list[bytes], start_delay: float, prompt: str | None,
                         endpoint_ms: int = 600) -> dict:
    """One caller speaking ``clips`` in real time with 1 s pauses between them; returns latency
    observations and, per clip, the text of the finals whose speech ended inside that clip."""
    await asyncio.sleep(start_delay)
    stream = SpeechStream(rec, endpoint_silence_ms=endpoint_ms, prompt=prompt)
    audio = b"".join(bytes(32000) + c for c in clips) + bytes(48000)
    spans, pos = [], 0.0
    for c in clips:
        pos += 1.0
        spans.append((pos, pos + len(c) / 32000))
        pos += len(c) / 32000
    t0 = time.monotonic()
    frame = 640  # 20 ms

    async def feed() -> None:
        for i in range(0, len(audio), frame):
            target = t0 + (i + frame) / 32000
            delay = target - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            stream.push_audio(audio[i : i + frame])
        stream.end_input()

    feeder = asyncio.create_task(feed())
    res: dict = {"endpoint_to_final": [], "voice_end_to_final": [], "first_partial": [], "finals": [], "lag": [],
                 "per_clip": [[] for _ in clips]}
    starts: dict[int, float] = {}
    for_first: set[int] = set()
    async for ev in stream:
        now = time.monotonic()
        res["lag"].append((now - t0) - ev.audio_time_s)
        if ev.type is SpeechEventType.START_OF_SPEECH:
            starts[ev.utterance] = now
        elif ev.type is SpeechEventType.INTERIM and ev.utterance not in for_first and ev.utterance in starts:
            for_first.add(ev.utterance)
            res["first_partial"].append(now - starts[ev.utterance])
        elif ev.type is SpeechEventType.FINAL:
            res["endpoint_to_final"].append(now - (ev.endpoint_wall or now))
            res["voice_end_to_final"].append(now - (t0 + (ev.voice_end_s or 0.0)))
            res["finals"].append(ev.text)
            ve = ev.voice_end_s or 0.0
            clip = max([i for i, (a, _) in enumerate(spans) if a <= ve + 0.05] or [0])
            res["per_clip"][clip].append(ev.text)
    await feeder
    await stream.aclose()
    return res


async def concurrency_level(rec: Recognizer, n: int, clips: list[bytes], prompt: str | None, seed: int,
                            endpoint_ms: int = 600) -> dict:
    rng = random.Random(seed)
    sessions = await asyncio.gather(
        *(stream_session(rec, rng.sample(clips, len(clips)), rng.uniform(0, 2.5) if i else 0.0, prompt, endpoint_ms)
          for i in range(n))
    )
    e2f = [x for s in sessions for x in s["endpoint_to_final"]]
    v2f = [x for s in sessions for x in s["voice_end_to_final"]]
    fp = [x for s in sessions for x in s["first_partial"]]
    lag = [x for s in sessions for x in s["lag"]]
    return {
        "streams": n,
        "finals": len(e2f),
        "expected_finals": n * len(clips),
        "endpoint_to_final_p50": pct(e2f, 50), "endpoint_to_final_p95": pct(e2f, 95),
        "voice_end_to_final_p50": pct(v2f, 50), "voice_end_to_final_p95": pct(v2f, 95),
        "first_partial_p50": pct(fp, 50), "first_partial_p95": pct(fp, 95), "partials_per_utterance": len(fp) / max(1, len(e2f)),
        "max_event_lag_s": max(lag) if lag else 0.0,
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--levels", default="1,2,4,6")
    ap.add_argument("--json", default=None)
    ap.add_argument("--workers", type=int, default=2, help="parallel decoders (CTranslate2 replicas)")
    ap.add_argument("--threads", type=int, default=1, help="threads per decoder")
    ap.add_argument("--full-window", action="store_true", help="encode Whisper's padded 30 s window")
    ap.add_argument("--endpoint-ms", type=int, default=600)
    ap.add_argument("--beam", type=int, default=Settings().whisper_beam_size, help="beam size of finals")
    ap.add_argument("--speculate-ms", type=int, default=None, help="silence before the speculative final")
    args = ap.parse_args()
    load_before = os.getloadavg()
    settings = Settings()
    hospital = cached_hospital(str(settings.hospital_dir))
    prompt = build_initial_prompt(hospital)
    model_dir = settings.whisper_model_dir or assemble_packaged_model(Path(tempfile.gettempdir()) / "pa-bench-models")
    rec = Recognizer(model_dir, initial_prompt=prompt, workers=args.workers, vocabulary=hospital_vocabulary(hospital),
                     cpu_threads=args.threads, trim_window=not args.full_window, beam_size=args.beam)
    if args.speculate_ms is not None:
        import asr.stream

        asr.stream.SPECULATE_MS = args.speculate_ms
    fixtures = load_fixtures()

    # Batch: real-time factor and CER (beam 5, the final decode)
    rtf, cers = [], []
    for name, pcm, ref in fixtures:
        a = pcm16_to_float(pcm)
        best = min((rec.transcribe_sync(a) for _ in range(2)), key=lambda t: t.decode_s)
        rtf.append(best.decode_s / best.audio_s)
        if ref:
            cers.append(cer(ref, best.text))
            print(f"  {name}: {best.text}  (CER {cers[-1]:.3f}, {best.decode_s:.2f}s for {best.audio_s:.2f}s)")
    batch = {"rtf_mean": float(np.mean(rtf)), "rtf_max": float(np.max(rtf)), "cer_mean": float(np.mean(cers)),
             "load_s": rec.load_s}

    # Streaming, one caller, all fixtures in real time
    clips = [pcm for _, pcm, _ in fixtures]
    single = await stream_session(rec, clips, 0.0, prompt, args.endpoint_ms)
    refs = [ref for _, _, ref in fixtures]
    stream_cer = [cer(r, "".join(h)) for r, h in zip(refs, single["per_clip"], strict=True) if r]
    split_clips = sum(1 for h in single["per_clip"] if len(h) > 1)

    levels = [int(x) for x in args.levels.split(",")]
    conc = [await concurrency_level(rec, n, clips[:3], prompt, seed=n, endpoint_ms=args.endpoint_ms) for n in levels]
    endpoint_s = args.endpoint_ms / 1000

    def sustained(limit: float) -> int:  # every final delivered, p95 end of voice → final within the limit
        return max([c["streams"] for c in conc if c["voice_end_to_final_p95"] <= limit
                    and c["finals"] >= c["expected_finals"] and c["max_event_lag_s"] < 1.5], default=0)

    sustained_06, sustained_after = sustained(0.6), sustained(endpoint_s + 0.6)
    report = {
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "model": str(model_dir), "batch": batch,
        "single_stream": {
            "endpoint_to_final_p50": pct(single["endpoint_to_final"], 50),
            "endpoint_to_final_p95": pct(single["endpoint_to_final"], 95),
            "voice_end_to_final_p50": pct(single["voice_end_to_final"], 50),
            "voice_end_to_final_p95": pct(single["voice_end_to_final"], 95),
            "first_partial_p50": pct(single["first_partial"], 50),
            "cer_streamed_mean": float(np.mean(stream_cer)) if stream_cer else None,
            "clips_split": split_clips,
            "finals": single["finals"],
        },
        "concurrency": conc,
        "decoder": {"workers": rec.workers, "cpu_threads": rec.cpu_threads, "trim_window": rec.trim_window,
                    "scheduler": rec.scheduler.stats},
        "sustained_streams_voice_end_to_final_p95_le_0.6s": sustained_06,
        "sustained_streams_final_within_0.6s_after_endpoint_silence": sustained_after,
    }
    b, s = report["batch"], report["single_stream"]
    d = report["decoder"]
    print(f"decoders: {d['workers']} × {d['cpu_threads']} thread(s), trimmed window {d['trim_window']}, "
          f"endpoint {args.endpoint_ms} ms; scheduler {d['scheduler']}")
    print(f"load average before/after: {load_before} / {report['machine']['loadavg_after']} on {os.cpu_count()} cpus")
    print(f"model load {b['load_s']:.2f}s; real-time factor mean {b['rtf_mean']:.3f} (max {b['rtf_max']:.3f}); "
          f"CER batch {b['cer_mean']:.3f}, streamed {s['cer_streamed_mean']:.3f} "
          f"({s['clips_split']} of {len(fixtures)} clips split into several finals)")
    print(f"single stream: end of voice→final p50 {s['voice_end_to_final_p50']:.3f}s "
          f"p95 {s['voice_end_to_final_p95']:.3f}s (includes the pause that ends the utterance); endpoint fired→final "
          f"p50 {s['endpoint_to_final_p50']:.3f}s p95 {s['endpoint_to_final_p95']:.3f}s; time to first partial "
          f"p50 {s['first_partial_p50']:.3f}s after speech start")
    for c in conc:
        print(f"  {c['streams']} streams: finals {c['finals']}/{c['expected_finals']}, end of voice→final "
              f"p50 {c['voice_end_to_final_p50']:.3f}s p95 {c['voice_end_to_final_p95']:.3f}s, endpoint→final p95 "
              f"{c['endpoint_to_final_p95']:.3f}s, first partial p50 {c['first_partial_p50']:.2f}s "
              f"p95 {c['first_partial_p95']:.2f}s, partials/utt {c['partials_per_utterance']:.1f}, "
              f"max event lag {c['max_event_lag_s']:.2f}s")
    print(f"sustained concurrent real-time streams (all finals, p95 end of voice→final): {sustained_06} within "
          f"0.6 s of the end of voice; {sustained_after} within 0.6 s after the {args.endpoint_ms} ms endpoint "
          f"silence (≤ {endpoint_s + 0.6:.1f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    rec.close()


if __name__ == "__main__":
    asyncio.run(main())
