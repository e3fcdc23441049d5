"""Editor profiles and the directory producers hire from.

Skills, languages, software, rate and availability stay in clear so the directory filters in SQL;
the headline and portfolio links are sealed under the editor's own data key.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.errors import NotFound
from studio_app.models.accounts import Role, User, UserDataKey
from studio_app.models.base import is_row_id, utcnow
from studio_app.models.projects import Availability, EditorProfile
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, may, require, require_signed_in
from studio_app.services.keys import data_key_of, unwrap_user_key
from studio_app.services.validation import InvalidInput

SKILLS = ("short-form", "long-form", "motion design", "colour grading", "subtitles", "sound design", "thumbnails",
          "VFX", "podcast editing")
LANGUAGES = ("ar", "bn", "ca", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hi", "hu", "id", "it",
             "ja", "ko", "ms", "nl", "no", "pl", "pt", "ro", "ru", "sv", "sw", "th", "tl", "tr", "uk", "ur", "vi",
             "zh")
SOFTWARE = ("Premiere Pro", "Final Cut Pro", "DaVinci Resolve", "After Effects", "CapCut", "Avid Media Composer",
            "Blender", "Photoshop", "Audition", "Logic Pro", "Pro Tools", "Descript")
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD")
AVAILABILITIES = tuple(Availability)
HEADLINE_MAX = 140
PORTFOLIO_LINKS_MAX = 5
LINK_MAX = 300
DAY_RATE_MAX_CENTS = 1_000_000
DIRECTORY_LIMIT_MAX = 100
NO_PROFILE = "This profile does not exist or is not shown in the directory."


@dataclasses.dataclass(frozen=True)
class EditorProfileView:
    editor_id: str
    display_name: str
    headline: str
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    software: tuple[str, ...]
    portfolio_links: tuple[str, ...]
    day_rate_cents: int | None
    currency: str
    availability: str
    listed: bool
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class DirectoryEntry:
    editor_id: str
    display_name: str
    headline: str
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    software: tuple[str, ...]
    day_rate_cents: int | None
    currency: str
    availability: str
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class DirectoryPage:
    entries: tuple[DirectoryEntry, ...]
    next_cursor: str | None  # pass as ``after`` to get the next page; None on the last page


def save_editor_profile(session: Session, actor: Actor | None, *, headline: str, skills, languages, software,
                        portfolio_links, day_rate_cents: int | None, currency: str, availability: str,
                        listed: bool) -> EditorProfileView:
    actor = require(actor, Action.EDIT_EDITOR_PROFILE, owner_id=actor.user_id if actor else None)
    headline = _check_headline(headline)
    skills = _check_choices("skills", skills, SKILLS, "Choose skills from the list.")
    languages = _check_choices("languages", languages, LANGUAGES, "Choose languages from the list.")
    software = _check_choices("software", software, SOFTWARE, "Choose software from the list.")
    links = _check_links(portfolio_links)
    day_rate_cents = _check_day_rate(day_rate_cents)
    if currency not in CURRENCIES:
        raise InvalidInput("currency", f"Choose a currency among {', '.join(CURRENCIES)}.")
    if availability not in AVAILABILITIES:
        raise InvalidInput("availability", "Choose available, limited or unavailable.")
    if not isinstance(listed, bool):
        raise InvalidInput("listed", "Say whether the profile is shown in the directory.")
    profile = session.get(EditorProfile, actor.user_id) or EditorProfile(user_id=actor.user_id)
    key = data_key_of(session, actor.user_id)
    set_encrypted(profile, "headline_encrypted", headline, data_key=key)
    set_encrypted(profile, "portfolio_links_encrypted", json.dumps(links), data_key=key)
    profile.skills, profile.languages, profile.software = skills, languages, software
    profile.day_rate_cents, profile.currency = day_rate_cents, currency
    profile.availability, profile.listed, profile.updated_at = str(availability), listed, utcnow()
    session.add(profile)
    session.flush()
    return _profile_view(session, profile)


def own_editor_profile(session: Session, actor: Actor | None) -> EditorProfileView | None:
    """The actor's own profile, None until they saved one."""
    actor = require_signed_in(actor)
    profile = session.get(EditorProfile, actor.user_id)
    return None if profile is None else _profile_view(session, profile)


def get_editor_profile(session: Session, actor: Actor | None, editor_id: str) -> EditorProfileView:
    """An editor sees their own profile; producers and admins see listed profiles only."""
    actor = require_signed_in(actor)
    if not is_row_id(editor_id):
        raise NotFound(NO_PROFILE)
    own = editor_id == actor.user_id
    if not own and not may(actor, Action.BROWSE_DIRECTORY):
        raise NotFound(NO_PROFILE)
    profile = session.get(EditorProfile, editor_id)
    if profile is None or not (own or profile.listed):
        raise NotFound(NO_PROFILE)
    return _profile_view(session, profile)


def browse_directory(session: Session, actor: Actor | None, *, skill: str | None = None,
                     language: str | None = None, software: str | None = None,
                     max_day_rate_cents: int | None = None, availability: str | None = None,
                     after: str | None = None, limit: int = 20) -> DirectoryPage:
    """Listed profiles, most recently updated first, filtered in SQL and paginated by keyset."""
    require(actor, Action.BROWSE_DIRECTORY)
    query = (
        select(EditorProfile, User, UserDataKey.wrapped_key)
        .join(User, User.id == EditorProfile.user_id)
        .join(UserDataKey, UserDataKey.user_id == User.id)
        .where(EditorProfile.listed.is_(True), User.role == Role.EDITOR)
    )
    # Values come from the fixed vocabularies, so a LIKE on the JSON text finds list members on any engine.
    for field, value, column, vocabulary in (("skill", skill, EditorProfile.skills, SKILLS),
                                             ("language", language, EditorProfile.languages, LANGUAGES),
                                             ("software", software, EditorProfile.software, SOFTWARE)):
        if value is not None:
            if value not in vocabulary:
                raise InvalidInput(field, "Choose a value from the list.")
            query = query.where(sa.cast(column, sa.String).like(f"%{json.dumps(value)}%"))
    if max_day_rate_cents is not None:
        query = query.where(EditorProfile.day_rate_cents <= _check_day_rate(max_day_rate_cents, "max_day_rate_cents"))
    if availability is not None:
        if availability not in AVAILABILITIES:
            raise InvalidInput("availability", "Choose available, limited or unavailable.")
        query = query.where(EditorProfile.availability == str(availability))
    if after is not None:
        updated_at, user_id = _parse_cursor(after)
        query = query.where(sa.or_(
            EditorProfile.updated_at < updated_at,
            sa.and_(EditorProfile.updated_at == updated_at, EditorProfile.user_id > user_id),
        ))
    limit = max(1, min(int(limit), DIRECTORY_LIMIT_MAX))
    rows = session.exec(
        query.order_by(EditorProfile.updated_at.desc(), EditorProfile.user_id).limit(limit + 1)
    ).all()
    entries = tuple(_entry(profile, user, wrapped) for profile, user, wrapped in rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = f"{last.updated_at.isoformat()}~{last.user_id}"
    return DirectoryPage(entries=entries, next_cursor=next_cursor)


# -- helpers ---------------------------------------------------------------------------------------


def _check_headline(headline: object) -> str:
    if not isinstance(headline, str):
        raise InvalidInput("headline", "Write a short headline.")
    headline = unicodedata.normalize("NFKC", headline).strip()
    if len(headline) > HEADLINE_MAX:
        raise InvalidInput("headline", f"Use at most {HEADLINE_MAX} characters.")
    if any(unicodedata.category(char).startswith("C") for char in headline):
        raise InvalidInput("headline", "Use letters, numbers, spaces and punctuation only.")
    return headline


def _check_choices(field: str, values: object, vocabulary: tuple[str, ...], message: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, list | tuple | set | frozenset):
        raise InvalidInput(field, message)
    if any(value not in vocabulary for value in values):
        raise InvalidInput(field, message)
    return [value for value in vocabulary if value in values]  # the vocabulary's order, no duplicates


def _check_links(links: object) -> list[str]:
    if isinstance(links, str) or not isinstance(links, list | tuple):
        raise InvalidInput("portfolio_links", "Give the portfolio links as a list.")
    links = [link.strip() for link in links if isinstance(link, str) and link.strip()]
    if len(links) > PORTFOLIO_LINKS_MAX:
        raise InvalidInput("portfolio_links", f"Give at most {PORTFOLIO_LINKS_MAX} links.")
    for link in links:
        if len(link) > LINK_MAX:
            raise InvalidInput("portfolio_links", f"A link has at most {LINK_MAX} characters.")
        parts = urlsplit(link)
        if parts.scheme != "https" or not parts.hostname or any(char.isspace() for char in link):
            raise InvalidInput("portfolio_links", "Links start with https:// (like https://vimeo.com/yourname).")
    return links


def _check_day_rate(cents: object, field: str = "day_rate_cents") -> int | None:
    if cents is None and field == "day_rate_cents":
        return None
    if isinstance(cents, bool) or not isinstance(cents, int) or not 0 <= cents <= DAY_RATE_MAX_CENTS:
        raise InvalidInput(field, f"Give a day rate between 0 and {DAY_RATE_MAX_CENTS // 100:,} (in whole cents).")
    return cents


def _parse_cursor(after: object) -> tuple[datetime, str]:
    try:
        stamp, user_id = str(after).split("~")
        updated_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise InvalidInput("after", "This page link is not valid; start from the first page.") from None
    if updated_at.tzinfo is None or not is_row_id(user_id):
        raise InvalidInput("after", "This page link is not valid; start from the first page.")
    return updated_at, user_id


def _profile_view(session: Session, profile: EditorProfile) -> EditorProfileView:
    user = session.get(User, profile.user_id)
    key = data_key_of(session, profile.user_id)
    return EditorProfileView(
        editor_id=profile.user_id,
        display_name=get_decrypted(user, "display_name_encrypted", data_key=key),
        headline=get_decrypted(profile, "headline_encrypted", data_key=key) or "",
        skills=tuple(profile.skills),
        languages=tuple(profile.languages),
        software=tuple(profile.software),
        portfolio_links=tuple(json.loads(get_decrypted(profile, "portfolio_links_encrypted", data_key=key) or "[]")),
        day_rate_cents=profile.day_rate_cents,
        currency=profile.currency,
        availability=profile.availability,
        listed=profile.listed,
        updated_at=profile.updated_at,
    )


def _entry(profile: EditorProfile, user: User, wrapped: bytes) -> DirectoryEntry:
    key = unwrap_user_key(user.id, wrapped)
    return DirectoryEntry(
        editor_id=profile.user_id,
        display_name=get_decrypted(user, "display_name_encrypted", data_key=key),
        headline=get_decrypted(profile, "headline_encrypted", data_key=key) or "",
        skills=tuple(profile.skills),
        languages=tuple(profile.languages),
        software=tuple(profile.software),
        day_rate_cents=profile.day_rate_cents,
        currency=profile.currency,
        availability=profile.availability,
        updated_at=profile.updated_at,
    )
