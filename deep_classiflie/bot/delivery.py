"""Exactly-once delivery of queued posts through the outbox.

For each pending outbox row (oldest first):
1) count the try in the store (committed *before* the network is asked);
2) if an earlier try was counted, it may have reached the network before the bot died or timed out: ask the
   network whether the post exists, and if so only complete the row;
3) upload the card unless its media id is already stored, and store the media id;
4) create the post;
5) complete the row (post id, time) and record the publication.
A kill between any two steps leaves a pending row whose count shows a try was under way, so the next run asks
before posting: the post is never made twice and never forgotten. Transient failures are retried with bounded
backoff; a post the network refuses outright is marked failed; refused credentials stop the bot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from deep_classiflie.bot.backoff import Waiter, with_retries
from deep_classiflie.bot.errors import RejectedPost, TransientPublishError
from deep_classiflie.bot.publishers import Post, Publisher
from deep_classiflie.config.bot import RetryConfig
from deep_classiflie_db.queries import bot as q

log = logging.getLogger(__name__)
# Posts recorded this long before a post was queued are never taken for it by a lookup.
LOOKBACK = dt.timedelta(days=2)


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    posted: int = 0
    found: int = 0  # completed from a post the network already had (after a crash or timeout)
    failed: int = 0
    pending: int = 0


def deliver_one(
    engine: Engine, publisher: Publisher, row: dict[str, Any], *, cfg: RetryConfig, waiter: Waiter
) -> tuple[str, bool]:
    """Deliver one outbox row; returns (status, found) with status posted | failed | pending."""
    outbox_id = int(row["id"])
    media = Path(row["card_file"]) if row.get("card_file") else None
    if media is not None and not media.is_file():
        log.warning("card %s of post %d is gone; posting the text only", media, outbox_id)
        media = None
    post = Post(key=str(row["idempotency_key"]), text=str(row["text"]), media=media, created_at=row["created_at"])
    media_id: str | None = str(row["media_id"]) if row.get("media_id") else None
    found_earlier = False

    def attempt() -> str:
        nonlocal media_id, found_earlier
        if q.begin_attempt(engine, outbox_id=outbox_id) > 1:  # 1) 2)
            since = post.created_at - LOOKBACK
            taken = frozenset(q.posted_ids_since(engine, network=publisher.network, since=since))
            found = publisher.find_post(dataclasses.replace(post, taken=taken))
            if found is not None:
                found_earlier = True
                return found
        if post.media is not None and media_id is None:  # 3)
            media_id = publisher.upload_media(post.media)
            q.set_media(engine, outbox_id=outbox_id, media_id=media_id)
        return publisher.create_post(post, media_id)  # 4)

    try:
        post_id = with_retries(attempt, cfg=cfg, waiter=waiter, what=f"{publisher.network} post {outbox_id}")
    except TransientPublishError as exc:
        q.note_error(engine, outbox_id=outbox_id, error=str(exc))
        log.warning("post %d stays pending: %s", outbox_id, exc)
        return "pending", False
    except RejectedPost as exc:
        q.fail_post(engine, outbox_id=outbox_id, error=str(exc))
        log.error("post %d refused: %s", outbox_id, exc)
        return "failed", False
    payload = None
    if publisher.network != "dry_run":  # a dry run publishes nothing: no publication row
        payload = {
            "network": publisher.network,
            "post_id": post_id,
            "media_id": media_id,
            "card": row.get("card_file"),
        }
    q.complete_post(  # 5)
        engine, outbox_id=outbox_id, post_id=post_id, prediction_id=row.get("prediction_id"), payload=payload
    )
    log.info("%s post %d %s as %s", publisher.network, outbox_id, "found" if found_earlier else "published", post_id)
    return "posted", found_earlier


def deliver_pending(engine: Engine, publisher: Publisher, *, cfg: RetryConfig, waiter: Waiter) -> DeliveryReport:
    """Deliver every pending post of the publisher's network, oldest first, until done or asked to stop."""
    report = DeliveryReport()
    for row in q.pending_outbox(engine, network=publisher.network):
        if waiter.stopping:
            report.pending += 1
            continue
        status, found = deliver_one(engine, publisher, row, cfg=cfg, waiter=waiter)
        if status == "posted":
            report.posted += 1
            report.found += int(found)
        elif status == "failed":
            report.failed += 1
        else:
            report.pending += 1
    return report
