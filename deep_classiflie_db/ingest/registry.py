"""Named sources: which parser reads them, where their files are by default, and :func:`import_source`.

A path may be given (``--path``), set per source (``ingest.paths.<name>``), or default to the folder under
``paths.shared_data``. Folder sources read every matching file in name order; a single file works too.
Names not known here fall back to the live scrapers (``deep_classiflie_db.scrapers.registry.SCRAPERS``).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from deep_classiflie.config import Config
from deep_classiflie.config.ingest import IngestConfig
from deep_classiflie.core.errors import DataSourceError
from deep_classiflie_db.ingest import benchmarks, dedupe, interviews, labels, transcripts, tweets
from deep_classiflie_db.ingest.pipeline import IngestReport, SourceSpec, run_ingest
from deep_classiflie_db.queries import ingest_overlap

Files = list[tuple[str, bytes]]
PARSE_IN_CHILD_BYTES = 1 << 20  # below this, forking costs more than it saves


@dataclass(frozen=True)
class SourceDef:
    """A file source: its spec, default location under shared data, file pattern and parser."""

    spec: SourceSpec
    default: str | None  # relative to paths.shared_data; None: the user must give a path
    pattern: str | None  # glob inside a folder; None: a single file
    parse: Callable[..., Iterator[Any]]  # (data | files, config=…) → records, rejects, skips
    # Label sources holding the same claims: a (day, text) already labelled there (or earlier in this
    # input) is skipped, so the same statement on the same date is one label.
    labels_shared_with: tuple[str, ...] = ()
    # Transcript sources holding the same events: a document that repeats a stored one is skipped whole.
    events_shared_with: tuple[str, ...] = ()


def _single(parser: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """Adapt a one-file parser (``data, config, name``) to the list of files a source reads."""

    def parse(files: Files, *, config: IngestConfig) -> Iterator[Any]:
        for name, data in files:
            yield from parser(data, config=config, name=name)

    return parse


SOURCES: dict[str, SourceDef] = {
    d.spec.name: d
    for d in [
        SourceDef(
            SourceSpec("toronto_star", "label_source", "Toronto Star: Trump false claims 2017-01..2018-07"),
            "toronto_star_trump_false_claims_2017_2018/liar.csv",
            None,
            _single(labels.parse_toronto_star),
            labels_shared_with=("toronto_star_full",),
        ),
        SourceDef(
            SourceSpec(
                "toronto_star_full", "label_source", "Toronto Star: Trump false claims 2017-01..2018-12 (full list)"
            ),
            "toronto_star_trump_false_claims_2017_2018_full/claims.csv",
            None,
            _single(labels.parse_toronto_star_full),
            labels_shared_with=("toronto_star",),
        ),
        SourceDef(
            SourceSpec("cnn", "label_source", "CNN Facts First: Trump false claims 2019-07..2019-09"),
            "cnn_trump_false_claims_2019/fcheck_temp.csv",
            None,
            _single(labels.parse_cnn),
        ),
        SourceDef(
            SourceSpec("generic_labels", "label_source", "a fact-check export mapped by ingest.generic_labels"),
            None,
            None,
            _single(labels.parse_generic_labels),
        ),
        SourceDef(
            SourceSpec("tweets", "statement_stream", "Trump Twitter Archive condensed JSON"),
            "trump_tweets_condensed_2009_2019",
            "condensed_*.json",
            tweets.parse_tweets,
        ),
        SourceDef(
            SourceSpec("tweets_csv", "statement_stream", "tweet archive CSV (id,text,date,isRetweet)"),
            None,
            "*.csv",
            _single(tweets.parse_tweets_csv),
        ),
        SourceDef(
            SourceSpec("campaign_corpus", "statement_stream", "Trump Campaign Corpus 2015-16 transcripts"),
            "trump_campaign_corpus_2015_2016/text",
            "*.txt",
            transcripts.parse_campaign_corpus,
        ),
        SourceDef(
            SourceSpec("rally_speeches", "statement_stream", "Trump rally speeches 2019-20"),
            "trump_rally_speeches_2019_2020/speeches",
            "*.txt",
            transcripts.parse_rally_speeches,
        ),
        SourceDef(
            SourceSpec("miller_center", "statement_stream", "Miller Center presidential speeches (Trump)"),
            "miller_center_trump_presidential_speeches/txt",
            "*.txt",
            transcripts.parse_miller_center,
        ),
        SourceDef(
            SourceSpec(
                "factbase_interviews", "statement_stream", "factba.se Trump interviews 2017-18 (dated segments)"
            ),
            "factbase_trump_interviews_2017_2018",
            "**/*",
            interviews.parse_factbase,
            events_shared_with=("presidency_project",),
        ),
        SourceDef(
            SourceSpec("miller_center_2017_2018", "statement_stream", "Miller Center Trump speeches 2017-01..2018-02"),
            "miller_center_trump_speeches_2017_2018/txt",
            "*.txt",
            transcripts.parse_miller_2017_2018,
        ),
        SourceDef(
            SourceSpec(
                "presidency_project",
                "statement_stream",
                "American Presidency Project: Trump interviews, weekly addresses, news conferences 2017-18",
            ),
            "presidency_project_trump_2017_2018/documents.jsonl",
            None,
            interviews.parse_presidency_project,
            events_shared_with=("factbase_interviews",),
        ),
        SourceDef(
            SourceSpec("liar", "benchmark", "LIAR (Wang 2017), PolitiFact 6-way labels"),
            "liar",
            "*.tsv",
            benchmarks.parse_liar_files,
        ),
        SourceDef(
            SourceSpec("mediaeval", "benchmark", "MediaEval 2020 FakeNews (5G/corona conspiracy), dev set"),
            "mediaeval2020_fakenews/train.csv",
            None,
            _single(benchmarks.parse_mediaeval),
        ),
        SourceDef(
            SourceSpec("fakenewsnet", "benchmark", "FakeNewsNet PolitiFact headlines (partial)"),
            "fakenewsnet_politifact_partial",
            "politifact_*.csv",
            benchmarks.parse_fakenewsnet,
        ),
    ]
}
SOURCE_NAMES: tuple[str, ...] = tuple(SOURCES)


def scrapers() -> dict[str, Callable[[Engine, Config], IngestReport]]:
    """The live scrapers, when that package is installed (imported lazily: it needs extra dependencies)."""
    try:
        module = importlib.import_module("deep_classiflie_db.scrapers.registry")
    except ImportError:
        return {}
    found = getattr(module, "SCRAPERS", None)
    return dict(found) if isinstance(found, dict) else {}


def resolve_path(name: str, path: Path | None, config: Config) -> Path:
    """The input path of source ``name``: given, configured, or the default under ``paths.shared_data``."""
    source = SOURCES[name]
    chosen = path or config.ingest.paths.get(name)
    if chosen is None:
        if source.default is None:
            raise DataSourceError(
                f"source {name!r} has no default input",
                hint=f"give the file with --path, or set ingest.paths.{name}",
            )
        chosen = config.paths.shared_data / source.default
    if not chosen.exists():
        raise DataSourceError(
            f"input of source {name!r} not found at {chosen}",
            hint=f"pass --path, set ingest.paths.{name}, or point paths.shared_data at the shared data folder",
        )
    return chosen


def read_files(path: Path, pattern: str | None) -> tuple[Files, str]:
    """The files to parse (name, bytes) in name order and one sha256 over all of them."""
    if path.is_dir():
        found = sorted(p for p in path.glob(pattern or "*") if p.is_file())
        if not found:
            raise DataSourceError(f"no {pattern or 'files'} in {path}", hint="check the folder given with --path")
    else:
        found = [path]
    files: Files = []
    digest = hashlib.sha256()
    try:
        for p in found:
            data = p.read_bytes()
            files.append((p.name, data))
            if len(found) > 1:
                digest.update(p.name.encode("utf-8", errors="surrogateescape") + b"\0")
                digest.update(hashlib.sha256(data).digest())
            else:
                digest.update(data)
    except OSError as exc:
        raise DataSourceError(f"cannot read {exc.filename}: {exc.strerror}", hint="check its permissions") from None
    return files, digest.hexdigest()


def shared_filters(engine: Engine, source: SourceDef, records: Iterator[Any], *, config: IngestConfig) -> Iterator[Any]:
    """``records`` behind the source's cross-source filters (what the sharing sources hold is read now,
    before any parsing, so a forked parser needs no store)."""
    if source.labels_shared_with:
        with engine.connect() as conn:
            known = ingest_overlap.labelled_keys(conn, source_names=source.labels_shared_with)
        records = dedupe.skip_known_labels(records, known, rules=config.normalise, where=source.spec.name)
    if source.events_shared_with:
        with engine.connect() as conn:
            rows = ingest_overlap.document_texts(conn, source_names=source.events_shared_with)
        records = dedupe.skip_same_events(records, dedupe.stored_events(rows))
    return records


def unknown_source(name: str, known: list[str]) -> DataSourceError:
    """The error for a misspelt source name, with the closest valid one."""
    close = difflib.get_close_matches(name, known, n=1)
    hint = (f"did you mean {close[0]!r}? " if close else "") + f"valid sources: {', '.join(known)}"
    return DataSourceError(f"unknown source {name!r}", hint=hint)


def import_source(
    engine: Engine,
    name: str,
    *,
    path: Path | None,
    config: Config,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Import one named source (a file source, else a live scraper) and return its report."""
    if name not in SOURCES:
        live = scrapers()
        if name in live:
            return live[name](engine, config)
        raise unknown_source(name, [*SOURCE_NAMES, *sorted(live)])
    source = SOURCES[name]
    where = resolve_path(name, path, config)
    files, sha256 = read_files(where, source.pattern)
    size = sum(len(data) for _, data in files)
    return run_ingest(
        engine,
        source=source.spec,
        records=shared_filters(engine, source, source.parse(files, config=config.ingest), config=config.ingest),
        config=config.ingest,
        location=str(where),
        sha256=sha256,
        on_batch=on_batch,
        parse_in_child=config.ingest.parse_in_subprocess and size >= PARSE_IN_CHILD_BYTES,
    )
