"""Make the explainer video of each module from erklaervideos.yaml and the module diagrams.

    python course_content/tools/diagrams.py          # first, if diagrams changed
    python course_content/tools/explainer_video.py   # all modules, or name module ids

Needs the Debian packages ffmpeg (libx264, libvpx-vp9) and librsvg2-bin (rsvg-convert), and Pillow.
For each module it writes to ``<module>/media/video/``:

* ``erklaervideo.mp4`` (H.264, plays everywhere) and ``erklaervideo.webm`` (VP9), 1280×720 at 2 frames
  per second: the slides are stills, so a low frame rate keeps each file far below 3 MB;
* ``erklaervideo.jpg``, the poster (the title slide);
* ``erklaervideo.vtt``, the WebVTT captions: the video has no narration (synthetic speech does not sound
  natural enough), so the captions carry the spoken text and are switched on by default;
* ``erklaervideo-transkript.md``, the transcript shown below the player (captions plus what the slides show).

Timing comes from the text: every caption stays on screen long enough to be read at B1 level
(``SECONDS_PER_CHARACTER``), and a slide lasts as long as its captions.

A real recording replaces the generated one by putting its files in place of these (same names, or new
names in the lesson's ``video:`` block): an MP4 with H.264 video, optionally a WebM, a poster image,
captions as WebVTT that match the spoken words, and a transcript. ``vamos validate`` checks all of them.
"""
from __future__ import annotations

import html
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from diagrams import wrap_chars as wrap  # noqa: E402 - one line breaker for diagrams and slides

ROOT = Path(__file__).resolve().parents[1]
TEXTS = Path(__file__).with_name("erklaervideos.yaml")
WIDTH, HEIGHT, FPS = 1280, 720, 2
SECONDS_PER_CHARACTER = 1 / 13  # B1 readers of German (about 13 characters a second), plus a second per caption
MIN_CUE_SECONDS = 3.0
MAX_LINE = 42  # characters per caption line (two lines per cue at most)
FONT = "'Noto Sans', 'DejaVu Sans', Arial, sans-serif"
ACCENT, INK, MUTED, SURFACE = "#0b5cad", "#1b1b1b", "#4a4a4a", "#f4f6f8"


def cues_of(sentence: str) -> list[str]:
    """A caption of up to two lines per cue; longer sentences are split at a word near the middle."""
    lines = wrap(sentence, MAX_LINE)
    return ["\n".join(lines[i:i + 2]) for i in range(0, len(lines), 2)]


def cue_seconds(text: str) -> float:
    return max(MIN_CUE_SECONDS, 1.0 + len(text) * SECONDS_PER_CHARACTER)


def timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def text(x: float, y: float, lines: list[str], size: int, weight: str = "normal", fill: str = INK,
         anchor: str = "start", leading: float = 1.3) -> str:
    spans = "".join(f'<tspan x="{x:g}" dy="{0 if i == 0 else size * leading:g}">{html.escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return (f'<text x="{x:g}" y="{y:g}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
            f'text-anchor="{anchor}">{spans}</text>')


def nested_figure(path: Path, x: float, y: float, max_w: float, max_h: float) -> tuple[str, float]:
    """The diagram as a nested <svg> scaled into the box; returns (markup, width used)."""
    source = path.read_text(encoding="utf-8")
    match = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', source)
    vw, vh = float(match.group(1)), float(match.group(2))
    scale = min(max_w / vw, max_h / vh)
    w, h = vw * scale, vh * scale
    root = re.search(r"<svg\b[^>]*>", source).group(0)
    cleaned = re.sub(r'\s(width|height|x|y)="[^"]*"', "", root)
    placed = cleaned.replace("<svg", f'<svg x="{x + (max_w - w):g}" y="{y:g}" width="{w:g}" height="{h:g}"', 1)
    return source.replace(root, placed, 1).split("?>", 1)[-1], w


def slide_svg(module_title: str, slide: dict, number: int, total: int) -> str:
    parts = [f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>']
    if slide.get("subtitle"):  # title slide
        parts.append(f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{ACCENT}"/>')
        parts.append(text(WIDTH / 2, 250, wrap(slide["title"], 30), 72, "bold", "#ffffff", "middle"))
        parts.append(text(WIDTH / 2, 400, wrap(slide["subtitle"], 50), 40, fill="#ffffff", anchor="middle"))
        parts.append(text(WIDTH / 2, 500, ["VAMOs – Lernmodule für Migrant*innenorganisationen"], 30,
                          fill="#dbe8f7", anchor="middle"))
    else:
        parts.append(f'<rect width="{WIDTH}" height="112" fill="{ACCENT}"/>')
        parts.append(text(48, 72, wrap(slide["title"], 44)[:1], 50, "bold", "#ffffff"))
        parts.append(text(WIDTH - 48, 72, [f"{number} / {total}"], 28, fill="#dbe8f7", anchor="end"))
        text_width = WIDTH - 96
        if slide.get("figure"):
            figure, used = nested_figure(ROOT / slide["figure"], 48, 126, WIDTH - 96, 560)
            parts.append(f'<rect x="{WIDTH - 48 - used - 12:g}" y="120" width="{used + 24:g}" height="572" '
                         f'fill="{SURFACE}" rx="8"/>')
            parts.append(figure)
            text_width = WIDTH - 96 - used - 48
        y = 200
        for bullet in slide.get("bullets", []):
            lines = wrap(bullet, max(12, int(text_width / 24)))
            parts.append(f'<circle cx="64" cy="{y - 14}" r="9" fill="{ACCENT}"/>')
            parts.append(text(88, y, lines, 42))
            y += 42 * 1.3 * len(lines) + 22
    parts.append(text(48, HEIGHT - 20, [module_title], 22, fill=MUTED if not slide.get("subtitle") else "#dbe8f7"))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
            f'height="{HEIGHT}" font-family="{FONT}">' + "".join(parts) + "</svg>")


def build(module_id: str, spec: dict, work: Path) -> dict:
    out_dir = ROOT / module_id / "media" / "video"
    out_dir.mkdir(parents=True, exist_ok=True)
    slides = spec["slides"]
    vtt = ["WEBVTT", ""]
    transcript = ["Das Video hat keinen Ton. Diese Sätze erscheinen als Untertitel.", ""]
    concat, clock = [], 0.0
    for number, slide in enumerate(slides, start=1):
        png = work / f"folie{number:02d}.png"
        svg = work / f"folie{number:02d}.svg"
        svg.write_text(slide_svg(spec["title"], slide, number, len(slides)), encoding="utf-8")
        subprocess.run(["rsvg-convert", "-w", str(WIDTH), "-h", str(HEIGHT), "-o", str(png), str(svg)], check=True)
        start = clock
        for sentence in slide["captions"]:
            for cue in cues_of(sentence):
                seconds = cue_seconds(cue)
                vtt += [timestamp(clock) + " --> " + timestamp(clock + seconds), cue, ""]
                clock += seconds
        clock += 1.0  # a breath between slides
        concat += [f"file '{png.name}'", f"duration {clock - start:.3f}"]
        transcript += [f"## {number}. {slide['title']}", ""]
        if slide.get("bullets"):
            transcript += ["Auf der Folie: " + "; ".join(slide["bullets"]) + ".", ""]
        if slide.get("figure"):
            transcript += [f"Auf der Folie: die Abbildung „{_figure_title(slide['figure'])}“ aus dem Modul.", ""]
        transcript += [" ".join(slide["captions"]), ""]
    concat.append(f"file 'folie{len(slides):02d}.png'")  # the concat demuxer needs the last file twice
    (work / "folien.txt").write_text("\n".join(concat) + "\n", encoding="utf-8")
    base = out_dir / "erklaervideo"
    source = ["ffmpeg", "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(work / "folien.txt"),
              "-vf", f"fps={FPS},format=yuv420p", "-an"]
    subprocess.run(source + ["-c:v", "libx264", "-preset", "slow", "-tune", "stillimage", "-crf", "26",
                             "-g", str(FPS * 10), "-movflags", "+faststart", str(base) + ".mp4"], check=True)
    subprocess.run(source + ["-c:v", "libvpx-vp9", "-crf", "38", "-b:v", "0", "-g", str(FPS * 10),
                             "-deadline", "good", "-cpu-used", "4", "-row-mt", "1", str(base) + ".webm"], check=True)
    Image.open(work / "folie01.png").convert("RGB").save(str(base) + ".jpg", quality=82, optimize=True)
    Path(str(base) + ".vtt").write_text("\n".join(vtt), encoding="utf-8")
    Path(str(base) + "-transkript.md").write_text("\n".join(transcript), encoding="utf-8")
    sizes = {ext: Path(str(base) + ext).stat().st_size for ext in (".mp4", ".webm", ".jpg")}
    return {"seconds": clock, **sizes}


def _figure_title(relative: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", (ROOT / relative).read_text(encoding="utf-8"))
    return html.unescape(match.group(1)) if match else Path(relative).stem


def main(argv: list[str]) -> int:
    texts = yaml.safe_load(TEXTS.read_text(encoding="utf-8"))
    chosen = argv or list(texts)
    for module_id in chosen:
        with tempfile.TemporaryDirectory() as work:
            result = build(module_id, texts[module_id], Path(work))
        print(f"{module_id}: {result['seconds'] / 60:.1f} min, mp4 {result['.mp4'] / 1e6:.2f} MB, "
              f"webm {result['.webm'] / 1e6:.2f} MB, poster {result['.jpg'] / 1e3:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
