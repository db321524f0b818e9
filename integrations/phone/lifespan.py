"""Start and stop the phone line with the app: the AudioSocket listener when ``PA_AUDIOSOCKET_PORT`` is set.

Wiring, in the app factory's lifespan: ``async with phone_lifespan(app): yield``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from asr.runtime import get_runtime
from integrations.phone.audiosocket import AudioSocketServer

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def phone_lifespan(app: Any, host: str = "0.0.0.0") -> AsyncIterator[AudioSocketServer | None]:  # noqa: S104
    settings = app.state.settings
    if getattr(app.state, "phone_calls", None) is None:
        app.state.phone_calls = []
    if settings.audiosocket_port is None:
        yield None
        return
    server = AudioSocketServer(app.state.engine, get_runtime(app.state),
                               call_options=getattr(app.state, "phone_call_options", None))
    port = await server.start(host, settings.audiosocket_port)
    app.state.audiosocket = server
    app.state.audiosocket_port = port
    log.info("AudioSocket listening", extra={"port": port})
    try:
        yield server
    finally:
        await server.close()
