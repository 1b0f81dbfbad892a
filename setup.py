"""vamos-lms: the VAMOs e-learning modules for Open edX (XBlocks, OLX) and LTI 1.3 platforms.

One framework-free core (``vamos_core``) and thin adapters:
``lti_tool`` (Flask + pylti1p3), ``xblocks`` (installed as ``vamos_xblocks``)
and ``scripts`` (the ``vamos`` command line, installed as ``vamos_cli``).
The trainers' ``course_content`` ships inside the wheel as ``vamos_content``.
"""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def package_files(folder: str) -> list[str]:
    """Every file below ``folder`` (relative to it), for package_data."""
    root = HERE / folder
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


CORE = [
    "PyYAML>=6.0",
    "markdown-it-py>=3.0",
    "mdit-py-plugins>=0.4",
    "nh3>=0.2.17",
]
LTI = [
    "Flask>=3.0",
    "pylti1p3>=2.0",
    "SQLAlchemy>=2.0",
    "alembic>=1.13",
    "redis>=5.0",
    "psycopg[binary]>=3.1",
    "gunicorn>=22",
    "Flask-Babel>=4.0",
    "requests>=2.31",
    "cryptography>=42",
    "jwcrypto>=1.5",
]
TEST = [
    "pytest>=8",
    "hypothesis>=6.100",
    "lti1p3platform>=0.1.8",
    "playwright>=1.45",
]

setup(
    name="vamos-lms",
    version="0.1.0",
    description="VAMOs learning modules for migrant organisations: Open edX XBlocks, OLX courses and an LTI 1.3 tool",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.12",
    license="AGPL-3.0-or-later",
    packages=(
        find_packages(include=["vamos_core", "vamos_core.*", "lti_tool", "lti_tool.*"])
        + ["vamos_cli", "vamos_content"]
    ),
    package_dir={"vamos_cli": "scripts", "vamos_content": "course_content"},
    package_data={
        "vamos_content": package_files("course_content"),
        "lti_tool": ["templates/**/*", "static/**/*", "translations/**/*", "migrations/**/*", "migrations/*"],
    },
    include_package_data=True,
    install_requires=CORE + LTI,
    extras_require={"test": TEST},
    entry_points={
        "console_scripts": ["vamos = vamos_cli.cli:main"],
    },
    classifiers=[
        "Programming Language :: Python :: 3.12",
        "Framework :: Flask",
        "Natural Language :: German",
    ],
)
