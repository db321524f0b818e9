"""The faq skill: answer from the hospital's documents with citations, or say so and offer a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.services.container import Services

ABSTAIN_OFFER = {
    "zh": "这个问题我在医院的资料里没有找到可靠的答案，不想随便回答。需要的话我可以帮您转人工客服，您也可以拨打0571-8888-1234咨询。",
    "en": "I couldn't find a reliable answer to that in the hospital's documents, and I don't want to guess. "
    "I can put you through to a member of staff if you like.",
}
UNAVAILABLE = {
    "zh": "资料查询暂时不可用，我可以帮您转人工客服。",
    "en": "I can't look that up right now. I can put you through to a member of staff.",
}


class ActionFaq(Action):
    def __init__(self, services: Services) -> None:
        self.services = services

    def name(self) -> str:
        return "action_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        meta = tracker.latest_message.get("metadata") or {}
        lang = "en" if meta.get("lang") == "en" else "zh"
        question = (tracker.latest_message.get("text") or "").strip()
        kb = self.services.kb
        if kb is None:
            dispatcher.utter_message(text=UNAVAILABLE[lang], json_message={"intent": "faq", "citations": []})
            return []
        answer = meta.get("faq_answer")  # already found (and verified) while routing
        if answer is None:
            if not kb.ready():
                dispatcher.utter_message(text=UNAVAILABLE[lang], json_message={"intent": "faq", "citations": []})
                return []
            llm = self.services.llm if getattr(self.services.settings, "llm_enabled", True) else None
            answer = await kb.answer(question, lang, llm=llm)
        if answer.abstained:
            dispatcher.utter_message(text=ABSTAIN_OFFER[lang], json_message={"intent": "faq", "citations": []})
            return [SlotSet("offer", "human")]  # "好的" to the offered person hands over
        dispatcher.utter_message(text=answer.text, json_message={"intent": "faq", "citations": answer.citations})
        return []
