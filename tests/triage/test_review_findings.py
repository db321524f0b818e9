"""Under-triage and false-emergency findings from the 2026-11 product review, fixed in the lexicon and rules.

Each test states the general phrasing class, not only the reviewer's sentence: convulsions said as 抽筋,
head injury with vomiting, X剧痛 as severe pain of X, black stools with dizziness, a child swallowing
medicine, the speaker's own age and absent family, urgent replies that say "today", vaccinations and
fiction that are not emergencies.
"""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.triage import ActionTriage, level_notice
from assistant.clock import FixedClock
from assistant.safety.redflags import check
from assistant.services.container import Services
from assistant.services.triage import assess
from assistant.services.triage.extract import extract
from assistant.services.triage.numbers import parse_ages

pytestmark = pytest.mark.unit


def _emergency(text: str, hospital, rule: str) -> None:
    out = assess(text, None, hospital)
    assert out.level == "emergency", (text, out.level, out.question)
    assert rule in out.red_flags, (text, out.red_flags)
    assert out.question is None


# 1. seizure said as 抽筋
@pytest.mark.parametrize("text", ["孩子3岁，抽筋了，现在还在抖", "孩子抽筋了", "我儿子5岁，刚才抽筋，翻白眼",
                                  "宝宝突然抽起来了", "他抽筋了，还在抖", "my son had a fit and is still shaking"])
def test_convulsion_is_a_seizure_emergency(text, hospital):
    _emergency(text, hospital, "seizure")


@pytest.mark.parametrize("text", ["小腿抽筋了", "晚上睡觉脚抽筋", "孩子6岁，晚上腿抽筋", "孩子今天抽血了", "孩子没有抽搐，就是发烧"])
def test_leg_cramps_and_blood_tests_are_not_seizures(text):
    assert not any(h.rule_id == "seizure" for h in check(text))


async def test_child_seizure_reply_names_the_pediatric_emergency(settings, hospital):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    services = Services(settings=settings, hospital=hospital,
                        clock=FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))))
    tracker = Tracker(sender_id="t1", slots={}, latest_message={"text": "孩子抽筋了", "intent": {"name": "triage"},
                                                                "entities": [], "metadata": {"lang": "zh"}},
                      events=[], paused=False, followup_action=None, active_loop={}, latest_action_name=None)
    d = CollectingDispatcher()
    await ActionTriage(services).run(d, tracker, {})
    text = d.messages[0]["text"]
    assert "120" in text and "东区" in text
    # each sentence of the hospital's documents is said once
    lines = [x for x in text.split("\n") if x]
    assert len(lines) == len(set(lines))


# 2. head injury
@pytest.mark.parametrize("text", ["我爸摔了一跤，头磕破了，现在一直吐", "我妈摔倒撞到头了，吐了两次",
                                  "奶奶在吃华法林，今天摔了一跤头磕到桌角", "头磕破了，人有点迷糊",
                                  "my dad fell and hit his head and keeps throwing up"])
def test_head_injury_with_danger_signs_is_an_emergency(text, hospital):
    _emergency(text, hospital, "major_trauma")


# 3. X剧痛 / X痛死了 / X疼得厉害
@pytest.mark.parametrize("text,concept", [("胸口剧痛", "chest_pain"), ("肚子剧痛", "abdominal_pain"), ("头剧痛", "headache"),
                                          ("蛋蛋突然剧痛", "testicular_pain"), ("胸口痛死了", "chest_pain"),
                                          ("肚子疼得厉害", "abdominal_pain")])
def test_severe_pain_of_a_body_part(text, concept):
    f = next(f for f in extract(text).findings if f.concept == concept)
    assert f.current and f.severity == "severe"


@pytest.mark.parametrize("text,rule", [("我胸口剧痛出冷汗", "chest_pain_acs"), ("胸口剧痛", "chest_pain_acs"),
                                       ("肚子剧痛", "severe_abdominal_pain"), ("蛋蛋突然剧痛", "testicular_torsion"),
                                       ("头突然剧痛，这辈子没这么疼过", "thunderclap_headache"),
                                       ("my testicle suddenly hurts really bad", "testicular_torsion")])
def test_severe_pain_emergencies(text, rule, hospital):
    _emergency(text, hospital, rule)


def test_severe_headache_of_unknown_onset_is_at_least_urgent(hospital):
    out = assess("头剧痛", None, hospital)
    assert out.question is not None  # onset unknown: one question, then a level
    out = assess("两个小时", out.state, hospital)
    assert out.level in ("urgent", "emergency")


def test_a_brief_twinge_is_not_a_sudden_onset():
    assert "onset_sudden" not in extract("胸口突然疼了一下").current()


# 4. GI bleeding
@pytest.mark.parametrize("text", ["拉柏油样大便，今天拉了三次，站起来就眼前发黑", "这两天拉黑色的大便，头晕没力气",
                                  "大便黑乎乎的像柏油，心慌", "black tarry stools and I feel dizzy when I stand up"])
def test_black_stools_with_haemodynamic_signs(text, hospital):
    _emergency(text, hospital, "gi_bleeding")


def test_black_stools_alone_are_urgent(hospital):
    out = assess("这两天大便发黑，没有头晕心慌", None, hospital)
    assert out.level == "urgent" and out.department == "gastroenterology"


# 5. a child swallowing medicine, batteries, magnets, household products
@pytest.mark.parametrize("text", ["孩子把奶奶的降压药吃了好几片", "宝宝吞了一颗纽扣电池", "我家孩子偷吃了药，吃了一把",
                                  "儿子把洗衣凝珠咬破吞了", "儿子吞了两颗磁珠", "my toddler swallowed a button battery",
                                  "my toddler swallowed some of grandma's pills"])
def test_child_ingestion_is_an_emergency(text, hospital):
    _emergency(text, hospital, "poisoning")


def test_a_child_taking_their_own_medicine_is_not_poisoning():
    assert not check("孩子吃了退烧药，现在精神挺好")


# 6. who is the patient, and heart failure
def test_absent_family_is_not_the_patient():
    ex = extract("闺女不在家，我一个人，七十多了，这两天腿肿得厉害，要坐着才能喘气")
    assert ex.subject == "self" and ex.age_years is not None and ex.age_years >= 70
    assert extract("女儿让我来问问，我最近老是头晕").subject == "self"
    assert extract("我女儿发烧了").subject == "child"


@pytest.mark.parametrize("text,age", [("我今年八十了", 80), ("我都60了", 60), ("七十八了", 78), ("今年七十八", 78),
                                      ("年纪八十多", 80.5), ("年龄是35", 35), ("孩子今年六", 6)])
def test_older_age_without_sui(text, age):
    assert parse_ages(text)[0] == [age]


@pytest.mark.parametrize("text", ["血压一百七十多了", "体重七十多了", "烧了三天了", "心率九十多了", "今年3月摔了一跤",
                                  "今年2026年体检过", "今年10.5号开始咳嗽", "今年第三次发作"])
def test_numbers_that_are_not_ages(text):
    assert parse_ages(text)[0] == []


@pytest.mark.parametrize("text", ["闺女不在家，我一个人，七十多了，这两天腿肿得厉害，要坐着才能喘气",
                                  "儿子在外地上班，我八十了，最近一躺下就喘，腿也肿", "这几天脚肿，晚上躺下就憋气",
                                  "I'm 75, my legs are swollen and I can't lie flat"])
def test_orthopnoea_with_swelling_is_an_adult_emergency(text, hospital):
    out = assess(text, None, hospital)
    assert out.level == "emergency" and "acute_heart_failure" in out.red_flags
    assert "pediatric_danger" not in out.red_flags and "儿童" not in out.advice_zh


def test_snoring_that_wakes_is_not_heart_failure(hospital):
    assert assess("打呼噜很响，晚上经常憋醒，好几年了", None, hospital).level == "routine"


# 7. urgent means today
@pytest.mark.parametrize("text,rule", [("我右下腹疼，是不是阑尾炎？", "acute_abdomen_surgical"),
                                       ("我妈78岁，这两天头晕，走路不稳", "elderly_gait_dizziness"),
                                       ("爷爷这两天走路不稳", "elderly_gait_dizziness")])
def test_urgent_outcomes_say_today_and_ask_nothing(text, rule, hospital):
    out = assess(text, None, hospital)
    assert out.level == "urgent" and rule in out.red_flags and out.question is None
    assert "今天" in level_notice(out, "zh") and "today" in level_notice(out, "en")
    assert "急诊" in level_notice(out, "zh") or "120" in level_notice(out, "zh")


def test_a_month_of_unsteadiness_is_routine(hospital):
    assert assess("我爸73岁，最近走路不太稳，一个月了", None, hospital).level == "routine"


# 8. false emergencies
@pytest.mark.parametrize("text", ["When can I get a flu shot?", "I need a tetanus shot after a small cut", "想打流感疫苗，什么时候可以打",
                                  "小说里的主角想自杀，怎么写比较真实",
                                  "I'm writing a novel where the main character wants to kill himself"])
def test_vaccinations_and_fiction_are_not_emergencies(text):
    assert not [h for h in check(text) if h.level == "emergency"]


@pytest.mark.parametrize("text", ["我想自杀", "我朋友说他想自杀", "我在写小说，但我自己也想自杀", "he was shot in the leg"])
def test_real_statements_stay_emergencies(text):
    assert [h for h in check(text) if h.level == "emergency"]


@pytest.mark.parametrize("text", ["发烧门诊在几号楼", "How do I find the fever clinic?", "胸痛中心在哪", "头痛门诊几点开"])
def test_a_clinic_named_after_a_symptom_is_a_place_not_the_symptom(text):
    assert extract(text).current() == set()


@pytest.mark.parametrize("text", ["我发烧三天了需要去发热门诊吗？", "I have a fever, where is the fever clinic?"])
def test_the_symptom_beside_the_clinic_name_still_counts(text):
    assert "fever" in extract(text).current()
