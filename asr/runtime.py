"""The voice runtime built once per process: the shared recogniser and speaker, and new speech streams.

Kept on the app's state (``app.state.voice``) and loaded lazily in worker threads, so the first call
to ``/ws/voice`` or the phone line pays the ~1 s model load, not the service start.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from asr.stream import SpeechStream
from asr.tts import PHONE_VOICE, Speaker, VoiceOptions, load_engine
from asr.whisper import Recognizer, build_initial_prompt, get_recognizer

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.hospital import HospitalData


class VoiceRuntime:
    def __init__(self, settings: Settings, hospital: HospitalData | None = None) -> None:
        self.settings, self.hospital = settings, hospital
        self.prompt = build_initial_prompt(hospital)
        self._recognizer: Recognizer | None = None
        self._speaker: Speaker | None = None
        self._lock = asyncio.Lock()

    async def recognizer(self) -> Recognizer:
        if self._recognizer is None:
            async with self._lock:
                if self._recognizer is None:
                    self._recognizer = await asyncio.to_thread(get_recognizer, self.settings, self.hospital)
        return self._recognizer

    async def speaker(self) -> Speaker:
        if self._speaker is None:
            engine = await asyncio.to_thread(load_engine, self.settings.tts_engine)
            self._speaker = Speaker(engine)
        return self._speaker

    async def warm_up(self) -> None:
        await asyncio.gather(self.recognizer(), self.speaker())

    async def new_stream(
        self, *, sample_rate: int, encoding: str = "pcm_s16le", language: str | None = None, phone: bool = False
    ) -> SpeechStream:
        s = self.settings
        return SpeechStream(
            await self.recognizer(),
            sample_rate=sample_rate,
            encoding=encoding,
            language=language or s.asr_language,
            endpoint_silence_ms=s.asr_phone_endpoint_silence_ms if phone else s.asr_endpoint_silence_ms,
            prompt=self.prompt,
        )

    def voice_options(self, *, phone: bool, sample_rate: int) -> VoiceOptions:
        if phone:
            return VoiceOptions(speed=self.settings.tts_phone_speed, volume=PHONE_VOICE.volume,
                                sample_rate=sample_rate, pause_ms=PHONE_VOICE.pause_ms)
        return VoiceOptions(sample_rate=sample_rate)


def get_runtime(state: Any) -> VoiceRuntime:
    """The runtime on an app's ``state`` (created on first use from its settings and hospital)."""
    runtime = getattr(state, "voice", None)
    if runtime is None:
        services = getattr(state, "services", None)
        settings = getattr(state, "settings", None) or services.settings
        runtime = VoiceRuntime(settings, getattr(services, "hospital", None))
        state.voice = runtime
    return runtime
