"""The normalized records every source yields and the store writes.

A field left as None means "this source does not know"; the store never lets an unknown value
overwrite a known one. An empty string means the source says the value is empty.
"""
from dataclasses import dataclass, field
from operator import attrgetter


class Record:
    """Pickles as its field values in order: records cross a process boundary in bulk."""
    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        """dataclass(slots=True) makes the class again with its slots: that class gets the getter."""
        super().__init_subclass__(**kwargs)
        names = cls.__dict__.get("__slots__", ())
        if len(names) == 1:
            cls._values = staticmethod(lambda record: (getattr(record, names[0]),))
        elif names:
            cls._values = attrgetter(*names)

    def __reduce__(self):
        return type(self), self._values(self)


@dataclass(slots=True)
class Site(Record):
    url: str | None
    title: str | None = None
    description: str | None = None
    language: str | None = None
    base_site_url: str | None = None
    wxr_version: str | None = None
    generator: str | None = None
    exported_at: str | None = None


@dataclass(slots=True)
class Author(Record):
    login: str | None
    wp_id: int | None = None
    display_name: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    url: str | None = None
    nicename: str | None = None


@dataclass(slots=True)
class Term(Record):
    taxonomy: str
    slug: str
    name: str | None = None
    wp_id: int | None = None
    description: str | None = None
    parent_slug: str | None = None
    meta: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class TermRef(Record):
    """A post's link to a term, as an item names it (taxonomy and slug, maybe a display name).
    A page with plain permalinks names a category only by id (`?cat=N`): its slug is empty until
    the category's own page tells it."""
    taxonomy: str
    slug: str
    name: str | None = None
    wp_id: int | None = None


@dataclass(slots=True)
class Comment(Record):
    wp_id: int | None
    parent_wp_id: int | None = None
    user_wp_id: int | None = None
    author_name: str | None = None
    author_email: str | None = None
    author_url: str | None = None
    author_ip: str | None = None
    date: str | None = None
    date_gmt: str | None = None
    content: str | None = None
    type: str | None = None
    status: str | None = None
    content_text: str | None = None
    karma: int | None = None
    agent: str | None = None
    meta: list[tuple[str, str]] = field(default_factory=list)
    post_wp_id: int | None = None  # set when a source yields comments apart from their post (REST)


@dataclass(slots=True)
class Post(Record):
    wp_id: int | None
    type: str | None = None
    status: str | None = None
    title: str | None = None
    slug: str | None = None
    url: str | None = None
    guid: str | None = None
    date: str | None = None
    date_gmt: str | None = None
    modified: str | None = None
    modified_gmt: str | None = None
    author_login: str | None = None
    author_wp_id: int | None = None
    author_nicename: str | None = None  # pages name authors by /author/<nicename>/ and display name
    author_name: str | None = None
    parent_wp_id: int | None = None
    menu_order: int | None = None
    content: str | None = None
    content_text: str | None = None
    excerpt: str | None = None
    comment_status: str | None = None
    ping_status: str | None = None
    password: str | None = None
    sticky: int | None = None
    attachment_url: str | None = None
    terms: list[TermRef] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    line: int | None = None


@dataclass(slots=True)
class Problem(Record):
    """Something wrong in the input and what was done about it; kept in import_problems."""
    problem: str
    action: str
    line: int | None = None


@dataclass(slots=True)
class Digest(Record):
    """The sha256 of every byte a source read: how a later run knows the same input again."""
    sha256: str


@dataclass(slots=True)
class Inventory(Record):
    """Everything a full reading of a live site shows now, by WordPress id: what is archived as
    public but not here is marked deleted (never removed)."""
    posts: dict[str, set[int]]
    comments: set[int]


@dataclass(slots=True)
class Capture(Record):
    """A web-archive capture a source read (Wayback Machine, WARC): URL, UTC time, content digest."""
    url: str
    captured_at: str
    digest: str | None = None
    archive: str | None = None


@dataclass(slots=True)
class SyncState(Record):
    """Where the next run of a live source starts (its source, REST root, cursors, validators)."""
    values: dict[str, str]
