"""A light stand-in for many small WordPress blogs: enough of the REST API (index, users,
taxonomies, categories, types, posts, comments, with WordPress's paging headers and
modified_after), the comments feed as the change gate (ETag, 304), post pages and a 404
robots.txt, for `wparchive scrape --via rest` and `sync` to work against.

One asyncio loop in a thread serves every port, so a thousand blogs cost a thousand sockets, not
a thousand threads. Blogs live on ports of their own or several on one port under path prefixes
(a host many sites share, like WordPress.com). Every request's arrival time is recorded per
port, which is what politeness tests assert on. `latency` delays every answer.
"""
import asyncio
import json
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

EPOCH = datetime(2024, 1, 1, 10, 0, 0)
PER_PAGE = 10


@dataclass
class Blog:
    """One blog: `posts` posts with `comments` comments each, changed by add_post."""
    base: str  # its root URL, with a trailing slash
    prefix: str  # its path on the port
    posts: list[dict] = field(default_factory=list)
    comments: list[dict] = field(default_factory=list)
    version: int = 1
    images: dict[str, bytes] = field(default_factory=dict)  # uploads path -> PNG bytes

    @property
    def port(self) -> int:
        return urlsplit(self.base).port

    def fill(self, posts: int, comments: int):
        for _ in range(posts):
            self.add_post(comments, bump=False)

    def add_post(self, comments: int = 0, bump: bool = True):
        """A new post (with comments), as a blog that changed; the gate's ETag changes with it."""
        number = len(self.posts) + 1
        moment = (EPOCH + timedelta(hours=number)).strftime("%Y-%m-%dT%H:%M:%S")
        self.posts.append({
            "id": number, "date": moment, "date_gmt": moment, "modified": moment, "modified_gmt": moment,
            "slug": f"post-{number}", "status": "publish", "type": "post", "link": f"{self.base}?p={number}",
            "guid": {"rendered": f"{self.base}?p={number}"}, "title": {"rendered": f"Post {number}"},
            "content": {"rendered": f"<p>Text of post {number} on {self.base}</p>"},
            "excerpt": {"rendered": f"<p>Post {number}</p>"}, "author": 1, "parent": 0, "menu_order": 0,
            "comment_status": "open", "ping_status": "open", "sticky": False, "categories": [1]})
        for n in range(comments):
            comment_id = len(self.comments) + 1
            self.comments.append({
                "id": comment_id, "post": number, "parent": 0, "author": 0, "author_name": f"Reader {n}",
                "author_url": "", "date": moment, "date_gmt": moment, "type": "comment", "status": "approved",
                "content": {"rendered": f"<p>Comment {comment_id}</p>"}})
        if bump:
            self.version += 1

    def add_image_post(self, name: str, shade: int):
        """A new post showing an uploaded PNG (its bytes set by `shade`: equal shades, equal files)."""
        self.add_post()
        self.images[f"wp-content/uploads/{name}"] = png(shade)
        post = self.posts[-1]
        post["content"]["rendered"] += f'<p><img src="{self.base}wp-content/uploads/{name}" alt="{name}"></p>'

    def answer(self, rest: str, query: dict, headers: dict) -> tuple[int, dict, bytes]:
        """(status, headers, body) for a path below the blog's prefix."""
        if rest in self.images:
            return 200, {"Content-Type": "image/png"}, self.images[rest]
        if rest.startswith("wp-json/"):
            return self._rest(rest[len("wp-json/"):].rstrip("/"), query)
        if query.get("feed") == "comments-rss2":
            etag = f'"v{self.version}"'
            if headers.get("if-none-match") == etag:
                return 304, {"ETag": etag}, b""
            return 200, {"ETag": etag, "Content-Type": "application/rss+xml"}, _rss(self.base).encode()
        if "p" in query:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, _post_page(self, int(query["p"])).encode()
        if rest == "":
            return 200, {"Content-Type": "text/html; charset=utf-8",
                         "Link": f'<{self.base}wp-json/>; rel="https://api.w.org/"'}, _home(self.base).encode()
        return 404, {}, b"not found"

    def _rest(self, route: str, query: dict):
        if route == "":
            return _json({"name": f"Blog at {self.base}", "description": "a stand-in", "home": self.base.rstrip("/"),
                          "namespaces": ["wp/v2"]})
        if route == "wp/v2/users":
            return _listing([{"id": 1, "name": "Author", "url": "", "slug": "author"}], query)
        if route == "wp/v2/taxonomies":
            return _json({"category": {"rest_base": "categories", "types": ["post"]}})
        if route == "wp/v2/categories":
            return _listing([{"id": 1, "name": "News", "slug": "news", "description": "", "parent": 0}], query)
        if route == "wp/v2/types":
            return _json({"post": {"rest_base": "posts", "taxonomies": ["category"]}})
        if route == "wp/v2/posts":
            posts = self.posts
            if query.get("modified_after"):
                posts = [p for p in posts if p["modified"] > query["modified_after"]]
            key = "modified" if query.get("orderby") == "modified" else "id"
            return _listing(sorted(posts, key=lambda p: p[key], reverse=query.get("order") == "desc"), query)
        if route == "wp/v2/comments":
            key = "date_gmt" if query.get("orderby") == "date_gmt" else "id"
            return _listing(sorted(self.comments, key=lambda c: (c[key], c["id"]),
                                   reverse=query.get("order") == "desc"), query)
        return 404, {"Content-Type": "application/json"}, b'{"code": "rest_no_route"}'


def png(shade: int, size: int = 4) -> bytes:
    """A small grey PNG, made here so the test needs no image library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([shade % 256]) * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _json(value):
    return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(value).encode()


def _listing(items: list, query: dict):
    per_page = int(query.get("per_page") or PER_PAGE)
    page = int(query.get("page") or 1)
    pages = max(1, -(-len(items) // per_page))
    status, headers, body = _json(items[(page - 1) * per_page:page * per_page])
    return status, {**headers, "X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}, body


def _home(base: str) -> str:
    return (f'<!doctype html><html><head><title>Blog at {base}</title>'
            f'<link rel="https://api.w.org/" href="{base}wp-json/">'
            f'<link rel="alternate" type="application/rss+xml" href="{base}?feed=rss2"></head>'
            f'<body><h1>Blog at {base}</h1></body></html>')


def _post_page(blog: Blog, number: int) -> str:
    title = f"Post {number}"
    return (f'<!doctype html><html><head><title>{title}</title></head><body class="single postid-{number}">'
            f'<article id="post-{number}"><h1 class="entry-title">{title}</h1>'
            f'<div class="entry-content"><p>Text of post {number}</p></div></article></body></html>')


def _rss(base: str) -> str:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Comments on {base}</title>'
            f'<link>{base}</link></channel></rss>')


class StandIn:
    """Blogs on local ports, served from one background loop for the length of a `with` block."""

    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.requests: dict[int, list[tuple[float, str]]] = {}  # port -> (time.time(), path) as they arrived
        self._blogs: dict[int, list[Blog]] = {}
        self._loop = asyncio.new_event_loop()
        self._servers = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        async def close():
            for server in self._servers:
                server.close()
                await server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def host(self) -> int:
        """A new port (one host) to put blogs on."""
        async def listen():
            return await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=256)
        server = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(10)
        self._servers.append(server)
        port = server.sockets[0].getsockname()[1]
        self._blogs[port], self.requests[port] = [], []
        return port

    def blog(self, posts: int = 3, comments: int = 1) -> Blog:
        """A blog at the root of a port of its own."""
        port = self.host()
        blog = Blog(f"http://127.0.0.1:{port}/", "/")
        blog.fill(posts, comments)
        self._blogs[port].append(blog)
        return blog

    def shared_blog(self, port: int, posts: int = 3, comments: int = 1) -> Blog:
        """A blog under a path prefix on `port`, which many blogs share."""
        blog = Blog(f"http://127.0.0.1:{port}/b{len(self._blogs[port]) + 1}/", f"/b{len(self._blogs[port]) + 1}/")
        blog.fill(posts, comments)
        self._blogs[port].append(blog)
        return blog

    def times(self, port: int, prefix: str | None = None) -> list[float]:
        """Arrival times of the requests to `port` (under `prefix`, if given), in order."""
        return sorted(t for t, path in list(self.requests[port]) if prefix is None or path.startswith(prefix))

    async def _serve(self, reader, writer):
        port = writer.get_extra_info("sockname")[1]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                self.requests[port].append((time.time(), target))
                if self.latency:
                    await asyncio.sleep(self.latency)
                status, extra, body = self._answer(port, target, headers)
                reply = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Other'}", f"Content-Length: {len(body)}",
                         *(f"{k}: {v}" for k, v in extra.items())]
                writer.write(("\r\n".join(reply) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    def _answer(self, port: int, target: str, headers: dict):
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/robots.txt":
            return 404, {}, b"no robots.txt"
        for blog in sorted(self._blogs[port], key=lambda b: -len(b.prefix)):
            if parts.path.startswith(blog.prefix):
                return blog.answer(parts.path[len(blog.prefix):], query, headers)
        return 404, {}, b"no blog here"
