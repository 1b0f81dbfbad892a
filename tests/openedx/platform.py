"""What the Open edX LMS does to a block's learner state, copied from edx-platform so the tests do it too.

Sources (edx-platform, read with the code search; function names as there):

- ``lms/djangoapps/instructor/enrollment.py``: ``reset_student_attempts`` (children first, then either
  ``StudentModule.delete()`` or ``_reset_module_attempts``, which does ``state["attempts"] = 0`` on the JSON state);
- ``lms/djangoapps/instructor_task/tasks_helper/module_state.py``: ``reset_attempts_module_state`` (bulk reset:
  ``if 'attempts' in state and state["attempts"] > 0``), ``delete_problem_module_state`` (row deleted) and
  ``rescore_problem_module_state`` (skip when ``not has_submitted_answer()``, else ``rescore(only_if_higher)`` and
  ``save()``).

The LMS keeps a block's ``Scope.user_state`` as one JSON object per (learner, block) — the ``StudentModule`` row.
Here that row is the set of ``Scope.user_state`` keys of the test runtime's key-value store.
"""
from __future__ import annotations

import json

from xblock.fields import Scope

UPDATE_STATUS_SUCCEEDED, UPDATE_STATUS_SKIPPED = "succeeded", "skipped"


class StudentModuleDoesNotExist(Exception):
    pass


def _keys(runtime, usage_id, user_id):
    return [key for key in runtime.kvs.db_dict
            if key.scope == Scope.user_state and key.user_id == user_id and key.block_scope_id == usage_id]


def student_module_state(runtime, usage_id, user_id) -> dict:
    """``json.loads(StudentModule.state)``."""
    keys = _keys(runtime, usage_id, user_id)
    if not keys:
        raise StudentModuleDoesNotExist(usage_id)
    return json.loads(json.dumps({key.field_name: runtime.kvs.db_dict[key] for key in keys}))


def save_student_module_state(runtime, usage_id, user_id, state: dict) -> None:
    """``StudentModule.state = json.dumps(state); save()`` — the keys the JSON holds, nothing else."""
    template = _keys(runtime, usage_id, user_id)[0]
    for key in _keys(runtime, usage_id, user_id):
        del runtime.kvs.db_dict[key]
    for name, value in json.loads(json.dumps(state)).items():
        runtime.kvs.db_dict[template._replace(field_name=name)] = value


def reset_student_attempts(runtime, usage_id, user_id, delete_module: bool = False) -> None:
    """edx-platform ``instructor/enrollment.py: reset_student_attempts`` (the instructor dashboard, one learner)."""
    block = runtime.get_block(usage_id)
    if getattr(block, "has_children", False):
        for child in block.children:  # "A block may have children. Clear state on children first."
            try:
                reset_student_attempts(runtime, child, user_id, delete_module=delete_module)
            except StudentModuleDoesNotExist:
                pass
    state = student_module_state(runtime, usage_id, user_id)
    if delete_module:
        for key in _keys(runtime, usage_id, user_id):  # module_to_reset.delete()
            del runtime.kvs.db_dict[key]
    else:  # _reset_module_attempts
        state["attempts"] = 0
        save_student_module_state(runtime, usage_id, user_id, state)


def reset_attempts_module_state(runtime, usage_id, user_id) -> str:
    """edx-platform ``instructor_task/tasks_helper/module_state.py: reset_attempts_module_state`` (all learners)."""
    state = student_module_state(runtime, usage_id, user_id)
    if "attempts" in state:
        if state["attempts"] > 0:  # a list here raised TypeError in the task
            state["attempts"] = 0
            save_student_module_state(runtime, usage_id, user_id, state)
            return UPDATE_STATUS_SUCCEEDED
    return UPDATE_STATUS_SKIPPED


def rescore_problem_module_state(block, only_if_higher: bool) -> str:
    """edx-platform ``instructor_task/tasks_helper/module_state.py: rescore_problem_module_state``."""
    if not hasattr(block, "rescore"):
        raise AssertionError("Specified problem does not support rescoring.")
    if not block.has_submitted_answer():
        return UPDATE_STATUS_SKIPPED
    block.rescore(only_if_higher=only_if_higher)
    block.save()
    return UPDATE_STATUS_SUCCEEDED
