"""The hash-chained audit log on a real SQLite file and a real PostgreSQL database."""

import itertools
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from studio_app.database import create_db_engine
from studio_app.models.audit import AuditEvent
from studio_app.services.audit import GENESIS_HASH, event_hash, record_event, verify_chain


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'audit.db'}"
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = create_db_engine(url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def record_several(engine, count: int = 5) -> None:
    with Session(engine) as session:
        for number in range(count):
            record_event(session, "signin.failure", actor_id=f"account{number}", details={"attempt": number})
        session.commit()


def verify(engine):
    with Session(engine) as session:
        return verify_chain(session)


def execute(engine, statement: str, **parameters) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(statement), parameters)


def test_a_chain_of_events_verifies(engine):
    record_several(engine)

    report = verify(engine)

    assert report.ok and report.checked == 5 and report.first_broken_sequence is None
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).order_by(AuditEvent.sequence)).all()
    assert [event.sequence for event in events] == [1, 2, 3, 4, 5]
    assert events[0].previous_hash == GENESIS_HASH
    assert all(later.previous_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    assert events[2].details == {"attempt": 2} and events[2].created_at.year >= 2025


def test_events_are_recorded_in_the_callers_transaction(engine):
    with Session(engine) as session:
        record_event(session, "session.revoked", actor_id="account1", subject_id="session9")
        session.rollback()

    assert verify(engine).checked == 0


def test_tampered_details_are_detected_at_that_event(engine):
    record_several(engine)

    execute(engine, "UPDATE audit_event SET details = :details WHERE sequence = 3", details='{"attempt": 99}')

    report = verify(engine)
    assert not report.ok and report.first_broken_sequence == 3 and report.checked == 2


def test_a_deleted_middle_event_is_detected(engine):
    record_several(engine)

    execute(engine, "DELETE FROM audit_event WHERE sequence = 3")

    report = verify(engine)
    assert not report.ok and report.first_broken_sequence == 3
    assert "missing" in report.problem


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(engine):
    record_several(engine)
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.sequence == 2)).one()
        event.details = {"attempt": 99}
        forged_hash = event_hash(event)
    execute(
        engine,
        "UPDATE audit_event SET details = :details, hash = :hash WHERE sequence = 2",
        details='{"attempt": 99}',
        hash=forged_hash,
    )

    report = verify(engine)
    assert not report.ok and report.first_broken_sequence == 3


@pytest.mark.parametrize(
    "details",
    [
        {"email": "ada@example.com"},
        {"note": "sent to Ada <ada.lovelace@mail.example.org> today"},
        {"client": "203.0.113.7"},
        {"client": "2001:db8::1"},
        {"nested": {"list": ["fine", "::ffff:10.0.0.1"]}},
        {"bob@example.com": True},
    ],
)
def test_emails_and_ip_addresses_are_refused(engine, details):
    with Session(engine) as session, pytest.raises(ValueError):
        record_event(session, "email.changed", actor_id="account1", details=details)

    assert verify(engine).checked == 0


def test_pseudonymous_details_are_accepted(engine):
    with Session(engine) as session:
        record_event(session, "signin.failure", actor_id="a1", details={"reason": "bad_password", "count": 3})
        session.commit()

    assert verify(engine).ok


def test_concurrent_writers_make_one_gapless_chain(engine):
    errors = []

    def write_fifty(writer: str) -> None:
        try:
            for number in range(50):
                with Session(engine) as session:
                    record_event(session, "signin.success", actor_id=writer, details={"number": number})
                    session.commit()
        except Exception as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=write_fifty, args=(writer,)) for writer in ("writer_a", "writer_b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with Session(engine) as session:
        sequences = session.exec(select(AuditEvent.sequence).order_by(AuditEvent.sequence)).all()
        report = verify_chain(session)
    assert sequences == list(range(1, 101))
    assert report.ok and report.checked == 100


@pytest.mark.parametrize("kind", ["signin", "Signin.Success", "signin failure", ""])
def test_kinds_are_dotted_lower_case_names(engine, kind):
    with Session(engine) as session, pytest.raises(ValueError):
        record_event(session, kind, actor_id="a1")
