"""Server mode: the knowledge base on a real ``chroma run`` process via HttpClient (PA_CHROMA_URL)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from rag.knowledge import KnowledgeBase

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "chroma.log").read_text()
            assert time.monotonic() < deadline, "chroma run did not start"
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        log.close()


async def test_knowledge_base_over_http(chroma_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", environment="test", chroma_url=chroma_url, llm_enabled=False)
    kb = KnowledgeBase(settings)
    doc = tmp_path / "parking.md"
    doc.write_text("---\nid: parking_notice\ntitle: 停车通知\n---\n# 停车\n\n## 收费\n\n"
                   "停车30分钟以内免费。30分钟至2小时收5元。\n\n## 充电\n\n地下停车场B2层有12个充电车位。\n", encoding="utf-8")
    report = await kb.ingest([doc], progress=False)
    assert report.documents == ["parking_notice"] and report.chunks == 2
    assert not (settings.data_dir / "chroma").exists()  # nothing on local disk: the server holds it

    answer = await kb.answer("停车场哪里可以充电")
    assert not answer.abstained and "B2" in answer.text
    assert answer.citations[0]["doc_id"] == "parking_notice"

    # a second client (another worker or the CLI) sees the same server-side index
    other = KnowledgeBase(settings)
    assert [d["doc_id"] for d in await other.list_documents()] == ["parking_notice"]
    assert (await other.search("停车收费"))[0].chunk.heading_path == ("停车", "收费")

    assert await other.delete("parking_notice")
    kb._checked = 0.0  # skip the refresh interval: the first client notices the change at once
    assert await kb.list_documents() == []
