import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from studio_app.security.crypto import DecryptionError, new_data_key
from studio_app.security.fields import UnsavedRowError, get_decrypted, set_encrypted
from studio_app.security.keyring import load_keyring


class Base(DeclarativeBase):
    """Its own metadata, so these test tables never reach the app's migrations."""


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[bytes | None]
    phone: Mapped[bytes | None]


@pytest.fixture
def session():
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def data_key(settings):
    key, _wrapped = new_data_key(load_keyring(settings), owner_id=1)
    return key


def saved_person(session) -> Person:
    person = Person()
    session.add(person)
    session.flush()
    return person


def test_attribute_round_trips_through_the_database(session, data_key):
    person = saved_person(session)
    set_encrypted(person, "display_name", "Zoé", data_key=data_key)
    session.commit()
    session.expire_all()

    reloaded = session.get(Person, person.id)

    assert b"Zo" not in reloaded.display_name
    assert get_decrypted(reloaded, "display_name", data_key=data_key) == "Zoé"


def test_none_stays_none(session, data_key):
    person = saved_person(session)
    set_encrypted(person, "phone", None, data_key=data_key)

    assert person.phone is None
    assert get_decrypted(person, "phone", data_key=data_key) is None


def test_value_copied_to_another_row_fails(session, data_key):
    zoe, sam = saved_person(session), saved_person(session)
    set_encrypted(zoe, "display_name", "Zoé", data_key=data_key)

    sam.display_name = zoe.display_name

    with pytest.raises(DecryptionError):
        get_decrypted(sam, "display_name", data_key=data_key)


def test_value_copied_to_another_column_fails(session, data_key):
    person = saved_person(session)
    set_encrypted(person, "display_name", "Zoé", data_key=data_key)

    person.phone = person.display_name

    with pytest.raises(DecryptionError):
        get_decrypted(person, "phone", data_key=data_key)


def test_unsaved_row_is_refused(data_key):
    with pytest.raises(UnsavedRowError, match="flush"):
        set_encrypted(Person(), "display_name", "Zoé", data_key=data_key)


def test_unknown_column_is_refused(session, data_key):
    with pytest.raises(AttributeError, match="nickname"):
        set_encrypted(saved_person(session), "nickname", "Zo", data_key=data_key)
