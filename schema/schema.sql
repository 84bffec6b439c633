-- The archive's tables: the single source of truth for the store and for Datasette.
-- Every table has a single-column integer key `id`; every *_id column is a declared foreign key.
-- WordPress's own ids are kept as wp_id (unique per site). Provenance columns on content rows:
-- source (wxr, rest, html, feed), first_seen / last_seen (UTC, when a source showed the row),
-- deleted_at (set when a full re-sync finds the row gone; rows are never deleted).

CREATE TABLE IF NOT EXISTS sites (
    id INTEGER PRIMARY KEY,
    url_key TEXT NOT NULL UNIQUE,
    url TEXT,
    title TEXT,
    description TEXT,
    language TEXT,
    base_site_url TEXT,
    wxr_version TEXT,
    generator TEXT,
    source TEXT,
    first_seen TEXT,
    last_seen TEXT
);

CREATE TABLE IF NOT EXISTS authors (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    wp_id INTEGER,
    login TEXT,
    display_name TEXT,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    url TEXT,
    nicename TEXT,
    source TEXT,
    first_seen TEXT,
    last_seen TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS authors_site_login ON authors(site_id, login) WHERE login IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS authors_site_wp_id ON authors(site_id, wp_id) WHERE wp_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS terms (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    wp_id INTEGER,
    taxonomy TEXT NOT NULL,
    slug TEXT NOT NULL,
    name TEXT,
    description TEXT,
    parent_id INTEGER REFERENCES terms(id),
    parent_slug TEXT,
    source TEXT,
    first_seen TEXT,
    last_seen TEXT,
    UNIQUE (site_id, taxonomy, slug)
);
CREATE INDEX IF NOT EXISTS terms_parent ON terms(parent_id);

CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    wp_id INTEGER,
    type TEXT,
    status TEXT,
    title TEXT,
    slug TEXT,
    url TEXT,
    guid TEXT,
    date TEXT,
    date_gmt TEXT,
    modified TEXT,
    modified_gmt TEXT,
    author_id INTEGER REFERENCES authors(id),
    author_login TEXT,
    parent_id INTEGER REFERENCES posts(id),
    parent_wp_id INTEGER,
    menu_order INTEGER,
    content TEXT,
    content_text TEXT,
    excerpt TEXT,
    comment_status TEXT,
    ping_status TEXT,
    password TEXT,
    sticky INTEGER,
    attachment_url TEXT,
    source TEXT,
    first_seen TEXT,
    last_seen TEXT,
    deleted_at TEXT,
    UNIQUE (site_id, wp_id)
);
CREATE INDEX IF NOT EXISTS posts_parent ON posts(parent_id);
CREATE INDEX IF NOT EXISTS posts_author ON posts(author_id);
CREATE INDEX IF NOT EXISTS posts_site_guid ON posts(site_id, guid);
CREATE INDEX IF NOT EXISTS posts_date_gmt ON posts(date_gmt);
CREATE INDEX IF NOT EXISTS posts_url ON posts(url);
CREATE INDEX IF NOT EXISTS posts_unresolved_parent ON posts(site_id) WHERE parent_id IS NULL AND parent_wp_id > 0;
-- Reading (migration 6): a site's posts newest first and its months, and the table pages' facets.
CREATE INDEX IF NOT EXISTS posts_site_listing ON posts(site_id, type, status, date_gmt, date);
CREATE INDEX IF NOT EXISTS posts_type ON posts(type);
CREATE INDEX IF NOT EXISTS posts_status ON posts(status);

CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    wp_id INTEGER,
    parent_id INTEGER REFERENCES comments(id),
    parent_wp_id INTEGER,
    user_id INTEGER REFERENCES authors(id),
    user_wp_id INTEGER,
    author_name TEXT,
    author_email TEXT,
    author_url TEXT,
    author_ip TEXT,
    date TEXT,
    date_gmt TEXT,
    content TEXT,
    content_text TEXT,
    type TEXT,
    status TEXT,
    karma INTEGER,
    agent TEXT,
    source TEXT,
    first_seen TEXT,
    last_seen TEXT,
    deleted_at TEXT,
    UNIQUE (site_id, wp_id)
);
CREATE INDEX IF NOT EXISTS comments_post ON comments(post_id);
CREATE INDEX IF NOT EXISTS comments_parent ON comments(parent_id);
CREATE INDEX IF NOT EXISTS comments_user ON comments(user_id);
-- Reading (migration 6): the comments table page's order (newest first) and its facets.
CREATE INDEX IF NOT EXISTS comments_date_gmt ON comments(date_gmt);
CREATE INDEX IF NOT EXISTS comments_type ON comments(type);
CREATE INDEX IF NOT EXISTS comments_status ON comments(status);
-- References that point at no row yet (given later in the input, or never): partial indexes hold
-- only these, so resolving them at the end of an import reads a few rows, not the whole table.
CREATE INDEX IF NOT EXISTS comments_unresolved_parent ON comments(site_id)
    WHERE parent_id IS NULL AND parent_wp_id > 0;
CREATE INDEX IF NOT EXISTS comments_unresolved_user ON comments(site_id)
    WHERE user_id IS NULL AND user_wp_id > 0;

CREATE TABLE IF NOT EXISTS post_terms (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    term_id INTEGER NOT NULL REFERENCES terms(id),
    UNIQUE (post_id, term_id)
);
CREATE INDEX IF NOT EXISTS post_terms_term ON post_terms(term_id);

-- Meta values are kept byte-exact; `seq` numbers repeated keys of one owner in export order.
CREATE TABLE IF NOT EXISTS postmeta (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    key TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    value TEXT,
    UNIQUE (post_id, key, seq)
);
CREATE TABLE IF NOT EXISTS commentmeta (
    id INTEGER PRIMARY KEY,
    comment_id INTEGER NOT NULL REFERENCES comments(id),
    key TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    value TEXT,
    UNIQUE (comment_id, key, seq)
);
CREATE TABLE IF NOT EXISTS termmeta (
    id INTEGER PRIMARY KEY,
    term_id INTEGER NOT NULL REFERENCES terms(id),
    key TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    value TEXT,
    UNIQUE (term_id, key, seq)
);

-- History: the previous version of a post or comment, written by triggers whenever its text changes,
-- dated by its own evidence (the post's modified_gmt, else when a source last showed it).
CREATE TABLE IF NOT EXISTS post_versions (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    title TEXT,
    content TEXT,
    excerpt TEXT,
    status TEXT,
    modified_gmt TEXT,
    captured_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS post_versions_post ON post_versions(post_id);
CREATE TABLE IF NOT EXISTS comment_versions (
    id INTEGER PRIMARY KEY,
    comment_id INTEGER NOT NULL REFERENCES comments(id),
    content TEXT,
    status TEXT,
    captured_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS comment_versions_comment ON comment_versions(comment_id);

CREATE TRIGGER IF NOT EXISTS posts_keep_version AFTER UPDATE OF title, content, excerpt, status ON posts
WHEN old.title IS NOT new.title OR old.content IS NOT new.content
  OR old.excerpt IS NOT new.excerpt OR old.status IS NOT new.status
BEGIN
    INSERT INTO post_versions (post_id, title, content, excerpt, status, modified_gmt, captured_at)
    VALUES (old.id, old.title, old.content, old.excerpt, old.status, old.modified_gmt,
            coalesce(old.modified_gmt, old.last_seen, strftime('%Y-%m-%d %H:%M:%S', 'now')));
END;
CREATE TRIGGER IF NOT EXISTS comments_keep_version AFTER UPDATE OF content, status ON comments
WHEN old.content IS NOT new.content OR old.status IS NOT new.status
BEGIN
    INSERT INTO comment_versions (comment_id, content, status, captured_at)
    VALUES (old.id, old.content, old.status, coalesce(old.last_seen, strftime('%Y-%m-%d %H:%M:%S', 'now')));
END;

-- The import report lives in the archive.
CREATE TABLE IF NOT EXISTS import_runs (
    id INTEGER PRIMARY KEY,
    site_id INTEGER REFERENCES sites(id),
    source_file TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT,
    counts TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS import_runs_sha ON import_runs(sha256);
CREATE TABLE IF NOT EXISTS import_problems (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES import_runs(id),
    file TEXT,
    line INTEGER,
    problem TEXT NOT NULL,
    action TEXT
);
CREATE INDEX IF NOT EXISTS import_problems_run ON import_problems(run_id);

CREATE VIEW IF NOT EXISTS attachments AS
    SELECT id, site_id, wp_id, title, attachment_url, parent_id, date_gmt, guid
    FROM posts WHERE type = 'attachment';

-- Media: the files themselves, stored once per distinct content (sha256), as files under the
-- archive's media folder (`path`, relative to the folder holding the archive: README "Media").
CREATE TABLE IF NOT EXISTS media_files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    bytes INTEGER NOT NULL,
    mime_type TEXT,
    width INTEGER,
    height INTEGER,
    path TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
-- One row per URL per site, whatever became of it: fetched (file_id set), failed or pending.
CREATE TABLE IF NOT EXISTS media_urls (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    url TEXT NOT NULL,
    file_id INTEGER REFERENCES media_files(id),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fetched', 'failed')),
    http_status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    fetched_at TEXT,
    etag TEXT,
    last_modified TEXT,
    UNIQUE (site_id, url)
);
CREATE INDEX IF NOT EXISTS media_urls_file ON media_urls(file_id);
-- Where each URL is used: an attachment's own file, its sizes and original, or a reference
-- found in a post's or comment's HTML (or a scraped page's og:image).
CREATE TABLE IF NOT EXISTS media_uses (
    id INTEGER PRIMARY KEY,
    url_id INTEGER NOT NULL REFERENCES media_urls(id),
    post_id INTEGER REFERENCES posts(id),
    comment_id INTEGER REFERENCES comments(id),
    kind TEXT NOT NULL CHECK (kind IN ('attachment', 'size', 'original', 'img', 'srcset', 'link',
                                       'audio', 'video', 'og_image'))
);
CREATE UNIQUE INDEX IF NOT EXISTS media_uses_once
    ON media_uses(url_id, kind, ifnull(post_id, 0), ifnull(comment_id, 0));
CREATE INDEX IF NOT EXISTS media_uses_post ON media_uses(post_id);
CREATE INDEX IF NOT EXISTS media_uses_comment ON media_uses(comment_id);

-- Re-syncs: one row per site per run, and the cursors and validators that make the next run cheap.
CREATE TABLE IF NOT EXISTS sync_runs (
    id INTEGER PRIMARY KEY,
    site_id INTEGER REFERENCES sites(id),
    source TEXT,
    started TEXT NOT NULL,
    finished TEXT,
    requests INTEGER,
    added INTEGER,
    updated INTEGER,
    deleted INTEGER,
    error TEXT,
    import_run_id INTEGER REFERENCES import_runs(id)
);
CREATE TABLE IF NOT EXISTS sync_state (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    key TEXT NOT NULL,
    value TEXT,
    UNIQUE (site_id, key)
);

-- Web-archive captures read into the archive (Wayback Machine, WARC files): each is evidence at its own
-- time (captured_at, UTC), so a post's versions can be traced to the capture that showed them.
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    url TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    digest TEXT,
    source TEXT NOT NULL,
    archive TEXT,
    import_run_id INTEGER REFERENCES import_runs(id),
    UNIQUE (site_id, url, captured_at)
);
CREATE INDEX IF NOT EXISTS captures_run ON captures(import_run_id);

-- Schema versions: the migrations (importer/archive/migrations.py) this archive's shape includes;
-- PRAGMA user_version holds the last one's id. A fresh archive lists them all, applied when made.
CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
);
