"""The VAMOs core: content model, loader and validator, safe lesson HTML, quiz grading and completion rules.

Framework-free on purpose: the LTI tool (``lti_tool``) and the Open edX blocks (``vamos_xblocks``)
are thin adapters over this package and never import each other.
"""
