"""The bot stage: ingest on a schedule, analyse new statements with the active model, post the confident flags.

``rules`` (the publish rule) and ``template`` (the post text) are pure; ``publishers`` talk to the networks,
``delivery`` is the exactly-once outbox, ``cycle`` and ``daemon`` put it together.
"""
