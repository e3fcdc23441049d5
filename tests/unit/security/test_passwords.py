import os

import pytest
from argon2 import PasswordHasher, Type
from argon2.exceptions import VerifyMismatchError

from studio_app.security.passwords import (
    DEFAULT_HASHER,
    MEMORY_COST_KIB,
    PARALLELISM,
    TIME_COST,
    hash_password,
    verify_password,
)

pytestmark = pytest.mark.real_password_hashing  # these tests are about the real parameters

PEPPER = os.urandom(32)
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return hash_password(PASSWORD, pepper=PEPPER)


def test_correct_password_verifies(stored_hash):
    assert verify_password(stored_hash, PASSWORD, pepper=PEPPER) == (True, None)


def test_wrong_password_is_rejected(stored_hash):
    assert verify_password(stored_hash, PASSWORD + "!", pepper=PEPPER) == (False, None)


def test_correct_password_with_another_pepper_is_rejected(stored_hash):
    assert verify_password(stored_hash, PASSWORD, pepper=os.urandom(32)) == (False, None)


def test_argon2_of_the_bare_password_does_not_match(stored_hash):
    # What an attacker holding the database but not the pepper would try.
    with pytest.raises(VerifyMismatchError):
        DEFAULT_HASHER.verify(stored_hash, PASSWORD)


def test_stored_hash_is_salted_argon2id_without_the_password(stored_hash):
    assert stored_hash.startswith(f"$argon2id$v=19$m={MEMORY_COST_KIB},t={TIME_COST},p={PARALLELISM}$")
    assert PASSWORD not in stored_hash
    assert hash_password(PASSWORD, pepper=PEPPER) != stored_hash


def test_parameters_meet_the_owasp_floor():
    assert MEMORY_COST_KIB >= 19456
    assert TIME_COST >= 2
    assert PARALLELISM == 1


def test_unicode_password_typed_in_another_normal_form_verifies():
    stored = hash_password("Zoé-mot-de-passe", pepper=PEPPER)
    decomposed = "Zoe\u0301-mot-de-passe"

    assert verify_password(stored, decomposed, pepper=PEPPER) == (True, None)


def test_hash_with_old_parameters_is_upgraded_on_sign_in():
    weaker = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
    old_hash = hash_password(PASSWORD, pepper=PEPPER, hasher=weaker)

    ok, new_hash = verify_password(old_hash, PASSWORD, pepper=PEPPER)

    assert ok
    assert new_hash is not None
    assert f"m={MEMORY_COST_KIB},t={TIME_COST}" in new_hash
    assert verify_password(new_hash, PASSWORD, pepper=PEPPER) == (True, None)


def test_wrong_password_on_an_old_hash_offers_no_new_hash():
    weaker = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
    old_hash = hash_password(PASSWORD, pepper=PEPPER, hasher=weaker)

    assert verify_password(old_hash, "wrong", pepper=PEPPER) == (False, None)
