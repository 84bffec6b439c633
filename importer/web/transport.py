"""Recording and replaying the fetcher's HTTP exchanges, as `requests` transport adapters.

`Recorder(path)` sends through the real adapter and appends each exchange to a cassette;
`Replayer(path)` answers from that cassette with no network. A cassette is JSON lines (read
from `.xz` too): exchanges, and notes a test writes between them (what it changed on the
server). Notes cut a cassette into parts; a replayer serves from one part at a time, so a URL
that shows new content after a change answers as it did then. Within a part, an exchange
recorded several times is served in recorded order, then the last one again.

    Fetcher(url, transport=Replayer("tests/recordings/x.jsonl.xz"))
"""
import base64
import io
import json
import lzma
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

CONDITIONAL = ("If-None-Match", "If-Modified-Since")
UNSTORED = {"transfer-encoding", "connection", "keep-alive"}  # the body is stored whole, unchunked


class NotRecorded(LookupError):
    """A request the cassette has no answer for: the cassette is stale; re-record it."""


class Recorder(HTTPAdapter):
    """Sends for real (through `real`) and appends every exchange to the cassette at `path`."""

    def __init__(self, path, real: HTTPAdapter | None = None):
        super().__init__()
        self.path, self.real = Path(path), real or HTTPAdapter()

    def send(self, request, **kwargs):
        answer = self.real.send(request, **kwargs)
        body = answer.raw.read(decode_content=False)
        answer.close()
        exchange = {"request": _request_of(request),
                    "response": {"status": answer.status_code, "reason": answer.reason,
                                 "headers": [[k, v] for k, v in answer.raw.headers.items()
                                             if k.lower() not in UNSTORED],
                                 **_stored(body)}}
        append(self.path, exchange)
        return _response(self, request, exchange["response"])

    def note(self, **data):
        """Write a note (what the test changed, a value it chose): it starts a new part."""
        append(self.path, {"note": data})

    def close(self):
        self.real.close()


class Replayer(HTTPAdapter):
    """Answers from the cassette at `path`, starting at part `part`; never opens a connection."""

    def __init__(self, path, part: int = 0):
        super().__init__()
        self.path = Path(path)
        self.notes, self.parts = read(self.path)
        self.part = part
        self._served: dict = {}

    def send(self, request, **kwargs):
        key = _key(_request_of(request))
        answers = self.parts[self.part].get(key, []) if self.part < len(self.parts) else []
        if not answers:
            raise NotRecorded(f"{self.path}: no recorded answer for {request.method} {request.url}"
                              + "".join(f" {h}: {request.headers[h]}" for h in CONDITIONAL if h in request.headers)
                              + f" (part {self.part}); re-record with scripts/record-exchanges")
        served = self._served.get((self.part, key), 0)
        self._served[(self.part, key)] = served + 1
        return _response(self, request, answers[min(served, len(answers) - 1)])

    def next_note(self) -> dict:
        """The note that ends the current part; replay goes on in the next part."""
        if self.part >= len(self.notes):
            raise NotRecorded(f"{self.path}: no note after part {self.part}; re-record with scripts/record-exchanges")
        self.part += 1
        return self.notes[self.part - 1]

    def close(self):
        pass


def append(path: Path, entry: dict):
    """One line, one write, appended: a cassette can be written by several processes in turn."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def read(path: Path) -> tuple[list[dict], list[dict]]:
    """The cassette's notes, and its parts: {request key: [responses in recorded order]}."""
    if not path.exists():
        raise NotRecorded(f"{path}: no such cassette; record it with scripts/record-exchanges")
    data = lzma.decompress(path.read_bytes()) if path.suffix == ".xz" else path.read_bytes()
    notes, parts = [], [{}]
    for line in data.decode("utf-8").splitlines():
        entry = json.loads(line)
        if "note" in entry:
            notes.append(entry["note"])
            parts.append({})
        else:
            parts[-1].setdefault(_key(entry["request"]), []).append(entry["response"])
    return notes, parts


def pack(plain: Path, packed: Path):
    """Compress a recorded cassette (pages of one site repeat their theme: xz keeps them small)."""
    packed.write_bytes(lzma.compress(plain.read_bytes(), preset=9 | lzma.PRESET_EXTREME))
    plain.unlink()


def canonical_url(url: str) -> str:
    """The URL with its query parameters in sorted order."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", query, ""))


def _request_of(request) -> dict:
    return {"method": request.method, "url": canonical_url(request.url),
            "headers": {h: request.headers[h] for h in CONDITIONAL if h in request.headers}}


def _key(request: dict) -> tuple:
    return (request["method"], request["url"], *(request["headers"].get(h) for h in CONDITIONAL))


def _stored(body: bytes) -> dict:
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def _response(adapter: HTTPAdapter, request, stored: dict):
    """A requests.Response as the real adapter builds it, its body streamed from memory."""
    body = stored["text"].encode("utf-8") if "text" in stored else base64.b64decode(stored["base64"])
    raw = HTTPResponse(body=io.BytesIO(body), headers=[tuple(pair) for pair in stored["headers"]], status=stored["status"], reason=stored.get("reason"),
                       preload_content=False, decode_content=True, request_method=request.method,
                       request_url=request.url)
    return adapter.build_response(request, raw)
