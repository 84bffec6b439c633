"""A post and its comments from a WordPress page of any theme, as a reader sees it.

Anchored on WordPress's own ids: the post's from the body class (postid-N, page-id-N), the
article id (post-N), the shortlink (?p=N) or the comment form; each comment's from its element
id (comment-N, li-comment-N, div-comment-N), with the thread read from how comments nest. Page
furniture (forms, widgets, share and Like buttons, navigation) never makes it into a record.

A page is read within bounds: at most MAX_PAGE bytes, nested at most MAX_DEPTH deep (libxml2's own
limit without huge_tree). What a bound cuts is told in Page.problems, never dropped silently.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree, html

from ..media import OG_IMAGE_KEY
from ..model import Comment, Post, Problem, Site, TermRef
from ..text import html_to_text

_COMMENT_ID = re.compile(r"^(?:li-|div-)?comment-(\d+)$")
_WAYBACK = re.compile(r"^https?://web\.archive\.org/web/\d+[a-z_]*/(.+)$")
_SAYS = re.compile(r"\s*(says|said|sagt|schreibt|meint|dice|dijo|dit|scrive|zegt|escreveu|disse)\s*:?\s*$", re.I)
CONTENT_CLASSES = ("entry-content", "post-content", "entry-body", "article-content", "post-entry", "entrytext",
                   "post-bodycopy", "single-blog-content", "storycontent", "entry", "post-body", "section-body",
                   "content", "body")
COMMENT_TEXT_CLASSES = ("comment-text", "comment-content", "comment-entry", "comment_text", "commenttext",
                        "comment-body")
FURNITURE = re.compile(r"(^|[-_ ])(share|sharing|sharedaddy|social|addtoany|jp-relatedposts|related|likes?|"
                       r"wpl-likebox|reply|edit-link|comment-edit|navigation|nav-links|subscribe|newsletter|"
                       r"advert|ads|adsbygoogle|sponsor|widget|sidebar|respond|comment-respond|says|"
                       r"comment-meta|commentmetadata|comment-metadata|comment-author|vcard|avatar|"
                       r"screen-reader-text|post-meta|entry-meta|entry-footer|author-bio|author-box)($|[-_ ])", re.I)
# The largest saved page in the shared corpus is 400 KB and nests 22 deep; a page is read to 4 MB
# (lxml's tree and the extractor's copies cost about 20 times the page in memory) and 256 deep.
MAX_PAGE = 4 << 20
MAX_DEPTH = 256
NEVER = ("script", "style", "noscript", "form", "template", "iframe", "button", "input", "select", "textarea",
         "nav", "aside")


@dataclass
class Page:
    """What one page holds: the site it belongs to, its post, and links to more comment pages."""
    site: Site
    post: Post | None
    comment_pages: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def page_from_html(markup, url: str | None = None, encoding: str | None = None) -> Page:
    """The page's site, post and comments; what its bounds cut is in Page.problems."""
    problems: list[Problem] = []
    markup = _bounded(markup, problems)
    doc, too_deep = _parsed(_decoded(markup, encoding) if isinstance(markup, bytes) else markup, problems)
    url = _original(url or _canonical(doc) or "")
    site = Site(url=_site_url(doc, url), title=_site_title(doc), language=doc.get("lang"))
    post = _post(doc, url)
    if too_deep and post is not None:
        too_deep.action += f"; {len(post.comments)} comment(s) read before it"
    return Page(site, post, _comment_pages(doc, url), problems)


def _bounded(markup, problems: list[Problem]):
    """The page up to MAX_PAGE bytes (characters, for text), cut before a tag."""
    if len(markup) <= MAX_PAGE:
        return markup
    text = not isinstance(markup, bytes)
    cut = markup.rfind("<" if text else b"<", 0, MAX_PAGE)
    cut = cut if cut > 0 else MAX_PAGE
    line = markup.count("\n" if text else b"\n", 0, cut) + 1
    problems.append(Problem(f"the page is {len(markup):,} bytes, more than the {MAX_PAGE >> 20} MB read of one page",
                            f"only its first {MAX_PAGE >> 20} MB read; the rest ignored", line))
    return markup[:cut]


def _parsed(text: str, problems: list[Problem]):
    """The document and the problem saying where libxml2 stopped for nesting too deep (or None).
    libxml2's HTML parser reads no DTD and expands no entity but HTML's own (tested)."""
    parser = html.HTMLParser(no_network=True, remove_pis=True, huge_tree=False)
    try:
        doc = html.fromstring(text, parser=parser)
    except etree.ParserError:  # an empty or blank page: read as a page without a post
        doc = html.Element("html")
    too_deep = next((Problem(f"elements nest deeper than {MAX_DEPTH} levels",
                             "the parser stopped there: the rest of the page was not read", error.line)
                     for error in parser.error_log
                     if error.type_name == "ERR_RESOURCE_LIMIT" and "depth" in error.message), None)
    if too_deep:
        problems.append(too_deep)
    return doc, too_deep


_PING_LABEL = re.compile(r"^(Pingback|Trackback)\s*:", re.I)
_PROTECTED = re.compile(r"^(Protected|Geschützt|Protégé|Protegido|Protetto|Beveiligd|Chroniony|Защищено)\s?:\s*")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.I)


def _decoded(markup: bytes, encoding: str | None) -> str:
    """The page's text: the charset it declares, else what the server said, else UTF-8, else cp1252."""
    declared = _META_CHARSET.search(markup[:4096])
    for candidate in (declared.group(1).decode() if declared else None, encoding, "utf-8"):
        if candidate:
            try:
                return markup.decode(candidate)
            except (LookupError, UnicodeDecodeError):
                continue
    return markup.decode("cp1252", "replace")


# -- the site -------------------------------------------------------------------------------------

def _canonical(doc) -> str | None:
    for href in doc.xpath('//link[@rel="canonical"]/@href | //meta[@property="og:url"]/@content'):
        return href
    return None


def _original(url: str) -> str:
    """The page's own URL, also for a Wayback Machine capture."""
    match = _WAYBACK.match(url)
    return match.group(1) if match else url


def _site_url(doc, url: str) -> str | None:
    for href in doc.xpath('//link[@rel="https://api.w.org/"]/@href'):
        return _original(urljoin(url, href)).split("/wp-json")[0].split("?rest_route")[0]
    for href in doc.xpath('//link[@rel="alternate" and contains(@type, "rss")]/@href'):
        href = _original(urljoin(url, href))
        if "/comments/feed" not in href and re.search(r"/feed/?$", href) and not re.search(r"/\d{4}/", href):
            return re.sub(r"/feed/?$", "", href)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


def _site_title(doc) -> str | None:
    for title in doc.xpath('//meta[@property="og:site_name"]/@content'):
        return title.strip()
    return None


# -- the post -------------------------------------------------------------------------------------

def _post_id(doc) -> int | None:
    body = " ".join(doc.xpath("//body/@class"))
    match = re.search(r"\b(?:postid|page-id)-(\d+)\b", body)
    if match:
        return int(match.group(1))
    for value in doc.xpath('//input[@name="comment_post_ID"]/@value'):
        if value.isdigit():
            return int(value)
    for href in doc.xpath('//link[@rel="shortlink"]/@href'):
        ids = parse_qs(urlsplit(href).query).get("p")
        if ids and ids[0].isdigit():
            return int(ids[0])
    ids = {int(m.group(1)) for i in doc.xpath('//article/@id | //div/@id') if (m := re.match(r"^post-(\d+)$", i))}
    return ids.pop() if len(ids) == 1 else None


def _container(doc, post_id):
    """The element holding the post: the one marked with its id that holds the most text."""
    candidates = []
    if post_id is not None:
        candidates = doc.xpath(f'//*[@id="post-{post_id}" or contains(concat(" ", @class, " "), " post-{post_id} ")]')
    candidates = candidates or doc.xpath("//article") or doc.xpath("//main")
    candidates = [c for c in candidates if not _in_comments(c) and c.tag != "body"]
    if candidates:
        return max(candidates, key=lambda c: len(c.xpath(".//p")))
    return doc.body if doc.body is not None else doc


def _post(doc, url: str) -> Post | None:
    post_id = _post_id(doc)
    container = _container(doc, post_id)
    body_class = " ".join(doc.xpath("//body/@class"))
    post_type = "page" if re.search(r"\bpage-id-\d+", body_class) else "post"
    content_elem, content_source = _post_content(container)
    content = _inner_html(content_elem) if content_elem is not None else None
    title = (_first_text(container, ['.//*[contains(concat(" ", @class, " "), " entry-title ")]',
                                     './/*[contains(concat(" ", @class, " "), " post-title ")]', ".//h1", ".//h2"],
                         outside=content_source)
             or next(iter(doc.xpath('//meta[@property="og:title"]/@content')), None)
             or _first_text(doc, ["//h1"]))
    if post_id is None and content is None and not title:
        return None
    post = Post(wp_id=post_id, type=post_type, status="publish", title=title, url=url or None,
                content=content, content_text=html_to_text(content) if content else None)
    post.date, post.date_gmt = _dates(container.xpath('.//time[@datetime]/@datetime')
                                      or doc.xpath('//meta[@property="article:published_time"]/@content'))
    post.author_nicename, post.author_name = _post_author(container)
    if re.search(r"\bpost-password-required\b", body_class) or container.xpath('.//form[contains(@class, "post-password-form")]'):
        post.content = post.content_text = None  # the page shows a password form, not the text
        post.title = _PROTECTED.sub("", post.title or "") or None
    post.comments = _comments(doc)
    post.terms = _post_terms(container)
    post.meta = [(OG_IMAGE_KEY, image) for image in doc.xpath('//meta[@property="og:image"]/@content')[:1] if image]
    return post


def _post_terms(container) -> list[TermRef]:
    """Categories and tags the post links to (rel="category tag" / rel="tag"), where the link
    gives the slug (/category/<slug>/, /tag/<slug>/, ?tag=<slug>)."""
    terms = {}
    for link in container.xpath('.//a[contains(concat(" ", normalize-space(@rel), " "), " tag ")]'):
        if _in_comments(link):
            continue
        href = link.get("href") or ""
        parts = urlsplit(href)
        tag = re.search(r"(?:^|&)tag=([^&]+)", parts.query)  # kept percent-encoded, as WordPress stores slugs
        category_id = re.search(r"(?:^|&)cat=(\d+)(?:&|$)", parts.query)
        segments = [s for s in parts.path.split("/") if s]
        name = " ".join(link.text_content().split())
        if category_id:
            terms.setdefault(("category", category_id.group(1)), TermRef("category", "", name, int(category_id.group(1))))
            continue
        if "category" in (link.get("rel") or "").split() and segments:
            taxonomy, slug = "category", segments[-1]
        elif tag:
            taxonomy, slug = "post_tag", tag.group(1)
        elif len(segments) >= 2 and segments[-2] == "tag":
            taxonomy, slug = "post_tag", segments[-1]
        else:
            continue
        terms.setdefault((taxonomy, slug.lower()), TermRef(taxonomy, slug.lower(), name))
    return list(terms.values())


def _post_author(container) -> tuple[str | None, str | None]:
    """(nicename, display name) from the /author/<nicename>/ link of the post's byline."""
    for link in container.xpath('.//a[contains(@href, "/author/") or @rel="author"]'):
        if _in_comments(link):
            continue
        match = re.search(r"/author/([^/?#]+)", link.get("href") or "")
        name = " ".join(link.text_content().split()) or None
        return (match.group(1) if match else None), name
    return None, None


def _post_content(container):
    """(cleaned copy, the element it was made from) for the element with the post's text, else
    (None, None). The original tells callers what lies inside it; the copy no longer can."""
    for name in CONTENT_CLASSES:
        found = [e for e in container.xpath(f'.//*[contains(concat(" ", normalize-space(@class), " "), " {name} ")]')
                 if not _in_comments(e)]
        if found:
            return _clean(found[0]), found[0]
    found = container.xpath('.//*[@itemprop="articleBody"]')
    if found:
        return _clean(found[0]), found[0]
    blocks = [e for e in container.iter("div", "section", "article") if not _in_comments(e)]
    densest = max(blocks, key=lambda e: sum(1 for c in e if c.tag == "p"), default=None)
    if densest is not None and any(c.tag == "p" for c in densest):
        return _clean(densest), densest
    return None, None


_COMMENT_AREA = {"comment", "comments", "commentlist", "comment-list", "comments-area", "comment-body", "children"}


def _in_comments(elem) -> bool:
    """True inside the comment thread or the comment form, where the post's own parts never are."""
    for ancestor in elem.iterancestors():
        ident = ancestor.get("id") or ""
        if _COMMENT_ID.match(ident) or ident in ("comments", "respond"):
            return True
        if _COMMENT_AREA & set((ancestor.get("class") or "").split()):
            return True
    return False


# -- comments -------------------------------------------------------------------------------------

def _comment_nodes(doc) -> dict[int, object]:
    """The outermost element carrying each comment id, in document order."""
    nodes: dict[int, object] = {}
    for elem in doc.iter(etree.Element):
        match = _COMMENT_ID.match(elem.get("id") or "")
        if match and not any(a.tag in ("script", "template") for a in elem.iterancestors()):
            nodes.setdefault(int(match.group(1)), elem)
    return nodes


def _comments(doc) -> list[Comment]:
    nodes = _comment_nodes(doc)
    owner = {node: number for number, node in nodes.items()}
    comments, last_at_depth = [], {}
    for number, node in nodes.items():
        parent = next((owner[a] for a in node.iterancestors() if a in owner and owner[a] != number), None)
        depth = _depth(node)
        if parent is None and depth and depth > 1:
            parent = last_at_depth.get(depth - 1)  # markup that lost its nesting still says depth-N
        if depth:
            last_at_depth[depth] = number
        own = _own_region(node, owner, number)
        classes = " ".join((node.get("class") or "").split() + (own.get("class") or "").split())
        kind = "pingback" if "pingback" in classes else "trackback" if "trackback" in classes else "comment"
        author, author_url = _comment_author(own)
        content = _comment_content(own)
        if kind != "comment" and content is not None and _PING_LABEL.match(html_to_text(content) or ""):
            content = None  # the theme shows only a "Pingback: <link>" label, not the excerpt
        date, date_gmt = _dates(own.xpath(".//time/@datetime"))
        if date is None:
            date = shown_date(_comment_date_text(own, number))
        comments.append(Comment(
            wp_id=number, parent_wp_id=parent or 0, author_name=author, author_url=author_url,
            date=date, date_gmt=date_gmt, content=content, type=kind,
            status="pending" if re.search(r"awaiting moderation", own.text_content(), re.I) else "approved",
            content_text=html_to_text(content) if content is not None else None))
    return comments


def _depth(node) -> int | None:
    match = re.search(r"\bdepth-(\d+)\b", node.get("class") or "")
    return int(match.group(1)) if match else None


def _own_region(node, owner, number):
    """A copy of the comment's element without the replies nested in it."""
    copy = html.fromstring(html.tostring(node))
    for elem in list(copy.iter(etree.Element)):
        match = _COMMENT_ID.match(elem.get("id") or "")
        if match and int(match.group(1)) != number and elem.getparent() is not None:
            elem.getparent().remove(elem)
    for children in copy.xpath('.//*[contains(concat(" ", @class, " "), " children ")]'):
        children.getparent().remove(children)
    return copy


def _comment_author(own) -> tuple[str | None, str | None]:
    """Commenter's name and link: the name-like part (.fn, strong, a link) of the author element."""
    for path in ('.//*[contains(concat(" ", @class, " "), " fn ")]', './/*[@itemprop="author"]',
                 './/a[contains(concat(" ", @class, " "), " url ")]', './/*[contains(@class, "author-link")]',
                 './/*[contains(@class, "comment-author")]', './/cite', './/*[contains(@class, "author")]'):
        for elem in own.xpath(path):
            inner = [e for e in elem.xpath('.//strong | .//b | .//a[not(contains(@class, "reply"))]')
                     if " ".join(e.text_content().split())]
            named = inner[0] if inner and elem.tag not in ("a",) else elem
            name = _SAYS.sub("", " ".join(named.text_content().split())).rstrip(" ,:;-")
            if name:
                links = [named] if named.tag == "a" else named.xpath(".//a[@href]") or elem.xpath(".//a[@href]")
                href = links[0].get("href") if links else None
                keep = href and not href.startswith(("#", "/")) and "replytocom" not in href
                return name, _original(href) if keep else None
    return None, None


def _comment_content(own) -> str | None:
    for name in COMMENT_TEXT_CLASSES:
        found = own.xpath(f'.//*[contains(concat(" ", @class, " "), " {name} ") or '
                          f'substring(concat(" ", @class, " "), string-length(concat(" ", @class, " ")) - '
                          f'{len(name)}) = "{name} "]')
        found = [e for e in found if e is not own]
        if found:
            return _inner_html(_clean(found[0]))
    for elem in own.xpath('.//*[@itemprop="text" or @itemprop="commentText"]'):
        return _inner_html(_clean(elem))
    paragraphs = [p for p in own.xpath(".//p") if not any(_is_furniture(e) for e in _up_to(p, own))]
    if paragraphs:
        return "\n".join(html.tostring(_clean(p), encoding="unicode").strip() for p in paragraphs)
    return None


def _comment_pages(doc, url: str) -> list[str]:
    """Other pages of this post's comments (comment-page-N, cpage=N), in order, each once. Links to
    other posts' comment pages (a Recent Comments widget) are not this post's."""
    own = _without_comment_page(url)
    pages = []
    for href in doc.xpath("//a/@href"):
        if not _COMMENT_PAGE.search(href):
            continue
        full = _original(urljoin(url, href)).split("#")[0]
        if _without_comment_page(full) == own and full not in pages and full.rstrip("/") != url.rstrip("/"):
            pages.append(full)
    return pages


_COMMENT_PAGE = re.compile(r"/comment-page-\d+/?|[?&]cpage=\d+")


def _without_comment_page(url: str) -> str:
    return _COMMENT_PAGE.sub("", url.split("#")[0]).rstrip("/?&")


# -- dates as pages show them -------------------------------------------------------------------------

_MONTH_NAMES = (
    ("january", "jan", "januar", "jänner", "enero", "ene", "janvier", "janv", "gennaio", "gen", "januari", "janeiro"),
    ("february", "feb", "februar", "febrero", "février", "fevrier", "févr", "febbraio", "februari", "fevereiro", "fev"),
    ("march", "mar", "märz", "maerz", "marzo", "mars", "maart", "março", "marco"),
    ("april", "apr", "abril", "avril", "aprile", "abr", "avr"),
    ("may", "mai", "mayo", "maggio", "mei", "maio"),
    ("june", "jun", "juni", "junio", "juin", "giugno", "junho"),
    ("july", "jul", "juli", "julio", "juillet", "juil", "luglio", "julho"),
    ("august", "aug", "agosto", "août", "aout", "augustus", "ago"),
    ("september", "sep", "sept", "septiembre", "septembre", "settembre", "set", "setembro"),
    ("october", "oct", "oktober", "okt", "octubre", "octobre", "ottobre", "ott", "outubro", "out"),
    ("november", "nov", "noviembre", "novembre", "novembro"),
    ("december", "dec", "dezember", "dez", "diciembre", "dic", "décembre", "dicembre", "dezembro"))
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names}
_NAMED_FIRST = re.compile(r"(?P<month>[^\W\d_]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})")
_DAY_FIRST = re.compile(r"(?P<day>\d{1,2})\.?\s+(?:de\s+)?(?P<month>[^\W\d_]+)\.?\s+(?:de\s+)?(?P<year>\d{4})")
_NUMERIC = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})|(?P<iso>\d{4}-\d{2}-\d{2})")
_CLOCK = re.compile(r"(?P<hour>\d{1,2})[:h.]\s?(?P<minute>\d{2})(?:\s*(?P<half>[ap])\.?\s?m\b\.?)?", re.I)


def shown_date(text: str) -> str | None:
    """A date as a theme prints it ("July 11, 2011 at 12:25 pm", "8. April 2019 @ 11:38",
    "26 abril 2022 a las 14:02", "11.12.2012 um 11:07") as site-local YYYY-MM-DD HH:MM:SS."""
    text = " ".join(text.split())
    for pattern in (_NAMED_FIRST, _DAY_FIRST, _NUMERIC):
        for match in pattern.finditer(text):
            if match.groupdict().get("iso"):
                year, month, day = map(int, match.group("iso").split("-"))
            else:
                name = match.group("month").lower()
                month = int(name) if name.isdigit() else _MONTHS.get(name)
                year, day = int(match.group("year")), int(match.group("day"))
            if not month or not 1 <= month <= 12 or not 1 <= day <= 31:
                continue
            hour = minute = 0
            clock = _CLOCK.search(text, match.end())
            if clock:
                hour, minute = int(clock.group("hour")), int(clock.group("minute"))
                if clock.group("half"):
                    hour = hour % 12 + (12 if clock.group("half").lower() == "p" else 0)
                if hour > 23 or minute > 59:
                    hour = minute = 0
            return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:00"
    return None


def _comment_date_text(own, number) -> str:
    """The text of the element a theme prints a comment's date in."""
    for path in (f'.//a[contains(@href, "#comment-{number}")]', './/*[contains(@class, "date")]',
                 './/*[contains(@class, "time")]', './/*[contains(@class, "meta")]'):
        for elem in own.xpath(path):
            text = " ".join(elem.text_content().split())
            if re.search(r"\d{4}", text):
                return text
    return ""


# -- helpers --------------------------------------------------------------------------------------

def _clean(elem):
    """Remove furniture (forms, scripts, share/like/related blocks) from a copy of an element."""
    copy = html.fromstring(html.tostring(elem))
    for bad in list(copy.iter(*NEVER)):
        if bad is not copy and bad.getparent() is not None:
            bad.getparent().remove(bad)
    for bad in list(copy.iter(etree.Element)):
        if bad is copy or bad.getparent() is None:
            continue
        if _is_furniture(bad):
            _drop_keeping_tail(bad)
    return copy


def _up_to(elem, top):
    """The element and its ancestors below `top`."""
    yield elem
    for ancestor in elem.iterancestors():
        if ancestor is top:
            return
        yield ancestor


def _is_furniture(elem) -> bool:
    return bool(FURNITURE.search(elem.get("class") or "") or FURNITURE.search(elem.get("id") or ""))


def _drop_keeping_tail(elem):
    parent = elem.getparent()
    if elem.tail:
        previous = elem.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + elem.tail
        else:
            parent.text = (parent.text or "") + elem.tail
    parent.remove(elem)


def _inner_html(elem) -> str:
    parts = [elem.text or ""] + [html.tostring(child, encoding="unicode") for child in elem]
    return "".join(parts).strip()


def _first_text(container, paths, outside=None) -> str | None:
    """Text of the first element found (not in comments, not inside `outside`), scripts and styles left out."""
    for path in paths:
        for elem in container.xpath(path):
            if _in_comments(elem) or (outside is not None and (elem is outside or outside in elem.iterancestors())):
                continue
            text = " ".join(t for t in elem.xpath(".//text()[not(ancestor::style) and not(ancestor::script)]"))
            text = " ".join(text.split())
            if text:
                return text
    return None


def _dates(values) -> tuple[str | None, str | None]:
    """(site-local, UTC) from an ISO 8601 datetime with its offset."""
    for value in values:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        local = moment.strftime("%Y-%m-%d %H:%M:%S")
        if moment.tzinfo is None:
            return local, None
        return local, moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return None, None
