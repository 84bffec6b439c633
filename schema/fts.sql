-- Full-text search over the plain text of posts and comments, kept in step through triggers.
-- The store drops these triggers during a fresh bulk import and builds the index once at the end.
--
-- Every language: the index holds a derived text (importer/archive/search_text.py), in which each
-- unbroken run of Japanese, Chinese or Korean letters is written as its overlapping two-letter
-- pairs; the rest stays as it is for unicode61 (case-folded, diacritics removed, no stemming). A
-- query is rewritten the same way (Datasette's search box through its escape_fts, which the plugin
-- makes CJK-aware; the reader's search page), so a CJK word of two or more letters is the phrase of
-- its pairs and is found anywhere inside a run. Chosen over the trigram tokenizer, which finds
-- nothing under three letters and turns English word search into substring search ("cat" in
-- "concatenate"), and over a second index, which every search would have to query and rank twice.
--
-- Readable by any SQLite client: the index is an external-content table over the plain-SQL views
-- below. A text is its own derived text unless it holds CJK (or one of the few control characters
-- the derived text uses), so the derived text is stored only for those rows, in
-- posts_search_text_cjk / comments_search_text_cjk (a column NULL where it equals the row's own),
-- and the views take it from there, else the row's text. No view or trigger calls a function of
-- ours: sqlite3, DB Browser, sqlite-utils or Datasette without our plugin can read, count and MATCH
-- the index, and snippet()/highlight() work. The archive grows only by the CJK rows' derived text.
-- (Computing it in a view through an SQL function would store nothing, but every other client
-- reading the index failed with "no such function"; a regular FTS5 table would store a copy of
-- every text; a contentless one has no snippet().)
-- SQLite cannot compute the derived text itself, so the triggers only queue what changed (the row's
-- id and the text it was indexed with) and drop the row's stored derived text, in plain SQL, and
-- wparchive indexes the queue before each commit (importer/archive/search_index.py), storing the
-- derived text again: any SQLite client can still write, the index follows.
CREATE TABLE IF NOT EXISTS posts_search_text_cjk (
    id INTEGER PRIMARY KEY,  -- the post
    title TEXT,  -- each column: its derived text, NULL where that is the post's own
    content_text TEXT,
    excerpt TEXT
);
CREATE TABLE IF NOT EXISTS comments_search_text_cjk (
    id INTEGER PRIMARY KEY,  -- the comment
    author_name TEXT,
    content_text TEXT
);
CREATE VIEW IF NOT EXISTS posts_search_text AS
    SELECT p.id, coalesce(d.title, p.title) AS title, coalesce(d.content_text, p.content_text) AS content_text,
           coalesce(d.excerpt, p.excerpt) AS excerpt
    FROM posts p LEFT JOIN posts_search_text_cjk d ON d.id = p.id;
CREATE VIEW IF NOT EXISTS comments_search_text AS
    SELECT c.id, coalesce(d.author_name, c.author_name) AS author_name,
           coalesce(d.content_text, c.content_text) AS content_text
    FROM comments c LEFT JOIN comments_search_text_cjk d ON d.id = c.id;
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(
    title, content_text, excerpt, content='posts_search_text', content_rowid='id'
);
CREATE VIRTUAL TABLE IF NOT EXISTS comments_fts USING fts5(
    author_name, content_text, content='comments_search_text', content_rowid='id'
);
CREATE TABLE IF NOT EXISTS posts_search_queue (
    id INTEGER PRIMARY KEY,  -- the post; its first change since the index caught up is the one kept
    indexed INTEGER NOT NULL,  -- 1: the index holds it with the text below, to be taken out
    title TEXT,
    content_text TEXT,
    excerpt TEXT
);
CREATE TABLE IF NOT EXISTS comments_search_queue (
    id INTEGER PRIMARY KEY,
    indexed INTEGER NOT NULL,
    author_name TEXT,
    content_text TEXT
);
CREATE TRIGGER IF NOT EXISTS posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT OR IGNORE INTO posts_search_queue (id, indexed) VALUES (new.id, 0);
END;
CREATE TRIGGER IF NOT EXISTS posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT OR IGNORE INTO posts_search_queue VALUES (old.id, 1, old.title, old.content_text, old.excerpt);
    DELETE FROM posts_search_text_cjk WHERE id = old.id;
END;
CREATE TRIGGER IF NOT EXISTS posts_fts_update AFTER UPDATE OF title, content_text, excerpt ON posts BEGIN
    INSERT OR IGNORE INTO posts_search_queue VALUES (old.id, 1, old.title, old.content_text, old.excerpt);
    DELETE FROM posts_search_text_cjk WHERE id = old.id;
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_insert AFTER INSERT ON comments BEGIN
    INSERT OR IGNORE INTO comments_search_queue (id, indexed) VALUES (new.id, 0);
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_delete AFTER DELETE ON comments BEGIN
    INSERT OR IGNORE INTO comments_search_queue VALUES (old.id, 1, old.author_name, old.content_text);
    DELETE FROM comments_search_text_cjk WHERE id = old.id;
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_update AFTER UPDATE OF author_name, content_text ON comments BEGIN
    INSERT OR IGNORE INTO comments_search_queue VALUES (old.id, 1, old.author_name, old.content_text);
    DELETE FROM comments_search_text_cjk WHERE id = old.id;
END;
