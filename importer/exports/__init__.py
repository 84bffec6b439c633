"""Export formats: one module per format the archive can be written back out as (wxr)."""
