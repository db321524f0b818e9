"""``WS /ws/voice`` over a real socket against the real engine: transcripts, replies, speech, bad input."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import pytest
import websockets
from voice_helpers import FIXTURES, cer, read_wav, voice_server

from assistant.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory, whisper_dir, recognizer):
    settings = Settings(data_dir=tmp_path_factory.mktemp("voice"), environment="test", llm_enabled=False,
                        whisper_model_dir=whisper_dir)
    with voice_server(settings) as (base, app):
        yield base.replace("http://", "ws://")


async def talk(url, audio: bytes, start: dict, *, chunk=640, pace=0.0, stop=True, until_reply=True):
    """Send start, audio, stop; collect JSON messages and binary frames until stopped (or a timeout)."""
    msgs: list[dict] = []
    binary: list[bytes] = []
    async with websockets.connect(url + "/ws/voice", max_size=1 << 22) as ws:
        await ws.send(json.dumps(start))

        async def sender():
            for i in range(0, len(audio), chunk):
                await ws.send(audio[i : i + chunk])
                await asyncio.sleep(pace)
            if stop:
                await ws.send(json.dumps({"type": "stop"}))

        task = asyncio.create_task(sender())
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=deadline - time.monotonic())
            except TimeoutError:
                break
            if isinstance(raw, bytes):
                binary.append(raw)
                continue
            msg = json.loads(raw)
            msgs.append(msg)
            if msg["type"] == "stopped" or (not stop and until_reply and msg["type"] == "reply"):
                break
        await task
    return msgs, binary


async def test_fixture_speech_gives_partials_final_and_reply(server):
    pcm, _ = read_wav(FIXTURES / "funasr_asr_example.wav")
    audio = bytes(16000) + pcm + bytes(48000)
    msgs, _ = await talk(server, audio, {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "lang": "zh"},
                         pace=640 / 32000)
    kinds = [m["type"] for m in msgs]
    assert kinds[0] == "started" and "partial" in kinds
    final = next(m for m in msgs if m["type"] == "final")
    assert cer("欢迎大家来体验达摩院推出的语音识别模型", final["text"]) < 0.3
    reply = next(m for m in msgs if m["type"] == "reply")
    assert kinds.index("final") < kinds.index("reply") < kinds.index("stopped")
    assert reply["session_id"].startswith("s-") and reply["reply"] and "intent" in reply


async def test_synthesised_question_answered_with_speech(server, synth_dir):
    pcm, _ = read_wav(synth_dir / "booking.wav")
    msgs, binary = await talk(server, bytes(8000) + pcm + bytes(48000),
                              {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "lang": "zh", "tts": True},
                              stop=False, until_reply=False)
    final = next(m for m in msgs if m["type"] == "final")
    assert cer("我想挂心血管内科的号", final["text"]) < 0.3
    reply = next(m for m in msgs if m["type"] == "reply")
    assert reply["intent"] == "booking", reply
    assert any(m["type"] == "speech_start" for m in msgs) and sum(len(b) for b in binary) > 16000  # > 0.5 s


async def test_mulaw_8k_telephone_copy(server, synth_dir):
    import numpy as np

    from asr.audio import mulaw_encode

    pcm, rate = read_wav(synth_dir / "fever_8k.wav")
    mu = mulaw_encode(np.frombuffer(bytes(8000) + pcm + bytes(24000), dtype="<i2"))
    msgs, _ = await talk(server, mu, {"type": "start", "sample_rate": 8000, "encoding": "mulaw", "lang": "zh"}, chunk=160)
    final = next(m for m in msgs if m["type"] == "final")
    assert cer("我发烧三天了，需要去发热门诊吗？", final["text"]) < 0.35


async def test_bad_input_gets_errors_not_a_dead_socket(server):
    async with websockets.connect(server + "/ws/voice") as ws:
        await ws.send(b"\x00\x01\x02")  # audio before start
        assert json.loads(await ws.recv())["error"]["code"] == "not_started"
        await ws.send("not json")
        assert json.loads(await ws.recv())["error"]["code"] == "bad_message"
        await ws.send(json.dumps({"type": "start", "sample_rate": 16000, "encoding": "opus"}))
        assert json.loads(await ws.recv())["error"]["code"] == "bad_start"
        await ws.send(json.dumps({"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le"}))
        assert json.loads(await ws.recv())["type"] == "started"
        for size in (1, 3, 641, 1001):  # odd-length frames
            await ws.send(bytes(size))
        await ws.send(json.dumps({"type": "stop"}))
        assert json.loads(await ws.recv())["type"] == "stopped"


async def test_stop_mid_utterance_and_disconnect_mid_reply(server, synth_dir):
    pcm, _ = read_wav(FIXTURES / "paddlespeech_zh.wav")
    msgs, _ = await talk(server, bytes(8000) + pcm[: len(pcm) // 2],
                         {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le"})
    assert any(m["type"] == "final" and m["text"].startswith("我认为") for m in msgs)
    pcm, _ = read_wav(synth_dir / "fever.wav")
    for _ in range(3):  # hang up while the reply is being produced and spoken; the server carries on
        async with websockets.connect(server + "/ws/voice") as ws:
            await ws.send(json.dumps({"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "tts": True}))
            await ws.send(bytes(8000) + pcm + bytes(32000))
            await asyncio.sleep(0.8)
    msgs, _ = await talk(server, bytes(8000) + pcm + bytes(32000), {"type": "start", "sample_rate": 16000})
    assert any(m["type"] == "reply" for m in msgs)


async def test_speaking_over_the_reply_stops_it(server, synth_dir):
    q, _ = read_wav(synth_dir / "fever.wav")
    async with websockets.connect(server + "/ws/voice", max_size=1 << 22) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "tts": True}))
        await ws.send(bytes(8000) + q + bytes(32000))
        seen: list[str] = []
        while "speech_start" not in seen:
            raw = await asyncio.wait_for(ws.recv(), 60)
            if isinstance(raw, str):
                seen.append(json.loads(raw)["type"])
        b, _ = read_wav(synth_dir / "human.wav")
        for i in range(0, len(b), 3200):  # the patient talks over the assistant, in real time
            await ws.send(b[i : i + 3200])
            await asyncio.sleep(0.1)
        frames_after_barge_in = 0
        while "barge_in" not in seen:
            raw = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(raw, str):
                seen.append(json.loads(raw)["type"])
        # The server tells the page to stop playing (it may already have sent every frame: a short
        # reply is sent faster than it is played), and sends no more of that reply's audio.
        with contextlib.suppress(TimeoutError):
            while True:
                raw = await asyncio.wait_for(ws.recv(), 1.0)
                if isinstance(raw, bytes):
                    frames_after_barge_in += 1
                elif json.loads(raw)["type"] in ("partial", "final", "reply"):
                    break  # the patient's new utterance, not the old reply
        assert seen.index("barge_in") > seen.index("speech_start")
        assert frames_after_barge_in == 0
