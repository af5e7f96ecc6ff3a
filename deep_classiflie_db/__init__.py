"""Everything that knows SQL: schema, migrations, named queries, importers and scrapers."""
