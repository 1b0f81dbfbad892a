"""Open edX adapter: the VAMOs XBlocks (``vamos_lesson``, ``vamos_quiz``, ``vamos_module``).

Thin adapters over ``vamos_core``: content, grading and the completion rule live in the core; the blocks keep
learner state in XBlock fields and report grades and completion through ``runtime.publish``.
Importing this package stays cheap: the block classes are loaded through the ``xblock.v1`` entry points.
"""
