"""Shared core: errors, typed configuration, paths and progress reporting."""
