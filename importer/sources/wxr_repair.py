"""A reader that mends the damage real WXR files carry before lxml sees them.

lxml stops at the first well-formedness error, but exports in the wild have bare `&`, HTML
entities, control characters, invalid UTF-8, undeclared `atom:` prefixes and raw `]]>` inside
CDATA. Each repair keeps every newline, so lxml's line numbers stay true, and is reported
through a callback so that nothing is changed silently. The prolog is checked first: a DTD that
declares entities is refused before any parsing (entity bombs, external entities); safe_xml's
guard then has libxml2 confirm it on the bytes this reader hands out. Fields and records are kept
within wxr_limits' bounds on the way.
"""
import codecs
import re
from html.entities import html5

from ..errors import HostileInputError, NotWXRError
from .safe_xml import check_encoding, check_head
from .wxr_limits import MAX_FIELD, MAX_RECORD, FieldCutter, RecordWatch

CHUNK = 1 << 20
MAX_HOLD = 8 << 20

KNOWN_PREFIXES = {
    b"wp": b"http://wordpress.org/export/1.2/",
    b"excerpt": b"http://wordpress.org/export/1.2/excerpt/",
    b"content": b"http://purl.org/rss/1.0/modules/content/",
    b"dc": b"http://purl.org/dc/elements/1.1/",
    b"wfw": b"http://wellformedweb.org/CommentAPI/",
    b"atom": b"http://www.w3.org/2005/Atom",
    b"media": b"http://search.yahoo.com/mrss/",
}

_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))
_CONTROL_REF = re.compile(rb"&#(?:x0*[0-8bBcCeEfF]|x0*1[0-9a-fA-F]|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));")
_BAD_AMP = re.compile(rb"&(?!#[0-9]+;|#x[0-9a-fA-F]+;|(?:amp|lt|gt|quot|apos);)(?:([A-Za-z][A-Za-z0-9]{0,31});)?")
_TEXT_CDATA_END = re.compile(rb"\]\]>")
_CDATA_END_NOT_AT_TAG = re.compile(rb"\]\]>(?![ \t\r\n]*<)")
_INDENTED_CDATA = re.compile(rb">[ \t]*\r?\n[ \t]*<!\[CDATA\[")
_XMLNS = re.compile(rb"""(xmlns(?::[\w.-]+)?\s*=\s*)(["'])(.*?)\2""", re.S)
_USED_PREFIX = re.compile(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]")
_CDATA = re.compile(rb"<!\[CDATA\[.*?\]\]>", re.S)
_DECLARED_PREFIX = re.compile(rb"xmlns:([\w.-]+)\s*=")
_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_WXR_VERSION = re.compile(rb"<wp:wxr_version>\s*(?:<!\[CDATA\[)?\s*(1\.\d)")
_TEXT_RUN = re.compile(rb"(?<=>)[^<]+")


def _line_finder(chunk: bytes, base: int, first_line: int):
    """Line of an offset in a segment starting at `base`, counted only when a repair needs it."""
    return lambda offset: first_line + chunk.count(b"\n", 0, base + offset)


def _keep_cr(cdata: bytes) -> bytes:
    """XML parsers turn CRLF into LF; a CR written as a character reference survives."""
    return cdata.replace(b"\r", b"]]>&#13;<![CDATA[") if b"\r" in cdata else cdata


def _text_run_keeping_cr(match) -> bytes:
    run = match.group(0)
    return run if run.isspace() else run.replace(b"\r", b"&#13;")


def _decode_noting(chunk: bytes) -> tuple[str, list[int]]:
    """UTF-8 text with each invalid sequence replaced by U+FFFD, and the offsets of those sequences.
    Each decode runs to the next error only, over a view: linear in the chunk, however damaged."""
    view, parts, offsets, pos = memoryview(chunk), [], [], 0
    while True:
        try:
            parts.append(str(view[pos:], "utf-8"))
            return "".join(parts), offsets
        except UnicodeDecodeError as error:
            parts.append(str(view[pos:pos + error.start], "utf-8"))
            parts.append("\ufffd")
            offsets.append(pos + error.start)
            pos += error.end


class NeedsRepair(Exception):
    """Raised in strict mode at the first damage: the caller starts over with repairs on."""


class RepairingReader:
    """File-like `read(n)` over a raw byte stream, yielding repaired UTF-8 XML. With repair off
    (the fast path for clean files) it only checks the prolog and passes bytes through."""

    def __init__(self, raw, name: str, report, progress=None, repair=True):
        self.raw, self.name, self.report, self.progress = raw, name, report, progress
        self.repair = repair
        self.out, self.pos = b"", 0
        self.held = b""
        self.line = 1
        self.in_cdata = False
        self.started = False
        self.eof = False
        self.codec = None
        self.indented_cdata = False
        self.watch = RecordWatch(name)
        self.cutter = FieldCutter(name, report) if repair else None

    def read(self, n: int = -1) -> bytes:
        while self.pos >= len(self.out) and not self.eof:
            self._fill()
        if n < 0:
            n = len(self.out) - self.pos
        data = self.out[self.pos:self.pos + n]
        self.pos += len(data)
        return data

    def _fill(self):
        data = self.raw.read(CHUNK)
        if self.progress:
            self.progress(len(data))
        if not data:
            self.eof = True
            buf, self.held = self.held, b""
            if not self.started:
                self._start(buf)
                buf = self._prolog_out
            if not self.repair and b"\r" in buf:
                raise NeedsRepair("carriage returns, which XML parsers would drop")
            self._hand_out(self._repair(buf, b"") if self.repair else buf)
            return
        buf = self.held + data
        if not self.started:
            if len(buf) < CHUNK // 4:
                self.held = buf
                return
            self._start(buf)
            buf = self._prolog_out
        if not self.repair:
            if b"\r" in buf:
                raise NeedsRepair("carriage returns, which XML parsers would drop")
            self.held = b""
            self._hand_out(buf)
            return
        cut = buf.rfind(b"<")
        if cut <= 0 and len(buf) < MAX_HOLD:
            self.held, self.out, self.pos = buf, b"", 0
            return
        if cut <= 0:
            cut = len(buf)
        self.held = buf[cut:]
        self._hand_out(self._repair(buf[:cut], buf[cut:cut + 1]))

    def _hand_out(self, data: bytes):
        """The next bytes for the parser. A record past MAX_FIELD may hold a field past it, which
        only the repairing path can cut; there, a record past MAX_RECORD stops the import."""
        self.out, self.pos = data, 0
        size = self.watch.handed_out(len(data))
        if not self.repair and size > MAX_FIELD:
            raise NeedsRepair(f"a record longer than {MAX_FIELD >> 20} MB")
        if size > MAX_RECORD:
            self.watch.refuse(self.line)

    # -- the prolog and root element -------------------------------------------------------------

    def _start(self, buf: bytes):
        """Check the prolog and the root tag once, and declare prefixes the file forgot."""
        self.started = True
        check_head(buf, self.name)
        if buf.startswith(codecs.BOM_UTF8):
            buf = buf[3:]
        if not buf.strip():
            raise NotWXRError(self.name, "the file is empty")
        pos = len(buf) - len(buf.lstrip())
        if buf.startswith(b"<?xml", pos) and pos > 0:
            self._needs_repair("XML declaration after leading whitespace")
            end = buf.find(b"?>", pos)
            buf = buf[:pos] + self._blank(buf[pos:end + 2]) + buf[end + 2:]
            self.report(1, "XML declaration after leading whitespace", "declaration ignored")
        encoding = _ENCODING.match(buf[pos:])
        if encoding:
            check_encoding(encoding.group(1).decode(), self.name)
        if encoding and self.repair and encoding.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
            self.codec = codecs.lookup(encoding.group(1).decode())
            end = buf.find(b"?>", pos)
            buf = buf[:pos] + self._blank(buf[pos:end + 2]) + buf[end + 2:]
        root = self._find_root(buf)
        buf = self._declare_missing_prefixes(buf, root)
        self.indented_cdata = bool(_INDENTED_CDATA.search(buf))
        self._prolog_out = buf

    def _needs_repair(self, what):
        if not self.repair:
            raise NeedsRepair(what)

    @staticmethod
    def _blank(segment: bytes) -> bytes:
        return re.sub(rb"[^\r\n]", b" ", segment)

    def _find_root(self, buf: bytes) -> int:
        """Offset of the root element's `<`, after comments, PIs and any DOCTYPE."""
        pos = 0
        while True:
            while pos < len(buf) and buf[pos:pos + 1].isspace():
                pos += 1
            if buf.startswith(b"<?", pos):
                pos = self._skip(buf, pos, b"?>")
            elif buf.startswith(b"<!--", pos):
                pos = self._skip(buf, pos, b"-->")
            elif buf.startswith(b"<!DOCTYPE", pos):
                end = buf.find(b"]>", pos) if b"[" in buf[pos:buf.find(b">", pos)] else buf.find(b">", pos)
                doctype = buf[pos:end if end > 0 else len(buf)]
                if b"<!ENTITY" in doctype or b"SYSTEM" in doctype or b"PUBLIC" in doctype or end < 0:
                    raise HostileInputError(
                        self.name, "the file declares a DTD with entities or external references; "
                        "refused (entity expansion and external entities are not allowed)",
                        buf.count(b"\n", 0, pos) + 1)
                pos = end + 2 if buf[end:end + 2] == b"]>" else end + 1
            elif buf.startswith(b"<", pos):
                match = re.match(rb"<([A-Za-z_][\w:.-]*)", buf[pos:pos + 200])
                if not match:
                    break
                name = match.group(1).split(b":")[-1]
                if name != b"rss":
                    raise NotWXRError(self.name, f"root element is <{match.group(1).decode()}>, "
                                      "not <rss>: this is not a WordPress export",
                                      buf.count(b"\n", 0, pos) + 1)
                return pos
            else:
                break
        raise NotWXRError(self.name, "not XML: no root element found", buf.count(b"\n", 0, pos) + 1)

    def _skip(self, buf: bytes, pos: int, terminator: bytes) -> int:
        end = buf.find(terminator, pos)
        if end < 0:
            raise NotWXRError(self.name, "not XML: the prolog never ends", buf.count(b"\n", 0, pos) + 1)
        return end + len(terminator)

    def _declare_missing_prefixes(self, buf: bytes, root: int) -> bytes:
        end = buf.find(b">", root)
        markup = _CDATA.sub(b"", buf)
        declared = set(_DECLARED_PREFIX.findall(markup))
        used = set(_USED_PREFIX.findall(markup)) - declared - {b"xml", b"xmlns"}
        if b"wordpress.org/export/" not in buf and b"wp" not in used:
            raise NotWXRError(self.name, "no WordPress export namespace: an RSS feed, not a WXR export", 1)
        wxr = _WXR_VERSION.search(buf)
        additions = []
        for prefix in sorted(used):
            uri = KNOWN_PREFIXES.get(prefix, b"urn:wparchive:undeclared:" + prefix)
            if wxr and prefix in (b"wp", b"excerpt"):
                uri = uri.replace(b"1.2", wxr.group(1))
            additions.append(b' xmlns:%s="%s"' % (prefix, uri))
            self.report(buf.count(b"\n", 0, root) + 1, f"namespace prefix {prefix.decode()}: used but not declared",
                        f"declared as {uri.decode()}")
        if not additions:
            return buf
        self._needs_repair("undeclared namespace prefixes")
        close = end - 1 if buf[end - 1:end] == b"/" else end
        return buf[:close] + b"".join(additions) + buf[close:]

    # -- the body ----------------------------------------------------------------------------------

    def _repair(self, chunk: bytes, lookahead: bytes) -> bytes:
        first_line = self.line
        self.line += chunk.count(b"\n")
        chunk = self._repair_chunk(chunk, lookahead, first_line)
        return self.cutter.cut(chunk, _line_finder(chunk, 0, first_line))

    def _repair_chunk(self, chunk: bytes, lookahead: bytes, first_line: int) -> bytes:
        chunk = self._to_utf8(chunk, first_line)
        if len(chunk.translate(None, _CONTROL_BYTES)) != len(chunk):
            chunk = self._sub_counted(_CONTROL, b"", chunk, first_line, "control character", "removed")
        if b"&#" in chunk and _CONTROL_REF.search(chunk):
            chunk = self._sub_counted(_CONTROL_REF, b"", chunk, first_line,
                                      "character reference to a control character", "removed")
        if b"xmlns" in chunk:
            chunk = self._fix_namespace_uris(chunk, first_line)
        if b"\r" not in chunk and self._clean(chunk, lookahead):
            opens, closes = chunk.rfind(b"<![CDATA["), chunk.rfind(b"]]>")
            if opens != closes:
                self.in_cdata = opens > closes
            return chunk
        return self._repair_markup(chunk, lookahead, first_line)

    def _clean(self, chunk: bytes, lookahead: bytes) -> bool:
        """True when nothing in the chunk needs a markup repair (the common case, checked in C)."""
        if b"&" in chunk and _BAD_AMP.search(chunk):
            return False
        if b"]]>" in chunk and _CDATA_END_NOT_AT_TAG.search(chunk + lookahead):
            return False
        return True

    def _to_utf8(self, chunk: bytes, first_line: int) -> bytes:
        if self.codec:
            return self.codec.decode(chunk, "replace")[0].encode("utf-8")
        try:
            chunk.decode("utf-8")
            return chunk
        except UnicodeDecodeError:
            pass
        text, offsets = _decode_noting(chunk)
        for offset in offsets:
            self.report(first_line + chunk.count(b"\n", 0, offset), "invalid UTF-8 byte sequence",
                        "replaced with U+FFFD")
        return text.encode("utf-8")

    def _sub_counted(self, pattern, replacement, chunk, first_line, what, action):
        for match in pattern.finditer(chunk):
            self.report(first_line + chunk.count(b"\n", 0, match.start()), what, action)
        return pattern.sub(replacement, chunk)

    def _fix_namespace_uris(self, chunk: bytes, first_line: int) -> bytes:
        def encode(match):
            uri = match.group(3)
            if uri.isascii():
                return match.group(0)
            fixed = b"".join(bytes([c]) if c < 128 else b"%%%02X" % c for c in uri)
            self.report(first_line + chunk.count(b"\n", 0, match.start()),
                        f"namespace URI {uri.decode('utf-8', 'replace')!r} is not a valid URI",
                        "non-ASCII characters percent-encoded")
            return match.group(1) + match.group(2) + fixed + match.group(2)
        return _XMLNS.sub(encode, chunk)

    def _repair_markup(self, chunk: bytes, lookahead: bytes, first_line: int) -> bytes:
        """Walk CDATA sections and comments: fix `&` and `]]>` outside them, raw `]]>` inside CDATA."""
        whole = chunk + lookahead
        out, pos = [], 0
        while pos < len(chunk):
            if self.in_cdata == "comment":
                end = chunk.find(b"-->", pos)
                stop = len(chunk) if end < 0 else end + 3
                out.append(chunk[pos:stop])
                self.in_cdata = "comment" if end < 0 else False
                pos = stop
            elif self.in_cdata:
                pos = self._cdata_part(chunk, whole, pos, out, first_line)
            else:
                cdata, comment = chunk.find(b"<![CDATA[", pos), chunk.find(b"<!--", pos)
                starts = [i for i in (cdata, comment) if i >= 0]
                stop = min(starts) if starts else len(chunk)
                out.append(self._repair_text(chunk[pos:stop], _line_finder(chunk, pos, first_line)))
                if not starts:
                    break
                self.in_cdata = "comment" if stop == comment else True
                out.append(chunk[stop:stop + (4 if stop == comment else 9)])
                pos = stop + (4 if stop == comment else 9)
        return b"".join(out)

    def _cdata_part(self, chunk, whole, pos, out, first_line) -> int:
        """Copy CDATA up to its end; a `]]>` not followed by markup is content, so it is split."""
        end = chunk.find(b"]]>", pos)
        if end < 0:
            out.append(_keep_cr(chunk[pos:]))
            return len(chunk)
        after = end + 3
        while after < len(whole) and whole[after:after + 1] in b" \t\r\n":
            after += 1
        if after < len(whole) and whole[after:after + 1] != b"<":
            out.append(_keep_cr(chunk[pos:end]) + b"]]]]><![CDATA[>")
            self.report(first_line + chunk.count(b"\n", 0, end), "raw ']]>' inside CDATA", "kept as text")
        else:
            out.append(_keep_cr(chunk[pos:end]) + b"]]>")
            self.in_cdata = False
        return end + 3

    def _repair_text(self, text: bytes, line_at) -> bytes:
        def entity(match):
            line = line_at(match.start())
            name = match.group(1)
            char = html5.get(name.decode() + ";") if name else None
            if char:
                self.report(line, f"HTML entity &{name.decode()}; is not defined in XML",
                            "replaced with its character")
                return b"".join(b"&#%d;" % ord(c) for c in char)
            self.report(line, "unescaped '&'", "escaped as &amp;")
            return b"&amp;" + (name + b";" if name else b"")
        if b"&" in text:
            text = _BAD_AMP.sub(entity, text)
        if b"\r" in text:
            text = _TEXT_RUN.sub(_text_run_keeping_cr, text)
        if b"]]>" in text:
            for match in _TEXT_CDATA_END.finditer(text):
                self.report(line_at(match.start()), "']]>' outside CDATA",
                            "escaped as ]]&gt;")
            text = text.replace(b"]]>", b"]]&gt;")
        return text
