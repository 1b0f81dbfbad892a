"""Public entry points for adapters: ``load_catalog()`` and the model types."""
from .loader import default_content_dir, load_catalog, load_module, load_valid_modules, validate_paths  # noqa: F401
from .model import Catalog, Lesson, Module, Question, Quiz  # noqa: F401
from .problems import ContentError, Problem  # noqa: F401
