"""Is a message a question about the hospital (answered from the documents first) or a request to act?"""

from __future__ import annotations

import pytest

from assistant.nlu.question import wants_information

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["发烧门诊在几号楼", "儿科在几楼", "药房在哪栋", "CT什么时候出结果", "停车怎么收费",
                                  "How do I find the fever clinic?", "Can I cancel my appointment and get a refund?",
                                  "磁共振的报告几天能拿到", "拍完CT几个小时能取报告", "在别的医院做的检查这里认不认"])
def test_questions_about_the_hospital(text):
    assert wants_information(text)


@pytest.mark.parametrize("text", ["帮我挂明天的心内科", "我要缴费", "我想挂号", "明天上午心内科还有号吗", "book me an appointment",
                                  "我头疼了几天了", "发烧三天了"])
def test_requests_to_act_are_not_questions_for_the_documents(text):
    assert not wants_information(text)
