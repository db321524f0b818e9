"""Load source files into :class:`LoadedDocument`: Markdown (YAML front matter), HTML, PDF, DOCX, TXT,
generic CSV, and the hospital's structured data as one retrievable record per department, doctor,
fee item and lab reference row."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import docx
import docx.table
import docx.text.paragraph
import yaml

from assistant.hospital import HospitalData, load_hospital
from rag.types import LoadedDocument

SUPPORTED = {".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt", ".csv"}
_HOSPITAL_CSVS = {"departments.csv", "doctors.csv", "schedule.csv", "fee_items.csv", "lab_reference.csv"}
_WEEKDAYS = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}
_SESSIONS = {"AM": "上午08:00-12:00", "PM": "下午13:30-17:00", "NIGHT": "夜间18:00-21:00"}


class UnsupportedFormat(ValueError):
    pass


def slug(stem: str) -> str:
    s = re.sub(r"[^\w\-]+", "_", stem.strip(), flags=re.UNICODE).strip("_")
    return s or "document"


def _split_front_matter(text: str) -> tuple[dict, str]:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            meta = yaml.safe_load(text[3:end]) or {}
            body = text[end + 4 :].lstrip("-\n")
            return (meta if isinstance(meta, dict) else {}), body
    return {}, text


def _first_heading(text: str) -> str | None:
    m = re.search(r"^#{1,3}\s+(.+)$", text, flags=re.M)
    return m.group(1).strip() if m else None


def load_markdown(path: Path) -> LoadedDocument:
    meta, body = _split_front_matter(path.read_text(encoding="utf-8"))
    return LoadedDocument(
        doc_id=str(meta.get("id") or slug(path.stem)),
        title=str(meta.get("title") or _first_heading(body) or path.stem),
        text=body,
        updated=str(meta.get("updated") or ""),
        source=str(path),
        fmt="md",
    )


def _table_to_md(table) -> list[str]:  # bs4 Tag
    rows = []
    for tr in table.find_all("tr"):
        cells = [c.get_text(" ", strip=True).replace("|", "/") for c in tr.find_all(["th", "td"])]
        if cells:
            rows.append("| " + " | ".join(cells) + " |")
    if rows:
        rows.insert(1, "|" + " --- |" * rows[0].count(" | ") + " --- |")
    return rows


def load_html(path: Path) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "noscript"]):
        tag.decompose()
    meta_id = soup.find("meta", attrs={"name": "doc-id"})
    title = (soup.title.get_text(strip=True) if soup.title else "") or None
    lines: list[str] = []
    root = soup.body or soup
    for el in root.find_all(["h1", "h2", "h3", "h4", "p", "li", "table", "pre"]):
        if el.find_parent(["table"]) is not None or (el.name in {"p", "li"} and el.find_parent("li") is not None):
            continue
        if el.name == "table":
            lines.extend(["", *_table_to_md(el), ""])
        elif el.name.startswith("h"):
            lines.extend(["", "#" * int(el.name[1]) + " " + el.get_text(" ", strip=True), ""])
        else:
            text = el.get_text(" ", strip=True)
            if text:
                lines.append(("- " if el.name == "li" else "") + text)
    text = "\n".join(lines)
    return LoadedDocument(
        doc_id=str(meta_id["content"]) if meta_id and meta_id.get("content") else slug(path.stem),
        title=title or _first_heading(text) or path.stem,
        text=text,
        source=str(path),
        fmt="html",
    )


def load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    pages = [(p.extract_text() or "") for p in reader.pages]
    text = "\n".join(pages)
    info_title = (reader.metadata.title if reader.metadata else None) or None
    return _plain(path, text, info_title, "pdf")


def load_docx(path: Path) -> LoadedDocument:
    d = docx.Document(str(path))
    lines: list[str] = []
    for block in d.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = docx.text.paragraph.Paragraph(block, d)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name or "") if para.style is not None else ""
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            if style == "Title":
                lines.extend(["", "# " + text, ""])
            elif m:
                lines.extend(["", "#" * min(int(m.group(1)) + 1, 4) + " " + text, ""])
            else:
                lines.append(("- " if "List" in style else "") + text)
        elif tag == "tbl":
            table = docx.table.Table(block, d)
            rows = ["| " + " | ".join(c.text.strip().replace("|", "/") for c in r.cells) + " |" for r in table.rows]
            if rows:
                rows.insert(1, "|" + " --- |" * (rows[0].count(" | ") + 1))
                lines.extend(["", *rows, ""])
    core_title = d.core_properties.title or None
    text = "\n".join(lines)
    return LoadedDocument(
        doc_id=slug(path.stem),
        title=core_title or _first_heading(text) or path.stem,
        text=text,
        source=str(path),
        fmt="docx",
    )


def _plain(path: Path, text: str, title: str | None, fmt: str) -> LoadedDocument:
    meta, body = _split_front_matter(text)
    first = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    return LoadedDocument(
        doc_id=str(meta.get("id") or slug(path.stem)),
        title=str(meta.get("title") or title or (first[:40] if first else path.stem)),
        text=body,
        updated=str(meta.get("updated") or ""),
        source=str(path),
        fmt=fmt,
    )


def load_txt(path: Path) -> LoadedDocument:
    return _plain(path, path.read_text(encoding="utf-8", errors="replace"), None, "txt")


def load_generic_csv(path: Path) -> LoadedDocument:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    records = tuple(
        ((path.stem, f"第{i + 1}行"), "，".join(f"{k}：{v}" for k, v in row.items() if k and v) + "。")
        for i, row in enumerate(rows)
    )
    return LoadedDocument(doc_id=slug(path.stem), title=path.stem, text="", source=str(path), fmt="csv", records=records)


# --- the hospital's structured data ---------------------------------------------------------------


def _age_text(min_age: int | None, max_age: int | None) -> str:
    if min_age is None and max_age is None:
        return "所有年龄"
    if max_age is None:
        return f"{min_age}岁及以上"
    return f"{min_age or 0}-{max_age}岁(未满{max_age + 1}周岁)"


def hospital_records(h: HospitalData) -> list[LoadedDocument]:
    """One document per data table; each row (a department, a doctor with the week's clinics, a fee
    item, a lab reference range) is one record, i.e. one chunk."""
    src = h.root / "data"
    docs: list[LoadedDocument] = []
    recs = []
    for d in h.departments.values():
        loc = f"{d.campus}{d.building}{d.floor}"
        text = (
            f"{d.name_zh}({d.name_en})位置:{loc}。接诊年龄:{_age_text(d.min_age, d.max_age)}。"
            f"{d.description_zh}常见就诊原因:{'、'.join(d.typical_symptoms_zh)}。"
        )
        recs.append(((("科室信息", d.name_zh)), text))
    docs.append(LoadedDocument("data_departments", "科室信息表", "", "2026-10-01", str(src / "departments.csv"), "csv", tuple(recs)))

    sessions: dict[str, list[str]] = defaultdict(list)
    for s in sorted(h.schedule, key=lambda s: (s.doctor_id, s.weekday, ["AM", "PM", "NIGHT"].index(s.session))):
        sessions[s.doctor_id].append(f"{_WEEKDAYS[s.weekday]}{_SESSIONS.get(s.session, s.session)}")
    recs = []
    for doc in h.doctors.values():
        dept = h.departments.get(doc.dept_id)
        dname = f"{dept.name_zh}({dept.name_en})" if dept else doc.dept_id
        when = "、".join(sessions.get(doc.doctor_id, [])) or "暂无固定出诊"
        text = (
            f"{doc.name}医生,{dname}{doc.title},医生编号{doc.doctor_id}。专长:{doc.specialty_zh}。"
            f"挂号费(诊察费){doc.registration_fee_cny:.0f}元。每周出诊:{when}。"
        )
        recs.append((("医生与出诊", doc.name), text))
    docs.append(LoadedDocument("data_doctors", "医生与出诊表", "", "2026-10-01", str(src / "doctors.csv"), "csv", tuple(recs)))

    recs = [
        (("收费项目", f.name_zh), f"{f.name_zh}(项目编码{f.item_code}):单价{f.unit_price_cny}元,医保{f.category}类,{f.kind}。")
        for f in h.fee_items.values()
    ]
    docs.append(LoadedDocument("data_fee_items", "收费项目表", "", "2026-10-01", str(src / "fee_items.csv"), "csv", tuple(recs)))

    recs = []
    for r in h.lab_reference:
        who = {"all": "不分性别", "M": "男性", "F": "女性"}.get(r.sex, r.sex)
        rng = f"{'' if r.ref_low is None else r.ref_low}-{'' if r.ref_high is None else r.ref_high}".strip("-")
        crit = []
        if r.critical_low is not None:
            crit.append(f"低于{r.critical_low}")
        if r.critical_high is not None:
            crit.append(f"高于{r.critical_high}")
        text = (
            f"{r.name_zh}({r.item_code},{r.name_en})成人参考范围:{rng} {r.unit}({who},{_age_text(r.age_min, r.age_max)})。"
            + (f"危急值:{'或'.join(crit)}。" if crit else "")
            + f"偏高:{r.high_meaning_zh}偏低:{r.low_meaning_zh}"
        )
        recs.append((("检验参考范围", r.name_zh), text))
    docs.append(LoadedDocument("data_lab_reference", "检验参考范围表", "", "2026-10-01", str(src / "lab_reference.csv"), "csv", tuple(recs)))
    return docs


def is_hospital_dir(path: Path) -> bool:
    return (path / "data" / "departments.csv").is_file()


def load_path(path: Path) -> list[LoadedDocument]:
    """Load one file; a hospital data CSV loads all of the hospital's data tables."""
    suffix = path.suffix.lower()
    if suffix in {".md", ".markdown"}:
        return [load_markdown(path)]
    if suffix in {".html", ".htm"}:
        return [load_html(path)]
    if suffix == ".pdf":
        return [load_pdf(path)]
    if suffix == ".docx":
        return [load_docx(path)]
    if suffix == ".txt":
        return [load_txt(path)]
    if suffix == ".csv":
        if path.name in _HOSPITAL_CSVS and is_hospital_dir(path.parent.parent):
            return hospital_records(load_hospital(path.parent.parent))
        return [load_generic_csv(path)]
    raise UnsupportedFormat(f"unsupported file type: {path.suffix or path.name}")


def expand(paths: list[Path]) -> list[Path]:
    """Files to ingest: directories are walked; a hospital directory means its docs plus one data CSV."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            if is_hospital_dir(p):
                out.extend(sorted(q for q in (p / "docs").rglob("*") if q.suffix.lower() in SUPPORTED))
                out.append(p / "data" / "departments.csv")
            else:
                out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in SUPPORTED))
        else:
            out.append(p)
    # The hospital's data tables load together: keep one CSV per hospital.
    seen: set[Path] = set()
    result = []
    for p in out:
        key = p.parent.parent if p.name in _HOSPITAL_CSVS and is_hospital_dir(p.parent.parent) else p
        if p.name in _HOSPITAL_CSVS and key in seen:
            continue
        seen.add(key)
        result.append(p)
    return result
