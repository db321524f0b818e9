"""Fixed replies of the core skills, Chinese and English side by side (voice-friendly: short sentences)."""

from __future__ import annotations

RESPONSES: dict[str, dict[str, str]] = {
    "utter_greet": {
        "zh": "您好，我是滨江示例人民医院的智能助手小滨。我可以帮您：1. 按症状推荐科室（智能导诊）；2. 预约挂号；3. 解读检查报告；4. 医保报销和缴费；5. 解答就医问题。请直接告诉我您需要什么。如需人工服务，请说“转人工”。",
        "en": "Hello, I'm Xiaobin, the assistant of Binjiang Demo People's Hospital. I can help you: 1. find the right department for your symptoms; 2. book an appointment; 3. read a lab report; 4. estimate insurance and pay; 5. answer questions about the hospital. Just tell me what you need. Say \"human\" at any time to talk to a person.",
    },
    "utter_welcome": {
        "zh": "不客气。祝您早日康复！还有需要随时找我；情况紧急请拨打120。",
        "en": "You're welcome. I hope you feel better soon. I'm here if you need anything else; in an emergency call 120.",
    },
    "utter_handoff": {
        "zh": "好的，已为您转接人工服务，工作人员会在这里回复您，通常需要{wait}分钟左右，请不要关闭对话。如果情况紧急，请立即拨打120或前往急诊科（本部4号楼，东门进入）。",
        "en": "Sure. I've passed your conversation to our staff; someone will reply here, usually within about {wait} minutes. Please keep this chat open. If it is urgent, call 120 now or go to the Emergency Department (main campus, Building 4, east gate).",
    },
    "utter_out_of_scope": {
        "zh": "抱歉，这个问题我帮不上忙。我可以帮您：按症状推荐科室、预约挂号、解读检查报告、医保报销和缴费、解答就医问题。需要的话也可以说“转人工”。",
        "en": "Sorry, I can't help with that. I can help you find a department for your symptoms, book an appointment, read a lab report, estimate insurance and pay, or answer questions about the hospital. You can also say \"human\" to talk to a person.",
    },
    "utter_clarify": {
        "zh": "抱歉，我没有完全理解。您是想看病挂号、咨询症状看哪个科、解读报告、医保缴费，还是了解医院的其他信息？也可以说“转人工”。",
        "en": "Sorry, I didn't quite understand. Would you like to book an appointment, ask which department fits your symptoms, read a report, ask about insurance and payment, or ask something else about the hospital? You can also say \"human\".",
    },
    "utter_clarify_escalate": {
        "zh": "抱歉，我多次没有理解您的意思，已请人工客服来帮您，请稍候，工作人员会在这里回复。",
        "en": "Sorry, I've misunderstood you more than once. I've asked a member of staff to help; they will reply here shortly.",
    },
    "utter_unavailable": {
        "zh": "抱歉，{what}功能暂时无法使用。您可以说“转人工”，由工作人员为您处理。",
        "en": "Sorry, {what} is not available right now. Say \"human\" and a member of staff will help you.",
    },
    "utter_staff_active": {
        "zh": "工作人员正在为您服务，请稍候。",
        "en": "A member of staff is handling your conversation; please wait for their reply.",
    },
}

FEATURE_NAMES = {
    "triage": {"zh": "智能导诊", "en": "symptom triage"},
    "booking": {"zh": "预约挂号", "en": "appointment booking"},
    "report": {"zh": "报告解读", "en": "report reading"},
    "payment": {"zh": "医保结算与缴费", "en": "insurance and payment"},
    "faq": {"zh": "就医问答", "en": "hospital questions"},
}


def text(key: str, lang: str, **kwargs: object) -> str:
    entry = RESPONSES[key]
    template = entry.get(lang) or entry["zh"]
    return template.format(**kwargs) if kwargs else template
