"""Importers: pure parsers (bytes → records or rejects) per source family, one generic writer, a registry.

``pipeline.run_ingest`` writes any stream of :class:`~deep_classiflie_db.ingest.pipeline.StatementRecord`
into the store; ``registry.import_source`` picks the parser and default path of a named source.
"""
