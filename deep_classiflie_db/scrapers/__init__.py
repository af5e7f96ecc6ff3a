"""Live sources: a fact-check claims database, a transcript site and a tweet timeline.

Each scraper fetches through the shared, polite and guarded HTTP layer (:mod:`.http`), parses
with pure functions, and writes through the ingest pipeline, incrementally by watermark.
``registry.SCRAPERS`` maps the ``ingest --source`` names to the scrapers.
"""
