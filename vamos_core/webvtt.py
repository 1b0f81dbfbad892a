"""WebVTT captions: a strict reader for the subset browsers show, so broken captions fail validation, not playback.

Follows the WebVTT file structure (W3C WebVTT, sections 4.1 and 6.1): a "WEBVTT" signature line, blocks
separated by blank lines, NOTE/STYLE/REGION blocks, cues with an optional identifier and a timing line
``[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt [settings]``. Cue text may hold the cue tags (<c>, <i>, <b>, <u>, <v>,
<lang>, <ruby>, <rt>, timestamps); anything else that looks like markup is refused, because captions are
also turned into the transcript shown to learners.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING_RE = re.compile(rf"^{_TIME}[ \t]+-->[ \t]+{_TIME}(?:[ \t]+(.*))?$")
_TAG_RE = re.compile(r"</?([A-Za-z]+|\d[\d:.]*)(?:[.\w-]*)(?:[ \t][^>]*)?>")
CUE_TAGS = {"c", "i", "b", "u", "v", "lang", "ruby", "rt"}
_SETTING_RE = re.compile(r"^(vertical|line|position|size|align|region):\S+$")


class WebVttError(ValueError):
    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str  # as written (may contain cue tags)
    line: int  # line of the timing line

    @property
    def plain_text(self) -> str:
        return _TAG_RE.sub("", self.text).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", " ")


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def parse_webvtt(text: str) -> list[Cue]:
    """All cues of a WebVTT file in order; raises ``WebVttError`` at the first line that breaks the format."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or not re.match(r"^WEBVTT(?:[ \t].*)?$", lines[0]):
        raise WebVttError(1, "the file must start with the line 'WEBVTT'")
    cues: list[Cue] = []
    index = 1
    # The header may continue until the first blank line.
    while index < len(lines) and lines[index].strip():
        if "-->" in lines[index]:
            raise WebVttError(index + 1, "a blank line must follow the WEBVTT header")
        index += 1
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        start = index
        block = []
        while index < len(lines) and lines[index].strip():
            block.append(lines[index])
            index += 1
        first = block[0]
        if re.match(r"^(NOTE|STYLE|REGION)(?:[ \t]|$)", first) and "-->" not in first:
            if first.startswith(("STYLE", "REGION")) and cues:
                raise WebVttError(start + 1, f"{first.split()[0]} blocks must come before the first cue")
            continue
        timing_at = 0 if "-->" in first else 1
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            raise WebVttError(start + 1, "expected a cue timing line like '00:00:01.000 --> 00:00:04.000'")
        line_no = start + timing_at + 1
        match = _TIMING_RE.match(block[timing_at].strip())
        if not match:
            raise WebVttError(line_no, f"bad cue timing '{block[timing_at].strip()}' (use hh:mm:ss.ttt --> hh:mm:ss.ttt)")
        begin = _seconds(*match.group(1, 2, 3, 4))
        end = _seconds(*match.group(5, 6, 7, 8))
        for setting in (match.group(9) or "").split():
            if not _SETTING_RE.match(setting):
                raise WebVttError(line_no, f"unknown cue setting '{setting}'")
        if end <= begin:
            raise WebVttError(line_no, "the cue ends before it starts")
        if cues and begin < cues[-1].start:
            raise WebVttError(line_no, "cues must be in order of their start time")
        body = block[timing_at + 1 :]
        if not body:
            raise WebVttError(line_no, "the cue has no text")
        for offset, text_line in enumerate(body, start=line_no + 1):
            if "-->" in text_line:
                raise WebVttError(offset, "cue text must not contain '-->' (a blank line is missing before the next cue)")
            for tag in _TAG_RE.finditer(text_line):
                name = tag.group(1).lower()
                if not (name in CUE_TAGS or name[0].isdigit()):
                    raise WebVttError(offset, f"<{name}> is not a WebVTT cue tag")
            if re.search(r"<(?![/A-Za-z\d])|<[^>]*$", text_line):
                raise WebVttError(offset, "write '<' as &lt; in cue text")
        cues.append(Cue(begin, end, "\n".join(body), line_no))
    if not cues:
        raise WebVttError(len(lines), "the file has no cues")
    return cues


def transcript_from_cues(cues: list[Cue]) -> str:
    """The caption text as one running text (used when checking that a transcript covers the captions)."""
    return " ".join(" ".join(cue.plain_text.split()) for cue in cues)
