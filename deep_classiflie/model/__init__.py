"""Encoders and classification heads."""
