"""The report skill (检查结果解读): reads a pasted report (or one the upload endpoint left in the turn's
metadata), shows what it read, flags, explains, names the follow-up department and escalates critical values."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from assistant.services.container import Services
from assistant.services.reports import Interpretation, ReportReader

log = logging.getLogger(__name__)

ASK_FOR_REPORT = {
    "zh": "可以帮您看化验单。请把报告上的项目、结果、单位和参考范围直接粘贴过来（从微信或PDF复制都可以），"
          "或者点“传报告”上传一张清晰、端正的报告照片。如果方便，也请告诉我性别和年龄，部分项目的参考范围与此有关。",
    "en": "I can go through your lab report. Please paste the test names, results, units and reference ranges "
          "(copied from WeChat or a PDF is fine), or upload a clear, straight photo of the report. "
          "Your sex and age help too, as some reference ranges depend on them.",
}


def reader_of(services: Services) -> ReportReader:
    """The shared ReportReader (services.reports), built on first use if the app has not set one."""
    if services.reports is None:
        services.reports = ReportReader(services.hospital)
    return services.reports


def reply_for(interp: Interpretation) -> tuple[str, dict[str, Any]]:
    """(text, json_message) for an interpretation: the one place both the action and the upload API use."""
    return interp.text, interp.json_message()


class ActionReport(Action):
    def __init__(self, services: Services) -> None:
        self.services = services

    def name(self) -> str:
        return "action_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        msg = tracker.latest_message or {}
        meta = msg.get("metadata") or {}
        lang = "en" if meta.get("lang") == "en" else "zh"
        reader = reader_of(self.services)
        sex = meta.get("sex") or _slot(tracker, "sex")
        age = _age(meta.get("age") if meta.get("age") is not None else _slot(tracker, "age"))

        parsed = meta.get("parsed_report")  # an upload read by the upload endpoint
        if parsed is not None:
            pass
        elif isinstance(meta.get("fhir"), (dict, str)):
            parsed = reader.parse_fhir(meta["fhir"])
        elif isinstance(meta.get("report_text"), str):
            parsed = reader.parse_text(meta["report_text"])
        else:
            text = msg.get("text") or ""
            if reader.looks_like_report(text):
                parsed = reader.parse_text(text)

        if parsed is None or parsed.empty:
            in_loop = (tracker.active_loop or {}).get("name") == self.name()
            if in_loop:
                # asked once already and still no report: say so and let the conversation move on
                again = ("我还是没有读到化验结果。" if lang == "zh" else "I still could not find any results. ")
                dispatcher.utter_message(text=again + ASK_FOR_REPORT[lang], json_message={"intent": "report"})
                return [ActiveLoop(None)]
            dispatcher.utter_message(text=ASK_FOR_REPORT[lang], json_message={"intent": "report"})
            return [ActiveLoop(self.name())]

        interp = reader.interpret(parsed, sex=sex, age=age, lang=lang)
        text, json_message = reply_for(interp)
        log.info("report interpreted", extra={"items": len(interp.items), "critical": interp.critical,
                                              "department": interp.department})
        dispatcher.utter_message(text=text, json_message=json_message)
        return [ActiveLoop(None)]


def _slot(tracker: Tracker, name: str) -> Any:
    try:
        return tracker.get_slot(name)
    except Exception:  # noqa: BLE001 - a tracker without that slot
        return None


def _age(v: Any) -> float | None:
    try:
        return float(v) if v is not None and str(v).strip() != "" else None
    except (TypeError, ValueError):
        return None
