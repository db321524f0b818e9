"""Bad input: blurred, upside-down or broken photos, missing units, unknown tests, censored and qualitative
values, files that are not images, scanned PDFs, junk. The reader says what it could and could not read."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.services.reports import ImageError
from assistant.services.reports.upload import UploadRejected, read_upload, sniff

sys.path.insert(0, str(Path(__file__).parent))
from pdfgen import make_pdf  # noqa: E402
from render import render_photo  # noqa: E402

SPEC = {
    "rows": [["项目", "结果", "单位", "参考范围"], ["钾 K", "6.8 ↑", "mmol/L", "3.5-5.3"], ["钠 Na", "140", "mmol/L", "137-147"]],
}


@pytest.mark.unit
def test_missing_units_are_assumed_and_said(reader) -> None:
    interp = reader.interpret(reader.parse_text("血糖 7.8\n肌酐 64\n钾 4.1"), sex="F", age=40)
    codes = {i["code"]: i for i in interp.report_json["items"]}
    assert codes["GLU"]["flag"] == "high" and codes["GLU"]["unit"] == "mmol/L"
    assert codes["CREA"]["flag"] == "normal"
    assert "没有写单位" in interp.text and "请核对" in interp.text


@pytest.mark.unit
def test_unitless_glucose_in_mg_dl_is_recognised(reader) -> None:
    interp = reader.interpret(reader.parse_text("空腹血糖 126"))
    item = interp.report_json["items"][0]
    assert item["unit"] == "mg/dL" and item["flag"] == "high"
    assert not interp.critical  # not read as 126 mmol/L


@pytest.mark.unit
@pytest.mark.parametrize(("text", "flag", "critical"), [
    ("hemoglobin 7.5", "low", False),        # g/dL, as American reports print it: 75 g/L
    ("my hemoglobin is 4.5", "critical_low", True),
    ("血红蛋白 75", "low", False),            # the hospital's own g/L
])
def test_unitless_haemoglobin_in_g_dl_is_recognised(reader, text, flag, critical) -> None:
    interp = reader.interpret(reader.parse_text(text), lang="en" if text.isascii() else "zh")
    item = interp.report_json["items"][0]
    assert item["code"] == "HGB" and item["flag"] == flag, item
    assert interp.critical == critical


@pytest.mark.unit
@pytest.mark.parametrize("text", ["我的血红蛋白是75", "Hemoglobin is 75 g/L", "my hemoglobin was 75 g/L", "血红蛋白只有75"])
def test_values_said_in_a_sentence_are_read_with_a_clean_name(reader, text) -> None:
    parsed = reader.parse_text(text)
    assert [(i.code, i.value) for i in parsed.items] == [("HGB", 75.0)]
    assert parsed.items[0].name.strip().lower() in ("血红蛋白", "hemoglobin"), parsed.items[0].name


@pytest.mark.unit
def test_unknown_test_is_reported_not_guessed(reader) -> None:
    interp = reader.interpret(reader.parse_text("抗缪勒管激素 AMH  2.3  ng/mL  2.0-6.8\n尿酸 UA 300 μmol/L 208-428"))
    assert [i["code"] for i in interp.report_json["items"]] == ["UA"]
    assert interp.report_json["unjudged"][0]["name"].startswith("抗缪勒管激素")
    assert "不在我能识别的项目里" in interp.text


@pytest.mark.unit
def test_censored_and_qualitative_values(reader) -> None:
    interp = reader.interpret(reader.parse_text(
        "血小板计数 PLT >1000 10^9/L 125-350\n谷丙转氨酶 ALT <5 U/L 9-50\n尿蛋白 阴性 阴性\n尿糖 3+ 阴性\nD-二聚体 <0.1 mg/L FEU 0-0.5"))
    items = {i["code"]: i for i in interp.report_json["items"]}
    assert items["PLT"]["value"] == ">1000" and items["PLT"]["flag"] == "critical_high"
    assert items["ALT"]["value"] == "<5" and items["ALT"]["flag"] == "low"
    assert items["U-PRO"]["value"] == "阴性" and items["U-PRO"]["flag"] == "normal"
    assert items["U-GLU"]["flag"] == "high"
    assert items["D-D"]["flag"] == "normal"
    assert interp.critical


@pytest.mark.unit
def test_critical_even_when_report_range_is_printed(reader) -> None:
    # the report's own range says "high"; the hospital's critical limit makes it critical
    interp = reader.interpret(reader.parse_text("钾 6.8 mmol/L 3.5-5.5\n血小板 15 10^9/L 100-300"))
    flags = {i["code"]: i["flag"] for i in interp.report_json["items"]}
    assert flags == {"K": "critical_high", "PLT": "critical_low"}
    esc = interp.json_message()["escalate"]
    assert esc["reason"] == "critical_value" and esc["priority"] == 1 and "K" in esc["summary"]


@pytest.mark.unit
def test_no_diagnosis_or_treatment_change_in_text(reader) -> None:
    interp = reader.interpret(reader.parse_text("ALT 300 U/L 9-50\nHBsAg 阳性\n肌酐 420 μmol/L 57-97\nTSH 12 mIU/L 0.27-4.2"))
    for bad in ("诊断为", "确诊", "您患有", "你得了", "停药", "减量", "加量"):
        assert bad not in interp.text.replace("自行停药", "")
    assert "不是诊断" in interp.text
    assert interp.department in ("infectious_diseases", "gastroenterology", "nephrology", "endocrinology")


@pytest.mark.unit
def test_empty_and_junk_text(reader) -> None:
    for text in ("", "   ", "这个报告有问题吗", "😀😀😀", "1 2 3 4 5", "|||\t\t---"):
        interp = reader.interpret(reader.parse_text(text))
        assert interp.items == [] and not interp.critical
        assert "没能从中读出检验结果" in interp.text


@pytest.mark.unit
def test_known_name_without_value_is_listed_as_unreadable(reader) -> None:
    parsed = reader.parse_text("白细胞计数 WBC ---- 10^9/L\n血红蛋白 HGB 135 g/L 130-175")
    assert [i.code for i in parsed.items] == ["HGB"]
    assert parsed.unreadable and "白细胞计数" in parsed.unreadable[0]
    assert "没能读出数值" in reader.interpret(parsed).text


@pytest.mark.unit
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_text_never_crashes(reader, text) -> None:
    interp = reader.interpret(reader.parse_text(text))
    assert isinstance(interp.text, str) and interp.text


@pytest.mark.unit
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["钾", "K", "6.8", ">1000", "<0.1", "阴性", "1+", "↑", "H", "mmol/L", "10^9/L",
                                 "3.5-5.3", "|", "\t", "\n", "  ", "血小板", "ALT", "mg/dL", "：", "，", "（", "）"]), max_size=40))
def test_report_like_token_soup_never_crashes(reader, toks) -> None:
    interp = reader.interpret(reader.parse_text(" ".join(toks)), sex="M", age=30)
    for item in interp.report_json["items"]:
        assert item["flag"] in ("high", "low", "normal", "critical_high", "critical_low")


@pytest.mark.unit
def test_fhir_garbage(reader) -> None:
    for obj in (None, [], "not json", {"resourceType": "Patient"}, {"resourceType": "Bundle", "entry": [None, 3, {}]},
                {"resourceType": "Observation", "code": {}, "valueQuantity": {"value": "x"}}):
        interp = reader.interpret(reader.parse_fhir(obj))
        assert interp.items == []


@pytest.mark.unit
def test_scanned_or_broken_pdf(reader) -> None:
    empty = make_pdf([], title="")
    assert "no text layer" in " ".join(reader.parse_pdf(empty).notes)
    assert reader.parse_pdf(b"%PDF-1.4\n garbage").items == []


@pytest.mark.unit
async def test_not_an_image_disguised_as_one(reader) -> None:
    assert sniff(b"hello, I am text") == "text"
    with pytest.raises(UploadRejected) as e:
        await read_upload(reader, b"MZ\x90\x00\x03 this is an exe", "photo.jpg", "image/jpeg")
    assert e.value.status == 415 and e.value.code == "not_an_image"
    with pytest.raises(UploadRejected) as e:
        await read_upload(reader, b"\x00\x01\x02binary\x00\xff" * 50, "blob.bin", "application/octet-stream")
    assert e.value.code == "unsupported_type"
    with pytest.raises(UploadRejected) as e:
        await read_upload(reader, b"x" * (20 * 1024 * 1024), "big.txt", "text/plain")
    assert e.value.status == 413


@pytest.mark.unit
async def test_truncated_image_is_refused_cleanly(reader) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buf, "PNG")
    broken = buf.getvalue()[:60]
    with pytest.raises(ImageError):
        reader.ocr.decode(broken)
    with pytest.raises(UploadRejected) as e:
        await read_upload(reader, broken, "r.png", "image/png")
    assert e.value.status == 422 and e.value.code == "unreadable_image"


@pytest.mark.slow
@pytest.mark.integration
async def test_heavily_blurred_photo_says_it_cannot_read(reader) -> None:
    spec = dict(SPEC, aug={"blur": 7, "quality": 30})
    parsed = await reader.read_image(render_photo(spec))
    interp = reader.interpret(parsed)
    # either nothing was read (and it says so), or what was read is shown for checking
    if not interp.items:
        assert "没能从中读出检验结果" in interp.text and "照片" in interp.text
    else:
        assert "请先核对" in interp.text


@pytest.mark.slow
@pytest.mark.integration
async def test_upside_down_photo_is_turned(reader) -> None:
    spec = dict(SPEC, aug={"rotate": 180, "quality": 60})
    parsed = await reader.read_image(render_photo(spec))
    assert {(i.code, i.value) for i in parsed.items} >= {("K", 6.8), ("NA", 140.0)}
    assert reader.interpret(parsed).critical


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("rotate", [0.5, 180.5])
async def test_value_that_reads_the_same_turned_round_keeps_the_page_orientation(reader, rotate) -> None:
    # "9.8 ↓" turned round is "↑8.6": PP-OCR's per-line classifier voted this line upside down (0.998) on an
    # upright page and the report said FT4 86 (high) for a low 9.8. Lines now follow their page.
    spec = {"grid": True, "cols": [40, 420, 560, 720], "aug": {"quality": 40, "rotate": rotate},
            "rows": [["项目", "结果", "单位", "参考范围"], ["促甲状腺激素 TSH", "8.62 ↑", "mIU/L", "0.27-4.2"],
                     ["游离甲状腺素 FT4", "9.8 ↓", "pmol/L", "12.0-22.0"]]}
    parsed = await reader.read_image(render_photo(spec))
    assert {(i.code, i.value) for i in parsed.items} == {("TSH", 8.62), ("FT4", 9.8)}


def test_page_orientation_is_a_width_weighted_vote() -> None:
    from assistant.services.reports.ocr import page_orientation

    assert not page_orientation([("0", 0.99), ("180", 0.998), ("0", 0.9)], [400, 60, 300])
    assert page_orientation([("180", 0.99), ("0", 0.998), ("180", 0.9)], [400, 60, 300])
    assert page_orientation([("180", 0.99), ("0", 0.95), ("0", 0.9)], [900, 60, 300])  # one long line outweighs two short


@pytest.mark.slow
@pytest.mark.integration
async def test_photo_of_no_report(reader) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), (120, 160, 200))
    ImageDraw.Draw(img).ellipse((100, 100, 400, 400), fill=(240, 200, 40))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    parsed = await reader.read_image(buf.getvalue())
    interp = reader.interpret(parsed)
    assert interp.items == [] and "没能从中读出检验结果" in interp.text
