"""Editor profiles and the directory, against SQLite and PostgreSQL where the SQL filters matter."""

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.errors import NotFound
from studio_app.models.projects import EditorProfile
from studio_app.security.policy import NotAllowed
from studio_app.services import profiles
from studio_app.services.validation import InvalidInput
from tests.support.projects import call, count_rows, person

PROFILE = {"headline": "Snappy short-form edits", "skills": ["short-form", "motion design"], "languages": ["fr", "en"],
           "software": ["DaVinci Resolve", "After Effects"], "portfolio_links": ["https://vimeo.com/lea"],
           "day_rate_cents": 45_000, "currency": "EUR", "availability": "available", "listed": True}


def save(editor, **change):
    return call(profiles.save_editor_profile, editor, **(PROFILE | change))


def test_profile_round_trips_with_headline_and_links_sealed(settings):
    editor = person(settings, "lea@example.com", role="editor", name="Léa Roux")
    view = save(editor)
    assert view.display_name == "Léa Roux" and view.headline == "Snappy short-form edits"
    assert view.skills == ("short-form", "motion design") and view.portfolio_links == ("https://vimeo.com/lea",)
    with session_scope() as session:
        row = session.exec(select(EditorProfile)).one()
        assert b"Snappy" not in row.headline_encrypted and b"vimeo" not in row.portfolio_links_encrypted
    assert save(editor, headline="New", listed=False).headline == "New"
    assert count_rows(EditorProfile) == 1
    assert call(profiles.get_editor_profile, editor, editor.user_id).listed is False


def test_only_editors_have_a_profile(sqlite_settings):
    producer = person(sqlite_settings, "zoe@example.com")
    with pytest.raises(NotAllowed):
        save(producer)
    with pytest.raises(NotAllowed):
        save(None)
    assert count_rows(EditorProfile) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"headline": "h" * 141}, "headline"),
        ({"skills": ["juggling"]}, "skills"),
        ({"skills": "short-form"}, "skills"),
        ({"languages": ["xx"]}, "languages"),
        ({"software": ["Paint"]}, "software"),
        ({"portfolio_links": ["http://vimeo.com/lea"]}, "portfolio_links"),
        ({"portfolio_links": ["javascript:alert(1)"]}, "portfolio_links"),
        ({"portfolio_links": ["https://a.example/" + "x" * 300]}, "portfolio_links"),
        ({"portfolio_links": [f"https://a.example/{n}" for n in range(6)]}, "portfolio_links"),
        ({"day_rate_cents": -1}, "day_rate_cents"),
        ({"day_rate_cents": 1_000_001}, "day_rate_cents"),
        ({"currency": "BTC"}, "currency"),
        ({"availability": "sometimes"}, "availability"),
    ],
)
def test_bad_profile_input_is_refused(sqlite_settings, change, field):
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    with pytest.raises(InvalidInput) as refused:
        save(editor, **change)
    assert refused.value.field == field
    assert count_rows(EditorProfile) == 0


def test_unlisted_profiles_are_hidden_from_producers(sqlite_settings):
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    producer = person(sqlite_settings, "zoe@example.com")
    other_editor = person(sqlite_settings, "max@example.com", role="editor")
    save(editor)
    assert call(profiles.get_editor_profile, producer, editor.user_id).headline == PROFILE["headline"]
    with pytest.raises(NotFound):
        call(profiles.get_editor_profile, other_editor, editor.user_id)
    save(editor, listed=False)
    with pytest.raises(NotFound):
        call(profiles.get_editor_profile, producer, editor.user_id)
    assert call(profiles.browse_directory, producer).entries == ()
    with pytest.raises(NotFound):
        call(profiles.get_editor_profile, producer, "not an id")


def test_directory_filters_in_sql_on_both_engines(settings):
    producer = person(settings, "zoe@example.com")
    lea = person(settings, "lea@example.com", role="editor", name="Léa")
    max_ = person(settings, "max@example.com", role="editor", name="Max")
    save(lea)
    save(max_, skills=["podcast editing"], languages=["de"], software=["Avid Media Composer"],
         day_rate_cents=90_000, availability="limited")

    def names(**filters):
        return [entry.display_name for entry in call(profiles.browse_directory, producer, **filters).entries]

    assert sorted(names()) == ["Léa", "Max"]
    assert names(skill="motion design") == ["Léa"]
    assert names(skill="podcast editing") == ["Max"]
    assert names(language="de") == ["Max"]
    assert names(software="DaVinci Resolve") == ["Léa"]
    assert names(max_day_rate_cents=50_000) == ["Léa"]
    assert names(availability="limited") == ["Max"]
    assert names(skill="VFX") == []
    entry = call(profiles.browse_directory, producer, skill="motion design").entries[0]
    assert entry.headline == PROFILE["headline"]
    with pytest.raises(InvalidInput):
        names(skill="juggling")


def test_directory_pages_by_keyset(settings):
    producer = person(settings, "zoe@example.com")
    editors = [person(settings, f"ed{n}@example.com", role="editor", name=f"Ed {n}") for n in range(5)]
    for editor in editors:
        save(editor)
    seen, after = [], None
    for _ in range(3):
        page = call(profiles.browse_directory, producer, limit=2, after=after)
        seen += [entry.display_name for entry in page.entries]
        after = page.next_cursor
    assert after is None
    assert seen == [f"Ed {n}" for n in reversed(range(5))]  # most recently updated first, each once
    with pytest.raises(InvalidInput):
        call(profiles.browse_directory, producer, after="garbage")


def test_only_producers_and_admins_browse(sqlite_settings):
    editor = person(sqlite_settings, "lea@example.com", role="editor")
    with pytest.raises(NotAllowed):
        call(profiles.browse_directory, editor)
    with pytest.raises(NotAllowed):
        call(profiles.browse_directory, None)
