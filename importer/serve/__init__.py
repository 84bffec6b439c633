"""Reading an archive in Datasette: settings from schema/metadata.json, and the plugin."""
