"""``patient-assistant serve-llm``: start vLLM's OpenAI-compatible server with this product's settings.

Production runs a stronger instruction model on a GPU (default Qwen/Qwen2.5-7B-Instruct; any chat
model with a template works, e.g. a medical fine-tune) and points the assistant at it with
``PA_LLM_BASE_URL=http://HOST:PORT/v1`` and ``PA_LLM_MODEL=<served name>``. vLLM is an optional extra
(``pip install vllm``); without it this command explains how to get it and exits with status 2.

Choices, and why:
- ``--served-model-name`` = ``PA_LLM_MODEL`` so the assistant's client needs no change per model;
- ``--max-model-len 8192``: a prompt is a system rule block, five retrieved passages and a question
  (under 3k tokens); 8k leaves room for a conversation summary and keeps the KV cache small;
- ``--gpu-memory-utilization 0.90``, ``--max-num-seqs 64``: many short concurrent patient turns;
- ``--enable-prefix-caching``: every request starts with the same system prompt;
- ``--generation-config vllm``: our temperatures, not the model repository's defaults;
- ``--api-key`` from ``PA_LLM_API_KEY`` when set, so the port is not open to anyone on the network;
- ``--disable-log-requests``: prompts contain patient text, which must not reach the server logs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from collections.abc import Sequence

from assistant.config import Settings, get_settings

DEFAULT_MODEL = "Qwen/Qwen2.5-7B-Instruct"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="patient-assistant serve-llm", description="Start vLLM for the assistant.")
    p.add_argument("--model", default=os.environ.get("PA_VLLM_MODEL", DEFAULT_MODEL),
                   help="model repository id or local path (default: %(default)s)")
    p.add_argument("--served-model-name", default=None, help="name clients ask for (default: PA_LLM_MODEL)")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--max-model-len", type=int, default=8192)
    p.add_argument("--tensor-parallel-size", type=int, default=1)
    p.add_argument("--gpu-memory-utilization", type=float, default=0.90)
    p.add_argument("--max-num-seqs", type=int, default=64)
    p.add_argument("--dtype", default="auto")
    p.add_argument("--quantization", default=None, help="e.g. awq or gptq for a quantised checkpoint")
    p.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    p.add_argument("extra", nargs=argparse.REMAINDER, help="further arguments passed to vllm serve after --")
    return p


def vllm_command(args: argparse.Namespace, settings: Settings) -> list[str]:
    exe = shutil.which("vllm")
    cmd = [exe] if exe else [sys.executable, "-m", "vllm.entrypoints.cli.main"]
    cmd += ["serve", args.model,
            "--served-model-name", args.served_model_name or settings.llm_model,
            "--max-model-len", str(args.max_model_len),
            "--host", args.host, "--port", str(args.port),
            "--tensor-parallel-size", str(args.tensor_parallel_size),
            "--gpu-memory-utilization", str(args.gpu_memory_utilization),
            "--max-num-seqs", str(args.max_num_seqs),
            "--dtype", args.dtype,
            "--enable-prefix-caching",
            "--generation-config", "vllm",
            "--disable-log-requests"]
    if args.quantization:
        cmd += ["--quantization", args.quantization]
    if settings.llm_api_key and settings.llm_api_key != "not-needed":
        cmd += ["--api-key", settings.llm_api_key]
    extra = [a for a in (args.extra or []) if a != "--"]
    return cmd + extra


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None or shutil.which("vllm") is not None


def serve_llm_main(argv: Sequence[str] | argparse.Namespace | None = None, settings: Settings | None = None) -> int:
    """Entry point for ``patient-assistant serve-llm``; returns the exit status."""
    args = argv if isinstance(argv, argparse.Namespace) else build_parser().parse_args(list(argv or []))
    settings = settings or get_settings()
    cmd = vllm_command(args, settings)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    if not vllm_available():
        print("error: vLLM is not installed. It is an optional extra for GPU servers:\n"
              "    pip install 'vllm'        # needs a CUDA GPU\n"
              "Then run this command again, and point the assistant at it with\n"
              f"    PA_LLM_BASE_URL=http://<host>:{args.port}/v1 PA_LLM_MODEL={args.served_model_name or settings.llm_model}\n"
              "Without it the assistant uses the embedded llama.cpp model.", file=sys.stderr)
        return 2
    print("starting:", " ".join(cmd), flush=True)
    os.execvp(cmd[0], cmd)  # replace this process: signals go straight to vLLM
    return 0  # pragma: no cover
