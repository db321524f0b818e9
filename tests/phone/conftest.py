"""Phone tests share the voice fixtures (packaged Whisper assembled once, synthesised speech)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "asr"))

from tests.asr.conftest import recognizer, synth_dir, whisper_dir  # noqa: E402,F401  (fixtures)
