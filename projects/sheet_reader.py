"""Reading a large .xlsx in a child process while the caller works on the rows already read (issue
12: openpyxl's parsing was a third of a 10,000-row ledger import's first run, on one core, while the
machine's other core waited).

The child is this module run by the same Python (`python -P -c …`, no Django). It is given the
workbook's bytes, opens the workbook and answers with every sheet's name, visibility, hidden columns,
size and first HEAD_ROWS rows, which is all a caller looking for a header row reads. A sheet's rows
after those are sent when asked for, in pickled chunks, one sheet at a time. The pipe holds only a few
chunks: the child waits when the caller is behind, and memory stays bounded. The caller never opens
the workbook itself, so no sheet is parsed twice.

The caller sees the child's failures only as a `SheetReaderError`: a damaged sheet, or, as its
`ReaderGone`, a process that ended or cannot be reached (not the file's doing). The importer tells
the user which of the two it was, as it does for a sheet it cannot read itself.
"""

import gc
import io
import itertools
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

# Below this size a workbook is read faster in-process than a child takes to start (about 0.1 s
# for the interpreter and openpyxl); 256 KB is roughly 1,500 ledger rows.
MIN_BYTES = 256 * 1024
HEAD_ROWS = 30
CHUNK_ROWS = 500
_ROOT = str(Path(__file__).resolve().parents[1])
_COMMAND = [sys.executable, "-P", "-c", "from projects.sheet_reader import main; main()"]


class SheetReaderError(Exception):
    """The child could not read the workbook or a sheet; the message is the library's (English,
    for the log)."""


class ReaderGone(SheetReaderError):
    """The child ended, or could not be reached, before it answered: not the file's doing."""


class SheetReader:
    """One child process reading the workbook `data`."""

    def __init__(self, data: bytes, markers=()):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        _widen(self._process.stdout)
        self._streaming = False  # a sheet's rows were asked for and not all received yet
        self._requests = 0
        self.head_rows, self.chunk_rows = HEAD_ROWS, CHUNK_ROWS
        # Fed from a thread: the child reads the bytes as they come, and the caller goes on at once.
        self._feeder = threading.Thread(target=self._feed, args=(data, tuple(markers)), name="sheet-reader-feed",
                                        daemon=True)
        self._feeder.start()

    def _feed(self, data, markers):
        try:
            self._process.stdin.write(struct.pack(">Q", len(data)))
            self._process.stdin.write(data)
            pickle.dump((markers, self.head_rows, self.chunk_rows), self._process.stdin)
            self._process.stdin.flush()
        except (OSError, ValueError) as exc:  # the child is gone: the next read says so
            logger.info("sheet reader: could not send the workbook: %s", exc)

    def _receive(self):
        try:
            kind, payload = _Unpickler(self._process.stdout).load()
        except (EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
            self.close()
            raise ReaderGone(f"sheet reader process ended (exit code {self._process.returncode}): {exc!r}") from None
        if kind == "error":
            self._streaming = False
            raise SheetReaderError(payload)
        return kind, payload

    def sheets(self) -> list[dict]:
        """Every sheet that has cells, in the workbook's order: {name, hidden, hidden_columns,
        max_row, head} (head: its first HEAD_ROWS rows, as tuples)."""
        self._feeder.join()
        _, sheets = self._receive()
        return sheets

    def rows(self, sheet_index: int, start: int):
        """The rows of the `sheet_index`-th sheet from row number `start` (1-based) to its end, as
        tuples (`tables._xlsx_rows`). A stream left unfinished is read to its end before the next
        one starts; the one left can then not be resumed."""
        while self._streaming:  # an earlier caller stopped early: skip what the child sent it
            if self._receive()[0] == "end":
                self._streaming = False
        try:
            pickle.dump((sheet_index, start), self._process.stdin)
            self._process.stdin.flush()
        except (OSError, ValueError) as exc:
            raise ReaderGone(f"sheet reader process is gone: {exc}") from None
        self._streaming, self._requests = True, self._requests + 1
        request = self._requests
        while True:
            kind, payload = self._receive()
            if kind == "end":
                self._streaming = False
                return
            for row in payload:
                if request != self._requests:
                    raise RuntimeError("a sheet's rows were read on after another sheet's were asked for")
                yield row

    def close(self):
        """Stop the child if it still runs, and reap it (no zombie, no open pipe). Idempotent."""
        process = self._process
        if process.poll() is None:
            process.kill()
        process.wait()
        self._feeder.join()
        for pipe in (process.stdin, process.stdout):
            try:
                pipe.close()
            except (OSError, ValueError):
                pass  # stdin's buffer could not be flushed to the killed child


# A pipe holds 64 KB by default, about 240 ledger rows (~270 bytes each, pickled): while the importer
# built a part, the child sent those and waited, and the importer then waited for the rest of the
# next part (issue 12: ~50 ms a part). 1 MB (Linux's default limit for an unprivileged process)
# holds about 3,900 rows, two of the importer's parts.
PIPE_BYTES = 1024 * 1024


def _widen(pipe):
    try:
        import fcntl  # POSIX only

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError) as exc:  # not Linux, or a lower limit: the default pipe still works
        logger.info("sheet reader: pipe left at its default size: %s", exc)


class _Unpickler(pickle.Unpickler):
    """Unpickles what the child sends and nothing else: cell values are text, numbers, booleans,
    None and dates, times and durations (`tables.Marked` around a date). The child parses files from
    anyone; should it ever send something else, that is an error, never an object to construct."""

    ALLOWED = {("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
               ("projects.tables", "Marked")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"sheet reader sent a {module}.{name}")
        return super().find_class(module, name)


def start(data: bytes, markers=()) -> SheetReader | None:
    """A reader for `data`, or None when it is too small to gain from one or no process can be
    started (the caller then reads in-process)."""
    if len(data) < MIN_BYTES:
        return None
    try:
        return SheetReader(data, markers)
    except OSError as exc:
        logger.warning("sheet reader: cannot start a process, reading in-process: %s", exc)
        return None


def main():
    """The child: the workbook's bytes and requests from stdin, answers to stdout."""
    # As the importer's own process does while it reads (bulk.cycle_collector_paused): the parser's
    # objects hold no cycles, and the collector's rescans were a tenth of the child's time. The
    # process ends with the reading.
    gc.disable()
    stdin = sys.stdin.buffer
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything a library prints, from Python or C, goes to stderr: only the answers are in the pipe.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    try:
        _serve(stdin, out)
    except (BrokenPipeError, EOFError):
        pass  # the caller closed the table


def _serve(stdin, out):
    from projects import tables

    def send(kind, payload):
        pickle.dump((kind, payload), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    (size,) = struct.unpack(">Q", stdin.read(8))
    data = stdin.read(size)
    markers, head_rows, chunk_rows = pickle.load(stdin)
    try:
        worksheets = tables.xlsx_worksheets(tables.load_xlsx(io.BytesIO(data)))
        sheets = [{"name": ws.title, "hidden": ws.sheet_state != "visible",
                   "hidden_columns": tables._xlsx_hidden_columns(ws), "max_row": ws.max_row,
                   "head": list(itertools.islice(tables._xlsx_rows(ws, markers), head_rows))}
                  for ws in worksheets]
    except Exception as exc:  # any of openpyxl's many errors for a damaged file
        send("error", f"{type(exc).__name__}: {exc}")
        return
    send("sheets", sheets)
    while True:
        sheet_index, start = pickle.load(stdin)
        try:
            rows = itertools.islice(tables._xlsx_rows(worksheets[sheet_index], markers), start - 1, None)
            while chunk := list(itertools.islice(rows, chunk_rows)):
                send("rows", chunk)
        except BrokenPipeError:
            raise
        except Exception as exc:  # a damaged sheet fails while it is read, in many types
            send("error", f"{type(exc).__name__}: {exc}")
            continue
        send("end", None)
