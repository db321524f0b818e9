"""Shared helpers for the voice tests: fixture audio, synthesised speech, CER, and a live voice server."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from assistant.config import Settings

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "zh_speech"
if not FIXTURES.is_dir():
    FIXTURES = Settings().hospital_dir.parent / "fixtures" / "zh_speech"

# Sentences a caller might say; synthesised with the packaged voice for the tests.
SENTENCES = {
    "booking": "我想挂心血管内科的号。",
    "fever": "我发烧三天了，需要去发热门诊吗？",
    "human": "我要转人工。",
}


def read_wav(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes()), w.getframerate()


def write_wav(path: Path, pcm: bytes, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)


def transcripts() -> dict[str, str]:
    rows = (FIXTURES / "transcripts.tsv").read_text(encoding="utf-8").splitlines()[1:]
    out = {}
    for row in rows:
        cols = row.split("\t")
        if len(cols) > 1 and cols[1].strip():
            out[cols[0]] = cols[1].strip()
    return out


def telephone_copy(src: Path, dst: Path) -> Path:
    """An 8 kHz telephone-band (300–3400 Hz) copy made with sox."""
    subprocess.run(["sox", str(src), "-r", "8000", "-c", "1", "-b", "16", str(dst), "sinc", "300-3400"],
                   check=True, capture_output=True)
    return dst


from eval.voice import cer  # noqa: E402,F401  (one CER implementation, shared with the harness)


def build_voice_app(settings: Settings) -> Any:
    """The real app (its lifespan starts the AudioSocket listener when a port is set), with the speech
    models loaded before the first call."""
    from assistant.app import create_app

    app = create_app(settings)
    app.state.engine_kind = "real"
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any):  # type: ignore[no-untyped-def]
        from asr.runtime import get_runtime

        async with inner(a) as state:
            await get_runtime(a.state).warm_up()  # load whisper and the voice before the first call
            yield state

    app.router.lifespan_context = lifespan
    return app


@contextlib.contextmanager
def voice_server(settings: Settings, call_options: dict[str, Any] | None = None) -> Iterator[tuple[str, Any]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = build_voice_app(settings)
    if call_options:
        app.state.phone_call_options = call_options
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            ws_max_size=1 << 22)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.started:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
        if not thread.is_alive():
            raise RuntimeError("server thread died during start-up")
        time.sleep(0.05)
    else:
        raise RuntimeError("server did not start in time")
    try:
        yield base, app
    finally:
        server.should_exit = True
        thread.join(timeout=20)
