"""SCORM 2004 4th edition package: ``imsmanifest.xml`` with one organization, one item and one SCO (the player).

The SCO itself decides completion and success (``assets/runtime-scorm2004.js``), so the manifest declares no
sequencing rules that would let an LMS override them with a measure; the passing score is the module's.
Content packaging: IMS CP 1.1.4 with the ADL CP/SEQ/NAV extensions, the namespaces of the 4th edition.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ..model import Module
from . import PackageOptions
from .player import player_files

CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3"
ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
ADLNAV = "http://www.adlnet.org/xsd/adlnav_v1p3"
IMSSS = "http://www.imsglobal.org/xsd/imsss"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATIONS = (
    f"{CP} imscp_v1p1.xsd {ADLCP} adlcp_v1p3.xsd {ADLSEQ} adlseq_v1p3.xsd {ADLNAV} adlnav_v1p3.xsd {IMSSS} imsss_v1p0.xsd"
)


def manifest(module: Module, files: list[str]) -> bytes:
    for prefix, uri in (("", CP), ("adlcp", ADLCP), ("adlseq", ADLSEQ), ("adlnav", ADLNAV), ("imsss", IMSSS),
                        ("xsi", XSI)):
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{{{CP}}}manifest", {"identifier": f"vamos-{module.id}", "version": module.version,
                                             f"{{{XSI}}}schemaLocation": SCHEMA_LOCATIONS})
    metadata = ET.SubElement(root, f"{{{CP}}}metadata")
    ET.SubElement(metadata, f"{{{CP}}}schema").text = "ADL SCORM"
    ET.SubElement(metadata, f"{{{CP}}}schemaversion").text = "2004 4th Edition"
    organizations = ET.SubElement(root, f"{{{CP}}}organizations", default="vamos-org")
    organization = ET.SubElement(organizations, f"{{{CP}}}organization", identifier="vamos-org")
    ET.SubElement(organization, f"{{{CP}}}title").text = module.title
    item = ET.SubElement(organization, f"{{{CP}}}item", identifier=f"item-{module.id}", identifierref="sco")
    ET.SubElement(item, f"{{{CP}}}title").text = module.title
    resources = ET.SubElement(root, f"{{{CP}}}resources")
    resource = ET.SubElement(resources, f"{{{CP}}}resource", {
        "identifier": "sco", "type": "webcontent", f"{{{ADLCP}}}scormType": "sco", "href": "index.html"})
    for name in sorted(files):
        ET.SubElement(resource, f"{{{CP}}}file", href=name)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def files(module: Module, options: PackageOptions) -> dict[str, bytes]:
    out = player_files(module, "runtime-scorm2004.js", options.activity_base, options.certificate_url)
    out["imsmanifest.xml"] = manifest(module, list(out))
    return out
