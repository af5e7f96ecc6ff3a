"""One router per resource: predictions, explanations, model versions, health and metrics."""
