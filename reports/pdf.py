"""PDF reports (reportlab): A4, a government-bulletin header (red title, 第N期, red rule), tables that
split across pages with repeated headers, "第 N 页 共 M 页" on every page, and the CJK font embedded.

Font: reportlab's STSong-Light is a CID font that is never embedded (blank Chinese on a machine
without it), and TTFont refuses CFF-outline fonts (Noto/Source Han), so the repository ships
WenQuanYi Micro Hei (TrueType collection, Apache-2.0) at settings.REPORT_FONT_PATH and every PDF
embeds the subset it uses.
"""

import datetime
import io
import re
import weakref
from functools import lru_cache

from django.conf import settings
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.rl_config import _FUZZ
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from . import selectors
from .charts import cumulative_signings_chart
from .compliance import compliance_report

FONT = "WQYMicroHei"
RED = colors.HexColor("#C00000")
HEADER_BG = colors.HexColor("#DCE6F1")
GRID = colors.HexColor("#808080")
LIGHT_COLORS = {"red": colors.HexColor("#F4B6B6"), "yellow": colors.HexColor("#FFE699"),
                "green": colors.HexColor("#C6EFCE")}
LIGHT_LABELS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", None: "—"}
ISSUER = "嵊州市招商投资中心"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
CELL_FONT_SIZE = 8.5
CELL_PADDING = 3


@lru_cache(maxsize=1)
def register_font() -> str:
    """Register the embedded CJK font once per process; bold maps to the same face (no bold cut)."""
    # Streams are compressed but not also ASCII85-encoded (a 7-bit transport nobody needs any more):
    # without reportlab's optional C accelerator the encoding was a tenth of a long report's time,
    # and the files are a fifth smaller.
    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(FONT, settings.REPORT_FONT_PATH, subfontIndex=0))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    return FONT


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    font = register_font()
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", base, fontSize=24, leading=32, alignment=TA_CENTER, textColor=RED),
        "issue": ParagraphStyle("issue", base, fontSize=12, leading=18, alignment=TA_CENTER),
        "meta_left": ParagraphStyle("meta_left", base, fontSize=11, alignment=TA_LEFT),
        "meta_right": ParagraphStyle("meta_right", base, fontSize=11, alignment=TA_RIGHT),
        "heading": ParagraphStyle("heading", base, fontSize=13, leading=20, spaceBefore=10, spaceAfter=4),
        "body": ParagraphStyle("body", base, firstLineIndent=21),
        "note": ParagraphStyle("note", base, fontSize=8.5, leading=12, textColor=colors.HexColor("#555555")),
        "cell": ParagraphStyle("cell", base, fontSize=8.5, leading=11),
        "cell_center": ParagraphStyle("cell_center", base, fontSize=8.5, leading=11, alignment=TA_CENTER),
    }


# --- formatting ------------------------------------------------------------------------------


def cn_date(value) -> str:
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def short_date(value) -> str:
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return value.isoformat() if value else "—"


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def text(value) -> str:
    """Text for a Paragraph: user data may contain <, > and &."""
    return "" if value is None else str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- building blocks ----------------------------------------------------------------------------


class NumberedCanvas(canvas.Canvas):
    """Holds every page until the end so each can say "第 N 页 共 M 页"."""

    def __init__(self, *args, **kwargs):
        # Start every page in the CJK font: the default Helvetica would be listed as a
        # non-embedded font even when no text uses it.
        kwargs["initialFontName"] = kwargs.get("initialFontName") or FONT
        super().__init__(*args, **kwargs)
        self._saved_pages = []

    def showPage(self):
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self.setFont(FONT, 9)
            self.setFillColor(colors.HexColor("#444444"))
            self.drawCentredString(PAGE_WIDTH / 2, 10 * mm, f"第 {self._pageNumber} 页 共 {total} 页")
            super().showPage()
        super().save()


def bulletin_header(*, title: str, issue: str, date: datetime.date, issuer: str = ISSUER) -> list:
    """The red-headed bulletin masthead: red title, issue line, issuer and date, a red rule."""
    s = styles()
    meta = Table(
        [[Paragraph(text(issuer), s["meta_left"]), Paragraph(cn_date(date), s["meta_right"])]],
        colWidths=[BODY_WIDTH / 2, BODY_WIDTH / 2],
    )
    meta.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [
        Paragraph(text(title), s["title"]),
        Spacer(1, 4),
        Paragraph(text(issue), s["issue"]),
        Spacer(1, 6),
        meta,
        HRFlowable(width="100%", thickness=2, color=RED, spaceBefore=2, spaceAfter=1),
        HRFlowable(width="100%", thickness=0.6, color=RED, spaceBefore=1, spaceAfter=10),
    ]


def heading(label: str) -> list:
    # Keep a heading with at least a few lines of what follows.
    return [CondPageBreak(40 * mm), Paragraph(text(label), styles()["heading"])]


def paragraph(content: str, style: str = "body") -> Paragraph:
    return Paragraph(content, styles()[style])


class _CharWidths(dict):
    """Each character's width in the table font, measured once: a TrueType string's width is the sum
    of its glyphs' (no kerning), and a long report measures the same few thousand characters again
    and again."""

    def __missing__(self, char: str) -> float:
        width = self[char] = stringWidth(char, FONT, CELL_FONT_SIZE)
        return width


_char_widths = _CharWidths()


def cell_width(value: str) -> float:
    return sum(map(_char_widths.__getitem__, value))


# A run of printable ASCII (a project code, a number, an English word) is kept whole; every other
# character (Chinese) may be followed by a line break; a space is where an ASCII run may break.
_TOKENS = re.compile(r"[!-~]+|\s+|.")
# Chinese typesetting never starts a line with these (the character before goes down with them),
# nor ends one with an opening bracket.
_NO_LINE_START = set("，。、；：？！）》」』】〕…%")
_NO_LINE_END = set("（《「『【〔")


def break_lines(value: str, room: float) -> list[str]:
    """`value` as lines no wider than `room` points in the table font, keeping its own line breaks."""
    lines = []
    for text in value.split("\n"):
        if cell_width(text) <= room:
            lines.append(text)
            continue
        line, used = [], 0.0
        for token in _TOKENS.findall(text):
            width = cell_width(token)
            if used + width > room and line:
                if token.isspace():
                    lines.append("".join(line))
                    line, used = [], 0.0
                    continue
                carried = [line.pop()] if token in _NO_LINE_START and len(line) > 1 else []
                while len(line) > 1 and line[-1] in _NO_LINE_END:
                    carried.insert(0, line.pop())
                lines.append("".join(line).rstrip())
                line, used = carried, cell_width("".join(carried))
            if width > room:  # an ASCII run wider than the column: break it anywhere
                for char in token:
                    if used + _char_widths[char] > room and line:
                        lines.append("".join(line))
                        line, used = [], 0.0
                    line.append(char)
                    used += _char_widths[char]
                continue
            if line or not token.isspace():
                line.append(token)
                used += width
        lines.append("".join(line))
    return lines


@lru_cache(maxsize=4096)
def cell_lines(value: str, room: float) -> tuple[tuple[str, float], ...]:
    """break_lines with each line's width (a cell centres its lines by them). Cached: a long table
    repeats its names, dates and labels down many rows."""
    if "\n" not in value:
        width = cell_width(value)
        if width <= room:
            return ((value, width),)
    return tuple((line, cell_width(line)) for line in break_lines(value, room))


def fit_widths(headers, rows, widths, *, nowrap, wrap) -> list[float]:
    """Columns in `nowrap` (project codes: HX2024-0015 is one token) widen to their longest value;
    the room is taken from the first column in `wrap`, whose names can wrap instead."""
    widths = list(widths)
    for index in nowrap:
        longest = max(cell_width("" if row[index] is None else str(row[index])) for row in [headers, *rows])
        extra = (longest + 2 * CELL_PADDING + 1) / BODY_WIDTH - widths[index]
        if extra > 0 and wrap:
            widths[index] += extra
            widths[wrap[0]] -= extra
    return widths


CELL_LEADING = 11
CELL_VPADDING = 2


class GridTable(Flowable):
    """A table drawn straight onto the canvas, its header repeated on every page (issue 12, and the
    issue 11 reports at 100,000 projects). reportlab's Table laid a long table out again at every page
    end and gave every cell a style object, a Paragraph and several string measurements: an 18,612-row
    bulletin took 13.7 s of CPU and an 88,000-row compliance table minutes. Here each row is broken
    into lines once, when its page is laid out, its height follows from its line count, and a page
    is one text object, its fills and its rules: time linear in rows, memory one page of rows.

    It draws what the Table drew: grid 0.4 pt, header fill, cells centred (the `left` columns left
    aligned) and vertically middled, 8.5 pt text on 11 pt lines, 3 pt side and 2 pt top/bottom padding."""

    def __init__(self, header: list[str], rows: list[list[str]], widths: list[float], *, left: set[int],
                 cell_colors: dict | None = None, span_empty: bool = False, start: int = 0, carried=None):
        super().__init__()
        self.header, self.rows, self.widths, self.left = header, rows, widths, left
        self.cell_colors = cell_colors or {}
        self.span_empty = span_empty
        self.start, self.carried = start, carried  # carried: the rest of a row taller than a page
        self.hAlign = "CENTER"
        self.width = sum(widths)
        self._page = None  # (available height, laid-out rows that fit, next row, carried row)

    # --- layout ------------------------------------------------------------------------------------

    def _lay_out_row(self, values: list[str]) -> tuple[float, list[list[str]]]:
        if self.span_empty:
            cells = [[(values[0], cell_width(values[0]))]]
        else:
            cells = [cell_lines(value, width - 2 * CELL_PADDING) for value, width in zip(values, self.widths)]
        return max(map(len, cells)) * CELL_LEADING + 2 * CELL_VPADDING, cells

    def _header(self) -> tuple[float, list[list[str]]]:
        if not hasattr(self, "_header_row"):
            cells = [cell_lines(value, width - 2 * CELL_PADDING) for value, width in zip(self.header, self.widths)]
            self._header_row = (max(map(len, cells)) * CELL_LEADING + 2 * CELL_VPADDING, cells)
        return self._header_row

    def _fill(self, avail_height: float):
        """The rows that fit in `avail_height` under the header, as (placed rows as (index, height,
        cells), the next row's index, the rest of a row split at the page end), or None when no row fits."""
        if self._page is not None and self._page[0] == avail_height:
            return self._page[1]
        room = avail_height - self._header()[0] + _FUZZ
        placed, index, carried = [], self.start, None
        pending = [self.carried] if self.carried is not None else []
        while pending or index < len(self.rows):
            if pending:
                row = pending.pop()
            else:
                row = (index, *self._lay_out_row(self.rows[index]))
                index += 1
            row_index, height, cells = row
            if height <= room:
                placed.append(row)
                room -= height
                continue
            lines = int((room - 2 * CELL_VPADDING) // CELL_LEADING)
            frame = getattr(self, "_frame", None)
            never_fits = frame is not None and height > getattr(frame, "_aH", avail_height) - self._header()[0]
            if not placed and (never_fits or getattr(frame, "_atTop", False)) and lines >= 1:
                # A row taller than a whole page (a 2,000-character description): its lines go on
                # over as many pages as it needs.
                placed.append((row_index, lines * CELL_LEADING + 2 * CELL_VPADDING, [cell[:lines] for cell in cells]))
                rest = [cell[lines:] for cell in cells]
                carried = (row_index, max(map(len, rest)) * CELL_LEADING + 2 * CELL_VPADDING, rest)
            elif row_index == index - 1:
                index -= 1  # this row starts the next page
            else:
                carried = row
            break
        page = (placed, index, carried) if placed else None
        self._page = (avail_height, page)
        return page

    def wrap(self, avail_width, avail_height):
        page = self._fill(avail_height)
        if page is None or page[1] < len(self.rows) or page[2] is not None:
            return self.width, avail_height + 1  # more rows follow: the frame must call split()
        self._placed = page[0]
        self.height = self._header()[0] + sum(row[1] for row in self._placed)
        return self.width, self.height

    def split(self, avail_width, avail_height):
        page = self._fill(avail_height)
        if page is None:
            return []
        placed, index, carried = page
        if index >= len(self.rows) and carried is None:
            self._placed = placed
            self.height = self._header()[0] + sum(row[1] for row in placed)
            return [self]
        rest = GridTable(self.header, self.rows, self.widths, left=self.left, cell_colors=self.cell_colors,
                         span_empty=self.span_empty, start=index, carried=carried)
        rest._header_row = self._header()
        return [_GridPage(self, placed), rest]

    def draw(self):
        self.draw_rows(self.canv, self._placed, self.height)

    def draw_rows(self, canvas, placed, total_height):
        """The header and the placed rows: fills, then one text object, then the rules."""
        widths = self.widths
        lefts = [sum(widths[:column]) for column in range(len(widths))]
        rows = [(None, *self._header()), *placed]
        tops, top = [], total_height
        for _, height, _ in rows:
            tops.append(top)
            top -= height
        bottom = top
        canvas.saveState()
        # Fills and rules as literal PDF operators, a few per page: through canvas.rect and
        # canvas.lines every number went through reportlab's general formatting.
        fills = {_rgb(HEADER_BG): [_box(0, tops[0] - rows[0][1], self.width, rows[0][1])]}
        for (index, height, _), row_top in zip(rows[1:], tops[1:]):
            for column, color in self.cell_colors.get(index, ()):
                fills.setdefault(_rgb(color), []).append(_box(lefts[column], row_top - height, widths[column], height))
        canvas.addLiteral("\n".join(f"{rgb} rg {' '.join(boxes)} f" for rgb, boxes in fills.items()) + "\n0 0 0 rg")
        text = canvas.beginText()
        text.setFont(FONT, CELL_FONT_SIZE, CELL_LEADING)
        show = _TextShower(canvas, text)
        for row_number, ((_, height, cells), row_top) in enumerate(zip(rows, tops)):
            spanned = self.span_empty and row_number
            spans = [(0, self.width)] if spanned else list(zip(lefts, widths))
            for column, ((x, width), lines) in enumerate(zip(spans, cells)):
                # reportlab Table's MIDDLE: the first baseline, then one leading per line.
                y = row_top - height + (height + len(lines) * CELL_LEADING) / 2 - CELL_FONT_SIZE
                left = row_number and column in self.left and not spanned
                for line, line_width in lines:
                    if line:
                        show(line, x + (CELL_PADDING if left else (width - line_width) / 2), y)
                    y -= CELL_LEADING
        canvas.drawText(text)
        inner_bottom = tops[1] if self.span_empty else bottom  # "（无）" spans the columns
        rules = ([(0, y, self.width, y) for y in [*tops, bottom]]
                 + [(x, bottom, x, total_height) for x in (0, self.width)]
                 + [(x, inner_bottom, x, total_height) for x in lefts[1:]])
        canvas.addLiteral(f"{_rgb(GRID)} RG 0.4 w "
                          + " ".join(f"{x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l" for x1, y1, x2, y2 in rules) + " S")
        canvas.restoreState()


def _rgb(color) -> str:
    return f"{color.red:.4f} {color.green:.4f} {color.blue:.4f}"


def _box(x: float, y: float, width: float, height: float) -> str:
    return f"{x:.2f} {y:.2f} {width:.2f} {height:.2f} re"


# Per document, each line's text as the font's subsets and their escaped bytes (see _TextShower).
_text_pieces: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


class _TextShower:
    """Shows a line at (x, y) in a text object as reportlab's setTextOrigin and textOut do for a
    TrueType font (one Tj per font subset, a Tf where the subset changes), with the line's subset
    lookup, a Python loop over its characters, done once per distinct line and document: a long
    table repeats its names, dates, labels and verdicts on many rows (report_compliance prints a
    project's cells on each of its indicators' rows). textOut also measures each line to move a
    cursor these tables never use, and formats numbers for any size where two decimals do."""

    def __init__(self, canvas, text):
        self.text, self.doc, self.escape = text, canvas._doc, canvas._escape
        self.font = pdfmetrics.getFont(FONT)
        self.pieces = _text_pieces.setdefault(self.doc, {})
        self.size = f"{fp_str(CELL_FONT_SIZE)} Tf {fp_str(CELL_LEADING)} TL"

    def __call__(self, line: str, x: float, y: float) -> None:
        pieces = self.pieces.get(line)
        if pieces is None:
            pieces = self.pieces[line] = [(subset, f"({self.escape(chunk)}) Tj")
                                          for subset, chunk in self.font.splitString(line, self.doc)]
        text, code = self.text, self.text._code
        code.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm")  # setTextOrigin, without its general number formatting
        for subset, shown in pieces:
            if subset != text._curSubset:
                code.append(f"{self.font.getSubsetInternalName(subset, self.doc)} {self.size}")
                text._curSubset = subset
            code.append(shown)


class _GridPage(Flowable):
    """The rows of a GridTable that fit on one page, under the header."""

    def __init__(self, table: GridTable, placed: list):
        super().__init__()
        self.table, self.placed = table, placed
        self.hAlign = "CENTER"
        self.width = table.width
        self.height = table._header()[0] + sum(row[1] for row in placed)

    def wrap(self, avail_width, avail_height):
        return self.width, self.height

    def draw(self):
        self.table.draw_rows(self.canv, self.placed, self.height)


def data_table(headers: list[str], rows: list[list], widths: list[float], *, wrap: tuple[int, ...] = (),
               nowrap: tuple[int, ...] = (), cell_colors=None) -> Flowable:
    """A table that splits across pages with its header repeated (a GridTable). Columns in `wrap` are
    left aligned (long names wrap there; any cell wraps rather than overflow); columns in `nowrap` are
    widened to fit on one line; widths are fractions of the body width."""
    # Whole numbers (序号, counts) never wrap: "18612" broken as "186/12" reads as two numbers.
    numbers = tuple(index for index in range(len(headers)) if index not in wrap and rows
                    and all(type(row[index]) is int for row in rows))
    widths = fit_widths(headers, rows, widths, nowrap=(*nowrap, *numbers), wrap=wrap)
    body = [["" if value is None else str(value) for value in row] for row in rows]
    colors_by_row = {}
    for (row_index, column), color in (cell_colors or {}).items():
        colors_by_row.setdefault(row_index, []).append((column, color))
    return GridTable(headers, body or [["（无）"]], [w * BODY_WIDTH for w in widths], left=set(wrap),
                     cell_colors=colors_by_row, span_empty=not body)


def render(story: list, *, title: str) -> bytes:
    register_font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=16 * mm, bottomMargin=18 * mm,
        title=title, author=ISSUER, subject=title, creator="嵊州重大项目全周期管理",
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


# --- the 1330 progress report ---------------------------------------------------------------------


def progress_1330_story(report: dict) -> list:
    year, as_of = report["year"], datetime.date.fromisoformat(report["as_of"])
    targets, counts, completion, pace = report["targets"], report["counts"], report["completion"], report["pace"]
    story = bulletin_header(
        title="嵊州市亿元以上制造业项目招引进度通报",
        issue=f"{year}年度（截至{cn_date(as_of)}）",
        date=as_of,
    )
    story.append(paragraph(
        f"截至{cn_date(as_of)}，全市{year}年共引进亿元以上制造业项目<b>{counts['100m']}</b>个"
        + (f"，完成年度目标{targets['100m']}个的{pct(completion['100m'])}" if targets["100m"] else "（本年度未设目标）")
        + f"，时间进度{pct(report['time_progress'])}，{pace['100m']['label']}；"
        f"其中总投资10亿元（或1亿美元）以上制造业项目<b>{counts['1b']}</b>个"
        + (f"，完成年度目标{targets['1b']}个的{pct(completion['1b'])}，{pace['1b']['label']}。"
           if targets["1b"] else "。")
    ))
    story += heading("一、目标完成情况")
    story.append(data_table(
        ["指标", "年度目标", "已完成", "完成率", "时间进度", "序时应完成", "进度判断"],
        [[label, targets[level] if targets[level] is not None else "—", counts[level], pct(completion[level]),
          pct(report["time_progress"]), pace[level]["expected"] if pace[level]["expected"] is not None else "—",
          pace[level]["label"]]
         for level, label in (("100m", "亿元以上制造业项目"), ("1b", "10亿元以上制造业项目"))],
        [0.24, 0.11, 0.1, 0.11, 0.11, 0.13, 0.2], wrap=(0,),
    ))
    story.append(paragraph(f"注：目标、已完成、序时应完成单位为个；{selectors.EXPECTED_RULE}。", "note"))
    story += heading("二、累计签约与序时进度")
    story.append(cumulative_signings_chart(
        year=year, cumulative_by_month=report["cumulative_by_month"], target=targets["100m"], font=FONT,
        width=BODY_WIDTH, height=220,
    ))
    story.append(paragraph("注：红色实线为亿元以上制造业项目累计签约数；蓝色虚线为按时间进度均衡完成年度目标应达到的数量。", "note"))
    story += heading("三、分月签约情况")
    months = list(report["by_month"])
    story.append(data_table(
        ["月份", "当月签约（个）", "累计签约（个）", "其中10亿元以上（当月）"],
        [[month, report["by_month"][month], report["cumulative_by_month"][month],
          report["levels"]["1b"]["by_month"].get(month, 0)] for month in months],
        [0.25, 0.25, 0.25, 0.25],
    ))
    story += heading("四、项目结构")
    story.append(KeepTogether([breakdown_table("产业集群", report["by_cluster"])]))
    story.append(Spacer(1, 6))
    story.append(KeepTogether([breakdown_table("项目来源", report["by_source"]),
                               Spacer(1, 6), breakdown_table("招商方式", report["by_channel"])]))
    story.append(Spacer(1, 6))
    platforms = {name: count for name, count in report["by_platform"].items() if count}
    story.append(breakdown_table("所在平台", platforms))
    story += heading("五、节点推进与落地情况")
    reached = report["node_reached"]
    story.append(data_table(
        ["", *selectors.STEP_LABELS.values()],
        [["已达到（个）", *reached.values()],
         ["占比", *[pct(selectors.ratio(v, counts["100m"])) for v in reached.values()]]],
        [0.16] + [0.84 / len(reached)] * len(reached),
    ))
    story.append(Spacer(1, 6))
    landing_rows = []
    for entry in report["landing_rate"].values():
        if entry["rate"] is None:
            landing_rows.append([entry["label"], f"截至{cn_date(entry['deadline'])}", "—", "—", "该日期过后统计"])
        else:
            landing_rows.append([entry["label"], f"截至{cn_date(entry['deadline'])}", entry["landed"],
                                 entry["counted"], pct(entry["rate"])])
    story.append(data_table(["指标", "统计口径", "已落地（个）", "签约项目（个）", "落地率"], landing_rows,
                            [0.16, 0.3, 0.16, 0.18, 0.2]))
    story.append(paragraph("注：落地指已供地，或无需新供地的项目已开工。", "note"))
    if report["task_split"]:
        story += heading("六、平台任务分解完成情况")
        story.append(data_table(
            ["排名", "平台", "亿元以上目标", "已完成", "完成率", "10亿元以上目标", "已完成", "完成率"],
            [[item["rank"], item["platform"], item["targets"]["100m"], item["counts"]["100m"],
              pct(item["completion"]["100m"]), item["targets"]["1b"], item["counts"]["1b"],
              pct(item["completion"]["1b"])] for item in report["task_split"]],
            [0.07, 0.25, 0.12, 0.1, 0.1, 0.14, 0.1, 0.12], wrap=(1,),
        ))
    story += heading(f"{'七' if report['task_split'] else '六'}、项目清单")
    story.append(project_list_table(report["rows"]))
    return story


def breakdown_table(label: str, counts: dict) -> Table:
    """A breakdown laid out in two column pairs so it stays short."""
    items = list(counts.items())
    half = (len(items) + 1) // 2
    rows = []
    for index in range(half):
        left = items[index]
        right = items[index + half] if index + half < len(items) else ("", "")
        rows.append([left[0], left[1], right[0], right[1]])
    return data_table([label, "项目数（个）", label, "项目数（个）"], rows, [0.32, 0.18, 0.32, 0.18])


def project_list_table(rows: list[dict]) -> Flowable:
    return data_table(
        ["序号", "项目编号", "项目名称", "总投资", "签约日期", "产业集群", "所在平台", "状态", "≥10亿"],
        [[index, row["code"], row["name"], row["investment"], row["signing_date"],
          row["cluster"], row["platform"], row["status_label"], "是" if "1b" in row["levels"] else ""]
         for index, row in enumerate(rows, start=1)],
        [0.05, 0.11, 0.26, 0.12, 0.11, 0.12, 0.1, 0.07, 0.06], wrap=(2, 5, 6), nowrap=(1,),
    )


def progress_1330_pdf(*, year: int, as_of: datetime.date) -> bytes:
    """The 1330 progress report (DOMAIN.md section 5) as an A4 PDF."""
    report = selectors.progress_1330(year=year, as_of=as_of)
    return render(progress_1330_story(report), title=f"{year}年亿元以上制造业项目招引进度通报")


# --- a leader's contact projects -----------------------------------------------------------------


def leader_report_story(data: dict) -> list:
    as_of = data["as_of"]
    story = bulletin_header(
        title="市领导联系重大项目情况报告",
        issue=f"联系市领导：{text(data['leader'])}",
        date=as_of,
    )
    lights = data["lights"]
    story.append(paragraph(
        f"截至{cn_date(as_of)}，{text(data['leader'])}联系重大项目<b>{len(data['projects'])}</b>个，"
        f"其中在建推进项目红灯{lights['red']}个、黄灯{lights['yellow']}个、绿灯{lights['green']}个；"
        f"逾期节点{len(data['overdue'])}个，14天内到期节点{len(data['due_soon'])}个，"
        f"未办结问题{len(data['problems'])}个（其中逾期未答复{data['overdue_problem_count']}个）。"
    ))
    story += heading("一、联系项目一览")
    project_rows = data["projects"]
    story.append(data_table(
        ["序号", "项目编号", "项目名称", "总投资", "责任单位", "状态", "亮灯", "下一节点", "计划日期"],
        [[i, p["code"], p["name"], p["investment"], p["unit"], p["status"], LIGHT_LABELS[p["light"]],
          p["next_node"], short_date(p["next_planned"])] for i, p in enumerate(project_rows, start=1)],
        [0.06, 0.1, 0.2, 0.12, 0.13, 0.09, 0.07, 0.1, 0.13], wrap=(2, 4), nowrap=(1,),
        cell_colors={(i, 6): LIGHT_COLORS[p["light"]] for i, p in enumerate(project_rows) if p["light"]},
    ))
    story += heading("二、逾期节点")
    story.append(overdue_table(data["overdue"]))
    story += heading("三、即将到期节点（14天内）")
    story.append(data_table(
        ["序号", "项目编号", "项目名称", "节点", "计划日期", "剩余天数", "责任单位"],
        [[i, r["code"], r["name"], r["node"], short_date(r["planned_date"]), r["days_left"], r["unit"]]
         for i, r in enumerate(data["due_soon"], start=1)],
        [0.07, 0.12, 0.3, 0.08, 0.13, 0.1, 0.2], wrap=(2, 6), nowrap=(1,),
    ))
    story += heading("四、待协调问题")
    story.append(problem_table(data["problems"]))
    return story


def overdue_table(rows: list[dict]) -> Flowable:
    return data_table(
        ["序号", "项目编号", "项目名称", "节点", "计划日期", "逾期天数", "亮灯", "责任单位", "联系市领导"],
        [[i, r["code"], r["name"], r["node"], short_date(r["planned_date"]), r["overdue_days"],
          LIGHT_LABELS[r["light"]], r["unit"], r["leader"] or "—"] for i, r in enumerate(rows, start=1)],
        [0.06, 0.11, 0.22, 0.06, 0.11, 0.085, 0.065, 0.17, 0.12], wrap=(2, 7, 8), nowrap=(1,),
        cell_colors={(i, 6): LIGHT_COLORS[r["light"]] for i, r in enumerate(rows)},
    )


def problem_table(rows: list[dict]) -> Flowable:
    return data_table(
        ["序号", "项目", "类别", "问题描述", "交办单位", "提出日期", "答复期限", "状态"],
        [[i, f"{r['code']} {r['name']}", r["category"], r["description"], r["unit"], short_date(r["raised_on"]),
          short_date(r["reply_by"]), "逾期未答复" if r["reply_overdue"] else r["status"]]
         for i, r in enumerate(rows, start=1)],
        [0.05, 0.21, 0.06, 0.24, 0.13, 0.105, 0.105, 0.1], wrap=(1, 3, 4),
    )


def leader_report_pdf(*, leader, as_of: datetime.date) -> bytes:
    """A city leader's contact projects (市领导联系重大项目制度) as an A4 PDF."""
    data = selectors.leader_report_data(leader=leader, as_of=as_of)
    return render(leader_report_story(data), title=f"市领导联系重大项目情况报告（{leader}）")


# --- the 标准地 compliance report (sections 10 and 11) ---------------------------------------------


def figure(value) -> str:
    """A figure without trailing zeros, up to 4 decimals (0.08 吨标煤/万元, 333.3333 万元/亩)."""
    return "—" if value is None else f"{value:,.4f}".rstrip("0").rstrip(".")


def compliance_tables(report: dict) -> list:
    """One row per agreed indicator (约定, 实际, 差距, 达标) with its project's verdict; shared by the
    report and the bulletin's 达产 section."""
    rows, colors = [], {}
    for number, item in enumerate(report["projects"], start=1):
        for key, indicator in item["indicators"].items():
            met = {True: "达标", False: "未达标", None: "未复核"}[indicator["met"]]
            gap = "—" if indicator["shortfall"] is None else f"{indicator['shortfall'] * 100:+.1f}%"
            if indicator["met"] is not None:
                colors[(len(rows), 7)] = LIGHT_COLORS["green" if indicator["met"] else "red"]
            rows.append([number, f"{item['project']} {item['name']}", item["platform"],
                         f"{indicator['label']}", figure(indicator["agreed"]), figure(indicator["actual"]), gap, met,
                         item["verdict"]])
    story = [data_table(
        ["序号", "项目", "所在平台", "约定指标", "约定值", "实际值", "差距", "是否达标", "项目结论"],
        rows, [0.05, 0.22, 0.11, 0.1, 0.1, 0.1, 0.1, 0.1, 0.12], wrap=(1, 2), cell_colors=colors,
    )]
    story.append(paragraph("注：投资强度、亩均税收、亩均产值单位为万元/亩（税收、产值按年），单位能耗为吨标煤/万元，容积率无单位；"
                           "实际值按达产复核数值和用地面积计算；差距 =（实际−约定）÷约定；单位能耗不高于约定为达标，"
                           "其余不低于约定为达标；任一约定指标未复核，项目即为未复核。", "note"))
    return story


def ranking_table(ranking: list[dict]) -> Table:
    return data_table(
        ["排名", "所在平台", "达产项目（个）", "用地面积（亩）", "亩均税收（万元/亩）", "亩均产值（万元/亩）", "产值排名"],
        [[r["rank"], r["platform"], r["projects"], figure(r["land_area"]), figure(r["tax_per_mu"]),
          figure(r["output_per_mu"]), r["output_rank"]] for r in ranking],
        [0.07, 0.23, 0.13, 0.14, 0.15, 0.15, 0.13], wrap=(1,),
    )


def compliance_story(report: dict) -> list:
    as_of = datetime.date.fromisoformat(report["as_of"])
    summary = report["summary"]
    story = bulletin_header(title="嵊州市标准地项目达产复核情况通报", issue=f"截至{cn_date(as_of)}", date=as_of)
    story.append(paragraph(
        f"截至{cn_date(as_of)}，已投产的标准地项目共<b>{len(report['projects'])}</b>个，其中达产复核达标"
        f"<b>{summary['met']}</b>个、未达标<b>{summary['not_met']}</b>个、尚未复核<b>{summary['unreviewed']}</b>个。"
    ))
    story += heading("一、标准地约定指标复核情况")
    story += compliance_tables(report)
    story += heading("二、亩均效益分平台排名（亩均论英雄）")
    story.append(ranking_table(report["ranking"]))
    story.append(paragraph("注：统计已达产且有用地面积的项目；亩均税收 = 年税收合计 ÷ 用地面积合计，亩均产值同理。", "note"))
    return story


def compliance_pdf(*, as_of: datetime.date) -> bytes:
    """The 标准地 compliance report (sections 10 and 11) as an A4 PDF."""
    report = compliance_report(as_of=as_of)
    return render(compliance_story(report), title="嵊州市标准地项目达产复核情况通报")
