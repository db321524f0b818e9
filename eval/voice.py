"""The voice suite: speech (fixture recordings or sentences spoken by the packaged voice) streamed through
``WS /ws/voice`` of a running server, each turn judged on its transcript (CER) and on its reply.

Suite data: ``voice_cases: [{id, tags?, turns: [{audio? | speak?, phone?, realtime?, expect: {transcript?,
transcript_cer_max?, <the text harness's expectations>}}]}]`` beside ``cases: []`` (so the text harness
skips them). ``audio`` is a WAV under ``../shared/fixtures/zh_speech`` or a path relative to the suite;
``speak`` is synthesised; ``phone: true`` sends an 8 kHz telephone-band μ-law copy. Results have the
harness's per-turn shape; the transcript is the reply's input, so a misheard turn fails its reply too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from eval.judges import judge_turn

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "zh_speech"
VOICE_KEYS = {"transcript", "transcript_cer_max"}  # judged here, not by judge_turn
TURN_TIMEOUT_S = 120.0
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_speech_cache: dict[str, np.ndarray] = {}


def cer(ref: str, hyp: str) -> float:
    """Character error rate, punctuation and spaces ignored."""
    r, h = _PUNCT.sub("", ref), _PUNCT.sub("", hyp)
    if not r:
        return 0.0 if not h else 1.0
    prev = list(range(len(h) + 1))
    for i, rc in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hc in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rc != hc))
        prev = cur
    return prev[-1] / len(r)


def _fixture_dirs() -> list[Path]:
    dirs = [FIXTURES]
    with contextlib.suppress(Exception):
        from assistant.config import Settings

        dirs.append(Settings().hospital_dir.parent / "fixtures" / "zh_speech")
    return dirs


def resolve_audio(name: str, suite_path: Path) -> Path:
    p = Path(name)
    for cand in ([p] if p.is_absolute() else [suite_path.parent / p, *(d / p for d in _fixture_dirs())]):
        if cand.is_file():
            return cand
    raise FileNotFoundError(f"voice suite audio {name!r} not found beside {suite_path} or in the fixtures")


def fixture_reference(path: Path) -> str | None:
    """The transcript of a fixture recording from its directory's transcripts.tsv, if there is one."""
    tsv = path.parent / "transcripts.tsv"
    if not tsv.is_file():
        return None
    for row in tsv.read_text(encoding="utf-8").splitlines()[1:]:
        cols = row.split("\t")
        if cols[0] == path.name and len(cols) > 1 and cols[1].strip():
            return cols[1].strip()
    return None


def read_wav(path: Path) -> np.ndarray:
    """Mono float32 at 16 kHz."""
    from asr.audio import pcm16_to_float, resample

    with wave.open(str(path)) as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        pcm = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
    x = pcm16_to_float(pcm)
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    return resample(x, rate, 16000)


async def speak(text: str) -> np.ndarray:
    """``text`` spoken by the packaged voice (espeak-ng when it is missing), 16 kHz float32; cached."""
    if text not in _speech_cache:
        from asr.audio import pcm16_to_float
        from asr.tts import Speaker, VoiceOptions, load_engine

        engine = await asyncio.to_thread(load_engine, "auto")
        pcm = await Speaker(engine, VoiceOptions(sample_rate=16000, pause_ms=0)).synthesize(text)
        _speech_cache[text] = pcm16_to_float(pcm)
    return _speech_cache[text]


def telephone(x16k: np.ndarray) -> bytes:
    """An 8 kHz, 300–3400 Hz, G.711 μ-law copy (what a phone line delivers)."""
    from scipy.signal import butter, sosfilt

    from asr.audio import mulaw_encode, resample

    x = resample(x16k, 16000, 8000)
    x = sosfilt(butter(4, [300, 3400], btype="bandpass", fs=8000, output="sos"), x)
    return mulaw_encode((np.clip(x, -1, 1) * 32767).astype(np.int16))


async def stream_turn(
    ws: Any, wire: bytes, start: dict[str, Any], *, realtime: bool, bytes_per_s: int
) -> tuple[list[str], int, dict[str, Any] | None, list[dict[str, Any]], float]:
    """One turn over an open socket: start, audio, stop. Returns finals, partial count, the last reply,
    errors, and seconds from stop to that reply (0 when it came before stop)."""
    await ws.send(json.dumps(start))
    chunk = bytes_per_s // 50  # 20 ms frames
    finals: list[str] = []
    errors: list[dict[str, Any]] = []
    partials = 0
    reply: dict[str, Any] | None = None
    reply_at: float | None = None
    stop_at: float | None = None

    async def send() -> None:
        nonlocal stop_at
        t0 = time.monotonic()
        for i in range(0, len(wire), chunk):
            await ws.send(wire[i : i + chunk])
            if realtime:
                await asyncio.sleep(max(0.0, t0 + (i + chunk) / bytes_per_s - time.monotonic()))
            elif i % (chunk * 50) == 0:
                await asyncio.sleep(0)
        stop_at = time.monotonic()
        await ws.send(json.dumps({"type": "stop"}))

    sender = asyncio.create_task(send())
    try:
        deadline = time.monotonic() + TURN_TIMEOUT_S + (len(wire) / bytes_per_s if realtime else 0)
        while True:
            raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic()))
            if isinstance(raw, bytes):
                continue  # speech of the reply
            msg = json.loads(raw)
            kind = msg.get("type")
            if kind == "partial":
                partials += 1
            elif kind == "final":
                finals.append(msg.get("text", ""))
            elif kind == "reply":
                reply = {k: v for k, v in msg.items() if k != "type"}
                reply_at = time.monotonic()
            elif kind == "error":
                errors.append(msg.get("error") or msg)
                if (msg.get("error") or {}).get("code") == "bad_start":
                    break  # no stream was opened: nothing more will come for this turn
            elif kind == "stopped" and sender.done():
                break
    finally:
        if not sender.done():
            sender.cancel()
        with contextlib.suppress(BaseException):
            await sender
    latency = max(0.0, (reply_at or 0.0) - (stop_at or 0.0)) if reply_at else float("nan")
    return finals, partials, reply, errors, latency


async def _turn_audio(turn: dict[str, Any], suite_path: Path) -> tuple[np.ndarray, str | None]:
    expect = turn.get("expect") or {}
    if turn.get("audio"):
        path = resolve_audio(str(turn["audio"]), suite_path)
        return read_wav(path), expect.get("transcript") or fixture_reference(path)
    if turn.get("speak"):
        return await speak(str(turn["speak"])), expect.get("transcript") or str(turn["speak"])
    raise ValueError("a voice turn needs 'audio' or 'speak'")


async def run_voice_case(base_url: str, suite: str, case: dict[str, Any], suite_path: Path) -> list[dict[str, Any]]:
    import websockets

    url = base_url.rstrip("/").replace("http", "ws", 1) + "/ws/voice"
    cid, tags = str(case["id"]), [str(t) for t in case.get("tags") or []]
    results: list[dict[str, Any]] = []
    session_id: str | None = None
    async with websockets.connect(url, max_size=1 << 24) as ws:
        for i, turn in enumerate(case.get("turns") or []):
            expect = dict(turn.get("expect") or {})
            judged = {k: v for k, v in expect.items() if k not in VOICE_KEYS}
            row: dict[str, Any] = {"suite": suite, "case": cid, "tags": tags, "kind": "turn", "turn": i, "text": "",
                                   "expect": judged, "reply": None, "latency": None, "fails": []}
            try:
                audio, reference = await _turn_audio(turn, suite_path)
            except (OSError, ValueError, RuntimeError) as exc:
                row["fails"].append(f"audio: {exc}")
                results.append(row)
                continue
            phone = bool(turn.get("phone"))
            pad = np.zeros(int(16000 * 0.4), np.float32)  # a little room either side, less than an endpoint
            x = np.concatenate([pad, audio, pad])
            if phone:
                wire, rate, enc, bps = telephone(x), 8000, "mulaw", 8000
            else:
                from asr.audio import float_to_pcm16

                wire, rate, enc, bps = float_to_pcm16(x), 16000, "pcm_s16le", 32000
            start = {"type": "start", "sample_rate": rate, "encoding": enc, "lang": turn.get("lang") or "zh"}
            if session_id:
                start["session_id"] = session_id
            try:
                finals, partials, reply, errors, latency = await stream_turn(
                    ws, wire, start, realtime=bool(turn.get("realtime", False)), bytes_per_s=bps)
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                row["fails"].append(f"voice socket: {type(exc).__name__} {exc}")
                results.append(row)
                break
            text = "".join(finals)
            row.update(text=text, reply=reply, latency=latency)
            row["voice"] = {"finals": finals, "partials": partials, "reference": reference, "phone": phone,
                            "audio_s": round(len(audio) / 16000, 2), "cer": None}
            fails = row["fails"]
            fails += [f"server error {e.get('code')}: {e.get('message')}" for e in errors]
            if not finals:
                fails.append("no final transcript")
            if reference is not None:
                row["voice"]["cer"] = round(cer(reference, text), 3)
                limit = expect.get("transcript_cer_max")
                if limit is not None and row["voice"]["cer"] > float(limit):
                    fails.append(f"transcript CER {row['voice']['cer']:.2f} > {limit} (heard {text!r})")
            elif "transcript_cer_max" in expect:
                fails.append("transcript_cer_max without a reference transcript")
            if reply is None:
                if finals:
                    fails.append("no reply")
            else:
                session_id = reply.get("session_id", session_id)
                fails += judge_turn(judged, reply)
            results.append(row)
    return results


def load_voice_cases(suite_path: Path) -> tuple[str, list[dict[str, Any]]]:
    data = yaml.safe_load(Path(suite_path).read_text(encoding="utf-8")) or {}
    cases = data.get("voice_cases") or []
    seen: set[str] = set()
    for c in cases:
        if not c.get("id") or c["id"] in seen or not c.get("turns"):
            raise ValueError(f"{suite_path}: voice case {c.get('id')!r} needs a unique id and turns")
        seen.add(c["id"])
    return str(data.get("suite") or Path(suite_path).stem), cases


async def run_voice_suite(base_url: str, suite_path: Path) -> list[dict]:
    """Stream every voice case of ``suite_path`` through ``WS /ws/voice`` at ``base_url``; one result per turn.

    The suite's fixed ``clock`` is not applied: a running server keeps its own clock.
    """
    suite, cases = load_voice_cases(Path(suite_path))
    results: list[dict] = []
    for case in cases:
        try:
            results += await run_voice_case(base_url, suite, case, Path(suite_path))
        except (TimeoutError, OSError) as exc:  # the server is unreachable: every turn fails, no crash
            results += [{"suite": suite, "case": str(case["id"]), "tags": list(case.get("tags") or []),
                         "kind": "turn", "turn": i, "text": "", "expect": {}, "reply": None, "latency": None,
                         "fails": [f"voice socket: {type(exc).__name__} {exc}"]}
                        for i, _ in enumerate(case.get("turns") or [])]
    return results
