"""Named rate limits in memory and in a real Redis (keys under a random prefix, removed afterwards)."""

import hashlib
import hmac
import uuid

import pytest
import redis

from studio_app.security.rate_limits import RATE_LIMITS, RateLimiter, UnknownRateLimit
from studio_app.settings import load_settings

EMAIL_KEY = "ada@example.com"
ADDRESS_KEY = "203.0.113.7"


def redis_keys(url: str, prefix: str) -> list[bytes]:
    client = redis.Redis.from_url(url)
    try:
        return list(client.scan_iter(match=f"{prefix}:*"))
    finally:
        client.close()


@pytest.fixture
def redis_prefix(redis_url):
    prefix = f"studio-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limiter(request) -> RateLimiter:
    if request.param == "memory":
        return RateLimiter()
    url = request.getfixturevalue("redis_url")
    return RateLimiter(url, key_prefix=request.getfixturevalue("redis_prefix"))


def hit_times(limiter: RateLimiter, name: str, key: str, times: int) -> list[bool]:
    return [limiter.hit(name, key).allowed for _ in range(times)]


def test_the_limit_is_reached_after_its_number_of_hits(limiter):
    assert hit_times(limiter, "signin_account_address", EMAIL_KEY, 10) == [True] * 10

    refused = limiter.hit("signin_account_address", EMAIL_KEY)

    assert not refused.allowed
    assert 0 < refused.retry_after_seconds <= 15 * 60


def test_each_named_limit_has_its_own_count(limiter):
    assert hit_times(limiter, "signup_address", ADDRESS_KEY, 21) == [True] * 20 + [False]
    assert hit_times(limiter, "reset_mail_account", EMAIL_KEY, 4) == [True] * 3 + [False]
    assert hit_times(limiter, "reset_mail_address", ADDRESS_KEY, 11) == [True] * 10 + [False]
    assert limiter.hit("verification_mail", EMAIL_KEY).allowed


def test_separate_keys_are_independent(limiter):
    hit_times(limiter, "reset_mail_account", EMAIL_KEY, 3)

    assert not limiter.check("reset_mail_account", EMAIL_KEY).allowed
    assert limiter.hit("reset_mail_account", "bob@example.com").allowed


def test_check_does_not_count(limiter):
    for _ in range(10):
        assert limiter.check("verification_mail", EMAIL_KEY).allowed

    assert hit_times(limiter, "verification_mail", EMAIL_KEY, 3) == [True] * 3
    refused = limiter.check("verification_mail", EMAIL_KEY)
    assert not refused.allowed and refused.retry_after_seconds >= 1


def test_reset_clears_the_count(limiter):
    hit_times(limiter, "signup_address", ADDRESS_KEY, 20)
    assert not limiter.check("signup_address", ADDRESS_KEY).allowed

    limiter.reset("signup_address", ADDRESS_KEY)

    assert limiter.hit("signup_address", ADDRESS_KEY).allowed


def test_an_unknown_limit_name_is_refused(limiter):
    with pytest.raises(UnknownRateLimit):
        limiter.hit("sign_in", EMAIL_KEY)


def test_every_limit_parses():
    limiter = RateLimiter()
    for name in RATE_LIMITS:
        assert limiter.check(name, "key").allowed


@pytest.mark.redis
def test_redis_holds_no_email_or_address_in_clear(redis_url, redis_prefix):
    limiter = RateLimiter(redis_url, key_prefix=redis_prefix, secret=b"k" * 32)
    limiter.hit("signin_account", EMAIL_KEY)
    limiter.hit("signin_address", ADDRESS_KEY)

    keys = [key.decode() for key in redis_keys(redis_url, redis_prefix)]

    assert len(keys) == 2
    assert not [key for key in keys if EMAIL_KEY in key or ADDRESS_KEY in key]
    assert not [key for key in keys if hashlib.sha256(ADDRESS_KEY.encode()).hexdigest() in key]  # not reversible
    assert any(hmac.new(b"k" * 32, EMAIL_KEY.encode(), hashlib.sha256).hexdigest() in key for key in keys)


@pytest.mark.redis
def test_settings_with_a_redis_url_share_counts_across_limiters(tmp_path, redis_url, redis_prefix):
    settings = load_settings({"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_REDIS_URL": redis_url})
    first = RateLimiter.from_settings(settings)
    second = RateLimiter.from_settings(settings)
    key = f"{redis_prefix}-{EMAIL_KEY}"
    try:
        hit_times(first, "reset_mail_account", key, 3)

        assert not second.check("reset_mail_account", key).allowed
    finally:
        first.reset("reset_mail_account", key)
