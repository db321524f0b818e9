"""Ingestion of every supported format into a real on-disk Chroma; re-ingest replaces; delete works."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from rag.knowledge import KnowledgeBase

pytestmark = pytest.mark.integration


def write_fixtures(d: Path) -> dict[str, Path]:
    d.mkdir(parents=True, exist_ok=True)
    md = d / "canteen.md"
    md.write_text('---\nid: canteen_hours\ntitle: 食堂开放时间\nupdated: "2026-11-01"\n---\n\n# 食堂\n\n## 开放时间\n\n'
                  "- 职工食堂早餐06:30-08:30。\n- 夜宵窗口开放到23:00。\n", encoding="utf-8")
    html = d / "flu.html"
    html.write_text("<html><head><title>流感疫苗接种</title><meta name='doc-id' content='flu_vaccine'></head><body>"
                    "<h1>流感疫苗接种</h1><h2>接种地点</h2><p>流感疫苗在6号楼2楼预防接种门诊接种。</p>"
                    "<h2>费用</h2><table><tr><th>疫苗</th><th>价格</th></tr><tr><td>四价流感疫苗</td><td>128元</td></tr></table>"
                    "<script>alert('x')</script></body></html>", encoding="utf-8")
    txt = d / "lost_and_found.txt"
    txt.write_text("失物招领补充说明\n雨伞和水杯在1号楼1楼门诊服务中心保管14天。过期物品统一捐赠。\n", encoding="utf-8")

    import docx

    document = docx.Document()
    document.core_properties.title = "母婴室使用须知"
    document.add_heading("母婴室使用须知", level=1)
    document.add_paragraph("母婴室每天07:00-21:00开放，内有温奶器和尿布台。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "楼宇", "楼层"
    table.cell(1, 0).text, table.cell(1, 1).text = "6号楼", "每层"
    docx_path = d / "nursing_room.docx"
    document.save(str(docx_path))

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf_path = d / "blood_donation.pdf"
    c = canvas.Canvas(str(pdf_path))
    c.setTitle("无偿献血")
    c.setFont("STSong-Light", 12)
    c.drawString(50, 800, "无偿献血屋设在3号楼1楼，每周三上午09:00-11:30开放。")
    c.drawString(50, 780, "The blood donation room opens on Wednesdays 09:00-11:30.")
    c.save()
    return {"md": md, "html": html, "txt": txt, "docx": docx_path, "pdf": pdf_path}


async def test_each_format_is_ingested_and_answerable(fresh_settings: Settings, tmp_path: Path) -> None:
    files = write_fixtures(tmp_path / "src")
    kb = KnowledgeBase(fresh_settings)
    report = await kb.ingest(list(files.values()), progress=False)
    assert report.skipped == []
    assert sorted(report.documents) == ["blood_donation", "canteen_hours", "flu_vaccine", "lost_and_found", "nursing_room"]
    docs = {d["doc_id"]: d for d in await kb.list_documents()}
    assert docs["canteen_hours"]["title"] == "食堂开放时间" and docs["canteen_hours"]["updated"] == "2026-11-01"
    assert docs["flu_vaccine"]["title"] == "流感疫苗接种"
    assert docs["nursing_room"]["title"] == "母婴室使用须知"
    assert docs["blood_donation"]["title"] == "无偿献血"

    hits = await kb.search("流感疫苗多少钱")
    assert hits[0].doc_id == "flu_vaccine"
    assert any("128元" in h.chunk.text and "费用" in h.chunk.heading for h in hits)
    assert all("alert" not in h.chunk.text for h in hits)  # scripts are dropped
    assert (await kb.search("献血屋什么时候开"))[0].doc_id == "blood_donation"
    assert (await kb.search("母婴室几点开放"))[0].doc_id == "nursing_room"
    assert (await kb.search("丢的雨伞保管几天"))[0].doc_id == "lost_and_found"
    canteen = (await kb.search("职工食堂早餐时间"))[0]
    assert canteen.doc_id == "canteen_hours" and canteen.chunk.heading_path == ("食堂", "开放时间")


async def test_reingest_replaces_and_delete_removes(fresh_settings: Settings, tmp_path: Path) -> None:
    kb = KnowledgeBase(fresh_settings)
    path = tmp_path / "notice.md"
    path.write_text("---\nid: notice\ntitle: 通知\n---\n# 通知\n\n停车场B3层暂停开放。\n\n## 第二节\n\n充电桩在B1层。\n", encoding="utf-8")
    first = await kb.ingest([path], progress=False)
    assert first.replaced == [] and first.chunks == 2
    path.write_text("---\nid: notice\ntitle: 通知(新)\n---\n# 通知\n\n停车场B3层恢复开放。\n", encoding="utf-8")
    second = await kb.ingest([path], progress=False)
    assert second.replaced == ["notice"]
    docs = await kb.list_documents()
    assert docs == [{"doc_id": "notice", "title": "通知(新)", "updated": "", "source": str(path), "kind": "doc", "chunks": 1}]
    texts = [h.chunk.text for h in await kb.search("停车场B3层")]
    assert texts == ["停车场B3层恢复开放。"]  # the old chunks are gone from both indexes

    # a second process (e.g. `patient-assistant ingest`) sees the same persistent index
    other = KnowledgeBase(fresh_settings)
    assert [d["doc_id"] for d in await other.list_documents()] == ["notice"]

    assert await kb.delete("notice") is True
    assert await kb.delete("notice") is False
    assert await kb.list_documents() == []
    assert await kb.search("停车场B3层") == []


async def test_unsupported_and_unreadable_files_are_reported(fresh_settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "image.png"
    bad.write_bytes(b"\x89PNG")
    report = await KnowledgeBase(fresh_settings).ingest([bad], progress=False)
    assert report.documents == [] and len(report.skipped) == 1 and "unsupported" in report.skipped[0]


async def test_hospital_data_become_records(fresh_settings: Settings, hospital_dir: Path) -> None:
    kb = KnowledgeBase(fresh_settings)
    report = await kb.ingest([hospital_dir / "data" / "doctors.csv"], progress=False)
    assert sorted(report.documents) == ["data_departments", "data_doctors", "data_fee_items", "data_lab_reference"]
    docs = {d["doc_id"]: d["chunks"] for d in await kb.list_documents()}
    assert docs == {"data_departments": 25, "data_doctors": 62, "data_fee_items": 48, "data_lab_reference": 61}
    hit = (await kb.search("沈知衡医生什么时候出诊 挂号费"))[0]
    assert hit.doc_id == "data_doctors" and "沈知衡" in hit.chunk.text
    assert "周一上午08:00-12:00" in hit.chunk.text and "50元" in hit.chunk.text
    peds = next(h for h in await kb.search("儿科 接诊年龄 位置") if h.doc_id == "data_departments")
    assert "0-13岁" in peds.chunk.text and "6号楼" in peds.chunk.text
