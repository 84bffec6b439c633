-- Full-text search over the plain text of posts and comments, kept in step by triggers.
-- The store drops these triggers during a fresh bulk import and rebuilds the index once at the end.
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(
    title, content_text, excerpt, content='posts', content_rowid='id'
);
CREATE VIRTUAL TABLE IF NOT EXISTS comments_fts USING fts5(
    author_name, content_text, content='comments', content_rowid='id'
);
CREATE TRIGGER IF NOT EXISTS posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, title, content_text, excerpt)
    VALUES (new.id, new.title, new.content_text, new.excerpt);
END;
CREATE TRIGGER IF NOT EXISTS posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, content_text, excerpt)
    VALUES ('delete', old.id, old.title, old.content_text, old.excerpt);
END;
CREATE TRIGGER IF NOT EXISTS posts_fts_update AFTER UPDATE OF title, content_text, excerpt ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, content_text, excerpt)
    VALUES ('delete', old.id, old.title, old.content_text, old.excerpt);
    INSERT INTO posts_fts (rowid, title, content_text, excerpt)
    VALUES (new.id, new.title, new.content_text, new.excerpt);
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_insert AFTER INSERT ON comments BEGIN
    INSERT INTO comments_fts (rowid, author_name, content_text)
    VALUES (new.id, new.author_name, new.content_text);
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_delete AFTER DELETE ON comments BEGIN
    INSERT INTO comments_fts (comments_fts, rowid, author_name, content_text)
    VALUES ('delete', old.id, old.author_name, old.content_text);
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_update AFTER UPDATE OF author_name, content_text ON comments BEGIN
    INSERT INTO comments_fts (comments_fts, rowid, author_name, content_text)
    VALUES ('delete', old.id, old.author_name, old.content_text);
    INSERT INTO comments_fts (rowid, author_name, content_text)
    VALUES (new.id, new.author_name, new.content_text);
END;
