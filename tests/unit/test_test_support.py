"""The test harness's speed-ups do what they say: cheap hashing unless asked, migrated copies of a template."""

import os

import pytest
import sqlalchemy as sa

from studio_app.database import create_db_engine, schema_status
from studio_app.security.passwords import MEMORY_COST_KIB, hash_password, verify_password
from tests.support import template_db

PEPPER = os.urandom(32)


def test_tests_that_are_not_about_hashing_hash_cheaply():
    stored = hash_password("correct horse battery staple", pepper=PEPPER)
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert verify_password(stored, "correct horse battery staple", pepper=PEPPER) == (True, None)


@pytest.mark.real_password_hashing
def test_a_marked_test_hashes_with_the_real_parameters():
    assert f"$m={MEMORY_COST_KIB}," in hash_password("correct horse battery staple", pepper=PEPPER)


def test_each_test_database_is_its_own_copy_of_the_migrated_template(tmp_path):
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    for url in (first, second):
        template_db.migrate(url)
    engines = [create_db_engine(url) for url in (first, second)]
    try:
        assert all(schema_status(engine).up_to_date for engine in engines)
        with engines[0].begin() as connection:
            connection.execute(sa.text("CREATE TABLE scratch (id INTEGER)"))
        with engines[1].connect() as connection:
            tables = connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
        assert "scratch" not in tables and "user_account" in tables
    finally:
        for engine in engines:
            engine.dispose()
