"""The archive's schema files, shipped in the wheel as the package `importer.schema`.

This folder stays at the top of the repository as the single source of truth; pyproject.toml maps
the package onto it, and importer/archive/schema.py reads the files through importlib.resources.
"""
