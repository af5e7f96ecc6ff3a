"""The model: head shapes, loss, HF-style folder round trip, the exposed embedding layer and pooled vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from deep_classiflie.core.errors import ModelError
from deep_classiflie.model.classifier import build_model, load_classifier, save_model_folder
from deep_classiflie.model.head import ClassifierHead, HeadConfig, classification_loss, probabilities


def test_binary_label_smoothing_targets() -> None:
    # With smoothing s, the targets are s/2 and 1 - s/2: a logit at that target's logit is the minimum.
    s = 0.17
    target_logit = torch.logit(torch.tensor(1 - s / 2))
    grad_at = torch.tensor([float(target_logit)], requires_grad=True)
    classification_loss(grad_at, torch.tensor([1]), num_classes=2, label_smoothing=s).backward()
    assert abs(float(grad_at.grad[0])) < 1e-6


@pytest.mark.parametrize("num_classes,shape", [(2, (4,)), (3, (4, 3))], ids=["binary", "three-class"])
def test_head_output_shapes(num_classes: int, shape: tuple[int, ...]) -> None:
    head = ClassifierHead(HeadConfig(input_dim=6, num_classes=num_classes, hidden_dim=5))
    logits = head(torch.randn(4, 6), torch.tensor([0, 1, 0, 1]))
    assert logits.shape == shape
    probs = probabilities(logits, num_classes)
    assert probs.shape == (4, num_classes)
    assert torch.allclose(probs.sum(-1), torch.ones(4))


def test_save_load_round_trip_gives_identical_predictions(tmp_path: Path, tiny_encoder_path: Path, tiny_splits) -> None:
    model, tokenizer = build_model(tiny_encoder_path, HeadConfig(input_dim=32, hidden_dim=16, max_length=32))
    folder = tmp_path / "model"
    sha = save_model_folder(folder, model.eval(), tokenizer, train_config={"x": 1}, dataset={"hash": "abc"})
    assert len(sha) == 64
    assert {"config.json", "model.safetensors", "head_config.json", "train_config.json", "dataset.json"} <= {
        p.name for p in folder.iterdir()
    }
    split = tiny_splits["val"]
    clf = load_classifier(folder)
    again = load_classifier(folder)
    first = clf.predict_proba(split.texts, split.type_ids)
    assert first.shape == (len(split), 2)
    np.testing.assert_array_equal(first, again.predict_proba(split.texts, split.type_ids))
    # The same as the in-memory model before saving.
    batch = tokenizer(split.texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        direct = probabilities(model(batch["input_ids"], batch["attention_mask"], torch.as_tensor(split.type_ids)), 2)
    np.testing.assert_allclose(first, direct.numpy(), atol=1e-5)


def test_model_exposes_embeddings_and_pooled_vector(tiny_encoder_path: Path) -> None:
    model, tokenizer = build_model(tiny_encoder_path, HeadConfig(input_dim=32, hidden_dim=16))
    model.eval()
    batch = tokenizer(["fake news", "great jobs"], padding=True, return_tensors="pt")
    embeds = model.input_embeddings()(batch["input_ids"])
    types = torch.tensor([0, 1])
    via_ids = model(batch["input_ids"], batch["attention_mask"], types)
    via_embeds = model(None, batch["attention_mask"], types, inputs_embeds=embeds)
    assert torch.allclose(via_ids, via_embeds, atol=1e-6)
    assert model.pooled(batch["input_ids"], batch["attention_mask"]).shape == (2, 32)
    assert model.features(batch["input_ids"], batch["attention_mask"], types).shape == (2, 16)


def test_loading_a_folder_without_head_config_names_the_file(tiny_encoder_path: Path) -> None:
    with pytest.raises(ModelError, match=r"head_config\.json"):
        load_classifier(tiny_encoder_path)


@pytest.mark.pretrained
def test_pretrained_minilm_head_predicts(tmp_path: Path) -> None:
    from deep_classiflie.model.encoder import default_encoder_path

    model, tokenizer = build_model(None, HeadConfig(input_dim=384))
    save_model_folder(tmp_path / "m", model.eval(), tokenizer, train_config={}, dataset={})
    clf = load_classifier(tmp_path / "m")
    probs = clf.predict_proba(["The economy is the best it has ever been.", "Thank you!"], np.array([0, 1]))
    assert probs.shape == (2, 2) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert default_encoder_path().is_dir()
