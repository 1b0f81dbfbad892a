"""vamos_quiz: server-side grading with the core, grade events with raw scores, attempts, report data, Studio."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import MODULE_ID, BlockRuntime, call

RIGHT = {"frage-eins": ["a"], "frage-zwei": ["a", "b"]}
HALF = {"frage-eins": ["b"], "frage-zwei": ["a"]}  # 0 + 1 of 3 points
WRONG = {"frage-eins": ["b"], "frage-zwei": ["c"]}


def test_student_view_renders_questions_without_answers(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    html = runtime.render(block, "student_view").body_html()
    assert "Was ist richtig?" in html and "Was stimmt?" in html
    assert 'type="radio" name="vamos-frage-eins" value="a"' in html
    assert 'type="checkbox" name="vamos-frage-zwei" value="c"' in html
    markup = html.split("xblock_json_init_args")[0]
    for secret in ("Richtig.", "Falsch.", "Weil es so ist.", "correct\"", "feedback"):
        assert secret not in markup  # nothing about the right answers reaches the browser before an attempt
    assert "You pass with 70 % of the points. Attempts: 3." in html


def test_scoring_interface(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    assert block.has_score is True
    assert block.max_score() == 3
    assert block.weight == 1.0  # the platform scales raw points by the weight
    assert block.has_submitted_answer() is False
    assert block.get_score() == (0.0, 3.0)


def test_correct_attempt_publishes_full_raw_score(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    status, body = call(block, "submit", {"answers": RIGHT})
    assert status == 200
    assert runtime.published("grade") == [{"value": 3.0, "max_value": 3.0, "only_if_higher": None}]
    assert body["passed"] is True and body["last_percent"] == 100 and body["attempts_left"] == 2
    assert "Richtig." in body["result_html"] and "Ja." in body["result_html"]  # feedback per chosen option
    assert "A und B." in body["result_html"]  # explanation
    assert block.get_score() == (3.0, 3.0)
    assert block.progress_record()["attempts"] == [100.0]


def test_partial_credit_and_feedback_per_option(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    status, body = call(block, "submit", {"answers": HALF})
    assert status == 200
    assert runtime.published("grade")[-1]["value"] == 1.0
    assert body["passed"] is False and body["last_percent"] == 33.3
    html = body["result_html"]
    assert "Falsch." in html and "Ja." in html and "Partly correct" in html
    assert "Revisit the lesson: Erste Lektion" in html  # the question names its lesson


def test_best_attempt_counts(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    call(block, "submit", {"answers": RIGHT})
    call(block, "submit", {"answers": WRONG})
    grades = [g["value"] for g in runtime.published("grade")]
    assert grades == [3.0, 3.0]  # "best": the better first attempt still counts
    assert block.progress_record()["attempts"] == [100.0, 0.0]


def test_attempts_are_limited_on_the_server(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    for _ in range(3):
        assert call(block, "submit", {"answers": WRONG})[0] == 200
    status, body = call(block, "submit", {"answers": RIGHT})
    assert status == 403 and "attempts" in body["error"]
    assert len(block.attempts) == 3 and len(runtime.published("grade")) == 3
    html = runtime.render(block, "student_view").body_html()
    assert "You have used all attempts." in html and "vamos-quiz-form\" hidden" in html


@pytest.mark.parametrize("body", [
    {"answers": {"frage-eins": ["z"]}},  # unknown option
    {"answers": {"frage-eins": ["a", "b"]}},  # two answers to a single choice
    {"answers": {"gibt-es-nicht": ["a"]}},  # unknown question
    {"answers": {"frage-eins": "a"}},  # not a list
    {"answers": {"frage-eins": [1]}},  # not option ids
    {"answers": {"frage-zwei": ["a", "a"]}},  # duplicates
    {"answers": ["a"]},
    {},
    {"answers": RIGHT, "score": 100},  # the browser never sends a score
    [RIGHT],
])
def test_submit_rejects_bad_input(runtime, quiz_xml, body):
    block = runtime.block(quiz_xml)
    status, payload = call(block, "submit", body)
    assert status == 400 and payload["error"]
    assert runtime.published("grade") == [] and block.attempts == []


def test_submit_rejects_invalid_json_and_get(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    assert call(block, "submit", raw=b"{")[0] == 400
    assert call(block, "submit", method="GET")[0] == 405


def test_unanswered_questions_score_zero(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    status, body = call(block, "submit", {"answers": {"frage-eins": ["a"]}})
    assert status == 200 and runtime.published("grade") == [{"value": 1.0, "max_value": 3.0, "only_if_higher": None}]


def test_state_persists_and_is_per_learner(runtime, quiz_xml):
    usage = runtime.parse_xml_string(quiz_xml)
    call(runtime.get_block(usage), "submit", {"answers": RIGHT})
    again = runtime.for_user("alice").get_block(usage)
    html = again.runtime.render(again, "student_view").body_html()
    assert "Passed. Well done!" in html and "100 %" in html
    bob = runtime.for_user("bob").get_block(usage)
    assert bob.attempts == [] and "vamos-result" not in bob.runtime.render(bob, "student_view").body_html()


def test_rescore_regrades_stored_answers(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    call(block, "submit", {"answers": HALF})
    block.rescore(only_if_higher=False)
    assert runtime.published("grade")[-1] == {"value": 1.0, "max_value": 3.0, "only_if_higher": False}


def test_generate_report_data(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    states = [
        SimpleNamespace(username="alice", state={"attempts": [
            {"answers": WRONG, "points": 0, "percent": 0.0, "submitted_at": "2026-01-02T10:00:00+00:00"},
            {"answers": RIGHT, "points": 3, "percent": 100.0, "submitted_at": "2026-01-02T11:00:00+00:00"}]}),
        SimpleNamespace(username="bob", state={}),
        SimpleNamespace(username="carla", state={"attempts": [
            {"answers": HALF, "points": 1, "percent": 33.33, "submitted_at": "2026-01-03T09:00:00+00:00"}]}),
    ]
    rows = list(block.generate_report_data(iter(states)))
    assert [(user, row["Question ID"]) for user, row in rows] == [
        ("alice", "frage-eins"), ("alice", "frage-zwei"), ("carla", "frage-eins"), ("carla", "frage-zwei")]
    alice_two = rows[1][1]
    assert alice_two["Answer ID"] == "a, b" and alice_two["Answer"] == "A | B" and alice_two["Points"] == 2
    assert alice_two["Correct Answer"] == "A | B" and alice_two["Attempt"] == 2
    carla_one = rows[2][1]
    assert carla_one["Answer"] == "Das nicht" and carla_one["Points"] == 0 and carla_one["Quiz Percent"] == 33.3
    assert len(list(block.generate_report_data(iter(states), limit_responses=3))) == 3


def test_studio_submit_validates(runtime, quiz_xml):
    block = runtime.block(quiz_xml)
    html = runtime.render(block, "studio_view").body_html()
    assert all(f'name="{n}"' in html for n in ("display_name", "module_id", "weight"))
    for bad in ({"weight": -1}, {"weight": "viel"}, {"weight": True}, {"module_id": ""}, {"module_id": "gibt-es-nicht"}):
        status, body = call(block, "studio_submit", {"values": bad})
        assert status == 400 and set(body["error"]["fields"]) == set(bad), bad
    status, _ = call(block, "studio_submit", {"values": {"weight": "2.5", "display_name": "Test"}})
    assert status == 200 and block.weight == 2.5 and block.display_name == "Test"


def test_quiz_of_unknown_module(runtime):
    block = runtime.block('<vamos_quiz module_id="gibt-es-nicht"/>')
    assert "This quiz is not available" in runtime.render(block, "student_view").body_html()
    assert call(block, "submit", {"answers": RIGHT})[0] == 400


def test_german_feedback():
    runtime = BlockRuntime(language="de")
    block = runtime.block(f'<vamos_quiz module_id="{MODULE_ID}"/>')
    _, body = call(block, "submit", {"answers": RIGHT})
    assert "Bestanden. Gut gemacht!" in body["result_html"]


def test_options_are_shuffled_per_learner_and_attempt(runtime, quiz_xml):
    """Shuffling is on by default (vamos_core.option_order): the same order on every reload of an attempt,
    a new order key for the next attempt — as in the LTI tool, which keys it by the attempt token."""
    from vamos_core.option_order import option_order

    block = runtime.block(quiz_xml)
    module = block.get_module()
    assert module.quiz.settings.shuffle_options is True
    question = module.quiz.questions[1]
    key = f"{block.scope_ids.user_id}:{block.module_id}"
    first = block.option_order(question)
    assert first == block.option_order(question) == option_order(question, key, "0")
    call(block, "submit", {"answers": RIGHT})
    assert block.option_order(question) == option_order(question, key, "1")
    shown = runtime.render(block, "student_view").body_html()
    ids = [o.id for o in option_order(question, key, "1")]
    positions = [shown.index(f'name="vamos-{question.id}" value="{i}"') for i in ids]
    assert positions == sorted(positions)  # the page shows the options in exactly that order
