"""The SQLite store of conversations and attachments, migrations, search, export and import. No Qt."""
