"""A fleet: many sites, one archive file each, synced on one machine or through Celery workers."""
