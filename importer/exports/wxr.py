"""One archived site as WXR 1.2, the way WordPress's importer reads it (its own parser code is the
reference: ../shared/peers/wordpress-importer/): authors first, every login one the items name;
categories, tags and other terms with each parent before its children; then the items with their
terms, meta and comments (parents before replies). Written through lxml's incremental writer, one
item at a time, so memory follows the largest post, not the archive."""
import re
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from ..archive import read
from .clean import Removed, cleaned, pieces
from .logins import with_logins
from .order import parents_first
from .parts import Parts

WP = "{http://wordpress.org/export/1.2/}"
DC = "{http://purl.org/dc/elements/1.1/}creator"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
EXCERPT = "{http://wordpress.org/export/1.2/excerpt/}encoded"
ZERO_DATE = "0000-00-00 00:00:00"
_APPROVED = {"approved": "1", "pending": "0"}  # spam and trash are written as they are
_TAXONOMY_GROUP = {"category": 0, "post_tag": 1}
_FLOATING = ("draft", "pending", "auto-draft")


@dataclass
class Options:
    statuses: tuple[str, ...] | None = None
    include_deleted: bool = False
    max_bytes: int | None = None
    generator: str = "wparchive"
    rewrite_url: object = None  # --media-base: .url(old) and .content(html) give the new addresses


@dataclass
class SiteExport:
    """What one site's export wrote."""
    url: str
    paths: list[Path] = field(default_factory=list)
    counts: dict = field(default_factory=lambda: {"authors": 0, "terms": 0, "posts": 0, "comments": 0})
    removed: list[Removed] = field(default_factory=list)
    media_files: int = 0  # files of the site in the uploads/ tree


class SiteWriter:
    """Writes one site; `write(path)` returns its SiteExport."""

    def __init__(self, conn, site: dict, options: Options, progress=None):
        self.conn, self.site, self.options, self.progress = conn, site, options, progress
        self.report = SiteExport(site["url"] or site["url_key"])
        self.url = site["url"] or "http://" + site["url_key"]  # the channel's link; items' links fall back on it
        self.logins: dict[int, str] = {}
        self.author_ids: dict[int, int] = {}  # archive author id -> wp:author_id (one made up when unknown)
        self.unnumbered: dict[int, int] = {}
        self.next_comment_id = 0
        self.offset = 0  # the site's local-minus-GMT seconds, for rows a source dated only one way

    def write(self, path: Path) -> SiteExport:
        site_id = self.site["id"]
        authors = self._authors()
        terms = self._terms()
        highest_post, highest_comment = read.highest_wp_ids(self.conn, site_id)
        self.unnumbered = {pid: highest_post + n for n, pid in
                           enumerate(read.post_ids_without_wp_id(self.conn, site_id), 1)}
        self.next_comment_id = highest_comment + 1
        self.offset = read.site_utc_offset(self.conn, site_id)
        parts = Parts(path, self._channel, self.options.max_bytes)
        try:
            xf = parts.current.xf
            for author in authors:
                self._author(xf, author)
            for term in terms:
                self._term(xf, term)
            for post in read.export_posts(self.conn, site_id, self.options.statuses, self.options.include_deleted):
                part = parts.for_item()
                self._item(part.xf, post)
                part.items += 1
                if self.progress:
                    self.progress(1)
            parts.finish()
        except BaseException:
            parts.abandon()
            raise
        self.report.paths = parts.paths
        return self.report

    # -- text ------------------------------------------------------------------------------------

    def _text(self, xf, tag, value, where, name):
        with xf.element(tag):
            if value:
                xf.write(*pieces(cleaned(value, where, name, self.report.removed)))

    @staticmethod
    def _plain(xf, tag, value):
        with xf.element(tag):
            if value is not None and value != "":
                xf.write(str(value))

    # -- channel, authors, terms -------------------------------------------------------------------

    def _channel(self, xf):
        """The channel's own fields, one a line (authors, terms and items are one a line too)."""
        site, url = self.site, self.url
        for tag, value, text in (("title", site["title"], True), ("link", url, False),
                                 ("description", site["description"], True), ("language", site["language"], False),
                                 (WP + "wxr_version", "1.2", False),
                                 (WP + "base_site_url", site["base_site_url"] or url, False),
                                 (WP + "base_blog_url", url, False), ("generator", self.options.generator, False)):
            if text:
                self._text(xf, tag, value or "", "site", tag)
            else:
                self._plain(xf, tag, value)
            xf.write("\n")

    def _authors(self) -> list[dict]:
        site_id = self.site["id"]
        authors = read.export_authors(self.conn, site_id)
        known = {a["login"] for a in authors if a["login"]}
        authors += [{"id": None, "wp_id": None, "login": login, "display_name": login, "email": None,
                     "first_name": None, "last_name": None, "nicename": None}
                    for login in read.unlisted_author_logins(self.conn, site_id) if login not in known]
        authors = with_logins(authors)
        highest = max((a["wp_id"] for a in authors if a["wp_id"] is not None), default=0)
        for n, author in enumerate((a for a in authors if a["wp_id"] is None), 1):
            author["export_id"] = highest + n
        self.logins = {a["id"]: a["export_login"] for a in authors if a["id"] is not None}
        self.author_ids = {a["id"]: a.get("export_id", a["wp_id"]) for a in authors if a["id"] is not None}
        return authors

    def _author(self, xf, author):
        where = f"author {author['export_login']}"
        with xf.element(WP + "author"):
            # the importer maps comment_user_id (and _edit_last) to the new users by this id
            self._plain(xf, WP + "author_id", author.get("export_id", author["wp_id"]))
            self._text(xf, WP + "author_login", author["export_login"], where, "login")
            self._text(xf, WP + "author_email", author["email"] or "", where, "email")
            self._text(xf, WP + "author_display_name", author["display_name"] or author["export_login"], where,
                       "display_name")
            self._text(xf, WP + "author_first_name", author["first_name"] or "", where, "first_name")
            self._text(xf, WP + "author_last_name", author["last_name"] or "", where, "last_name")
        xf.write("\n")
        self.report.counts["authors"] += 1

    def _terms(self) -> list[dict]:
        terms = read.export_terms(self.conn, self.site["id"])
        slugs = {t["id"]: t["slug"] for t in terms}
        for term in terms:
            term["export_parent"] = slugs.get(term["parent_id"]) or term["parent_slug"] or ""
        terms.sort(key=lambda t: (_TAXONOMY_GROUP.get(t["taxonomy"], 2), t["taxonomy"], t["slug"]))
        by_slug = {(t["taxonomy"], t["slug"]): t["id"] for t in terms}
        return parents_first(terms, lambda t: by_slug.get((t["taxonomy"], t["export_parent"])))

    def _term(self, xf, term):
        taxonomy, where = term["taxonomy"], f"term {term['taxonomy']}/{term['slug']}"
        name, description, parent = term["name"] or term["slug"], term["description"] or "", term["export_parent"]
        kind = {"category": "category", "post_tag": "tag"}.get(taxonomy, "term")
        with xf.element(WP + kind):
            if term["wp_id"] is not None:
                self._plain(xf, WP + "term_id", term["wp_id"])
            if kind == "category":
                self._text(xf, WP + "category_nicename", term["slug"], where, "slug")
                self._text(xf, WP + "category_parent", parent, where, "parent")
                self._text(xf, WP + "cat_name", name, where, "name")
                self._text(xf, WP + "category_description", description, where, "description")
            elif kind == "tag":
                self._text(xf, WP + "tag_slug", term["slug"], where, "slug")
                self._text(xf, WP + "tag_name", name, where, "name")
                self._text(xf, WP + "tag_description", description, where, "description")
            else:
                self._text(xf, WP + "term_taxonomy", taxonomy, where, "taxonomy")
                self._text(xf, WP + "term_slug", term["slug"], where, "slug")
                self._text(xf, WP + "term_parent", parent, where, "parent")
                self._text(xf, WP + "term_name", name, where, "name")
                self._text(xf, WP + "term_description", description, where, "description")
            self._meta(xf, "termmeta", read.term_meta(self.conn, term["id"]), where)
        xf.write("\n")
        self.report.counts["terms"] += 1

    def _meta(self, xf, tag, pairs, where):
        for key, value in pairs:
            with xf.element(WP + tag):
                self._text(xf, WP + "meta_key", key, where, f"{tag} key")
                self._text(xf, WP + "meta_value", value or "", where, f"{tag} {key}")

    # -- items -------------------------------------------------------------------------------------

    def _wp_id(self, post_id: int, wp_id: int | None) -> int:
        return wp_id if wp_id is not None else self.unnumbered[post_id]

    def _parent(self, post) -> int:
        if post["parent_id"] is not None:
            parent = read.wp_id_of_post(self.conn, post["parent_id"])
            return parent if parent is not None else self.unnumbered.get(post["parent_id"], 0)
        if post["parent_wp_id"] is None and post["type"] == "page" and post["url"]:
            return self._parent_by_address(post["url"])
        return post["parent_wp_id"] or 0

    def _parent_by_address(self, url: str) -> int:
        """A page scraped from its HTML knows its parent only by its address: /about/contact/ is
        the child of the page at /about/."""
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2 or parts.query:
            return 0
        parent_url = urlunsplit((parts.scheme, parts.netloc, "/".join(["", *segments[:-1], ""]), "", ""))
        found = read.post_at_url(self.conn, self.site["id"], parent_url)
        if not found:
            return 0
        return found[1] if found[1] is not None else self.unnumbered.get(found[0], 0)

    def _item(self, xf, post):
        wp_id = self._wp_id(post["id"], post["wp_id"])
        where = f"post {wp_id}"
        base = self.url.rstrip("/")
        content, attachment_url = _as_written(post), post["attachment_url"]
        if self.options.rewrite_url:
            content = self.options.rewrite_url.content(content)
            attachment_url = self.options.rewrite_url.attachment_url(attachment_url) if attachment_url else None
        floating = post["status"] in _FLOATING  # WordPress keeps their GMT date zero until published
        date, date_gmt = _both(post["date"], post["date_gmt"], self.offset, not floating)
        modified, modified_gmt = _both(post["modified"], post["modified_gmt"], self.offset, True)
        with xf.element("item"):
            self._text(xf, "title", post["title"] or "", where, "title")
            self._plain(xf, "link", post["url"] or f"{base}/?p={wp_id}")
            self._plain(xf, "pubDate", _rfc822(date_gmt))
            creator = self.logins.get(post["author_id"]) or post["author_login"] or ""
            self._text(xf, DC, creator, where, "creator")
            with xf.element("guid", isPermaLink="false"):
                xf.write(cleaned(post["guid"] or f"{base}/?p={wp_id}", where, "guid", self.report.removed))
            self._text(xf, CONTENT, content, where, "content")
            self._text(xf, EXCERPT, post["excerpt"] or "", where, "excerpt")
            self._plain(xf, WP + "post_id", wp_id)
            self._plain(xf, WP + "post_date", date)
            self._plain(xf, WP + "post_date_gmt", date_gmt)
            self._plain(xf, WP + "post_modified", modified if modified != ZERO_DATE else date)
            self._plain(xf, WP + "post_modified_gmt", modified_gmt if modified_gmt != ZERO_DATE else date_gmt)
            self._text(xf, WP + "comment_status", post["comment_status"] or "open", where, "comment_status")
            self._text(xf, WP + "ping_status", post["ping_status"] or "closed", where, "ping_status")
            self._text(xf, WP + "post_name", post["slug"] or _slug_in(post["url"]), where, "slug")
            self._text(xf, WP + "status", post["status"] or "publish", where, "status")
            self._plain(xf, WP + "post_parent", self._parent(post))
            self._plain(xf, WP + "menu_order", post["menu_order"] or 0)
            self._text(xf, WP + "post_type", post["type"] or "post", where, "type")
            self._text(xf, WP + "post_password", post["password"] or "", where, "password")
            self._plain(xf, WP + "is_sticky", post["sticky"] or 0)
            if attachment_url:
                self._text(xf, WP + "attachment_url", attachment_url, where, "attachment_url")
            for taxonomy, slug, name in read.post_term_refs(self.conn, post["id"]):
                with xf.element("category", domain=taxonomy, nicename=slug):
                    xf.write(*pieces(cleaned(name or slug, where, "term", self.report.removed)))
            self._meta(xf, "postmeta", read.post_meta(self.conn, post["id"]), where)
            self._comments(xf, post["id"], wp_id)
        xf.write("\n")
        self.report.counts["posts"] += 1

    def _comments(self, xf, post_id: int, post_wp_id: int):
        comments = read.post_comments(self.conn, post_id, self.options.include_deleted)
        if not comments:
            return
        for comment in comments:
            if comment["wp_id"] is None:
                comment["wp_id"] = self.next_comment_id
                self.next_comment_id += 1
        exported = {c["id"]: c["wp_id"] for c in comments}
        metas = read.comments_meta(self.conn, post_id)
        comments.sort(key=lambda c: c["wp_id"])
        for comment in parents_first(comments, lambda c: c["parent_id"]):
            self._comment(xf, comment, exported, metas.get(comment["id"], ()), post_wp_id)

    def _comment(self, xf, comment, exported, meta, post_wp_id):
        where = f"comment {comment['wp_id']} of post {post_wp_id}"
        if comment["parent_id"] is not None:
            parent = exported.get(comment["parent_id"], 0)
        else:
            parent = comment["parent_wp_id"] or 0
        user = self.author_ids.get(comment["user_id"]) if comment["user_id"] is not None else comment["user_wp_id"]
        with xf.element(WP + "comment"):
            self._plain(xf, WP + "comment_id", comment["wp_id"])
            self._text(xf, WP + "comment_author", comment["author_name"] or "", where, "author")
            self._text(xf, WP + "comment_author_email", comment["author_email"] or "", where, "author_email")
            self._text(xf, WP + "comment_author_url", comment["author_url"] or "", where, "author_url")
            self._text(xf, WP + "comment_author_IP", comment["author_ip"] or "", where, "author_ip")
            date, date_gmt = _both(comment["date"], comment["date_gmt"], self.offset, True)
            self._plain(xf, WP + "comment_date", date)
            self._plain(xf, WP + "comment_date_gmt", date_gmt)
            self._text(xf, WP + "comment_content", comment["content"] or "", where, "content")
            status = comment["status"] or "approved"
            self._text(xf, WP + "comment_approved", _APPROVED.get(status, status), where, "status")
            self._text(xf, WP + "comment_type", comment["type"] or "comment", where, "type")
            self._plain(xf, WP + "comment_parent", parent)
            self._plain(xf, WP + "comment_user_id", user or 0)
            self._meta(xf, "commentmeta", meta, where)
        xf.write("\n")
        self.report.counts["comments"] += 1


def _as_written(post) -> str:
    """The post's content as WordPress should keep it. A scrape archived the HTML WordPress rendered
    (paragraphs already made): given back as it is, WordPress would render it again (wpautop adds
    <p> and <br> around tags); inside a Custom HTML block it is shown exactly as archived."""
    content = post["content"] or ""
    if post["source"] in (None, "wxr") or not content.strip() or "<!-- wp:" in content or _unrendered(content):
        return content
    return f"<!-- wp:html -->\n{content}\n<!-- /wp:html -->"


def _unrendered(content: str) -> bool:
    """Text WordPress has not rendered: a paragraph (after a blank line) that starts with bare text.
    wpautop leaves none; an export's text does, and it stays in a row a later scrape made newer
    when the scrape's rendering of it read the same (the merge keeps the export's text)."""
    return any(paragraph.strip() and not paragraph.lstrip().startswith(("<", "["))
               for paragraph in re.split(r"\n\s*\n", content))


def _both(local: str | None, gmt: str | None, offset: int, derive_gmt: bool) -> tuple[str, str]:
    """A row's local and GMT dates, the one a source did not give worked out from the other by the
    site's offset (a scraped pingback is dated in GMT only: WordPress would show a zero local date)."""
    local = local if local and local > "0001" else None
    gmt = gmt if gmt and gmt > "0001" else None
    if local is None and gmt is not None:
        local = _shifted(gmt, offset)
    elif gmt is None and local is not None and derive_gmt:
        gmt = _shifted(local, -offset)
    return local or ZERO_DATE, gmt or ZERO_DATE


def _shifted(date: str, seconds: int) -> str | None:
    try:
        moment = datetime.strptime(date, "%Y-%m-%d %H:%M:%S") + timedelta(seconds=seconds)
    except ValueError:  # not a date WordPress wrote: left for WordPress to read as it can
        return None
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _slug_in(url: str | None) -> str:
    """The slug a pretty permalink ends in (/2020/01/a-post/ -> a-post); '' for ?p=N addresses."""
    if not url:
        return ""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    return unquote(segments[-1]) if segments and not parts.query else ""


def _rfc822(date_gmt: str) -> str:
    try:
        moment = datetime.strptime(date_gmt, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:  # the zero date, or one no source wrote in WordPress's form
        return ""
    return format_datetime(moment)
