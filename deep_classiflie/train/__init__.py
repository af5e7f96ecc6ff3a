"""Train stage: feature cache, head on cached features, thaw-schedule fine-tuning, SWA, checkpoints."""
