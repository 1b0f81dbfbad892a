"""Authoring: modules as documents that a browser editor changes, in the same format as the files.

* ``document``  the editor's document (a module folder as plain data) and the ids born once in it;
* ``folder``    document ↔ module folder files (YAML + Markdown), canonical, and the content hash;
* ``archive``   ZIP export and the hostile-input-safe ZIP import;
* ``media``     images and downloads trainers upload (type, size, SVG sanitising);
* ``check``     the core validator run on a document, its problems explained in plain German per field;
* ``diff``      a readable diff between two versions.

One set of rules, two ways to write: every check is the loader's (``vamos_core.loader``) on the files the
document serialises to; this package only translates between the editor and the files.
"""
