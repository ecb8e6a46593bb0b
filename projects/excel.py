"""Small openpyxl helpers shared by the ledger export and the report workbooks.

Everything here works for normal and write-only worksheets: cells are built with `WriteOnlyCell`
and appended with `ws.append(...)`, which both kinds of worksheet accept.
"""

import datetime
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

AMOUNT_FORMAT = "#,##0.00##"  # amounts in 万: up to 4 decimals (1 元) without noise
AREA_FORMAT = "#,##0.00"
INTEGER_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
PAPER_A3, PAPER_A4 = 8, 9  # the sheet's paperSize codes (ECMA-376)

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_BORDER = Border(bottom=Side(style="thin", color="999999"))
TITLE_FONT = Font(bold=True, size=16)
NOTE_FONT = Font(size=9, color="666666")
DERIVED_FONT = Font(italic=True, color="808080")  # a value the system worked out, not one entered
# Section 4's lights as a printed cell: a pale fill that still reads in black and white.
LIGHT_FILLS = {"red": PatternFill("solid", fgColor="F4B6B6"), "yellow": PatternFill("solid", fgColor="FFE699"),
               "green": PatternFill("solid", fgColor="C6E0B4")}

# A spreadsheet program evaluates a cell typed as text when it starts with one of these
# (CSV/formula injection); openpyxl itself turns any string starting with "=" into a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@")


def safe_text(value):
    """Return `value` ready to be put in a cell: a string beginning with = + - @ becomes rich text,
    which openpyxl stores as an inline string, never as a formula. Other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return CellRichText(value)
    return value


def cell(ws, value, *, number_format=None, bold=False, font=None):
    """A cell for `ws.append`: text made safe, dates and amounts with their number format."""
    result = WriteOnlyCell(ws, value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        # Stored as a string and marked "quote prefix", so Excel keeps it text even when edited.
        result.data_type = "s"
        result.quotePrefix = True
    if number_format is None:
        number_format = default_number_format(value)
    if number_format:
        result.number_format = number_format
    if bold:
        result.font = Font(bold=True)
    if font is not None:
        result.font = font
    return result


def title_cell(ws, text):
    return cell(ws, text, font=TITLE_FONT)


def note_cell(ws, text):
    return cell(ws, text, font=NOTE_FONT)


def light_cell(ws, text, light):
    result = cell(ws, text)
    result.fill = LIGHT_FILLS[light]
    result.alignment = Alignment(horizontal="center")
    return result


def print_setup(ws, *, title, title_rows, paper=PAPER_A4, landscape=True):
    """Page setup for a sheet people print: the paper, fitted to one page wide,
    `title_rows` (e.g. "1:3") repeated on every page, page numbers in the footer."""
    ws.page_setup.paperSize = paper
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = f"{title}　第 &P 页，共 &N 页"


def default_number_format(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return DATE_FORMAT
    if isinstance(value, Decimal):
        return AMOUNT_FORMAT
    return None


def header_cells(ws, headers):
    """The styled header row, for `ws.append(header_cells(ws, headers))`."""
    cells = []
    for text in headers:
        header = cell(ws, text)
        header.font = HEADER_FONT
        header.fill = HEADER_FILL
        header.alignment = HEADER_ALIGNMENT
        header.border = HEADER_BORDER
        cells.append(header)
    return cells


def row_cells(ws, values, number_formats=None):
    """One data row; `number_formats` maps column index (0-based) to a format for that column."""
    number_formats = number_formats or {}
    return [cell(ws, value, number_format=number_formats.get(index)) for index, value in enumerate(values)]


def set_column_widths(ws, widths):
    """`widths` is a list (one per column, from A) or a dict {column letter or 1-based index: width}.
    On a write-only sheet this must be called before the first row is appended."""
    items = enumerate(widths, start=1) if isinstance(widths, (list, tuple)) else widths.items()
    for column, width in items:
        letter = get_column_letter(column) if isinstance(column, int) else column
        ws.column_dimensions[letter].width = width


def text_width(text, minimum=8, maximum=40):
    """A column width that fits `text`, counting a CJK character as two."""
    width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text)) + 2
    return max(minimum, min(maximum, width))


def freeze_header(ws, rows=1):
    """Keep the header row(s) visible while scrolling (before the first append on write-only sheets)."""
    ws.freeze_panes = f"A{rows + 1}"


def setup_sheet(ws, headers, *, widths=None):
    """Column widths, frozen header row, styled header: the usual start of a table sheet."""
    set_column_widths(ws, widths or [text_width(h, minimum=10) for h in headers])
    freeze_header(ws)
    ws.append(header_cells(ws, headers))
