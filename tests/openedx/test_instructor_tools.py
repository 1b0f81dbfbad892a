"""The instructor's tools do to the blocks what edx-platform does (tests/openedx/platform.py names the source):
reset attempts, delete learner state, rescore — and the blocks keep working and stay consistent."""
from __future__ import annotations

import pytest

from .conftest import BlockRuntime, Course, call
from .platform import (
    UPDATE_STATUS_SKIPPED, UPDATE_STATUS_SUCCEEDED, StudentModuleDoesNotExist, reset_attempts_module_state, reset_student_attempts,
    rescore_problem_module_state, student_module_state,
)
from .test_quiz import HALF, RIGHT, WRONG


def use_all_attempts(quiz) -> None:
    for _ in range(3):  # the test module allows 3 attempts
        assert call(quiz, "submit", {"answers": WRONG})[0] == 200
    assert call(quiz, "submit", {"answers": RIGHT})[0] == 403


def test_state_is_json_with_an_integer_attempts_count(course):
    quiz = course.quiz()
    call(quiz, "submit", {"answers": HALF})
    state = student_module_state(course.runtime, quiz.scope_ids.usage_id, "alice")
    assert state["attempts"] == 1 and isinstance(state["attempts"], int)
    assert [a["answers"] for a in state["attempt_history"]] == [{"frage-eins": ["b"], "frage-zwei": ["a"]}]


def test_reset_attempts_then_view_submit_and_rescore_work(course):
    runtime = course.runtime
    use_all_attempts(course.quiz())
    usage = course.quiz().scope_ids.usage_id
    reset_student_attempts(runtime, usage, "alice")  # "Reset learner attempts" on the quiz
    assert student_module_state(runtime, usage, "alice")["attempts"] == 0

    quiz = course.quiz()
    html = runtime.render(quiz, "student_view").body_html()
    assert 'class="vamos-quiz-form" novalidate' in html  # the form is offered again, not hidden
    status, body = call(quiz, "submit", {"answers": RIGHT})
    assert status == 200 and body["passed"] is True and body["attempts_used"] == 1 and body["attempts_left"] == 2
    quiz = course.quiz()
    assert len(quiz.attempt_history) == 4  # the history survives the reset; the count started again
    assert rescore_problem_module_state(quiz, only_if_higher=False) == UPDATE_STATUS_SUCCEEDED
    assert runtime.published("grade")[-1] == {"value": 3.0, "max_value": 3.0, "only_if_higher": False}


def test_reset_on_the_module_resets_its_children_first(course):
    runtime = course.runtime
    use_all_attempts(course.quiz())
    call(course.lesson("erste-lektion"), "mark_done", {})
    # On the parent: edx-platform resets the children first, then the parent's own row — which does not exist
    # (the module block stores nothing before a certificate), so the dashboard reports that; children are reset.
    with pytest.raises(StudentModuleDoesNotExist):
        reset_student_attempts(runtime, course.usage, "alice")
    assert course.quiz().attempts == 0
    assert course.lesson("erste-lektion").done is True  # a reset is not a deletion
    assert call(course.quiz(), "submit", {"answers": RIGHT})[0] == 200
    assert call(course.module(), "progress", {})[1]["percent"] == 66


def test_bulk_reset_task_counts_and_resets(course):
    runtime = course.runtime
    usage = course.quiz().scope_ids.usage_id
    call(course.quiz(), "submit", {"answers": WRONG})
    assert reset_attempts_module_state(runtime, usage, "alice") == UPDATE_STATUS_SUCCEEDED
    assert reset_attempts_module_state(runtime, usage, "alice") == UPDATE_STATUS_SKIPPED  # 0 is not > 0
    assert course.quiz().attempts == 0


def test_delete_state_then_everything_starts_fresh(course):
    runtime = course.runtime
    course.finish(RIGHT)
    usage = course.quiz().scope_ids.usage_id
    reset_student_attempts(runtime, usage, "alice", delete_module=True)  # "Delete learner's state"
    quiz = course.quiz()
    assert quiz.attempts == 0 and quiz.attempt_history == [] and quiz.get_score() == (0.0, 3.0)
    assert "vamos-result" not in runtime.render(quiz, "student_view").body_html()
    assert rescore_problem_module_state(quiz, only_if_higher=False) == UPDATE_STATUS_SKIPPED
    with pytest.raises(ValueError):
        quiz.rescore(only_if_higher=False)
    progress = call(course.module(), "progress", {})[1]
    assert progress["percent"] == 66 and progress["completed"] is False  # lessons done, quiz gone
    assert call(course.quiz(), "submit", {"answers": RIGHT})[0] == 200
    assert call(course.module(), "progress", {})[1]["completed"] is True


def test_delete_state_of_the_whole_module(course):
    course.finish(RIGHT)
    with pytest.raises(StudentModuleDoesNotExist):  # children deleted first, see above
        reset_student_attempts(course.runtime, course.usage, "alice", delete_module=True)
    body = call(course.module(), "progress", {})[1]
    assert body["percent"] == 0 and body["completed"] is False


def test_state_written_by_an_older_version_does_not_break_the_quiz(course):
    """Older versions kept a list under "attempts"; the counter reads its length instead of raising."""
    runtime = course.runtime
    quiz = course.quiz()
    call(quiz, "submit", {"answers": WRONG})
    usage = quiz.scope_ids.usage_id
    state = student_module_state(runtime, usage, "alice")
    state["attempts"] = [{"answers": {}, "percent": 0.0}, {"answers": {}, "percent": 0.0}]
    from .platform import save_student_module_state

    save_student_module_state(runtime, usage, "alice", state)
    quiz = course.quiz()
    assert quiz.attempts == 2
    runtime.render(quiz, "student_view")
    assert call(quiz, "submit", {"answers": RIGHT})[0] == 200
    assert reset_attempts_module_state(runtime, usage, "alice") == UPDATE_STATUS_SUCCEEDED


def remove_question(quiz, question_id: str) -> None:
    """A course team removes a question in Studio (or imports a newer course version without it)."""
    values = [q for q in quiz.questions if q["id"] != question_id]
    status, body = call(quiz, "studio_submit", {"values": {"questions": values}})
    assert status == 200, body


def test_content_change_keeps_score_max_score_and_percentage_consistent(course):
    runtime = course.runtime
    quiz = course.quiz()
    call(quiz, "submit", {"answers": HALF})  # frage-eins wrong (0/1), frage-zwei half (1/2): 1 of 3 points
    assert quiz.get_score() == (1.0, 3.0) and quiz.max_score() == 3.0
    remove_question(course.quiz(), "frage-eins")

    quiz = course.quiz()
    assert quiz.max_score() == 2.0
    assert quiz.get_score() == (1.0, 2.0)  # never 1/3 against a maximum of 2
    assert quiz.get_score().raw_possible == quiz.max_score()
    html = runtime.render(quiz, "student_view").body_html()
    assert "50 %" in html and "33" not in html.split("vamos-result")[1][:400]
    assert "50.0 %" in call(course.module(), "progress", {})[1]["html"]

    assert rescore_problem_module_state(quiz, only_if_higher=False) == UPDATE_STATUS_SUCCEEDED
    assert runtime.published("grade")[-1] == {"value": 1.0, "max_value": 2.0, "only_if_higher": False}
    quiz = course.quiz()
    assert (quiz.raw_earned, quiz.raw_possible) == (1.0, 2.0)


def test_rescore_only_if_higher_keeps_the_better_stored_score(course):
    quiz = course.quiz()
    call(quiz, "submit", {"answers": RIGHT})
    # The course team makes option b of frage-zwei wrong: the stored attempt is worth less now.
    questions = course.quiz().questions
    questions[1]["options"][1]["correct"] = False
    questions[1]["options"][1]["feedback"] = "Nein."
    assert call(course.quiz(), "studio_submit", {"values": {"questions": questions}})[0] == 200
    quiz = course.quiz()
    assert quiz.calculate_score().raw_earned < 3.0
    rescore_problem_module_state(quiz, only_if_higher=True)
    assert course.runtime.published("grade")[-1]["only_if_higher"] is True
    quiz = course.quiz()
    assert quiz.get_score() == (3.0, 3.0)  # the LMS keeps the higher score, so does the block
    rescore_problem_module_state(quiz, only_if_higher=False)
    assert course.quiz().get_score().raw_earned < 3.0


def test_state_is_per_course_run(module_xml):
    """The same module in two course runs: separate blocks, separate StudentModule rows, separate progress."""
    runtime = BlockRuntime()
    first, second = Course(runtime, module_xml), Course(runtime, module_xml)
    first.finish(RIGHT)
    assert call(first.module(), "progress", {})[1]["completed"] is True
    assert call(second.module(), "progress", {})[1]["percent"] == 0
    assert second.quiz().attempts == 0


def test_state_is_per_learner(course):
    course.finish(RIGHT)
    bob = course.runtime.for_user("bob")
    assert call(course.module(bob), "progress", {})[1]["percent"] == 0
    assert course.quiz(bob).attempts == 0 and course.lesson("erste-lektion", bob).done is False
