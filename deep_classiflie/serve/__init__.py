"""HTTP inference service (FastAPI): predictions with their confidence bucket's track record."""
