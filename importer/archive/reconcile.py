"""A full re-sync's verdict on what a blog no longer shows: marked with deleted_at, never removed."""


def mark_gone(conn, site_id: int, posts_by_type: dict[str, set[int]], comment_ids: set[int], now: str) -> int:
    """Mark archived public rows the site no longer shows; returns how many."""
    gone = 0
    for post_type, ids in posts_by_type.items():
        archived = conn.execute("SELECT id, wp_id FROM posts WHERE site_id = ? AND type = ? AND deleted_at IS NULL "
                                "AND status IN ('publish', 'inherit')", (site_id, post_type)).fetchall()
        missing = [row_id for row_id, wp_id in archived if wp_id not in ids]
        conn.executemany("UPDATE posts SET deleted_at = ? WHERE id = ?", [(now, i) for i in missing])
        gone += len(missing)
    archived = conn.execute("SELECT c.id, c.wp_id FROM comments c JOIN posts p ON p.id = c.post_id "
                            "WHERE c.site_id = ? AND c.deleted_at IS NULL AND c.status = 'approved' "
                            "AND c.type = 'comment' AND coalesce(p.password, '') = ''", (site_id,)).fetchall()
    missing = [row_id for row_id, wp_id in archived if wp_id not in comment_ids]
    conn.executemany("UPDATE comments SET deleted_at = ? WHERE id = ?", [(now, i) for i in missing])
    return gone + len(missing)
