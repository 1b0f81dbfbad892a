"""The ``video:`` block of a lesson's front matter: read, check and turn into ``model.Video``.

    video:
      title: "Erklärvideo: Ein Projekt in fünf Schritten"
      files: [media/video/projektmanagement.mp4, media/video/projektmanagement.webm]
      poster: media/video/projektmanagement.jpg
      captions: media/video/projektmanagement.vtt
      transcript: media/video/projektmanagement-transkript.md

or, for a recording on the organisation's own server, ``url: https://…/film.mp4`` instead of ``files``
(captions and transcript stay in the module, so they are checked and always available).
"""
from __future__ import annotations

from pathlib import Path

from . import schema as s
from .model import Video
from .problems import ProblemList
from .webvtt import WebVttError, parse_webvtt
from .yaml_lines import LineDict

VIDEO_SPEC = {
    "title": s.Field(str, check=s.non_empty),
    "files": s.Field(list, required=False),
    "url": s.Field(str, required=False),
    "poster": s.Field(str, required=False),
    "captions": s.Field(str, check=s.non_empty),
    "captions_language": s.Field(str, required=False, check=s.one_of("de", "en")),
    "transcript": s.Field(str, check=s.non_empty),
}
VIDEO_TYPES = {".mp4": "video/mp4", ".webm": "video/webm"}
POSTER_TYPES = {".jpg", ".jpeg", ".png", ".webp"}
MAX_VIDEO_BYTES = 50_000_000  # a few minutes of lesson video; longer recordings belong on a server (url:)


def load_video(raw, module_dir: Path, out: ProblemList, line: int) -> Video | None:
    """Check the ``video`` mapping (all problems into ``out``); the Video, or None if anything is wrong."""
    before = out.count()
    data = s.check_mapping(raw, VIDEO_SPEC, out, "video", line)
    if data is None:
        return None
    files = _files(data, module_dir, out)
    url = data.get("url")
    if isinstance(url, str) and not url.startswith("https://"):
        out.add(data.line_of("url"), "video.url", "must start with https:// (the organisation's own server)")
    if ("files" in data) == ("url" in data):
        out.add(line, "video", "give either files (in the module) or url (https://…), not both or neither")
    poster = data.get("poster")
    if isinstance(poster, str):
        if Path(poster).suffix.lower() not in POSTER_TYPES:
            out.add(data.line_of("poster"), "video.poster", "must be a JPEG, PNG or WebP image")
        else:
            _module_file(poster, module_dir, out, data.line_of("poster"), "video.poster")
    elif "files" in data:
        out.add(line, "video.poster", "a poster image is required for video files (shown before playing)")
    duration = _captions(data, module_dir, out)
    _transcript(data, module_dir, out)
    if out.count() != before or not isinstance(data.get("title"), str):
        return None
    return Video(
        title=data["title"].strip(), captions=data["captions"], transcript=data["transcript"], files=tuple(files),
        url=url, poster=poster, captions_language=data.get("captions_language", "de"), duration_seconds=duration,
    )


def _module_file(relative: str, module_dir: Path, out: ProblemList, line: int, field: str) -> Path | None:
    target = (module_dir / relative).resolve()
    if module_dir.resolve() not in target.parents:
        out.add(line, field, f"'{relative}' points outside the module folder")
        return None
    if not target.is_file():
        out.add(line, field, f"'{relative}' does not exist in the module folder")
        return None
    return target


def _files(data: LineDict, module_dir: Path, out: ProblemList) -> list[str]:
    items = data.get("files")
    if not isinstance(items, list):
        return []
    line = data.line_of("files")
    names = [f for f in items if isinstance(f, str)]
    if len(names) != len(items) or not names:
        out.add(line, "video.files", "must be a list of file paths (an .mp4 and optionally a .webm)")
        return names
    kinds = [Path(f).suffix.lower() for f in names]
    if ".mp4" not in kinds:
        out.add(line, "video.files", "needs an .mp4 file (H.264): every browser and phone plays it")
    if len(set(kinds)) != len(kinds) or any(k not in VIDEO_TYPES for k in kinds):
        out.add(line, "video.files", "only one .mp4 and one .webm file are allowed")
    for index, name in enumerate(names):
        path = _module_file(name, module_dir, out, items.line_of(index), f"video.files[{index}]")
        if path is None:
            continue
        problem = _video_file_problem(path)
        if problem:
            out.add(items.line_of(index), f"video.files[{index}]", problem)
    return names


def _video_file_problem(path: Path) -> str | None:
    size = path.stat().st_size
    if size > MAX_VIDEO_BYTES:
        return f"{size // 1_000_000} MB is too large for the module; put long videos on a server and use url:"
    data = path.read_bytes()
    if path.suffix.lower() == ".mp4":
        if data[4:8] != b"ftyp":
            return "is not an MP4 file"
        # The sample description names the codec; H.264 is 'avc1' (or 'avc3'). Others do not play everywhere.
        if b"avc1" not in data and b"avc3" not in data:
            return "the MP4 must contain H.264 video (avc1); re-encode with libx264"
    elif path.suffix.lower() == ".webm" and not data.startswith(b"\x1a\x45\xdf\xa3"):
        return "is not a WebM file"
    return None


def _captions(data: LineDict, module_dir: Path, out: ProblemList) -> float:
    name = data.get("captions")
    if not isinstance(name, str) or not name.strip():
        return 0.0
    line = data.line_of("captions")
    if Path(name).suffix.lower() != ".vtt":
        out.add(line, "video.captions", "captions must be a WebVTT file (.vtt)")
        return 0.0
    path = _module_file(name, module_dir, out, line, "video.captions")
    if path is None:
        return 0.0
    try:
        cues = parse_webvtt(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        out.add(line, "video.captions", f"'{name}' is not UTF-8 text")
        return 0.0
    except WebVttError as exc:
        out.add(line, "video.captions", f"{name}:{exc.line}: {exc.message}")
        return 0.0
    return cues[-1].end


def _transcript(data: LineDict, module_dir: Path, out: ProblemList) -> None:
    name = data.get("transcript")
    if not isinstance(name, str) or not name.strip():
        return
    line = data.line_of("transcript")
    if Path(name).suffix.lower() not in (".md", ".txt"):
        out.add(line, "video.transcript", "the transcript must be a Markdown file (.md)")
        return
    path = _module_file(name, module_dir, out, line, "video.transcript")
    if path is None:
        return
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        out.add(line, "video.transcript", f"'{name}' is not UTF-8 text")
        return
    if len(text.split()) < 20:
        out.add(line, "video.transcript", f"'{name}' is too short to be a transcript (under 20 words)")
