"""Writes batches into the store from one background thread, so parsing overlaps with the database's work."""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.engine import Engine

from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie_db.ingest.collect import LABEL_FIELDS, Batch
from deep_classiflie_db.queries import bulk
from deep_classiflie_db.queries import ingest as q

Done = tuple[int, int, int]  # statements inserted, duplicates, labels inserted


class BatchWriter:
    """One transaction per batch: speakers, statements (``INSERT … IGNORE``), their labels, the rejects."""

    def __init__(self, engine: Engine, *, source_id: int, run_id: int, config: IngestConfig) -> None:
        self.engine, self.source_id, self.run_id = engine, source_id, run_id
        self.speaker_ids: dict[str, int] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        self.pending: Future[Done] | None = None
        self.tmpdir: Path | None = None
        self.bulk_engine: Engine | None = None
        if config.mariadb_bulk == "load_data" and engine.dialect.name in ("mysql", "mariadb"):
            self.tmpdir = Path(tempfile.mkdtemp(prefix="dc_ingest_"))
            self.bulk_engine = bulk.loader_engine(engine, infile_dir=self.tmpdir)

    def submit(self, batch: Batch) -> Done:
        """Queue ``batch``; returns what the previous one did, once committed."""
        done = self.wait()
        self.pending = self.pool.submit(self._write, batch)
        return done

    def wait(self) -> Done:
        """Wait for the queued batch; re-raises its error."""
        if self.pending is None:
            return 0, 0, 0
        future, self.pending = self.pending, None
        return future.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        if self.bulk_engine is not None:
            self.bulk_engine.dispose()
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _write(self, batch: Batch) -> Done:
        engine = self.bulk_engine or self.engine
        infile = self.tmpdir / "batch.tsv" if self.bulk_engine is not None and self.tmpdir else None
        with engine.begin() as conn:
            new_names = {n for n in batch.speakers if n is not None and n not in self.speaker_ids}
            if new_names:
                self.speaker_ids.update(q.ensure_speakers(conn, names=new_names))
            sid, rid, ids_of = self.source_id, self.run_id, self.speaker_ids
            rows = [
                (sid, ids_of[name] if name else None, *row, rid)
                for row, name in zip(batch.rows, batch.speakers, strict=True)
            ]
            inserted = bulk.bulk_insert_statements(conn, rows, infile=infile)
            labels = 0
            if batch.labels:
                ids = q.statement_ids(conn, source_id=sid, external_ids=batch.labels)
                labels = bulk.insert_labels(
                    conn,
                    [
                        {"statement_id": ids[ext], **dict(zip(LABEL_FIELDS, lab, strict=True)), "ingest_run_id": rid}
                        for ext, lab in batch.labels.items()
                        if ext in ids
                    ],
                    infile=infile,
                )
            q.insert_rejects(conn, run_id=rid, rows=batch.rejects, source_id=sid)
        return inserted, len(rows) - inserted, labels
