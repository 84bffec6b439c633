"""XML from anyone (exports, feeds, sitemaps) read without entity expansion, DTDs or network access.

The guard lets libxml2 itself read the prolog, up to the root's start tag, before any other parser
sees a byte: what it reports there (entity declarations, external ids) decides, not a scan of the
raw bytes, so no comment, encoding or length trick hides a DTD. Encodings are checked against
the ones WordPress sites actually use.
"""
import codecs
import re

from lxml import etree

from ..errors import HostileInputError, NotWXRError

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                         recover=True, remove_pis=True)
MAX_PROLOG = 1 << 20  # real prologs are a few hundred bytes; a longer one hides something
_PIECE = 1 << 16
_FIRST_PIECE = 1 << 10
# What WordPress installs declare (blog_charset): Unicode as UTF-8, and the legacy single- and
# double-byte web charsets. Not UTF-7, UTF-16/32 or EBCDIC: no export is written in them.
# Python's own names for them (codecs.lookup(name).name), written out so that importing this
# module loads none of the CJK codecs' tables.
ENCODINGS = frozenset((
    "utf-8", "ascii", *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)),
    *(f"cp{n}" for n in range(1250, 1259)), "cp874", "koi8-r", "koi8-u", "mac-roman",
    "shift_jis", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030", "big5", "big5hkscs", "euc_kr"))
_EBCDIC = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC, which libxml2 would detect and decode
_DECLARATION = re.compile(rb"<\?xml[ \t\r\n][^>]*?\?>")
_ENCODING = re.compile(rb"""[ \t\r\n]encoding[ \t\r\n]*=[ \t\r\n]*(["'])([A-Za-z][A-Za-z0-9._-]*)\1""")


def check_encoding(name: str, where: str, line: int = 1):
    """Refuse an encoding no WordPress export is written in."""
    try:
        known = codecs.lookup(name).name in ENCODINGS
    except LookupError:
        known = False
    if not known:
        raise NotWXRError(where, f"encoding {name!r} is not one WordPress writes; refused", line)


def check_head(head: bytes, where: str):
    """The document starts with ASCII-compatible markup and declares an allowed encoding, if any."""
    start = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    start = start.lstrip(b" \t\r\n")
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in start[:4]:
        raise NotWXRError(where, "UTF-16 and UTF-32 files are not supported; convert to UTF-8", 1)
    if start.startswith(_EBCDIC):
        raise NotWXRError(where, "EBCDIC files are not supported; convert to UTF-8", 1)
    declaration = _DECLARATION.match(start)
    if declaration:
        encoding = _ENCODING.search(declaration.group(0))
        if encoding:
            check_encoding(encoding.group(2).decode(), where)
        elif b"encoding" in declaration.group(0):
            raise NotWXRError(where, "unreadable encoding in the XML declaration; refused", 1)


class PrologGuard:
    """A `read(n)` stream over `raw` that hands out nothing before libxml2 has read the prolog and
    found no entity declaration, external DTD or foreign encoding. After that it only passes reads on."""

    def __init__(self, raw, where: str):
        self.raw, self.where = raw, where
        self.pending: list[bytes] | None = None

    def read(self, n: int = -1) -> bytes:
        if self.pending is None:
            self.pending = self._checked_prolog()
        if self.pending:
            return self.pending.pop(0)
        return self.raw.read(n)

    def _checked_prolog(self) -> list[bytes]:
        parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False,
                                     huge_tree=False, remove_comments=True, remove_pis=True)
        pieces, size, want = [], 0, _FIRST_PIECE
        while True:
            piece = self.raw.read(want)
            want = min(want * 2, _PIECE)  # a prolog is a few hundred bytes: libxml2 parses no more than needed
            if not pieces:
                check_head(piece, self.where)
            pieces.append(piece)
            size += len(piece)
            try:
                parser.close() if not piece else parser.feed(piece)
                root = next((element for _, element in parser.read_events()), None)
            except etree.XMLSyntaxError as error:
                self._refuse_dtd(pieces, f"the DTD cannot be read safely ({error.msg})")
                raise
            if root is not None:
                self._check_doctype(root, pieces)
                return pieces
            if not piece:
                return pieces
            if size > MAX_PROLOG:
                self._refuse_dtd(pieces, f"the DTD is longer than {MAX_PROLOG >> 20} MB")
                raise NotWXRError(self.where, f"more than {MAX_PROLOG >> 20} MB before the root element; refused")

    def _check_doctype(self, root, pieces):
        docinfo = root.getroottree().docinfo
        dtd = docinfo.internalDTD
        if docinfo.system_url or docinfo.public_id:
            self._refuse_dtd(pieces, "the DOCTYPE names an external DTD", force=True)
        if dtd is not None and any(True for _ in dtd.iterentities()):
            self._refuse_dtd(pieces, "the DTD declares entities", force=True)

    def _refuse_dtd(self, pieces, why, force=False):
        head = b"".join(pieces)
        at = head.find(b"<!DOCTYPE")
        if at < 0 and not force:
            return
        line = head.count(b"\n", 0, at) + 1 if at >= 0 else 1
        raise HostileInputError(self.where, f"{why}; refused (entity expansion and external entities "
                                "are not allowed)", line)


def parse(content: bytes, where: str = "document"):
    """The root element, or None for something that is not XML; HostileInputError for what the
    guard refuses (a DTD with entities, an external DTD), so the caller can say why."""
    guard = PrologGuard(_Bytes(content), where)
    try:
        guard.read(0)
        return etree.fromstring(content, PARSER)
    except (etree.XMLSyntaxError, NotWXRError):
        return None


class _Bytes:
    """Reads of a bytes object, without copying it into a BytesIO."""

    def __init__(self, content: bytes):
        self.view, self.pos = memoryview(content), 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.view) if n < 0 else self.pos + n
        data = bytes(self.view[self.pos:end])
        self.pos += len(data)
        return data


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
