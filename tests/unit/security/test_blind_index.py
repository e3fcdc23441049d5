import os

import pytest

from studio_app.security.blind_index import blind_index, email_index, normalize_email

INDEX_KEY = os.urandom(32)


@pytest.mark.parametrize(
    "spelling",
    [
        "zoe@example.com",
        "  Zoe@Example.COM\n",
        "ｚｏｅ@ｅｘａｍｐｌｅ.ｃｏｍ",  # noqa: RUF001  (full-width letters, as some mobile keyboards type them)
    ],
)
def test_email_index_is_the_same_for_every_spelling(spelling):
    assert email_index(INDEX_KEY, spelling) == email_index(INDEX_KEY, "zoe@example.com")


def test_normalize_email():
    assert normalize_email(" ＺOE@Example.com ") == "zoe@example.com"  # noqa: RUF001


def test_different_emails_get_different_indexes():
    assert email_index(INDEX_KEY, "zoe@example.com") != email_index(INDEX_KEY, "zoé@example.com")


def test_index_differs_under_another_key():
    assert email_index(INDEX_KEY, "zoe@example.com") != email_index(os.urandom(32), "zoe@example.com")


def test_index_differs_for_another_purpose():
    assert blind_index(INDEX_KEY, "zoe", purpose="email") != blind_index(INDEX_KEY, "zoe", purpose="handle")


def test_index_is_hex_sha256_and_reveals_nothing_readable():
    index = email_index(INDEX_KEY, "zoe@example.com")

    assert len(index) == 64
    int(index, 16)
    assert "zoe" not in index
