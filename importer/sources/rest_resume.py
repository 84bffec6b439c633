"""A first REST scrape that a fleet step's budget may cut and the next step continues.

It asks what an uncut first scrape asks, in the same order (the gate, the index, users, terms,
post types, every type's listing, comments, then the pages of published posts for pingbacks).
When the step's budget runs out (BudgetExhausted from the fetcher) it saves where it got to in
sync_state `scrape_resume`, written in the same transaction as the rows read, and the next step
starts there: the listing page under way, asked again (what it gives again is rewritten
unchanged), and the post pages not read yet. The run that finishes writes the cursors a
complete scrape writes and clears the point. Rows are only ever rewritten, never added twice,
by the archive's identity rules; comments already held are left out of later listings.
"""
import json

from ..errors import BudgetExhausted
from ..model import Comment, Post, Problem, Site, SyncState
from . import rest
from .feeds import comments_feed_url
from .pages import changed_since, validators

RESUME = "scrape_resume"  # sync_state key; '' once the scrape is complete


def resumable(site, api):
    """The records of a first scrape from the saved point (or the start), saving the point
    when the budget cuts it."""
    point = json.loads(site.state.get(RESUME) or "null")
    listed = set()  # comments this step lists: their pages' copies are not hidden ones
    try:
        if point is None:
            point = yield from _start(site, api)
        else:
            yield Site(url=site.url)
        yield from _listings(site, api, point, listed)
        yield from _post_pages(site, point, site.known.comments | listed)
    except BudgetExhausted:
        if point is not None:
            yield SyncState({RESUME: json.dumps(point, sort_keys=True)})
        raise
    yield SyncState({**point["state"], "cursors": json.dumps(point["newest"], sort_keys=True), RESUME: ""})


def _start(site, api):
    """The gate, the index, users, terms and post types, as a first scrape reads them; the
    point to go on from (none is saved if the budget runs out before these are read)."""
    gate = comments_feed_url(site.url)
    _, response = yield from changed_since(site, gate, check=False)
    state = {"via": "rest", "rest_root": api.root, "gate": gate, **validators(response)}
    index = api.get("/")
    yield Site(url=index.get("home") or site.url, title=index.get("name"), description=index.get("description"))
    yield from rest._authors(api)
    taxonomies = yield from rest._taxonomies(api)
    terms = {}
    for taxonomy, base in taxonomies.items():
        yield from rest._terms_into(terms, api, taxonomy, base)
    types = yield from rest._types(api, taxonomies)
    state["types"] = json.dumps(types, sort_keys=True)
    return {"state": state, "types": types, "listed": [], "page": 1, "newest": {}, "pages": [], "read": 0}


def _listings(site, api, point, listed: set):
    """Every type's listing, then comments, each from the page the point names, less one: a
    post deleted meanwhile would shift the listing's pages by one and hide an item."""
    terms = dict(site.known.terms)  # what earlier steps wrote, and this one
    names = [*point["types"], "comments"]
    for name in names:
        if name in point["listed"]:
            continue
        paging = {"start": max(1, point["page"] - 1), "at": lambda page: point.__setitem__("page", page)}
        if name == "comments":
            records = rest._comments(api, None, set(site.known.comments), paging)
        else:
            records = (_named(post, ids, terms) for post, ids in
                       rest._posts(api, name, point["types"][name], None, paging))
        for record in records:
            _note(point, record)
            if isinstance(record, Comment):
                listed.add(record.wp_id)
            yield record
        point["listed"].append(name)
        point["page"] = 1


def _named(post, term_ids, terms):
    if not isinstance(post, Problem):
        rest._name_terms(post, term_ids, terms)
    return post


def _note(point, record):
    """The cursors a complete scrape ends with, and the posts whose pages are read last."""
    if isinstance(record, (Post, Comment)) and (rest._moment(record) or "") > point["newest"].get(rest._cursor(record), ""):
        point["newest"][rest._cursor(record)] = rest._moment(record)
    if isinstance(record, Post) and record.type in ("post", "page") and record.status == "publish" and record.url:
        if [record.wp_id, record.url] not in point["pages"][-2 * rest.PER_PAGE:]:  # a page asked again
            point["pages"].append([record.wp_id, record.url])


def _post_pages(site, point, known: set):
    """The pingbacks and trackbacks of each post's page, from the first page not read yet."""
    if not site.pages:
        return
    while point["read"] < len(point["pages"]):
        yield from rest._hidden_comments(site, [point["pages"][point["read"]]], known)
        point["read"] += 1
