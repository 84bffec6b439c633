"""WordPress eXtended RSS (WXR 1.0-1.2) as a stream of records, parsed in bounded memory.

Elements are matched by local name within the WordPress export namespace of any version
(http or https), so exports from WordPress.org, WordPress.com and other writers read alike.
Each channel-level record is released as soon as it is read, so memory follows the largest
item, not the file.
"""
import email.utils
import re
from datetime import timezone
from lxml import etree

from ..errors import DamagedInputError, NotWXRError
from ..model import Author, Comment, Post, Problem, Site, Term, TermRef
from ..text import site_key, wp_date
from .safe_xml import PrologGuard
from .wxr_repair import NeedsRepair, RepairingReader

_WP = re.compile(r"^https?://wordpress\.org/export/1\.\d+/$")
_EXCERPT = re.compile(r"^https?://wordpress\.org/export/1\.\d+/excerpt/$")
_KINDS = {"http://purl.org/rss/1.0/modules/content/": "content", "http://purl.org/dc/elements/1.1/": "dc", "": "rss"}
_RECORDS = ("{*}item", "{*}author", "{*}wp_author", "{*}category", "{*}tag", "{*}term", "{*}channel")
_COMMENT_STATUS = {"1": "approved", "0": "pending", "spam": "spam", "trash": "trash"}
_LEADING_INDENT = re.compile(r"^[ \t]*\r?\n[ \t]*")
_TRAILING_INDENT = re.compile(r"\r?\n[ \t]*$")
_CACHED = 4096  # distinct tags remembered per parse; real exports use a few dozen


def _split(tag: str) -> tuple[str, str]:
    """(namespace kind, local name) of a Clark-notation tag."""
    if tag[0] != "{":
        return "rss", tag
    ns, local = tag[1:].split("}", 1)
    if _WP.match(ns):
        return "wp", local
    if _EXCERPT.match(ns):
        return "excerpt", local
    return _KINDS.get(ns, "other:" + ns), local


class Tags:
    """What each tag is, worked out once per tag: the cache of one input's parses (every part of a
    zip shares it), not the module's."""

    def __init__(self):
        self.kinds: dict = {}
        self.wp_locals: dict = {}

    def kind(self, tag) -> tuple[str, str]:
        """(kind, local) of an element's tag; comments and PIs come back as ('', '')."""
        found = self.kinds.get(tag)
        if found is None:
            found = _split(tag) if isinstance(tag, str) else ("", "")
            if len(self.kinds) < _CACHED:
                self.kinds[tag] = found
        return found

    def wp_local(self, tag) -> str:
        """Local name of a WordPress-namespace tag, '' for any other."""
        local = self.wp_locals.get(tag)
        if local is None:
            kind, name = self.kind(tag)
            local = name if kind == "wp" else ""
            if len(self.wp_locals) < _CACHED:
                self.wp_locals[tag] = local
        return local


def slugify(name: str) -> str:
    return re.sub(r"[^\w]+", "-", name.strip().lower()).strip("-")


class WXRReader:
    """Parses one WXR stream; iterate for records (Site first, then Authors, Terms, Posts, Problems)."""

    def __init__(self, stream, name: str, progress=None, repair=True, tags: Tags | None = None):
        self.name = name
        self.problems: list[Problem] = []
        self.reader = RepairingReader(stream, name, self._repaired, progress, repair)
        self.site: Site | None = None
        self.channel = None
        self.tags = tags or Tags()

    def _repaired(self, line, problem, action):
        self.problems.append(Problem(problem, action, line))

    def _problem(self, line, problem, action):
        self.problems.append(Problem(problem, action, line))

    def __iter__(self):
        events = etree.iterparse(
            PrologGuard(self.reader, self.name), events=("end",), tag=_RECORDS, resolve_entities=False, no_network=True,
            load_dtd=False, huge_tree=True, remove_pis=True)
        try:
            for _, elem in events:
                yield from self._record(elem)
                if self.problems:
                    yield from self.problems
                    self.problems.clear()
        except etree.XMLSyntaxError as error:
            if not self.reader.repair:
                raise NeedsRepair(str(error)) from None
            yield from self.problems
            self.problems.clear()
            line = error.position[0] if error.position else None
            message = re.sub(r",? line \d+, column \d+.*$", "", error.msg or str(error))
            if self.site is None and self.channel is None:
                raise DamagedInputError(self.name, f"not well-formed XML before any record: {message}", line)
            raise DamagedInputError(self.name, f"not well-formed XML ({message}); "
                                    "every complete record before this line was kept", line)
        yield from self.problems
        if self.site is None:
            raise NotWXRError(self.name, "no <channel> with WordPress records: not a WXR export")

    # -- channel-level records -------------------------------------------------------------------------

    def _record(self, elem):
        kind, local = self.tags.kind(elem.tag)
        parent = elem.getparent()
        if local == "channel":
            yield from self._site_update(elem)
            return
        if parent is None or parent.getparent() is None or parent.getparent().getparent() is not None:
            return  # not a child of the channel (an item's <category>, say): read with its item
        if self.channel is None:
            self.channel = parent
        if self.site is None:
            yield from self._site_update(parent)
        if local == "item":
            if kind == "rss":
                post = self._post(elem)
                if post:
                    yield post
        elif kind != "wp":
            if kind != "rss":
                self._problem(elem.sourceline, f"<{local}> in namespace {kind[6:]} is not a WordPress "
                              "export element", "ignored")
        elif local in ("author", "wp_author"):
            author = self._author(elem)
            if author:
                yield author
        elif local in ("category", "tag", "term"):
            term = self._term(elem, local)
            if term:
                yield term
        self._release(elem, parent)
        self.reader.watch.record_done()

    @staticmethod
    def _release(elem, parent):
        elem.clear()
        while elem.getprevious() is not None:
            del parent[0]

    def _site_update(self, channel):
        """Read the channel's own fields: once before the first record, again at its end."""
        fields = {}
        for child in channel:
            if isinstance(child.tag, str) and len(child) == 0:
                name = _SITE_FIELDS.get(self.tags.kind(child.tag))
                if name:
                    fields.setdefault(name, (child.text or "").strip())
        exported = fields.get("exported_at")
        site = Site(url=self._site_url(fields), title=fields.get("title"),
                    description=fields.get("description"), language=fields.get("language"),
                    base_site_url=fields.get("base_site_url"), wxr_version=fields.get("wxr_version"),
                    generator=fields.get("generator"), exported_at=_rfc822_utc(exported) if exported else None)
        if self.site is None:
            self._check_version(site.wxr_version)
            self.site = site
            yield site
        elif _fill_missing(self.site, site):
            yield self.site

    def _check_version(self, version):
        if version is None:
            self._problem(None, "no <wp:wxr_version>", "read as WXR by its namespace")
        elif not re.match(r"^1\.\d+$", version):
            self._problem(None, f"wxr_version {version!r} is not a WXR version", "read as WXR by its namespace")

    @staticmethod
    def _site_url(fields):
        for name in ("base_blog_url", "link", "base_site_url"):
            url = fields.get(name)
            if site_key(url) and not (name == "base_site_url" and "wordpress.com" == site_key(url)):
                return url
        return None

    def _author(self, elem) -> Author | None:
        values = self._wp_values(elem)
        author = Author(login=values.get("author_login") or None, wp_id=_int(values.get("author_id")),
                        display_name=values.get("author_display_name"), email=values.get("author_email"),
                        first_name=values.get("author_first_name"), last_name=values.get("author_last_name"))
        if author.login is None and author.wp_id is None:
            self._problem(elem.sourceline, "author without login or id", "skipped")
            return None
        return author

    def _term(self, elem, local) -> Term | None:
        values = self._wp_values(elem, keep={"termmeta"})
        if local == "category":
            taxonomy, slug, name = "category", values.get("category_nicename"), values.get("cat_name")
            parent, description = values.get("category_parent"), values.get("category_description")
        elif local == "tag":
            taxonomy, slug, name = "post_tag", values.get("tag_slug"), values.get("tag_name")
            parent, description = None, values.get("tag_description")
        else:
            taxonomy, slug, name = values.get("term_taxonomy"), values.get("term_slug"), values.get("term_name")
            parent, description = values.get("term_parent"), values.get("term_description")
        slug = slug or (slugify(name) if name else None)
        if not taxonomy or not slug:
            self._problem(elem.sourceline, f"<wp:{local}> without taxonomy or slug", "skipped")
            return None
        return Term(taxonomy=taxonomy, slug=slug, name=name, wp_id=_int(values.get("term_id")),
                    description=description, parent_slug=parent or None,
                    meta=self._meta(self._children(elem, "termmeta"), "termmeta"))

    def _children(self, elem, local):
        return [child for child in elem if self.tags.kind(child.tag) == ("wp", local)]

    def _wp_values(self, elem, keep=()) -> dict[str, str]:
        """Text of the record's WordPress-namespace children, stripped, first occurrence winning."""
        values = {}
        for child in elem:
            if not isinstance(child.tag, str):
                continue
            kind, local = self.tags.kind(child.tag)
            if kind != "wp" or local in keep:
                continue
            if local in values:
                self._problem(child.sourceline, f"repeated <wp:{local}> in one record", "first kept")
                continue
            values[local] = _text(child).strip()
        return values

    def _meta(self, elems, local) -> list[tuple[str, str]]:
        """(key, value) of <wp:postmeta>-style elements, values exactly as written."""
        meta, kind_of = [], self.tags.kind
        for child in elems:
            key = value = None
            for part in child:
                kind, part_local = kind_of(part.tag)
                if kind == "wp":
                    if part_local == "meta_key":
                        key = _text(part).strip()
                    elif part_local == "meta_value":
                        value = self._body(part)
            if key is None:
                self._problem(child.sourceline, f"<wp:{local}> without a meta_key", "skipped")
            else:
                meta.append((key, value if value is not None else ""))
        return meta

    def _body(self, elem) -> str:
        """Text kept exactly, except the indentation of exports that put CDATA on its own line."""
        text = elem.text or "" if not len(elem) else _text(elem)
        return _unindent(text) if self.reader.indented_cdata else text

    # -- items ----------------------------------------------------------------------------------------

    def _post(self, item) -> Post | None:
        post = Post(wp_id=None, line=item.sourceline)
        seen, refs, metas, kind_of = set(), [], [], self.tags.kind
        for child in item:
            kind, local = kind_of(child.tag)
            field = _ITEM_FIELDS.get((kind, local))
            if field is None:
                if kind == "wp":
                    if local == "postmeta":
                        metas.append(child)
                    elif local == "comment":
                        post.comments.append(self._comment(child))
                    else:
                        self._problem(child.sourceline, f"unknown element <wp:{local}> in an item", "ignored")
                elif kind == "rss" and local == "category":
                    refs.append(child)
                elif kind.startswith("other:"):
                    self._problem(child.sourceline, f"<{local}> in namespace {kind[6:]} is not a WordPress "
                                  "export element", "ignored")
                continue
            if field in seen:
                self._problem(child.sourceline, f"repeated <{local}> in one item", "first kept")
                continue
            seen.add(field)
            if field in _BODY_FIELDS:
                setattr(post, field, self._body(child))
            else:
                setattr(post, field, _ITEM_CONVERT.get(field, str.strip)(_text(child)))
        post.meta = self._meta(metas, "postmeta")
        post.terms = self._term_refs(refs)
        if post.wp_id is None and not (post.guid or post.url):
            self._problem(item.sourceline, "item without wp:post_id, guid or link", "skipped")
            return None
        return post

    def _term_refs(self, elems) -> list[TermRef]:
        refs, plain = [], []
        for elem in elems:
            name = _text(elem).strip()
            domain = elem.get("domain")
            slug = elem.get("nicename") or (slugify(name) if name else "")
            if not slug:
                continue
            if not domain:
                plain.append(TermRef("category", slug, name))
            else:
                refs.append(TermRef("post_tag" if domain == "tag" else domain, slug, name))
        named = {ref.name for ref in refs}
        refs.extend(ref for ref in plain if ref.name not in named)
        unique = {}
        for ref in refs:
            unique.setdefault((ref.taxonomy, ref.slug), ref)
        return list(unique.values())

    def _comment(self, elem) -> Comment:
        values, metas, tags = {}, [], self.tags
        wp_locals = tags.wp_locals
        for child in elem:
            tag = child.tag
            local = wp_locals.get(tag)
            if local is None:
                local = tags.wp_local(tag)
            if local == "commentmeta":
                metas.append(child)
            elif local and local not in values:
                values[local] = child.text or "" if not len(child) else _text(child)
        get = values.get
        approved = get("comment_approved")
        approved = approved.strip() if approved else None
        content = get("comment_content")
        if content and self.reader.indented_cdata:
            content = _unindent(content)
        comment = Comment(
            _int(get("comment_id")), _int(get("comment_parent")), _int(get("comment_user_id")) or None,
            get("comment_author"), _stripped(get("comment_author_email")), _stripped(get("comment_author_url")),
            _stripped(get("comment_author_IP")), wp_date(get("comment_date")), wp_date(get("comment_date_gmt")),
            content, (get("comment_type") or "").strip() or "comment",
            _COMMENT_STATUS.get(approved, approved) if approved else None, None,
            _int(get("comment_karma")), get("comment_agent"), self._meta(metas, "commentmeta") if metas else [])
        if comment.wp_id is None:
            self._problem(elem.sourceline, "comment without wp:comment_id", "kept, identified by author and date")
        return comment


def _text(elem) -> str:
    """All text inside an element (CDATA sections and any stray markup flattened)."""
    if len(elem):
        return "".join(elem.itertext())
    return elem.text or ""


def _unindent(text: str) -> str:
    if "\n" not in text:
        return text
    return _TRAILING_INDENT.sub("", _LEADING_INDENT.sub("", text))


def _int(value: str | None) -> int | None:
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        return int(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _stripped(value):
    return value.strip() if value is not None else None


def _rfc822_utc(value: str) -> str | None:
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _fill_missing(site: Site, later: Site) -> bool:
    """A later look at the channel fills what the first look missed; the URL stays. True if it did."""
    filled = False
    for name in Site.__slots__:
        if name != "url" and getattr(site, name) is None and getattr(later, name) is not None:
            setattr(site, name, getattr(later, name))
            filled = True
    return filled


_SITE_FIELDS = {
    ("rss", "title"): "title", ("rss", "link"): "link", ("rss", "description"): "description",
    ("rss", "language"): "language", ("rss", "pubDate"): "exported_at", ("rss", "generator"): "generator",
    ("wp", "wxr_version"): "wxr_version", ("wp", "base_site_url"): "base_site_url",
    ("wp", "base_blog_url"): "base_blog_url",
}
_ITEM_FIELDS = {
    ("rss", "title"): "title", ("rss", "link"): "url", ("rss", "guid"): "guid",
    ("content", "encoded"): "content", ("excerpt", "encoded"): "excerpt", ("dc", "creator"): "author_login",
    ("wp", "post_id"): "wp_id", ("wp", "post_date"): "date", ("wp", "post_date_gmt"): "date_gmt",
    ("wp", "post_modified"): "modified", ("wp", "post_modified_gmt"): "modified_gmt",
    ("wp", "comment_status"): "comment_status", ("wp", "ping_status"): "ping_status",
    ("wp", "post_name"): "slug", ("wp", "status"): "status", ("wp", "post_parent"): "parent_wp_id",
    ("wp", "menu_order"): "menu_order", ("wp", "post_type"): "type", ("wp", "post_password"): "password",
    ("wp", "is_sticky"): "sticky", ("wp", "attachment_url"): "attachment_url",
}
_BODY_FIELDS = {"title", "content", "excerpt"}
_ITEM_CONVERT = {
    "wp_id": _int, "parent_wp_id": _int, "menu_order": _int, "sticky": _int,
    "date": wp_date, "date_gmt": wp_date, "modified": wp_date, "modified_gmt": wp_date,
}
