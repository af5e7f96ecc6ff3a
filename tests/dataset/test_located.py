"""Falsehoods found inside transcripts, per-type (and month) convergence, the probe's source feature."""

from __future__ import annotations

from collections import Counter

import numpy as np

from deep_classiflie.config.dataset import DatasetConfig
from deep_classiflie.dataset.convergence import converge_by_strata
from deep_classiflie.dataset.leakage import leakage_report, metadata_features, origin
from deep_classiflie.dataset.located import matched_by_source, transcript_matches
from deep_classiflie.dataset.pipeline import filter_truths
from deep_classiflie.dataset.records import Member
from tests.dataset.helpers import rec

CLAIM = "We have the biggest tax cuts in the history of our country by far"
AROUND = "Thank you all for coming tonight. {} And the media will never say it, believe me, never."


def test_a_claim_inside_a_transcript_statement_is_that_falsehood() -> None:
    false = [rec(1, "2018-10-14", text=CLAIM, label=1, stype="interview")]
    truths = [
        rec(10, "2018-10-15", text=AROUND.format(CLAIM), stype="interview", meta={"source": "factbase_interviews"}),
        rec(11, "2018-10-30", text=AROUND.format(CLAIM), stype="interview", meta={"source": "factbase_interviews"}),
        rec(12, "2018-10-14", text=AROUND.format("The wall is going up fast in Texas."), stype="interview"),
        # the claim's second half starts this statement (a claim spanning two statements)
        rec(13, "2018-10-14", text="in the history of our country by far.", stype="speech", meta={"source": "miller"}),
    ]
    got = transcript_matches(truths, false, days=3, min_share=0.5)
    assert [(e.statement_id, e.matched_statement_id, e.reason) for e in got] == [
        (10, 1, "transcript_match"),  # inside, one day later
        (13, 1, "transcript_match"),  # 11: same text but 16 days later; 12: another claim
    ]
    assert got[0].distance == 0.0
    assert matched_by_source(got, truths) == {"factbase_interviews": 1, "miller": 1}


def test_one_shared_stock_phrase_does_not_match() -> None:
    false = [rec(1, "2018-10-14", text="believe me it is going to be great", label=1)]
    truth = rec(2, "2018-10-14", text="I think it is going to be great for the farmers, believe me")
    assert transcript_matches([truth], false, days=3, min_share=0.5) == []


def test_filter_reports_matches_per_source_and_excludes_them() -> None:
    cfg = DatasetConfig.model_validate({"filter": {"embedding": "none"}})
    false = [rec(1, "2018-10-14", text=CLAIM, label=1, stype="interview")]
    truths = [
        rec(10, "2018-10-14", text=AROUND.format(CLAIM), stype="interview", meta={"source": "factbase_interviews"}),
        rec(11, "2018-10-14", text=CLAIM, meta={"source": "tweets"}),
        rec(12, "2018-10-14", text="Something else entirely was said that day, folks.", meta={"source": "tweets"}),
    ]
    left, excl, stats = filter_truths(truths, false, cfg, None)
    assert [t.statement_id for t in left] == [12]
    assert {(e.statement_id, e.reason) for e in excl} == {(11, "hash"), (10, "transcript_match")}
    assert stats["transcript_match_by_source"] == {"factbase_interviews": 1}
    assert stats["hash_by_source"] == {"tweets": 1}
    off = DatasetConfig.model_validate({"filter": {"embedding": "none", "transcript_match": False}})
    assert [t.statement_id for t in filter_truths(truths, false, off, None)[0]] == [10, 12]


def test_convergence_runs_within_every_type() -> None:
    # tweets: short on both sides; interviews: long falsehoods, truths short and long
    false = [rec(i, words=10, label=1, stype="tweet") for i in range(4)]
    false += [rec(10 + i, words=40, label=1, stype="interview") for i in range(4)]
    truths = [rec(100 + i, words=10, stype="tweet") for i in range(8)]
    truths += [rec(200 + i, words=10, stype="interview") for i in range(20)]
    truths += [rec(300 + i, words=40, stype="interview") for i in range(8)]
    out = converge_by_strata(truths, false, stratum=lambda r: r.statement_type, ratio=2, seed=0)
    kept = Counter((r.statement_type, r.word_count) for r in out.truths)
    assert kept == {("tweet", 10): 8, ("interview", 40): 8}  # no short interview truths: they would give it away
    assert out.strata["interview"]["median_words_truths_before"] == 10.0
    assert out.strata["interview"]["median_words_truths_after"] == 40.0
    assert out.strata["interview"]["ks_after"] == 0.0 and out.ks_after == 0.0


def test_drop_falsehoods_keeps_every_cell_at_the_ratio() -> None:
    false = [rec(i, words=10, label=1, stype="speech") for i in range(6)]  # no speech truths at all
    false += [rec(10 + i, words=20, label=1, stype="tweet") for i in range(6)]
    truths = [rec(100 + i, words=20, stype="tweet") for i in range(9)]  # room for 4 falsehoods at 2:1
    out = converge_by_strata(truths, false, stratum=lambda r: r.statement_type, ratio=2, seed=0, drop_falsehoods=True)
    assert Counter(r.statement_type for r in out.falsehoods) == {"tweet": 4}
    assert len(out.truths) == 8
    again = converge_by_strata(truths, false, stratum=lambda r: r.statement_type, ratio=2, seed=0, drop_falsehoods=True)
    assert [r.statement_id for r in again.falsehoods] == [r.statement_id for r in out.falsehoods]


def test_probe_source_is_the_publication_origin() -> None:
    members = [
        Member(rec(1, meta={"origin": "factba.se", "source": "factbase_interviews"}), "train"),
        Member(rec(2, meta={"source": "toronto_star"}, label=1), "train"),
        Member(rec(3), "train"),
    ]
    assert [origin(m.record) for m in members] == ["factba.se", "toronto_star", "unknown"]
    x = metadata_features(members, ["tweet"], ["source"], ["factba.se", "toronto_star"])
    assert x.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]


def test_probe_catches_a_source_that_gives_the_label_away() -> None:
    rng = np.random.default_rng(0)
    members = []
    for i in range(200):
        label = int(i % 2)
        meta = {"origin": "youtube.com" if label else "factba.se"}
        split = "train" if i < 150 else "val"
        members.append(Member(rec(i, words=int(rng.integers(8, 40)), label=label, meta=meta), split))
    report = leakage_report(members, ["no", "yes"], features=["source"], auc_threshold=0.65, seed=0)
    assert report["metadata_probe"]["auc_val"] == 1.0 and report["metadata_probe"]["flag"] is True
    assert report["by_source"] == {"factba.se": {"no": 100, "yes": 0}, "youtube.com": {"no": 0, "yes": 100}}


def test_leakage_advice_says_what_data_would_fix_a_high_probe() -> None:
    from deep_classiflie.dataset.report import leakage_advice

    report = {
        "metadata_probe": {"auc_val": 0.9, "auc_threshold": 0.65},
        "by_split_type": {"test": {"interview": {"no": 0, "yes": 40}, "tweet": {"no": 9, "yes": 3}}},
        "steps": {"convergence": {"strata": {"rally/2018-10": {"truths_before": 0, "falsehoods_before": 50}}}},
        "by_source": {"youtube.com": {"no": 0, "yes": 30}, "twitter.com": {"no": 50, "yes": 20}},
    }
    advice = leakage_advice(report)
    assert advice[0].startswith("metadata alone reaches val AUC 0.9 (> 0.65)")
    assert "test: interview holds only yes: add the other class's interview statements" in advice
    assert any(a.startswith("rally falsehoods with no same-period rally transcripts (2018-10)") for a in advice)
    assert any(a.startswith("origin youtube.com holds only yes (30)") for a in advice)
    assert leakage_advice({**report, "metadata_probe": {"auc_val": 0.6, "auc_threshold": 0.65}}) == []


def test_a_located_falsehood_takes_its_transcripts_origin() -> None:
    from deep_classiflie.dataset.build import origin_of
    from deep_classiflie.dataset.located import located_origins

    false = [
        rec(1, "2018-10-14", text=CLAIM, label=1, stype="interview", meta={"origin": "youtube.com"}),
        rec(
            2,
            "2018-10-14",
            text="A claim no transcript holds, said on the radio.",
            label=1,
            meta={"origin": "wmal.com"},
        ),
    ]
    meta = {"source": "factbase_interviews", "origin": "factba.se"}
    truths = [rec(10, "2018-10-14", text=AROUND.format(CLAIM), stype="interview", meta=meta)]
    out = located_origins(false, transcript_matches(truths, false, days=3, min_share=0.5), truths)
    assert out[0].meta == {"origin": "factba.se", "located_in": "factbase_interviews"}
    assert out[1] is false[1]
    assert origin_of({}, "toronto_star", "https://www.whitehouse.gov/briefings/x") == "whitehouse.gov"
    assert origin_of({}, "toronto_star", None, "tweet") == "twitter.com"
    assert origin_of({}, "presidency_project", None, "interview") == "presidency.ucsb.edu"
