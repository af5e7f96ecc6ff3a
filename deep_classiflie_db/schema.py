"""The store's schema: SQLAlchemy Core tables, identical on SQLite and MariaDB (utf8mb4).

Alembic migrations under ``migrations/versions`` create exactly these tables; a test compares
the migrated database with this metadata so the two cannot drift apart.

Sections are grouped by pipeline stage so that each stage adds its tables in its own block.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

# MariaDB needs explicit lengths on indexed strings; 191 chars keeps utf8mb4 keys under 767 bytes.
KEY = 191
MARIADB_TABLE_ARGS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}
# Long texts: TEXT holds 64 KiB on MariaDB; MEDIUMTEXT there, TEXT elsewhere.
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql")
# Microsecond precision on MariaDB (DATETIME defaults to whole seconds there).
Stamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")

# ---------------------------------------------------------------- ingest: who said it, where it came from

speakers = sa.Table(
    "speakers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(KEY), nullable=False, unique=True),
    **MARIADB_TABLE_ARGS,
)

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(KEY), nullable=False, unique=True),
    # label_source | statement_stream | benchmark
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("url", sa.String(1000)),
    **MARIADB_TABLE_ARGS,
)

ingest_runs = sa.Table(
    "ingest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False, index=True),
    sa.Column("location", sa.Text),  # file path or URL read
    sa.Column("sha256", sa.String(64)),  # of the file read, when a file
    sa.Column("started_at", Stamp, nullable=False),
    sa.Column("ended_at", Stamp),
    # running | ok | failed | interrupted (killed; found by a later run of the source on the same host)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("n_read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_inserted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_duplicate", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("watermark", sa.String(KEY)),  # latest date/id seen, for incremental runs
    sa.Column("message", sa.Text),
    **MARIADB_TABLE_ARGS,
)

rejects = sa.Table(
    "rejects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ingest_run_id", sa.Integer, sa.ForeignKey("ingest_runs.id"), nullable=False, index=True),
    sa.Column("location", sa.String(KEY), nullable=False),  # e.g. "train.tsv:1234"
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", LongText),
    # 0008: a reject is stored once per input (source + sha256 of the rejected line), however often it is re-read
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id")),
    sa.Column("line_hash", sa.String(64)),
    sa.UniqueConstraint("source_id", "line_hash"),
    **MARIADB_TABLE_ARGS,
)

statements = sa.Table(
    "statements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False),
    sa.Column("speaker_id", sa.Integer, sa.ForeignKey("speakers.id")),
    sa.Column("external_id", sa.String(KEY), nullable=False),
    sa.Column("text", LongText, nullable=False),
    # sha256 of the normalised text; matched in memory by the dataset stage, so not indexed (an index on
    # it cost a third of the import time)
    sa.Column("text_hash", sa.String(64), nullable=False),
    sa.Column("statement_date", Stamp),
    sa.Column("statement_type", sa.String(32), nullable=False),  # tweet | speech | remarks | …
    sa.Column("word_count", sa.Integer, nullable=False),
    sa.Column("is_retweet", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("meta", sa.JSON),
    sa.Column("ingest_run_id", sa.Integer, sa.ForeignKey("ingest_runs.id")),
    sa.UniqueConstraint("source_id", "external_id"),
    # the candidate query's access path (a speaker's statements in a date range); also serves the speaker FK
    sa.Index("ix_statements_speaker_date", "speaker_id", "statement_date"),
    **MARIADB_TABLE_ARGS,
)

fact_check_labels = sa.Table(
    "fact_check_labels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("statement_id", sa.Integer, sa.ForeignKey("statements.id"), nullable=False),
    sa.Column("rating_source", sa.String(64), nullable=False),  # who rated it: toronto_star, cnn, politifact…
    sa.Column("source_label", sa.String(64), nullable=False),  # on the rater's own scale
    sa.Column("label_class", sa.Integer, nullable=False),  # mapped class of the task (1 = falsehood)
    sa.Column("correction", LongText),
    sa.Column("url", sa.Text),
    sa.Column("labelled_at", Stamp),
    sa.Column("ingest_run_id", sa.Integer, sa.ForeignKey("ingest_runs.id")),
    sa.UniqueConstraint("statement_id", "rating_source"),
    **MARIADB_TABLE_ARGS,
)

# ---------------------------------------------------------------- dataset

dataset_collections = sa.Table(
    "dataset_collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(KEY), nullable=False),
    sa.Column("task", sa.String(64), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),  # per split and class
    sa.Column("report", sa.JSON),  # leakage / balance report
    sa.Column("created_at", Stamp, nullable=False),
    **MARIADB_TABLE_ARGS,
)

dataset_members = sa.Table(
    "dataset_members",
    metadata,
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("dataset_collections.id"), primary_key=True),
    sa.Column("statement_id", sa.Integer, sa.ForeignKey("statements.id"), primary_key=True),
    sa.Column("split", sa.String(8), nullable=False),  # train | val | test
    sa.Column("label", sa.Integer, nullable=False),
    sa.Column("copies", sa.Integer, nullable=False, server_default="1"),  # oversampling in train
    **MARIADB_TABLE_ARGS,
)

dataset_exclusions = sa.Table(
    "dataset_exclusions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("dataset_collections.id"), nullable=False, index=True),
    sa.Column("statement_id", sa.Integer, sa.ForeignKey("statements.id"), nullable=False),
    sa.Column("matched_statement_id", sa.Integer, sa.ForeignKey("statements.id")),
    sa.Column("reason", sa.String(32), nullable=False),  # hash | embedding_base | embedding_tuned | …
    sa.Column("distance", sa.Float),
    **MARIADB_TABLE_ARGS,
)

# ---------------------------------------------------------------- train

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(KEY), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),  # head_on_cached_features | finetuned
    sa.Column("task", sa.String(64), nullable=False),
    sa.Column("encoder", sa.String(1000), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("weights_sha256", sa.String(64), nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("dataset_collection_id", sa.Integer, sa.ForeignKey("dataset_collections.id")),
    sa.Column("created_at", Stamp, nullable=False),
    # 0004 (accuracy): decision threshold per statement type chosen on validation ({"tweet": t, …}; NULL:
    # 0.5 everywhere) and the extra blocks the head reads (["tfidf", "meta"]; NULL: the encoder's vector only).
    sa.Column("thresholds", sa.JSON),
    sa.Column("head_features", sa.JSON),
    sa.UniqueConstraint("name"),
    **MARIADB_TABLE_ARGS,
)

# ---------------------------------------------------------------- evaluate

predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("statement_id", sa.Integer, sa.ForeignKey("statements.id"), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),  # of the positive class (falsehood)
    sa.Column("predicted_label", sa.Integer, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),  # max(p, 1 - p)
    sa.Column("created_at", Stamp, nullable=False),
    sa.UniqueConstraint("model_version_id", "statement_id"),
    **MARIADB_TABLE_ARGS,
)

metric_history = sa.Table(
    "metric_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False, index=True),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("dataset_collections.id")),
    sa.Column("split", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(64), nullable=False),  # all | tweet | non_tweet | bucket:N …
    sa.Column("metric", sa.String(64), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("ci_low", sa.Float),
    sa.Column("ci_high", sa.Float),
    sa.Column("created_at", Stamp, nullable=False),
    **MARIADB_TABLE_ARGS,
)

# Confidence buckets (NTILE over max(p, 1 - p)) of a model version, for bucket_for() lookups.
confidence_buckets = sa.Table(
    "confidence_buckets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("dataset_collections.id")),
    sa.Column("split", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),  # all | tweet | non_tweet
    sa.Column("bucket", sa.Integer, nullable=False),  # 1 = least confident
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("min_confidence", sa.Float, nullable=False),
    sa.Column("max_confidence", sa.Float, nullable=False),
    sa.Column("accuracy", sa.Float),
    sa.Column("ppv", sa.Float),
    sa.Column("npv", sa.Float),
    sa.Column("ppr", sa.Float),
    sa.Column("npr", sa.Float),
    sa.Column("tp_ratio", sa.Float),
    sa.Column("tn_ratio", sa.Float),
    sa.Column("fp_ratio", sa.Float),
    sa.Column("fn_ratio", sa.Float),
    sa.Column("mean_word_count", sa.Float),
    sa.Column("created_at", Stamp, nullable=False),
    sa.UniqueConstraint("model_version_id", "split", "scope", "bucket"),
    **MARIADB_TABLE_ARGS,
)

# Post-hoc calibration fitted for a model version (also written as calibration.json next to it).
model_calibrations = sa.Table(
    "model_calibrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("method", sa.String(32), nullable=False),  # temperature
    sa.Column("temperature", sa.Float, nullable=False),
    sa.Column("fitted_on", sa.String(16), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("nll_before", sa.Float),
    sa.Column("nll_after", sa.Float),
    sa.Column("ece_before", sa.Float),
    sa.Column("ece_after", sa.Float),
    sa.Column("created_at", Stamp, nullable=False),
    sa.UniqueConstraint("model_version_id", "method"),
    **MARIADB_TABLE_ARGS,
)

# ---------------------------------------------------------------- explain

# Which statements were explained with which model version: the card's JSON and the files rendered from it.
# One row per (model version, statement) or, for free text with no statement id, per (model version, text hash);
# explaining again updates the row in place.
explanations = sa.Table(
    "explanations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("statement_id", sa.Integer, sa.ForeignKey("statements.id")),  # NULL for free text
    sa.Column("text_hash", sa.String(64), nullable=False),
    sa.Column("card", sa.JSON, nullable=False),  # card JSON, schema 1
    sa.Column("files", sa.JSON, nullable=False),  # format -> path of the rendered file
    sa.Column("created_at", Stamp, nullable=False),
    # one card per stored statement and model version (NULLs are distinct: free texts are matched by hash in code)
    sa.UniqueConstraint("model_version_id", "statement_id"),
    sa.Index("ix_explanations_statement_id", "statement_id"),
    **MARIADB_TABLE_ARGS,
)

# ---------------------------------------------------------------- serve

# Every activation of a model version (``POST /v1/models/{id}/activate``); the newest row is the active model,
# which ``load_registered(engine, None)`` (service, publisher, bot) resolves to.
model_activations = sa.Table(
    "model_activations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("activated_at", Stamp, nullable=False),
    **MARIADB_TABLE_ARGS,
)

# Predictions answered over the API (optional, ``serve.recording.enabled``): free text has no statement id,
# so the text is kept by hash only.
api_predictions = sa.Table(
    "api_predictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("text_hash", sa.String(64), nullable=False),
    sa.Column("statement_type", sa.String(32), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("predicted_label", sa.Integer, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Index("ix_api_predictions_model_version_id_created_at", "model_version_id", "created_at"),
    **MARIADB_TABLE_ARGS,
)

# ---------------------------------------------------------------- publish

publications = sa.Table(
    "publications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("prediction_id", sa.Integer, sa.ForeignKey("predictions.id"), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),  # site | bot | api
    sa.Column("external_id", sa.String(KEY)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("payload", sa.JSON),
    sa.Column("published_at", Stamp, nullable=False),
    sa.UniqueConstraint("prediction_id", "channel"),
    **MARIADB_TABLE_ARGS,
)

# Every feed document the publisher handed to a sink (a local file, IPFS): where it went, what it held, and
# whether it is the sink's current copy. Rows are written before the sink is touched (status "writing"), so a
# copy left behind by a crash (an IPFS pin nobody recorded) is found and retired by the next run.
feed_snapshots = sa.Table(
    "feed_snapshots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sink", sa.String(32), nullable=False),  # file | ipfs
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("location", sa.Text, nullable=False),  # file path or IPFS CID
    sa.Column("sha256", sa.String(64), nullable=False),  # of the feed document's bytes
    sa.Column("n_items", sa.Integer, nullable=False),
    sa.Column("last_publication_id", sa.Integer),  # newest publications row the document reflects
    sa.Column("status", sa.String(16), nullable=False),  # writing | current | stale | retired
    sa.Column("created_at", Stamp, nullable=False),
    sa.Index("ix_feed_snapshots_sink_status", "sink", "status"),
    **MARIADB_TABLE_ARGS,
)

# ---------------------------------------------------------------- bot

# One row per (model version, statement) the bot has analysed: what it predicted and what the publish rule said.
bot_analyses = sa.Table(
    "bot_analyses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("statement_id", sa.Integer, sa.ForeignKey("statements.id"), nullable=False),
    sa.Column("prediction_id", sa.Integer, sa.ForeignKey("predictions.id")),  # NULL: ruled out before predicting
    sa.Column("probability", sa.Float),
    sa.Column("predicted_label", sa.Integer),
    sa.Column("threshold", sa.Float),
    sa.Column("bucket", sa.Integer),
    sa.Column("bucket_n", sa.Integer),
    sa.Column("bucket_ppv", sa.Float),
    sa.Column("decision", sa.String(16), nullable=False),  # post | skip
    sa.Column("rule", sa.String(64), nullable=False),  # the rule that said no (or "publish")
    sa.Column("detail", sa.Text),
    sa.Column("created_at", Stamp, nullable=False),
    sa.UniqueConstraint("model_version_id", "statement_id"),
    **MARIADB_TABLE_ARGS,
)

# The exactly-once outbox: written (pending) before anything is sent, completed (posted) after the network answered.
bot_outbox = sa.Table(
    "bot_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("analysis_id", sa.Integer, sa.ForeignKey("bot_analyses.id"), nullable=False, unique=True),
    sa.Column("network", sa.String(32), nullable=False),  # dry_run | twitter | mastodon
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("card_file", sa.Text),
    sa.Column("media_id", sa.String(KEY)),
    sa.Column("post_id", sa.String(KEY)),
    sa.Column("status", sa.String(16), nullable=False),  # pending | posted | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("posted_at", Stamp),
    sa.Index("ix_bot_outbox_status", "status"),
    **MARIADB_TABLE_ARGS,
)
