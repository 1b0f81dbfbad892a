"""What the three VAMOs blocks share: content lookup, translation, templates, the learner's module progress
record and a validating Studio editor.

Learner progress across blocks: each block keeps its own facts in ``Scope.user_state`` (a lesson: done or not;
the quiz: its attempts). The module block must see the facts of its siblings, which XBlock state does not allow,
so the lesson and quiz blocks also mirror their facts into one record per learner in ``Scope.user_info``
(``vamos_progress``, shared by every VAMOs block of that learner, keyed by module id). The module state is always
derived from that record with the core's ``module_state`` — the same rule the LTI tool applies to its events.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from web_fragments.fragment import Fragment
from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError
from xblock.fields import Dict, Float, Scope, String
from xblock.utils.resources import ResourceLoader
from xblock.validation import ValidationMessage

from vamos_core.completion import ModuleState, module_state
from vamos_core.content import Module

from . import content
from .i18n import _

loader = ResourceLoader(__name__)


@dataclass(frozen=True)
class EditableField:
    """One author-facing field in the Studio editor."""

    name: str
    kind: str = "text"  # text | textarea | select | number
    choices: Callable[["VamosBlockBase"], list[tuple[str, str]]] | None = None


def module_choices(block: "VamosBlockBase") -> list[tuple[str, str]]:
    return [("", "—")] + [(m.id, f"{m.title} ({m.id})") for m in content.catalog()]


def require_mapping(data: Any, allowed: Iterable[str], translate: Callable[[str], str]) -> dict:
    """A JSON body must be an object with known keys only; anything else is a 400, never guessed at."""
    if not isinstance(data, dict):
        raise JsonHandlerError(400, translate("The request must be a JSON object."))
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise JsonHandlerError(400, translate("Unknown fields: {fields}").format(fields=", ".join(unknown)))
    return data


class VamosBlockBase(XBlock):
    """Base class of the VAMOs blocks (not registered as a block itself)."""

    module_id = String(
        display_name=_("Module"),
        help=_("Id of the VAMOs module (a folder in course_content), e.g. projektmanagement."),
        scope=Scope.settings,
        default="",
    )
    vamos_progress = Dict(
        help=_("The learner's progress in every VAMOs module: done lessons and quiz attempt scores."),
        scope=Scope.user_info,
        default={},
    )

    editable_fields: tuple[EditableField, ...] = ()
    css_class = "vamos"

    # --- translation ----------------------------------------------------------------------------------------

    @property
    def i18n_service(self):
        return self.runtime.service(self, "i18n")

    def _(self, text: str) -> str:  # noqa: N802 - the gettext convention
        service = self.i18n_service
        return service.gettext(text) if service is not None else text

    # --- content --------------------------------------------------------------------------------------------

    def get_module(self) -> Module | None:
        return content.get_module(self.module_id)

    # --- learner progress record (Scope.user_info, see module docstring) --------------------------------------

    def progress_record(self, module_id: str | None = None) -> dict:
        record = (self.vamos_progress or {}).get(module_id or self.module_id) or {}
        return {"lessons": list(record.get("lessons", [])), "attempts": list(record.get("attempts", []))}

    def update_progress_record(self, **changes: Any) -> None:
        if not self.module_id:
            return
        progress = copy.deepcopy(self.vamos_progress or {})
        record = self.progress_record()
        record.update(changes)
        progress[self.module_id] = record
        self.vamos_progress = progress  # assign, so every runtime notices the change

    def current_module_state(self, module: Module) -> ModuleState:
        record = self.progress_record(module.id)
        return module_state(module, record["lessons"], [float(p) for p in record["attempts"]])

    # --- rendering ------------------------------------------------------------------------------------------

    def render_template(self, path: str, context: dict) -> str:
        return loader.render_django_template(path, context)

    def fragment(self, html: str, js_class: str | None, init_args: dict | None = None) -> Fragment:
        frag = Fragment(html)
        frag.add_css_url(self.runtime.local_resource_url(self, "public/css/vamos.css"))
        if js_class:
            frag.add_javascript_url(self.runtime.local_resource_url(self, "public/js/vamos.js"))
            frag.initialize_js(js_class, init_args or {})
        return frag

    def language(self) -> str:
        module = self.get_module()
        return module.language if module else "de"

    # --- Studio ---------------------------------------------------------------------------------------------

    def studio_view(self, context=None) -> Fragment:  # pylint: disable=unused-argument
        fields = []
        for spec in self.editable_fields:
            field = self.fields[spec.name]
            value = getattr(self, spec.name)
            fields.append({
                "name": spec.name,
                "id": f"vamos-{spec.name}",
                "kind": spec.kind,
                "label": self._(field.display_name),
                "help": self._(field.help) if field.help else "",
                "value": "" if value is None else value,
                "choices": spec.choices(self) if spec.choices else [],
            })
        t = {"save": self._("Save"), "cancel": self._("Cancel"), "saved": self._("Saved."),
             "error": self._("Please correct the marked fields.")}
        html = self.render_template("templates/studio_edit.html", {"fields": fields, "t": t})
        return self.fragment(html, "VamosStudioEditor", {"strings": t})

    @XBlock.json_handler
    def studio_submit(self, data, suffix=""):  # pylint: disable=unused-argument
        """Save author-facing fields after validating all of them; a 400 lists every problem at once."""
        body = require_mapping(data, {"values"}, self._)
        values = require_mapping(body.get("values"), [f.name for f in self.editable_fields], self._)
        cleaned: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for spec in self.editable_fields:
            if spec.name not in values:
                continue
            raw = values[spec.name]
            try:
                cleaned[spec.name] = self._clean_value(spec, raw)
            except ValueError as exc:
                errors[spec.name] = str(exc)
        merged = {spec.name: getattr(self, spec.name) for spec in self.editable_fields}
        merged.update(cleaned)
        for name, message in self.validate_studio_values(merged).items():
            errors.setdefault(name, message)
        if errors:
            raise JsonHandlerError(400, {"message": self._("Please correct the marked fields."), "fields": errors})
        for name, value in cleaned.items():
            setattr(self, name, value)
        return {"saved": True, "values": {name: getattr(self, name) for name in cleaned}}

    def _clean_value(self, spec: EditableField, raw: Any) -> Any:
        field = self.fields[spec.name]
        if isinstance(field, Float):
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise ValueError(self._("Enter a number."))
            try:
                number = float(raw)
            except ValueError:
                raise ValueError(self._("Enter a number.")) from None
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(self._("Enter a number."))
            return number
        if not isinstance(raw, str):
            raise ValueError(self._("Enter text."))
        value = raw.strip() if spec.kind != "textarea" else raw
        if spec.kind != "textarea" and len(value) > 255:
            raise ValueError(self._("At most 255 characters."))
        if spec.kind == "textarea" and len(value) > 100_000:
            raise ValueError(self._("The text is too long."))
        return value

    def validate_studio_values(self, values: dict[str, Any]) -> dict[str, str]:
        """Field name → problem, for values the author entered. Extended by each block."""
        errors: dict[str, str] = {}
        if "display_name" in values and not str(values["display_name"]).strip():
            errors["display_name"] = self._("A display name is required.")
        module_id = values.get("module_id")
        if module_id and not content.get_module(module_id):
            errors["module_id"] = self._("Unknown module '{module}'.").format(module=module_id)
        return errors

    def validate(self):
        """Studio warnings on the block itself (unknown or missing module)."""
        validation = super().validate()
        problems = self.validate_studio_values({spec.name: getattr(self, spec.name) for spec in self.editable_fields})
        for message in sorted(set(problems.values())):
            validation.add(ValidationMessage(ValidationMessage.ERROR, message))
        return validation
