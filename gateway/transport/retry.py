"""Retry a whole transport action (connect, then work) when the failure is transient.

Only `TransientTransportError` is retried: a `PermanentTransportError` (authentication, an
unknown host key, a missing folder) fails the same way until a person acts, so it is raised at
once. Retry the whole unit, not one SFTP call: a dead session does not come back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from gateway.errors import TransientTransportError

log = logging.getLogger(__name__)
T = TypeVar("T")


def with_retries(action: Callable[[], T], *, attempts: int = 4, initial: float = 1.0,
                 maximum: float = 30.0, jitter: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    """``action()``, tried up to ``attempts`` times; the last error is raised as it was.

    Waits grow exponentially from ``initial`` (capped at ``maximum``) plus up to ``jitter``
    seconds at random, so many partners failing together do not retry in lockstep. Tests pass
    small waits or their own ``sleep``.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    retrying = Retrying(
        retry=retry_if_exception_type(TransientTransportError),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential_jitter(multiplier=initial, max=maximum, exp_base=2,
                                     jitter=jitter),
        sleep=sleep,
        before_sleep=_log_retry,
        reraise=True,  # the real last TransientTransportError, not tenacity's RetryError
    )
    return retrying(action)


def _log_retry(state: RetryCallState) -> None:
    # Our transport messages name the partner and step and never hold secrets.
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("attempt %d failed (%s); retrying in %.1f s", state.attempt_number, error, wait)
