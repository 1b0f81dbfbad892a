"""Authoring in the LTI tool: a store of module versions, the catalogue learners see, and the use cases.

* ``store``      tables of authored modules, immutable versions and media blobs (optimistic locking);
* ``directory``  one catalogue per platform: the shipped VAMOs-Standard plus that platform's published modules,
                 each version loaded by the core loader from a materialised folder (one code path for learners);
* ``service``    create, copy, save, check, publish, roll back, archive, import/export — with roles and audit.

Rules about content (format, validation, ids, hashes, ZIPs) are ``vamos_core.authoring``'s; this package
stores and guards. Views: ``lti_tool/views/authoring.py``.
"""
