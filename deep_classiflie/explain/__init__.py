"""The explain stage: integrated-gradients attributions and interpretation cards (JSON, PNG, HTML)."""
