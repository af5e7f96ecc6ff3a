"""The hybrid head's feature block: TF-IDF + metadata through the model folder, and old folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from deep_classiflie.core.errors import ModelError
from deep_classiflie.model.classifier import build_model, load_classifier, save_model_folder
from deep_classiflie.model.head import ClassifierHead, HeadConfig
from deep_classiflie.model.sparse import (
    EXTRA_CONFIG_FILE,
    ExtraFeatures,
    TfidfSettings,
    decode_meta,
    encode_meta,
    fit_extra_features,
)

NAMES = ("party=democrat", "party=republican", "party=<other>", "credit.0", "credit.1")


def test_meta_encoding_matches_the_dataset_stage_and_decodes_back() -> None:
    rows = [
        {"party": "Democrat", "credit": [1, 3]},
        {"party": "green"},
        {"party": "republican", "credit": {"0": 0, "1": 9}},
    ]
    block = encode_meta(rows, NAMES)
    expected = [
        [1, 0, 0, np.log1p(1), np.log1p(3)],
        [0, 0, 1, 0, 0],
        [0, 1, 0, 0, np.log1p(9)],
    ]
    np.testing.assert_allclose(block, expected, rtol=1e-6)
    np.testing.assert_allclose(encode_meta(decode_meta(block, NAMES), NAMES), block, rtol=1e-5, atol=1e-6)


def test_tfidf_round_trip_through_the_folder_gives_the_same_features(tmp_path: Path) -> None:
    texts = ["the tax cut is the biggest", "fake news media", "the wall is great", "fake news tax"]
    feats = fit_extra_features(texts, tfidf=TfidfSettings(min_df=1), meta_names=NAMES)
    meta = [{"party": "democrat"}, {}, {"party": "republican", "credit": [2, 2]}, {"party": "x"}]
    before = feats.transform([*texts, "unseen words tax"], [*meta, {}]).toarray()
    feats.save(tmp_path)
    assert not list(tmp_path.glob("*.pkl")) and json.loads((tmp_path / EXTRA_CONFIG_FILE).read_text())["meta_names"]
    again = ExtraFeatures.load(tmp_path)
    assert again is not None and again.dim == feats.dim == len(feats.vocabulary) + len(NAMES)
    np.testing.assert_array_equal(again.transform([*texts, "unseen words tax"], [*meta, {}]).toarray(), before)
    # the sklearn features themselves (vocabulary + idf): the same as a fresh fit on the same texts
    from sklearn.feature_extraction.text import TfidfVectorizer

    ref = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1).fit(texts).transform(texts).toarray()
    np.testing.assert_allclose(before[:4, : feats.tfidf_dim], ref, rtol=1e-6)


def test_a_folder_without_extra_features_has_none(tmp_path: Path) -> None:
    assert ExtraFeatures.load(tmp_path) is None


def test_hybrid_head_in_a_folder_predicts_the_same_after_reload(
    tmp_path: Path, tiny_encoder_path: Path, tiny_splits
) -> None:
    train, val = tiny_splits["train"], tiny_splits["val"]
    feats = fit_extra_features(train.texts, tfidf=TfidfSettings(min_df=1))
    model, tokenizer = build_model(
        tiny_encoder_path, HeadConfig(input_dim=32, hidden_dim=16, max_length=32, extra_dim=feats.dim)
    )
    with torch.no_grad():
        model.head.extra_linear.weight.normal_()
    folder = tmp_path / "model"
    save_model_folder(folder, model.eval(), tokenizer, train_config={}, dataset={}, featurizer=feats)
    clf = load_classifier(folder)
    assert clf.featurizer is not None and clf.head_config.extra_dim == feats.dim
    probs = clf.predict_proba(val.texts, val.type_ids)
    # by hand: the in-memory model with the block computed before saving
    batch = tokenizer(val.texts, padding=True, return_tensors="pt")
    extra = torch.from_numpy(feats.transform(val.texts).toarray())
    with torch.no_grad():
        logits = model(batch["input_ids"], batch["attention_mask"], torch.as_tensor(val.type_ids), extra=extra)
    np.testing.assert_allclose(probs[:, 1], torch.sigmoid(logits).numpy(), atol=1e-5)
    # the TF-IDF half matters: without it (extra = 0) the predictions differ
    with torch.no_grad():
        zero = model(batch["input_ids"], batch["attention_mask"], torch.as_tensor(val.type_ids), extra=0 * extra)
    assert not np.allclose(torch.sigmoid(zero).numpy(), probs[:, 1], atol=1e-4)


def test_an_old_folder_without_extra_features_still_loads_and_predicts(
    tmp_path: Path, tiny_encoder_path: Path, tiny_splits
) -> None:
    model, tokenizer = build_model(tiny_encoder_path, HeadConfig(input_dim=32, hidden_dim=16, max_length=32))
    folder = tmp_path / "old"
    save_model_folder(folder, model.eval(), tokenizer, train_config={}, dataset={})
    # an old head_config.json has no extra_dim key
    cfg = json.loads((folder / "head_config.json").read_text())
    cfg.pop("extra_dim")
    (folder / "head_config.json").write_text(json.dumps(cfg))
    clf = load_classifier(folder)
    val = tiny_splits["val"]
    assert clf.extra_features(val.texts, val.type_ids) is None and clf.thresholds == {}
    assert clf.predict_proba(val.texts, val.type_ids).shape == (len(val), 2)
    assert clf.threshold_for("tweet") == 0.5


def test_a_hybrid_head_without_its_block_is_a_clear_error() -> None:
    head = ClassifierHead(HeadConfig(input_dim=4, hidden_dim=3, extra_dim=5))
    with pytest.raises(ModelError, match="needs the extra feature block"):
        head(torch.randn(2, 4), torch.tensor([0, 1]))
    with pytest.raises(ModelError, match="5"):
        head(torch.randn(2, 4), torch.tensor([0, 1]), extra=torch.randn(2, 7))
