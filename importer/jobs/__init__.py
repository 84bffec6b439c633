"""What a command does: import, scrape, sync (collect from a source, then apply to the archive)."""
