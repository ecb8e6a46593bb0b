"""Charts drawn with reportlab.graphics, so the PDF needs nothing but reportlab and the font."""

import calendar
import datetime

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from .selectors import time_progress

ACTUAL_COLOR = colors.HexColor("#C00000")
PACE_COLOR = colors.HexColor("#1F4E78")


def pace_line(*, year: int, target: int) -> list[tuple[float, float]]:
    """The target's time-progress line (section 5): at the end of month m, target × 序时进度 —
    the count a year on pace would have."""
    points = [(0, 0)]
    for month in range(1, 13):
        end = datetime.date(year, month, calendar.monthrange(year, month)[1])
        points.append((month, target * time_progress(year=year, as_of=end)))
    return points


def cumulative_signings_chart(*, year: int, cumulative_by_month: dict, target: int | None, font: str,
                              width: float = 460, height: float = 210) -> Drawing:
    """Cumulative counted signings by month against the target's time-progress line."""
    drawing = Drawing(width, height)
    # The renderer starts each drawing in this font; the default Helvetica would be referenced
    # (and listed as not embedded) even though no text uses it.
    drawing.initialFontName = font
    plot = LinePlot()
    plot.x, plot.y = 40, 45
    plot.width, plot.height = width - 60, height - 75
    actual = [(0, 0)] + [(index, count) for index, count in enumerate(cumulative_by_month.values(), start=1)]
    series = [actual]
    if target:
        series.append(pace_line(year=year, target=target))
    plot.data = series
    plot.lines[0].strokeColor = ACTUAL_COLOR
    plot.lines[0].strokeWidth = 2
    plot.lines[0].symbol = makeMarker("FilledCircle", size=4, fillColor=ACTUAL_COLOR, strokeColor=ACTUAL_COLOR)
    if target:
        plot.lines[1].strokeColor = PACE_COLOR
        plot.lines[1].strokeWidth = 1.2
        plot.lines[1].strokeDashArray = [4, 3]
    top = max([target or 0] + [count for _, count in actual]) or 1
    step = max(1, -(-top // 8))
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, 12
    plot.xValueAxis.valueSteps = list(range(0, 13))
    plot.xValueAxis.labelTextFormat = lambda v: f"{int(v)}月" if v else ""
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = step * (-(-top // step))
    plot.yValueAxis.valueStep = step
    plot.yValueAxis.labelTextFormat = "%d"
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = colors.HexColor("#DDDDDD")
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = font
        axis.labels.fontSize = 8
    drawing.add(plot)
    drawing.add(String(8, height - 14, "个", fontName=font, fontSize=8))
    legend = Legend()
    legend.fontName = font
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.x, legend.y = 60, 14
    legend.dx, legend.dy = 14, 6
    legend.deltax = 150
    items = [(ACTUAL_COLOR, f"{year}年累计签约（亿元以上制造业项目）")]
    if target:
        items.append((PACE_COLOR, f"目标 {target} 个的序时进度线"))
    legend.colorNamePairs = items
    drawing.add(legend)
    return drawing
