"""What the three VAMOs blocks share: the content in block fields (read and written as OLX by the core),
translation, templates and a validating Studio editor.

**Content** lives in the blocks' content- and settings-scoped fields, filled from the course's OLX
(``vamos_core.olx.read_block_element``) or by Studio edits; nothing is looked up in the installed package.
**Learner state** lives in ``Scope.user_state`` of each block, per course run (``StudentModule`` rows in Open edX):
a lesson knows whether it is done, the quiz its attempts. The module block is the parent of its lessons and quiz
and derives the module state from their state with the core's ``module_state`` — the same rule the LTI tool uses.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from web_fragments.fragment import Fragment
from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError
from xblock.fields import Boolean, Float, Integer, List, Scope, String
from xblock.utils.resources import ResourceLoader
from xblock.validation import ValidationMessage

from vamos_core.olx import XBLOCK_TAGS, read_block_element, write_block_element

from vamos_core.languages import base_language, text_direction

from .i18n import _

log = logging.getLogger(__name__)
loader = ResourceLoader(__name__)
MAX_TEXT = 200_000  # characters of one Studio text field (a long lesson is ~20 000)


@dataclass(frozen=True)
class EditableField:
    """One author-facing field in the Studio editor."""

    name: str
    kind: str = "text"  # text | textarea | select | number | checkbox
    choices: Callable[["VamosBlockBase"], list[tuple[str, str]]] | None = None
    rows: int = 4


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
        help=_("Id of the VAMOs module this block belongs to (stable; learner state hangs on it)."),
        scope=Scope.settings,
        default="",
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

    # --- content as OLX (the core writes and reads the same XML as `vamos build-olx`) --------------------------

    def content_values(self) -> dict[str, Any]:
        """The block's content and settings as the core's plain values (see ``vamos_core.block_fields``)."""
        return {name: getattr(self, name) for name, field in self.fields.items()
                if field.scope in (Scope.content, Scope.settings) and name not in ("parent", "children")}

    @classmethod
    def parse_xml(cls, node, runtime, keys):
        block = runtime.construct_xblock_from_class(cls, keys)
        for name, value in read_block_element(node).items():
            if name in block.fields:
                setattr(block, name, value)
        for child in node:
            if isinstance(child.tag, str) and child.tag in XBLOCK_TAGS:
                block.runtime.add_node_as_child(block, child)
        return block

    def add_xml_to_node(self, node):
        write_block_element(node, self.scope_ids.block_type, self.content_values())
        node.set("xblock-family", self.entry_point)
        for child_id in getattr(self, "children", ()) or ():
            self.runtime.add_block_as_child_node(self.runtime.get_block(child_id), node)

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

    def page_language(self) -> str:
        """The language of the content (German): marked on the lesson text, quiz questions and titles."""
        language = getattr(self, "language", "")
        return language if isinstance(language, str) and language else "de"

    def ui_language(self) -> str:
        """The learner's interface language as the platform set it (Django's active language; issue 17)."""
        try:
            from django.utils.translation import get_language
        except ImportError:  # pragma: no cover - every Open edX runtime has Django
            return "en"
        return base_language(get_language()) or "en"

    def language_context(self) -> dict[str, str]:
        """``lang``/``dir`` of the block (interface) and of its German content, for the templates."""
        ui = self.ui_language()
        return {"ui_lang": ui, "ui_dir": text_direction(ui), "lang": self.page_language(),
                "lang_dir": text_direction(self.page_language())}

    def replace_urls(self, html: str) -> str:
        """``/static/…`` → the course's asset URLs where the platform offers it (mobile data has no page wrapper)."""
        try:
            service = self.runtime.service(self, "replace_urls")
        except Exception:  # pylint: disable=broad-except - NoSuchServiceError outside the LMS
            service = None
        if service is None:
            return html
        try:
            return service.replace_urls(html)
        except Exception:  # pylint: disable=broad-except
            log.warning("replace_urls failed for %s", self.scope_ids.usage_id)
            return html

    # --- Studio ---------------------------------------------------------------------------------------------

    def editor_fields(self) -> list[dict]:
        fields = []
        for spec in self.editable_fields:
            field = self.fields[spec.name]
            value = getattr(self, spec.name)
            fields.append({
                "name": spec.name,
                "id": f"vamos-{spec.name}-{id(self)}",
                "kind": spec.kind,
                "rows": spec.rows,
                "label": self._(field.display_name),
                "help": self._(field.help) if field.help else "",
                # numbers as plain strings: Django would localise 70.0 as "70,0", which <input type=number> drops
                "value": "" if value is None else (_plain_number(value) if spec.kind == "number" else value),
                "choices": spec.choices(self) if spec.choices else [],
            })
        return fields

    def author_summary_html(self, title: str, lines: list[str]) -> str:
        """Studio's unit page: a readable summary and every problem the core finds (instead of the whole content)."""
        return self.render_template("templates/author_summary.html", {
            "title": title, "lines": lines, "problems": self.validate_studio_values(self.content_values())})

    def studio_strings(self) -> dict:
        return {"save": self._("Save"), "cancel": self._("Cancel"), "saved": self._("Saved."),
                "error": self._("Please correct the marked fields."), "preview": self._("Preview")}

    def studio_view(self, context=None) -> Fragment:  # pylint: disable=unused-argument
        t = self.studio_strings()
        html = self.render_template("templates/studio_edit.html", {
            "fields": self.editor_fields(), "t": t, "extra": self.studio_extra_html()})
        return self.fragment(html, "VamosStudioEditor", {"strings": t})

    def studio_extra_html(self) -> str:
        """Block-specific editor parts (the quiz's question editor, the lesson's preview)."""
        return ""

    @XBlock.json_handler
    def studio_submit(self, data, suffix=""):  # pylint: disable=unused-argument
        """Save author-facing fields after validating all of them; a 400 names every problem next to its field."""
        body = require_mapping(data, {"values"}, self._)
        values = require_mapping(body.get("values"), [f.name for f in self.editable_fields] + list(self.extra_editable),
                                 self._)
        cleaned: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, raw in values.items():
            try:
                cleaned[name] = self._clean_value(name, raw)
            except ValueError as exc:
                errors[name] = str(exc)
        merged = self.content_values()
        merged.update(cleaned)
        for name, message in self.validate_studio_values(merged).items():
            errors.setdefault(name, message)
        if errors:
            raise JsonHandlerError(400, {"message": self._("Please correct the marked fields."), "fields": errors})
        try:
            for name, value in cleaned.items():
                setattr(self, name, value)
            self.save()
        except Exception:  # pylint: disable=broad-except
            # In the LMS, content and settings are read-only (learners can call any handler, never change a course).
            # Forget the refused values, so the runtime's own save after the handler does not try them again.
            for name in cleaned:
                self.fields[name]._del_cached_value(self)  # pylint: disable=protected-access
            self._clear_dirty_fields()  # pylint: disable=protected-access
            log.warning("studio_submit refused on %s: authored fields are read-only here", self.scope_ids.usage_id)
            raise JsonHandlerError(403, self._("Only course authors can change this, in Studio.")) from None
        return {"saved": True}

    extra_editable: tuple[str, ...] = ()  # fields saved by block-specific editors (not in editable_fields)

    def _clean_value(self, name: str, raw: Any) -> Any:
        field = self.fields[name]
        if isinstance(field, Boolean):
            if not isinstance(raw, bool):
                raise ValueError(self._("Choose yes or no."))
            return raw
        if isinstance(field, (Float, Integer)):
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise ValueError(self._("Enter a number."))
            try:
                number = float(raw)
            except ValueError:
                raise ValueError(self._("Enter a number.")) from None
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(self._("Enter a number."))
            if isinstance(field, Integer):
                if not number.is_integer():
                    raise ValueError(self._("Enter a whole number."))
                return int(number)
            return number
        if isinstance(field, List):
            if not isinstance(raw, list):
                raise ValueError(self._("Enter a list of questions."))
            return raw
        if not isinstance(raw, str):
            raise ValueError(self._("Enter text."))
        kind = next((f.kind for f in self.editable_fields if f.name == name), "text")
        value = raw.strip() if kind != "textarea" else raw
        if kind != "textarea" and len(value) > 255:
            raise ValueError(self._("At most 255 characters."))
        if len(value) > MAX_TEXT:
            raise ValueError(self._("The text is too long."))
        return value

    def validate_studio_values(self, values: dict[str, Any]) -> dict[str, str]:
        """Field name → problem, for values the author entered. Extended by each block."""
        errors: dict[str, str] = {}
        if "display_name" in values and not str(values["display_name"] or "").strip():
            errors["display_name"] = self._("A display name is required.")
        return errors

    def validate(self):
        """Studio warnings on the block itself (content that does not pass the core's checks)."""
        validation = super().validate()
        problems = self.validate_studio_values(self.content_values())
        for name, message in sorted(problems.items()):
            validation.add(ValidationMessage(ValidationMessage.ERROR, f"{name}: {message}"))
        return validation

    def translate_problem(self, message: str) -> str:
        """The core's check messages are English; show them in the interface language where translated."""
        return "; ".join(self._(part) for part in message.split("; "))


def _plain_number(value) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)
