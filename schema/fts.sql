-- Full-text search over the plain text of posts and comments, kept in step through triggers.
-- The store drops these triggers during a fresh bulk import and builds the index once at the end.
--
-- Every language: the index holds a derived text, wparchive_search_text(column) (importer/archive/
-- search_text.py), in which each unbroken run of Japanese, Chinese or Korean letters is written as
-- its overlapping two-letter pairs; the rest stays as it is for unicode61 (case-folded, diacritics
-- removed, no stemming). A query is rewritten the same way (Datasette's search box through its
-- escape_fts, which the plugin makes CJK-aware; the reader's search page), so a CJK word of two or
-- more letters is the phrase of its pairs and is found anywhere inside a run. Chosen over the
-- trigram tokenizer, which finds nothing under three letters and turns English word search into
-- substring search ("cat" in "concatenate"), and over a second index, which every search would
-- have to query and rank twice. The index reads its text through the views below (external
-- content): the derived text is computed, never stored, so the archive does not grow by a copy of
-- every text, and snippet() works on it (serve/search.py maps it back to the original words).
-- SQLite cannot compute that text itself, so the triggers only queue what changed (the row's id and
-- the text it was indexed with) in plain SQL, and wparchive indexes the queue before each commit
-- (importer/archive/search_index.py): any SQLite client can still write, the index follows.
CREATE VIEW IF NOT EXISTS posts_search_text AS
    SELECT id, wparchive_search_text(title) AS title, wparchive_search_text(content_text) AS content_text,
           wparchive_search_text(excerpt) AS excerpt
    FROM posts;
CREATE VIEW IF NOT EXISTS comments_search_text AS
    SELECT id, wparchive_search_text(author_name) AS author_name,
           wparchive_search_text(content_text) AS content_text
    FROM comments;
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
END;
CREATE TRIGGER IF NOT EXISTS posts_fts_update AFTER UPDATE OF title, content_text, excerpt ON posts BEGIN
    INSERT OR IGNORE INTO posts_search_queue VALUES (old.id, 1, old.title, old.content_text, old.excerpt);
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_insert AFTER INSERT ON comments BEGIN
    INSERT OR IGNORE INTO comments_search_queue (id, indexed) VALUES (new.id, 0);
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_delete AFTER DELETE ON comments BEGIN
    INSERT OR IGNORE INTO comments_search_queue VALUES (old.id, 1, old.author_name, old.content_text);
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_update AFTER UPDATE OF author_name, content_text ON comments BEGIN
    INSERT OR IGNORE INTO comments_search_queue VALUES (old.id, 1, old.author_name, old.content_text);
END;
