"""Template-message bodies for pushes outside a conversation: an appointment confirmation and a
report-ready notice. Field names follow WeChat's classic industry templates (first, keyword1…, remark);
a hospital whose templates use other keys passes ``keys`` to rename them."""

from __future__ import annotations

from typing import Any


def _rename(data: dict[str, str], keys: dict[str, str] | None) -> dict[str, str]:
    return {(keys or {}).get(k, k): v for k, v in data.items()}


def appointment_confirmation(appointment: dict[str, Any], hospital: Any, *, patient_name: str | None = None,
                             keys: dict[str, str] | None = None) -> dict[str, str]:
    """预约成功通知 from the contract's appointment dict (appointment_id, department, doctor_id, start)."""
    dept = hospital.departments.get(appointment.get("department") or "")
    doctor = hospital.doctors.get(appointment.get("doctor_id") or "")
    place = " ".join(p for p in (getattr(dept, "campus", ""), getattr(dept, "building", ""), getattr(dept, "floor", "")) if p)
    start = str(appointment.get("start") or "").replace("T", " ")[:16]
    data = {
        "first": "您的挂号预约已确认。",
        "keyword1": patient_name or "就诊人",
        "keyword2": getattr(dept, "name_zh", None) or str(appointment.get("department") or ""),
        "keyword3": f"{doctor.name} {doctor.title}" if doctor else "",
        "keyword4": start,
        "keyword5": str(appointment.get("appointment_id") or ""),
        "remark": f"就诊地点：{hospital.name_zh} {place}。请按时就诊，如需取消请在公众号内回复“取消预约”。".replace("  ", " "),
    }
    return _rename(data, keys)


def report_ready(report_name: str, ready_at: str, *, patient_name: str | None = None,
                 keys: dict[str, str] | None = None) -> dict[str, str]:
    """检查报告出具通知: tells the patient a report can be viewed; never carries results."""
    data = {
        "first": "您的检查报告已出。",
        "keyword1": patient_name or "就诊人",
        "keyword2": report_name,
        "keyword3": ready_at,
        "remark": "点击查看报告，或在公众号内发送“报告查询”，我可以帮您解读。",
    }
    return _rename(data, keys)
