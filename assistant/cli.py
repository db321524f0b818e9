"""The ``patient-assistant`` command: serve, ingest, eval, chat, serve-llm."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from assistant.config import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.app import create_app

    settings = _settings(args)
    if not (settings.hospital_dir / "data" / "departments.csv").is_file():
        print(f"error: no hospital data at {settings.hospital_dir} (set PA_HOSPITAL_DIR)", file=sys.stderr)
        return 2
    print(f"Patient assistant on http://{settings.host}:{settings.port}/  (data in {settings.data_dir.resolve()})", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning", ws_max_size=1 << 20)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.app import build_engine, build_services
    from assistant.errors import AppError
    from assistant.events import UserText
    from assistant.logging import setup_logging

    settings = _settings(args)
    setup_logging("WARNING", json_format=False)

    async def main() -> None:
        services = await build_services(settings)
        engine = build_engine(services)
        print("正在加载医院资料… (loading the hospital's documents)", flush=True)
        await services.kb.ensure_loaded()
        session_id = None
        print("小滨 · 滨江示例人民医院智能助手。输入问题，空行或 Ctrl-D 退出。 (Type in Chinese or English; empty line quits.)")
        while True:
            try:
                line = await asyncio.to_thread(input, "您> ")
            except (EOFError, KeyboardInterrupt):
                break
            if not line.strip():
                break
            try:
                reply = await engine.handle(UserText(session_id=session_id, text=line, channel="web"))
            except AppError as exc:
                print(f"[{exc.code}] {exc.message}")
                continue
            session_id = reply.session_id
            print(f"小滨> {reply.reply}")
            extras = []
            if reply.triage:
                extras.append(f"分诊: {reply.triage.level} → {reply.triage.department or '-'}")
            if reply.citations:
                extras.append("来源: " + "; ".join(c.title for c in reply.citations))
            if reply.escalated:
                extras.append(f"已转人工 ({reply.escalation_id})")
            if extras:
                print("      " + " | ".join(extras))
        await services.bus.close()
        await services.db.close()

    asyncio.run(main())
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from rag.cli import ingest_main

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"error: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    report = ingest_main([Path(p) for p in args.paths], _settings(args))
    return 1 if report.skipped and not report.documents else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.cli import eval_main

    return eval_main(args)


def cmd_serve_llm(args: argparse.Namespace) -> int:
    from assistant.llm.vllm import serve_llm_main

    return serve_llm_main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="patient-assistant", description="The hospital's patient assistant.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the service on the embedded defaults")
    p.add_argument("--host", default=os.environ.get("PA_HOST"))
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--data-dir", default=None)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("ingest", help="ingest documents and hospital data into the knowledge base")
    p.add_argument("paths", nargs="+")
    p.add_argument("--data-dir", default=None)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("eval", help="run the evaluation harness and write a report")
    p.add_argument("--suite", action="append", default=None, help="suite name (repeatable); default: all")
    p.add_argument("--report", default="eval-report", help="report directory")
    p.add_argument("--url", default=None, help="evaluate a running server instead of in-process")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--transport", choices=["http", "ws"], default="http", help="with --url: chat over HTTP or the WebSocket")
    p.add_argument("--suites-dir", default=None, help="a directory of suite files (default: the packaged suites)")
    p.add_argument("--judge-url", default=None, help="an OpenAI-compatible LLM for `judge:` rubrics (verdicts cached)")
    p.add_argument("--judge-model", default="judge", help="the model name at --judge-url")
    p.add_argument("--gate", action="store_true", help="exit non-zero when a threshold is missed")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("chat", help="a terminal chat against the same engine")
    p.add_argument("--data-dir", default=None)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve-llm", help="start the production vLLM server with this product's settings")
    p.add_argument("--model", default=None)
    p.add_argument("--served-model-name", default=None)
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--max-model-len", type=int, default=None)
    p.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    p.set_defaults(func=cmd_serve_llm)

    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
