"""Dataset stage: turn the store into balanced, leak-checked, chronologically split datasets."""
