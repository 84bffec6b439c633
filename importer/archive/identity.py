"""Which archived row a record is (DESIGN.md): WordPress's ids within a site whenever a source
shows them; otherwise the canonical URL or guid, a term's (taxonomy, slug), an author's login or
nicename. A row first known by URL or guid adopts the WordPress id when a later source reveals
it, so the same post is one row however it came in."""

SQL_VARIABLES = 900  # ids per IN (...) list, under SQLite's limit on bound parameters


class Identities:
    """Lookups of one site's rows."""

    def __init__(self, conn, site_id: int):
        self.conn, self.site_id = conn, site_id
        self.unkeyed_posts = conn.execute(
            "SELECT 1 FROM posts WHERE site_id = ? AND wp_id IS NULL AND source != 'wxr' LIMIT 1",
            (site_id,)).fetchone() is not None

    def author(self, wp_id, login, nicename):
        """By user id, else login, else nicename (pages name authors by /author/<nicename>/)."""
        for column, value in (("wp_id", wp_id), ("login", login)):
            if value is not None:
                row = self._one(f"SELECT id FROM authors WHERE site_id = ? AND {column} = ?", value)
                if row:
                    return row
        if nicename is not None:
            return self.conn.execute("SELECT id FROM authors WHERE site_id = ? AND (nicename = ? OR login = ?)",
                                     (self.site_id, nicename, nicename)).fetchone()
        return None

    def author_id_by(self, column: str, value) -> int | None:
        row = self._one(f"SELECT id FROM authors WHERE site_id = ? AND {column} = ?", value)
        return row[0] if row else None

    def logins(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT login, id FROM authors WHERE site_id = ? AND login IS NOT NULL",
                                      (self.site_id,)))

    def term(self, taxonomy: str, slug: str):
        return self._one("SELECT id FROM terms WHERE site_id = ? AND taxonomy = ? AND slug = ?", taxonomy, slug)

    def unkeyed_post(self, post):
        """A post without a WordPress id: by its guid, else its URL, with its title (exports that
        reuse one id for several items give them one guid too)."""
        for column in ("guid", "url"):
            value = getattr(post, column)
            if value:
                row = self._one(f"SELECT id FROM posts WHERE site_id = ? AND wp_id IS NULL AND {column} = ? "
                                "AND title IS ?", value, post.title)
                if row:
                    return row
        return None

    def unkeyed_comment(self, post_id: int, comment):
        return self.conn.execute(
            "SELECT id FROM comments WHERE post_id = ? AND wp_id IS NULL AND author_name IS ? AND date IS ? "
            "AND content IS ?", (post_id, comment.author_name, comment.date, comment.content)).fetchone()

    def adopt_post_ids(self, posts) -> int:
        """Rows known only by URL or guid (a feed item, a page without ids) take the WordPress id a
        later record reveals for the same URL or guid, unless a row has that id already. URLs
        compare without case: sources differ in the case of percent-escapes."""
        if not self.unkeyed_posts:
            return 0
        adopted = 0
        for post in posts:
            for column in ("url", "guid"):
                value = getattr(post, column)
                if value and self.conn.execute(
                        f"UPDATE posts SET wp_id = ? WHERE id = (SELECT id FROM posts WHERE site_id = ? "
                        f"AND wp_id IS NULL AND source != 'wxr' AND {column} = ? COLLATE NOCASE ORDER BY id LIMIT 1) "
                        "AND NOT EXISTS (SELECT 1 FROM posts WHERE site_id = ? AND wp_id = ?)",
                        (post.wp_id, self.site_id, value, self.site_id, post.wp_id)).rowcount:
                    adopted += 1
                    break
        return adopted

    def row_ids(self, table: str, wp_ids) -> dict[int, int]:
        """WordPress id -> archive id for rows of this site."""
        return dict(self.select_in(f"SELECT wp_id, id FROM {table} WHERE site_id = ? AND wp_id IN ({{}})",
                                   sorted(wp_ids)))

    def select_in(self, sql: str, values: list) -> list[tuple]:
        """Rows of `sql` (with `{}` where the IN list goes) for many values, in bounded lists."""
        rows = []
        for start in range(0, len(values), SQL_VARIABLES):
            part = values[start:start + SQL_VARIABLES]
            rows += self.conn.execute(sql.format(", ".join("?" * len(part))), (self.site_id, *part)).fetchall()
        return rows

    def _one(self, sql: str, *values):
        return self.conn.execute(sql, (self.site_id, *values)).fetchone()


def site_row(conn, key: str):
    return conn.execute("SELECT id FROM sites WHERE url_key = ?", (key,)).fetchone()
