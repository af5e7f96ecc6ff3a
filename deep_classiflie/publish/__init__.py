"""The publish stage: score new statements with the active model and publish the current-predictions feed."""
