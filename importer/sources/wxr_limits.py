"""How much of one WXR record the parser is allowed to hold, enforced on the bytes before libxml2
sees them (libxml2 with huge_tree=True would hold a text node of up to 1 GB).

The largest text field in the shared corpus of real exports is 43 KB and the largest item a few
hundred KB; MAX_FIELD is 4 MB (about 100 times that), small enough that the parser, the records
crossing to the writer and SQLite together stay far below 200 MB of memory for one field. A record
may hold several fields of that size, up to MAX_RECORD.
"""
import re

from ..errors import DamagedInputError

MAX_FIELD = 4 << 20
MAX_RECORD = 16 << 20

_OPENER = re.compile(rb"<(?:!\[CDATA\[|!--|\?)")
_KINDS = {b"<![CDATA[": ("CDATA section", b"]]>"), b"<!--": ("comment", b"-->"), b"<?": ("processing instruction", b"?>")}
_TRAILING_ENTITY = re.compile(rb"&[#A-Za-z0-9]{0,32}$")


class FieldCutter:
    """Cuts every element's text past MAX_FIELD bytes on the repairing path, reporting each cut.

    A field is everything between two tags (text, CDATA sections, comments), so splitting a
    field into many CDATA sections does not step around the limit. Chunks arrive cut before a `<`,
    so an opener never straddles two chunks; a terminator can, and is handled."""

    def __init__(self, name: str, report):
        self.name, self.report = name, report
        self.offset = 0          # bytes seen before the current chunk
        self.field_start = 0     # offset of the last tag's `<`: where the current field began
        self.in_tag = False      # between a tag's `<` and its `>`
        self.inside = None       # (kind, terminator) while in a CDATA section, comment or PI
        self.partial = 0         # bytes of the terminator at the end of the last chunk
        self.dropping = False    # past the limit: nothing is kept until the next tag

    def cut(self, chunk: bytes, line) -> bytes:
        if not self.dropping and not self.partial and self.offset + len(chunk) - self.field_start <= MAX_FIELD:
            self._follow(chunk)  # no field can reach the limit here: only the state at the end matters
            self.offset += len(chunk)
            return chunk
        return self._walk(chunk, line)

    def _follow(self, chunk: bytes):
        """The state after a chunk, found with one search per CDATA section, comment or PI."""
        pos, spans = 0, [0]
        if self.inside:
            end = chunk.find(self.inside[1])
            if end < 0:
                self.partial = _partial(chunk, self.inside[1])
                return
            pos = spans[0] = end + len(self.inside[1])
            self.inside = None
        search, find = _OPENER.search, chunk.find
        while True:
            match = search(chunk, pos)
            if match is None:
                spans.append(len(chunk))
                break
            spans.append(match.start())
            kind = _KINDS[match.group(0)]
            end = find(kind[1], match.end())
            if end < 0:
                self.inside, self.partial = kind, _partial(chunk, kind[1])
                break
            pos = end + len(kind[1])
            spans.append(pos)
        self._last_tag(chunk, spans)

    def _last_tag(self, chunk, spans):
        """field_start and in_tag from the last `<` in the chunk's markup (outside sections)."""
        closed = False  # a `>` after the last `<`
        for index in range(len(spans) - 2, -1, -2):
            start, stop = spans[index], spans[index + 1]
            tag = chunk.rfind(b"<", start, stop)
            closed = closed or chunk.find(b">", max(start, tag), stop) >= 0
            if tag >= 0:
                self.field_start, self.in_tag = self.offset + tag, not closed
                return
        self.in_tag = self.in_tag and not closed

    def _walk(self, chunk: bytes, line) -> bytes:
        out, pos = [], 0
        if self.inside and self.partial:
            pos = self._finish_straddling(chunk, out)
        while pos < len(chunk):
            if self.inside:
                pos = self._inside(chunk, pos, out, line)
            else:
                match = _OPENER.search(chunk, pos)
                stop = match.start() if match else len(chunk)
                self._markup(chunk, pos, stop, out, line)
                if not match:
                    break
                self.inside = _KINDS[match.group(0)]
                if not self.dropping:
                    out.append(match.group(0))
                pos = match.end()
        self.offset += len(chunk)
        return b"".join(out)

    def _finish_straddling(self, chunk, out) -> int:
        terminator = self.inside[1]
        rest = terminator[self.partial:]
        self.partial = 0
        if not chunk.startswith(rest):
            return 0
        if not self.dropping:
            out.append(rest)
        self.inside = None
        return len(rest)

    def _markup(self, chunk, pos, stop, out, line):
        """Tags and plain text: each `<` here starts a tag, and with it a new field."""
        while pos < stop:
            if self.dropping:
                pos = chunk.find(b"<", pos, stop)
                if pos < 0:
                    return
                self.dropping = False
                self._tag_at(pos)
            limit = self.field_start + MAX_FIELD - self.offset
            if limit >= stop and stop - pos <= MAX_FIELD:
                self._bulk(chunk, pos, stop, out)  # no field here can reach the limit
                return
            tag = chunk.find(b"<", pos + 1 if self.offset + pos == self.field_start else pos, stop)
            end = stop if tag < 0 else tag
            if end > limit:
                if self.in_tag and chunk.find(b">", pos, limit) < 0:
                    raise DamagedInputError(self.name, f"a tag longer than {MAX_FIELD >> 20} MB; the import "
                                            "stops here, keeping every complete record before it", line(limit))
                keep = _entity_safe(chunk, pos, _char_start(chunk, pos, self._keep(chunk, pos, end, line)))
                out.append(chunk[pos:keep])
                pos = keep
                continue
            if chunk.find(b">", pos, end) >= 0:
                self.in_tag = False
            out.append(chunk[pos:end])
            if tag < 0:
                return
            self._tag_at(tag)
            pos = tag

    def _tag_at(self, index):
        self.field_start, self.in_tag = self.offset + index, True

    def _bulk(self, chunk, pos, stop, out):
        last = chunk.rfind(b"<", pos, stop)
        if last >= 0:
            self.field_start = self.offset + last
            self.in_tag = chunk.find(b">", last, stop) < 0
        elif self.in_tag and chunk.find(b">", pos, stop) >= 0:
            self.in_tag = False
        out.append(chunk[pos:stop])

    def _inside(self, chunk, pos, out, line) -> int:
        kind, terminator = self.inside
        end = chunk.find(terminator, pos)
        stop = len(chunk) if end < 0 else end
        if not self.dropping:
            keep = self._keep(chunk, pos, stop, line)
            if keep < stop:
                keep = _char_start(chunk, pos, keep)
                body = chunk[pos:keep]
                out.append(body.rstrip(b"-") if terminator == b"-->" else body)
                out.append(terminator)
            else:
                out.append(chunk[pos:stop])
        if end < 0:
            self.partial = _partial(chunk, terminator)
            return len(chunk)
        if not self.dropping:
            out.append(terminator)
        self.inside = None
        return end + len(terminator)

    def _keep(self, chunk, pos, stop, line) -> int:
        """Where the field reaches the limit in chunk[pos:stop] (stop if it does not); the first
        time it does, the cut is reported and dropping starts."""
        allowed = self.field_start + MAX_FIELD - self.offset
        if stop <= allowed:
            return stop
        keep = max(pos, allowed)
        if not self.dropping:
            self.dropping = True
            self.report(line(keep), f"a field longer than {MAX_FIELD >> 20} MB",
                        f"cut to its first {MAX_FIELD >> 20} MB")
        return keep


def _char_start(chunk: bytes, pos: int, keep: int) -> int:
    """Back to the start of a UTF-8 character, so a cut never splits one."""
    while keep > pos and chunk[keep] & 0xC0 == 0x80:
        keep -= 1
    return keep


def _entity_safe(chunk: bytes, pos: int, keep: int) -> int:
    """Back before an entity or character reference the cut would split."""
    match = _TRAILING_ENTITY.search(chunk, max(pos, keep - 34), keep)
    return match.start() if match else keep


def _partial(chunk: bytes, terminator: bytes) -> int:
    for size in range(len(terminator) - 1, 0, -1):
        if chunk.endswith(terminator[:size]):
            return size
    return 0


class RecordWatch:
    """Counts the bytes handed to the parser since the last record it finished (to the chunk)."""

    def __init__(self, name: str):
        self.name = name
        self.handed = self.mark = 0

    def handed_out(self, n: int) -> int:
        self.handed += n
        return self.handed - self.mark

    def record_done(self):
        self.mark = self.handed

    def refuse(self, line: int):
        raise DamagedInputError(self.name, f"a record longer than {MAX_RECORD >> 20} MB even with its fields cut; "
                                "the import stops here, keeping every complete record before it", line)
