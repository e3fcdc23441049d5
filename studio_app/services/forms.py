"""Create forms are idempotent: each carries a key made when it appeared, recorded with what it created.

A double click, or an event replayed after a reconnect, sends the same key again: the second time nothing is
created and the caller gets what the first one made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from studio_app.errors import UserError
from studio_app.models.accounts import FormSubmission
from studio_app.models.base import utcnow
from studio_app.security.policy import Actor, require_signed_in

FORM_KEY = re.compile(r"[0-9a-f]{32}")
# A replay comes within seconds (a double click, a reconnect): after this long a key has done its job.
KEPT_FOR = timedelta(days=1)
View = TypeVar("View")


def once(session: Session, actor: Actor | None, form_key: object, create: Callable[[], View],
         replay: Callable[[str], View | None] = lambda created_id: None) -> View | None:
    """``create()`` (which returns something with an ``id``) the first time this form is sent; ``replay(id)`` of
    what it created every other time."""
    actor = require_signed_in(actor)
    if not isinstance(form_key, str) or not FORM_KEY.fullmatch(form_key):
        raise UserError("This form has expired: reload the page and send it again.")
    earlier = session.get(FormSubmission, (actor.user_id, form_key))
    if earlier is not None:
        return replay(earlier.result_id)
    created = create()
    try:
        # A concurrent send of the same form (another worker) commits first: this one must create nothing.
        with session.begin_nested():
            session.add(FormSubmission(user_id=actor.user_id, form_key=form_key, result_id=created.id))
    except IntegrityError:
        raise UserError("This form was already sent.") from None
    return created


def forget_old_submissions(session: Session) -> int:
    """The periodic round deletes the keys of forms sent more than a day ago; returns how many."""
    return session.execute(sa.delete(FormSubmission).where(FormSubmission.created_at < utcnow() - KEPT_FOR)).rowcount
