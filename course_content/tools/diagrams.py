"""Draw the course diagrams as SVG from the data below: `python course_content/tools/diagrams.py`.

Why generated: one design (colours, font sizes, spacing) for every module, text that can be corrected in one
place, and numbers computed instead of typed (Finanzierungsarten). The files land in each module's
``media/abbildungen/`` and are checked like any figure (``vamos validate``: clean SVG, viewBox).

Phone first: every drawing is 360 units wide with text of at least 16 units, so on a 320 px screen
(about 288 px for the picture) the smallest letters are still about 13 px high. Colour never carries
meaning alone: every coloured area also has a word.
"""
from __future__ import annotations

import html
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
W = 360  # drawing width in SVG units
FONT = "'Noto Sans', 'DejaVu Sans', Arial, sans-serif"
INK, MUTED, LINE = "#1b1b1b", "#4a4a4a", "#8a939e"
BLUE, BLUE_LIGHT = "#0b5cad", "#e3eefa"
GREEN, GREEN_LIGHT = "#1d6b2f", "#e2f1e5"
AMBER, AMBER_LIGHT = "#7a4f00", "#fdf0cf"
RED, RED_LIGHT = "#a61b1b", "#f9e0e0"
BROWN, BROWN_LIGHT = "#6b4423", "#f1e6da"
GREY_LIGHT = "#f4f6f8"
CHAR = 0.57  # average glyph width of the sans fonts above, in font sizes (measured on Noto Sans, DejaVu wider)


def wrap_chars(text: str, limit: int) -> list[str]:
    """Break ``text`` into lines of at most ``limit`` characters (greedy, on spaces; long words stay whole)."""
    lines: list[str] = []
    # Split on plain spaces only: a no-break space keeps "e. V." and "12.000 €" together.
    for word in text.replace("e. V.", "e.\u00a0V.").split(" "):
        if not word:
            continue
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def wrap(text: str, width: float, size: float = 16) -> list[str]:
    """Break ``text`` into lines that fit ``width`` units at font ``size``."""
    return wrap_chars(text, max(4, int(width / (size * CHAR))))


class Drawing:
    def __init__(self, title: str, description: str):
        self.title, self.description = title, description
        self.parts: list[str] = []
        self.height = 0.0

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def rect(self, x, y, w, h, fill, stroke=LINE, radius=6, width=1.5) -> None:
        self.add(f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="{radius}" fill="{fill}" '
                 f'stroke="{stroke}" stroke-width="{width}"/>')

    def text(self, x, y, lines: list[str] | str, size=16, weight="normal", fill=INK, anchor="start", leading=1.25) -> float:
        """Write lines starting with the first baseline at ``y``; returns the baseline of a following line."""
        lines = [lines] if isinstance(lines, str) else lines
        spans = "".join(
            f'<tspan x="{x:g}" dy="{0 if i == 0 else size * leading:g}">{html.escape(line)}</tspan>' for i, line in enumerate(lines)
        )
        self.add(f'<text x="{x:g}" y="{y:g}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
                 f'text-anchor="{anchor}">{spans}</text>')
        return y + size * leading * len(lines)

    def line(self, x1, y1, x2, y2, stroke=LINE, width=2, arrow=False) -> None:
        end = ' marker-end="url(#pfeil)"' if arrow else ""
        self.add(f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="{stroke}" stroke-width="{width}"{end}/>')

    def heading(self, y: float, text: str) -> float:
        return self.text(16, y, wrap(text, W - 32, 19), size=19, weight="bold") + 14

    def svg(self) -> str:
        height = round(self.height)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="{W}" height="{height}" '
            f'role="img" aria-labelledby="t d" font-family="{FONT}">\n'
            f"<title id=\"t\">{html.escape(self.title)}</title>\n<desc id=\"d\">{html.escape(self.description)}</desc>\n"
            '<defs><marker id="pfeil" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{MUTED}"/></marker></defs>\n'
            f'<rect width="{W}" height="{height}" fill="#ffffff"/>\n' + "\n".join(self.parts) + "\n</svg>\n"
        )


def boxed(d: Drawing, x, y, w, label: str, body: str, fill, stroke, label_fill=None, size=16) -> float:
    """A box with a bold label line and wrapped body text; returns the y below the box."""
    lines = wrap(body, w - 24, size) if body else []
    height = 14 + 20 + (len(lines) * size * 1.25 if lines else 0) + 8
    d.rect(x, y, w, height, fill, stroke)
    d.text(x + 12, y + 26, wrap(label, w - 24, 17)[:1], size=17, weight="bold", fill=label_fill or stroke)
    if lines:
        d.text(x + 12, y + 28 + size * 1.25, lines, size=size)
    return y + height


# ---------------------------------------------------------------- Projektmanagement

WIRKUNGSTREPPE = [  # (stage, text, kind) — lesson wirkungslogik, after PHINEO "Kursbuch Wirkung"
    (1, "Aktivitäten finden wie geplant statt", "Output"),
    (2, "Zielgruppen werden erreicht", "Output"),
    (3, "Zielgruppen akzeptieren die Angebote", "Output"),
    (4, "Bewusstsein oder Fähigkeiten ändern sich", "Outcome"),
    (5, "Zielgruppen ändern ihr Handeln", "Outcome"),
    (6, "Die Lebenslage ändert sich", "Outcome"),
    (7, "Die Gesellschaft verändert sich", "Impact"),
]
KIND_COLOURS = {"Output": (BLUE, BLUE_LIGHT), "Outcome": (GREEN, GREEN_LIGHT), "Impact": (AMBER, AMBER_LIGHT)}


def wirkungstreppe() -> Drawing:
    d = Drawing("Die Wirkungstreppe", "Sieben Stufen von den Aktivitäten bis zur Veränderung der Gesellschaft; "
                "Stufen 1 bis 3 sind Output, 4 bis 6 Outcome, 7 Impact.")
    y = d.heading(30, "Die Wirkungstreppe: sieben Stufen")
    step_h, shift = 58, 18
    top = y
    for index, (stage, text, kind) in enumerate(reversed(WIRKUNGSTREPPE)):
        level = 7 - index  # drawn from the top (stage 7) down
        x = 12 + (level - 1) * shift
        width = W - 12 - x
        stroke, fill = KIND_COLOURS[kind]
        row_y = top + index * step_h
        d.rect(x, row_y, width, step_h - 6, fill, stroke)
        d.add(f'<circle cx="{x + 20:g}" cy="{row_y + 26:g}" r="14" fill="{stroke}"/>')
        d.text(x + 20, row_y + 32, str(stage), size=17, weight="bold", fill="#ffffff", anchor="middle")
        lines = wrap(text, width - 50, 16)[:2]
        base = row_y + (22 if len(lines) == 2 else 32)
        d.text(x + 42, base, lines, size=16)
    y = top + 7 * step_h + 16
    for i, (kind, note) in enumerate([("Output", "Stufen 1–3: Angebot"), ("Outcome", "Stufen 4–6: Wirkung bei Menschen"),
                                      ("Impact", "Stufe 7: Gesellschaft")]):
        stroke, fill = KIND_COLOURS[kind]
        d.rect(16, y - 15, 20, 20, fill, stroke, radius=3)
        y = d.text(44, y, wrap(f"{kind} – {note}", W - 60, 16), size=16) + 8
    d.height = y
    return d


PROBLEMBAUM = {  # lesson bedarfe-erheben
    "folgen": ["schlechtere Noten", "Stress in der Familie", "weniger Chancen beim Übergang in die weiterführende Schule"],
    "kern": "Viele Kinder aus unseren Familien erledigen ihre Hausaufgaben unvollständig.",
    "ursachen": ["kein ruhiger Lernplatz", "Eltern verstehen Schulbriefe und Elternportal nicht", "wenig Hilfe in Mathematik"],
}


def problembaum() -> Drawing:
    data = PROBLEMBAUM
    d = Drawing("Der Problembaum", "Oben die Folgen (Äste), in der Mitte das Kernproblem (Stamm), "
                "unten die Ursachen (Wurzeln), am Beispiel der Hausaufgabenhilfe.")
    y = d.heading(30, "Der Problembaum")
    y = d.text(16, y + 4, "Äste = Folgen", size=17, weight="bold", fill=GREEN) + 10
    for text in data["folgen"]:
        lines = wrap(text, W - 56, 16)
        h = 16 + len(lines) * 20
        d.rect(28, y, W - 44, h, GREEN_LIGHT, GREEN, radius=14)
        d.text(42, y + 24, lines)
        y += h + 8
    d.line(W / 2, y + 2, W / 2, y + 22, stroke=BROWN, width=3, arrow=False)
    y += 28
    lines = wrap(data["kern"], W - 70, 17)
    h = 42 + len(lines) * 21
    d.rect(40, y, W - 80, h, BROWN_LIGHT, BROWN, width=3)
    d.text(W / 2, y + 26, "Stamm = Kernproblem", size=17, weight="bold", fill=BROWN, anchor="middle")
    d.text(W / 2, y + 50, lines, size=17, anchor="middle")
    y += h + 4
    for dx in (-60, 0, 60):
        d.line(W / 2, y, W / 2 + dx, y + 24, stroke=BROWN, width=3)
    y += 44
    y = d.text(16, y, "Wurzeln = Ursachen", size=17, weight="bold", fill=BROWN) + 10
    for text in data["ursachen"]:
        lines = wrap(text, W - 56, 16)
        h = 16 + len(lines) * 20
        d.rect(28, y, W - 44, h, "#ffffff", BROWN, radius=4)
        d.add(f'<rect x="28" y="{y:g}" width="6" height="{h:g}" fill="{BROWN}"/>')
        d.text(46, y + 24, lines)
        y += h + 8
    y = d.text(16, y + 16, wrap("Tipp: Formulieren Sie jede Ursache positiv – so entsteht der Zielbaum.", W - 32, 16),
               fill=MUTED) + 12
    d.height = y
    return d


MONTHS = ["Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov"]
ZEITPLAN = [  # lesson planen-und-budget: work package → active months
    ("Erzählende und Jugendliche gewinnen", {"Apr", "Mai"}),
    ("Erzählcafés und Aufnahmen", {"Mai", "Jun", "Sep"}),
    ("Texte übersetzen und gestalten", {"Sep", "Okt"}),
    ("Ausstellung und Abschlussfest", {"Nov"}),
    ("Abrechnung und Nachweis", {"Nov"}),
]
MEILENSTEINE = [("Jun", "30. Juni: zehn Interviews sind aufgenommen"), ("Nov", "November: Ausstellung eröffnet")]


def zeitplan() -> Drawing:
    d = Drawing("Zeitplan mit Meilensteinen", "Balkenplan von April bis November mit fünf Arbeitspaketen, "
                "einer Sommerpause im Juli und August und zwei Meilensteinen.")
    y = d.heading(30, "Zeitplan mit Meilensteinen")
    left, col = 16, (W - 32) / len(MONTHS)
    pause = [MONTHS.index("Jul"), MONTHS.index("Aug")]
    for i, month in enumerate(MONTHS):
        d.text(left + col * (i + 0.5), y + 8, month, size=16, weight="bold", anchor="middle")
    y += 20
    chart_top = y
    rows_h = len(ZEITPLAN) * 54
    d.add(f'<rect x="{left + col * pause[0]:g}" y="{chart_top:g}" width="{col * 2:g}" height="{rows_h + 54:g}" '
          f'fill="{GREY_LIGHT}" stroke="{LINE}" stroke-dasharray="4 3"/>')
    for name, active in ZEITPLAN:
        d.text(left + 2, y + 20, name, size=16)
        for i in range(len(MONTHS) + 1):  # month lines only beside the bars, never through the text
            d.line(left + col * i, y + 26, left + col * i, y + 48, stroke="#c9ced6", width=1)
        for i, month in enumerate(MONTHS):
            if month in active:
                d.rect(left + col * i + 2, y + 28, col - 4, 18, BLUE, BLUE, radius=3, width=0)
        y += 54
    # Milestones: diamonds in their month, numbered; texts below the chart.
    for number, (month, _) in enumerate(MEILENSTEINE, start=1):
        cx, cy = left + col * (MONTHS.index(month) + 0.5), y + 22
        d.add(f'<path d="M{cx:g} {cy - 14:g}L{cx + 14:g} {cy:g}L{cx:g} {cy + 14:g}L{cx - 14:g} {cy:g}z" fill="{AMBER}"/>')
        d.text(cx, cy + 6, str(number), size=16, weight="bold", fill="#ffffff", anchor="middle")
    d.text(left + col * (pause[0] + 1), y + 28, "Pause", size=16, fill=MUTED, anchor="middle")
    y += 64
    for number, (_, text) in enumerate(MEILENSTEINE, start=1):
        y = d.text(16, y, wrap(f"◆ {number}: {text}", W - 32, 16)) + 4
    y = d.text(16, y + 2, wrap("Grau: Sommerferien als Zeitpuffer, keine Aktivität geplant.", W - 32, 16), fill=MUTED) + 14
    d.height = y
    return d


LEVELS = ["gering", "mittel", "hoch"]
ZONES = {"Rot": (RED, RED_LIGHT), "Gelb": (AMBER, AMBER_LIGHT), "Grün": (GREEN, GREEN_LIGHT)}
RISIKEN = [  # lesson steuern-und-risiken: (risk, probability, impact)
    ("Bescheid kommt spät", "mittel", "hoch"),
    ("Projektleiterin fällt aus", "gering", "hoch"),
    ("Raum fällt weg", "mittel", "mittel"),
    ("Aufnahmegerät wird gestohlen", "gering", "mittel"),
    ("Weniger Jugendliche als geplant", "mittel", "mittel"),
]


def zone(probability: str, impact: str) -> str:
    score = LEVELS.index(probability) + LEVELS.index(impact)  # 0..4, the lesson's table
    return "Grün" if score <= 1 else "Gelb" if score == 2 else "Rot"


def risikomatrix() -> Drawing:
    d = Drawing("Risikomatrix", "Drei mal drei Felder: Wahrscheinlichkeit gering, mittel, hoch gegen Auswirkung "
                "gering, mittel, hoch; die Felder sind grün, gelb oder rot; fünf Beispielrisiken sind eingetragen.")
    y = d.heading(30, "Risikomatrix")
    label_w, cell_w, cell_h = 92, (W - 16 - 92) / 3, 74
    d.text(label_w + 1.5 * cell_w, y + 4, "Auswirkung →", size=16, weight="bold", anchor="middle")
    y += 16
    for i, level in enumerate(LEVELS):
        d.text(label_w + cell_w * (i + 0.5), y + 12, level, size=16, anchor="middle")
    top = y + 22
    for row, probability in enumerate(reversed(LEVELS)):
        cy = top + row * cell_h
        d.text(label_w - 8, cy + cell_h / 2 + 6, probability, size=16, anchor="end")
        for col, impact in enumerate(LEVELS):
            name = zone(probability, impact)
            stroke, fill = ZONES[name]
            d.rect(label_w + col * cell_w, cy, cell_w, cell_h, fill, "#ffffff", radius=0, width=3)
            d.text(label_w + col * cell_w + 8, cy + 22, name, size=16, weight="bold", fill=stroke)
            numbers = [str(n) for n, (_, p, imp) in enumerate(RISIKEN, start=1) if p == probability and imp == impact]
            if numbers:
                d.text(label_w + col * cell_w + cell_w / 2, cy + 54, " ".join(f"({n})" for n in numbers), size=17,
                       weight="bold", anchor="middle")
    d.add(f'<text x="22" y="{top + 1.5 * cell_h:g}" font-size="16" font-weight="bold" fill="{INK}" text-anchor="middle" '
          f'transform="rotate(-90 22 {top + 1.5 * cell_h:g})">Wahrscheinlichkeit →</text>')
    y = top + 3 * cell_h + 30
    for n, (risk, probability, impact) in enumerate(RISIKEN, start=1):
        y = d.text(16, y, wrap(f"({n}) {risk}: {zone(probability, impact)}", W - 32, 16)) + 2
    y += 8
    for name, meaning in [("Rot", "zuerst kümmern"), ("Gelb", "Maßnahme planen"), ("Grün", "beobachten")]:
        stroke, fill = ZONES[name]
        d.rect(16, y - 15, 20, 20, fill, stroke, radius=3)
        d.text(44, y, f"{name}: {meaning}", size=16)
        y += 28
    d.height = y
    return d


# ---------------------------------------------------------------- Finanzierung

SPHAEREN = [  # lesson sphaeren-und-buchfuehrung (AO §§ 14, 64–68; Freigrenze § 64 Abs. 3 AO seit 2026)
    ("Ideeller Bereich", "Beiträge, Spenden, Zuschüsse", "steuerfrei", GREEN, GREEN_LIGHT),
    ("Vermögensverwaltung", "Zinsen, langfristige Vermietung", "steuerfrei", GREEN, GREEN_LIGHT),
    ("Zweckbetrieb", "Kursgebühr nach Satzung, Eintritt zum eigenen Konzert", "steuerfrei (Körperschaft- und Gewerbesteuer)", GREEN, GREEN_LIGHT),
    ("Wirtschaftlicher Geschäftsbetrieb", "Essen und Getränke, bezahlte Werbung",
     "Steuern erst, wenn alle Einnahmen daraus über 50.000 € im Jahr liegen", RED, RED_LIGHT),
]


def sphaeren() -> Drawing:
    d = Drawing("Die vier Sphären eines Vereins", "Ideeller Bereich, Vermögensverwaltung und Zweckbetrieb sind von "
                "Körperschaft- und Gewerbesteuer frei; der wirtschaftliche Geschäftsbetrieb ist über der Freigrenze "
                "von 50.000 Euro Einnahmen steuerpflichtig.")
    y = d.heading(30, "Die vier Sphären eines gemeinnützigen Vereins")
    for number, (name, examples, tax, stroke, fill) in enumerate(SPHAEREN, start=1):
        example_lines = wrap("Beispiele: " + examples, W - 56, 16)
        tax_lines = wrap(tax, W - 56, 16)
        h = 34 + (len(example_lines) + len(tax_lines)) * 20 + 14
        d.rect(16, y, W - 32, h, fill, stroke, width=2)
        d.text(28, y + 26, f"{number}. {name}", size=17, weight="bold", fill=stroke)
        after = d.text(28, y + 50, example_lines)
        d.text(28, after, tax_lines, weight="bold", fill=stroke)
        y += h + 10
    y = d.text(16, y + 10, wrap("Die Umsatzsteuer hat eigene Regeln. Keine Steuerberatung.", W - 32, 16), fill=MUTED) + 12
    d.height = y
    return d


PLAN = {"ausgaben": 15_000, "eigenmittel": 1_500, "anteil": 0.8, "hoechstbetrag": 12_000, "festbetrag": 12_000}
AUSGABEN_SINKEN_AUF = 13_500  # lesson zuwendungsrecht, Rechenbeispiel 2


def zuwendung(kind: str, ausgaben: float) -> float:
    """The grant under each financing type for the lesson's plan (VV Nr. 2 zu § 44 BHO)."""
    if kind == "Fehlbedarf":
        return ausgaben - PLAN["eigenmittel"]
    if kind == "Anteil":
        return min(PLAN["anteil"] * ausgaben, PLAN["hoechstbetrag"])
    if kind == "Festbetrag":
        return min(PLAN["festbetrag"], ausgaben)
    return ausgaben  # Vollfinanzierung


def euro(value: float) -> str:
    return f"{value:,.0f}\u00a0€".replace(",", ".")  # no line break between number and sign


FINANZIERUNGSARTEN = [
    ("Festbetrag", "Festbetragsfinanzierung", "fester Betrag; sinkt nur, wenn die Ausgaben darunter fallen"),
    ("Anteil", "Anteilfinanzierung", "80 % der Ausgaben, höchstens 12.000\u00a0€"),
    ("Fehlbedarf", "Fehlbedarfsfinanzierung", "deckt die Lücke nach den Eigenmitteln (1.500\u00a0€)"),
    ("Voll", "Vollfinanzierung", "bezahlt alle Ausgaben (selten)"),
]


def finanzierungsarten() -> Drawing:
    before, after = PLAN["ausgaben"], AUSGABEN_SINKEN_AUF
    rows = [(label, note, zuwendung(kind, before), zuwendung(kind, after)) for kind, label, note in FINANZIERUNGSARTEN]
    d = Drawing("Finanzierungsarten im Vergleich", "Beispiel: Die Ausgaben sinken von 15.000 auf 13.500 Euro. "
                + " ".join(f"{label}: Zuwendung {euro(a)} statt {euro(b)}." for label, _, b, a in rows))
    y = d.heading(30, "Finanzierungsarten im Vergleich")
    y = d.text(16, y, wrap(f"Beispiel: Die Ausgaben sinken von {euro(before)} auf {euro(after)}. "
                           "Wie viel Zuwendung bleibt?", W - 32, 16)) + 18
    scale = (W - 40) / before
    for label, note, grant_before, grant_after in rows:
        y = d.text(16, y, label, size=17, weight="bold")
        y = d.text(16, y, wrap(note, W - 32, 16), fill=MUTED) - 8
        d.rect(16, y, grant_before * scale, 16, "#ffffff", BLUE, radius=2, width=1.5)
        d.text(16 + grant_before * scale + 4, y + 14, "", size=16)
        d.rect(16, y + 20, grant_after * scale, 16, BLUE, BLUE, radius=2, width=0)
        change = grant_after - grant_before
        verdict = "bleibt gleich" if change == 0 else f"{euro(-change)} weniger"
        y = d.text(16, y + 58, wrap(f"vorher {euro(grant_before)}, jetzt {euro(grant_after)}: {verdict}", W - 32, 16),
                   weight="bold") + 14
    y = d.text(16, y, wrap("Weißer Balken: vorher. Blauer Balken: nach der Einsparung.", W - 32, 16), fill=MUTED) + 12
    d.height = y
    return d


# ---------------------------------------------------------------- Führung im Ehrenamt


def organigramm() -> Drawing:
    d = Drawing("Organigramm eines Vereins", "Die Mitgliederversammlung wählt den Vorstand und die Kassenprüfung. "
                "Der Vorstand nach § 26 BGB vertritt den Verein und beauftragt Arbeitsgruppen, Ehrenamtliche und "
                "Beschäftigte. Wenn die Satzung es vorsieht, arbeiten ein erweiterter Vorstand und ein Beirat mit.")
    y = d.heading(30, "Organigramm eines Vereins")
    mv_bottom = boxed(d, 16, y, W - 32, "Mitgliederversammlung", "oberstes Organ: wählt, entlastet, ändert die Satzung",
                      BLUE_LIGHT, BLUE)
    d.line(W / 2 + 20, mv_bottom, W / 2 + 20, mv_bottom + 34, stroke=MUTED, arrow=True)
    d.line(47, mv_bottom, 47, mv_bottom + 34, stroke=MUTED, arrow=True)
    d.text(W / 2 + 28, mv_bottom + 24, "wählt", size=16, fill=MUTED)
    box_y = mv_bottom + 38
    h = 34 + 3 * 20 + 30
    d.rect(86, box_y, W - 102, h, GREEN_LIGHT, GREEN, width=2.5)
    d.text(98, box_y + 26, "Vorstand nach § 26 BGB", size=17, weight="bold", fill=GREEN)
    after = d.text(98, box_y + 50, ["Vorsitz", "Stellvertretung", "Kassenführung"])
    d.text(98, after, "vertritt den Verein", size=16, weight="bold", fill=GREEN)
    # The audit is elected by the assembly and reports to it, not to the board: its own column.
    d.rect(16, box_y, 62, h, AMBER_LIGHT, AMBER)
    d.add(f'<text x="47" y="{box_y + h / 2:g}" font-size="16" font-weight="bold" fill="{AMBER}" text-anchor="middle" '
          f'transform="rotate(-90 47 {box_y + h / 2:g})">Kassenprüfung</text>')
    y = box_y + h
    d.line(W / 2 + 20, y, W / 2 + 20, y + 32, stroke=MUTED, arrow=True)
    d.text(W / 2 + 28, y + 22, "beauftragt", size=16, fill=MUTED)
    y += 36
    col_w = (W - 32 - 16) / 3
    for i, (a, b) in enumerate([("Arbeits-", "gruppen"), ("Ehren-", "amtliche"), ("Beschäf-", "tigte")]):
        x = 16 + i * (col_w + 8)
        d.rect(x, y, col_w, 62, BLUE_LIGHT, BLUE)
        d.text(x + col_w / 2, y + 26, [a, b], size=16, anchor="middle")
    y += 62 + 30
    y = d.text(16, y, "Wenn die Satzung es vorsieht:", size=17, weight="bold") - 4
    y = boxed(d, 16, y, W - 32, "Erweiterter Vorstand", "Beisitzer*innen arbeiten mit, vertreten den Verein aber nicht",
              GREY_LIGHT, MUTED, label_fill=INK) + 10
    y = boxed(d, 16, y, W - 32, "Beirat", "berät den Vorstand", GREY_LIGHT, MUTED, label_fill=INK) + 30
    y = d.text(16, y, wrap("Die Kassenprüfung prüft die Kasse und berichtet der Mitgliederversammlung.",
                           W - 32, 16), fill=MUTED) + 4
    d.height = y
    return d


# ---------------------------------------------------------------- Kommunikation im Verband

KOMMUNIKATIONSPLAN = [  # lesson kommunikationsstrategie: four questions, then review
    ("1. Ziel", "Was wollen wir erreichen?", "Bis Ende Mai melden sich 15 neue Eltern für die Hausaufgabenhilfe an."),
    ("2. Zielgruppen", "Wen wollen wir erreichen?", "Mitglieder, Community, Öffentlichkeit, Verwaltung und Politik, Förderer"),
    ("3. Kernbotschaften", "Was sagen wir?", "höchstens drei kurze Sätze, immer wieder dieselben"),
    ("4. Kanäle", "Über welchen Weg?", "Gespräch, Messenger, Flyer in mehreren Sprachen, Presse, Website"),
]


def kommunikationsplan() -> Drawing:
    d = Drawing("Kommunikationsplan in vier Schritten", "Ziel, Zielgruppen, Kernbotschaften und Kanäle nacheinander "
                "festlegen; nach sechs Monaten prüfen, ob der Plan wirkt, und wieder beim Ziel beginnen.")
    y = d.heading(30, "Kommunikationsplan in vier Schritten")
    top = y
    for index, (step, question, example) in enumerate(KOMMUNIKATIONSPLAN):
        q_lines = wrap(question, W - 86, 16)
        e_lines = wrap(example, W - 86, 16)
        h = 32 + len(q_lines) * 20 + len(e_lines) * 20 + 10
        d.rect(56, y, W - 72, h, BLUE_LIGHT, BLUE, width=2)
        d.text(68, y + 24, step, size=17, weight="bold", fill=BLUE)
        after = d.text(68, y + 46, q_lines, weight="bold")
        d.text(68, after, e_lines, fill=MUTED)
        y += h
        if index < len(KOMMUNIKATIONSPLAN) - 1:
            d.line(W / 2 + 20, y + 2, W / 2 + 20, y + 20, stroke=MUTED, arrow=True)
            y += 24
    y += 12
    h = boxed(d, 56, y, W - 72, "5. Überprüfen", "Nach sechs Monaten: Wirkt der Plan? Dann wieder bei 1.", GREEN_LIGHT, GREEN) - y
    # The loop back from step 5 to step 1 on the left side.
    d.add(f'<path d="M56 {y + h / 2:g}H30V{top + 20:g}H52" fill="none" stroke="{GREEN}" stroke-width="2.5" '
          f'marker-end="url(#pfeil)"/>')
    y += h + 24
    y = d.text(16, y, wrap("Eine Seite reicht. Wer ist für welchen Kanal zuständig? Das steht mit im Plan.", W - 32, 16),
               fill=MUTED) + 12
    d.height = y
    return d

# ---------------------------------------------------------------- Vereinsgründung und Satzung

GRUENDUNGSWEG = [  # lesson idee-und-gruendungsplan, "Der Weg zum e. V. in neun Schritten"
    ("Gründungsgruppe", "mindestens sieben Personen, die mitmachen"),
    ("Zweck klären", "Was wollen wir erreichen, für wen, wie?"),
    ("Satzung entwerfen", "Muss- und Soll-Inhalte, Mustersatzung"),
    ("Finanzamt fragen", "Satzungsentwurf zeigen, wenn der Verein gemeinnützig werden soll"),
    ("Gründungsversammlung", "Satzung beschließen, Vorstand wählen, Protokoll"),
    ("Notar", "Anmeldung beglaubigen lassen, auch per Video"),
    ("Vereinsregister", "Eintragung beim Amtsgericht: jetzt „e. V.“"),
    ("Gemeinnützigkeit", "beim Finanzamt beantragen"),
    ("Erstes Jahr", "Konto eröffnen, Transparenzregister prüfen, planen"),
]


def gruendungsweg() -> Drawing:
    d = Drawing("Der Weg zum e. V. in neun Schritten", "Neun Schritte untereinander: "
                + " ".join(f"{n}. {t}: {x}." for n, (t, x) in enumerate(GRUENDUNGSWEG, start=1)))
    y = d.heading(30, "Der Weg zum e. V. in neun Schritten")
    for number, (title, text) in enumerate(GRUENDUNGSWEG, start=1):
        lines = wrap(text, W - 86, 16)
        h = 30 + len(lines) * 20 + 8
        stroke, fill = (GREEN, GREEN_LIGHT) if number == 7 else (BLUE, BLUE_LIGHT)
        d.rect(52, y, W - 68, h, fill, stroke, width=2)
        d.add(f'<circle cx="28" cy="{y + h / 2:g}" r="15" fill="{stroke}"/>')
        d.text(28, y + h / 2 + 6, str(number), size=17, weight="bold", fill="#ffffff", anchor="middle")
        d.text(64, y + 24, title, size=17, weight="bold", fill=stroke)
        d.text(64, y + 46, lines)
        y += h
        if number < len(GRUENDUNGSWEG):
            d.line(28, y - h / 2 + 15, 28, y + 10 + 15, stroke=MUTED, width=2)  # joins the step numbers
            y += 10
    y = d.text(16, y + 26, wrap("Grün: Ab der Eintragung heißt der Verein „e. V.“ und ist rechtsfähig.", W - 32, 16),
               fill=MUTED) + 4
    d.height = y
    return d


# ---------------------------------------------------------------- Verein als Arbeitgeber

BEZAHLUNG = [  # lessons formen-der-bezahlung, minijob-und-midijob, honorarkraefte, freiwilligendienste (Stand 2026)
    ("Ehrenamtspauschale", "bis 960 € im Jahr steuerfrei", "nebenberuflich, für gemeinnützige Zwecke"),
    ("Übungsleiterfreibetrag", "bis 3.300 € im Jahr steuerfrei", "unterrichten, betreuen, künstlerisch arbeiten"),
    ("Minijob", "bis 603 € im Monat (2026)", "Verein zahlt Pauschalabgaben; ab 2027: 633 €"),
    ("Midijob", "603,01 € bis 2.000 € im Monat", "voll versichert, geringere Beiträge der beschäftigten Person"),
    ("Honorarkraft", "selbstständig, schreibt Rechnungen", "Achtung: Scheinselbstständigkeit prüfen"),
    ("Freiwilligendienst", "Taschengeld (BFD oder FSJ)", "Verein ist anerkannte Einsatzstelle"),
]


def bezahlung() -> Drawing:
    d = Drawing("Wege, im Verein zu bezahlen (Stand 2026)", " ".join(f"{a}: {b}; {c}." for a, b, c in BEZAHLUNG))
    y = d.heading(30, "Wege, im Verein zu bezahlen (Stand 2026)")
    groups = {0: ("Freibeträge", GREEN, GREEN_LIGHT), 2: ("Beschäftigung", BLUE, BLUE_LIGHT),
              4: ("Keine Beschäftigung", AMBER, AMBER_LIGHT)}
    for index, (name, amount, note) in enumerate(BEZAHLUNG):
        if index in groups:
            label, stroke, fill = groups[index]
            y = d.text(16, y + 8, label, size=17, weight="bold", fill=stroke) - 6
        a_lines, n_lines = wrap(amount, W - 56, 16), wrap(note, W - 56, 16)
        h = 30 + (len(a_lines) + len(n_lines)) * 20 + 8
        d.rect(16, y, W - 32, h, fill, stroke, width=2)
        d.text(28, y + 24, name, size=17, weight="bold", fill=stroke)
        after = d.text(28, y + 46, a_lines, weight="bold")
        d.text(28, after, n_lines, fill=MUTED)
        y += h + 8
    y = d.text(16, y + 18, wrap("Allgemeine Information, keine Rechts- oder Steuerberatung.", W - 32, 16), fill=MUTED) + 4
    d.height = y
    return d


DIAGRAMS = {
    "projektmanagement/media/abbildungen/wirkungstreppe.svg": wirkungstreppe,
    "projektmanagement/media/abbildungen/problembaum.svg": problembaum,
    "projektmanagement/media/abbildungen/zeitplan-meilensteine.svg": zeitplan,
    "projektmanagement/media/abbildungen/risikomatrix.svg": risikomatrix,
    "finanzierung/media/abbildungen/vier-sphaeren.svg": sphaeren,
    "finanzierung/media/abbildungen/finanzierungsarten.svg": finanzierungsarten,
    "fuehrung-im-ehrenamt/media/abbildungen/organigramm-verein.svg": organigramm,
    "kommunikation-im-verband/media/abbildungen/kommunikationsplan.svg": kommunikationsplan,
    "vereinsgruendung-und-satzung/media/abbildungen/weg-zum-e-v.svg": gruendungsweg,
    "verein-als-arbeitgeber/media/abbildungen/wege-zu-bezahlen.svg": bezahlung,
}


def main() -> None:
    for relative, draw in DIAGRAMS.items():
        path = ROOT / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(draw().svg(), encoding="utf-8")
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
