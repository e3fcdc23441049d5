import pytest

from tests.support.services import reachable_redis_url, scratch_postgres_database


@pytest.fixture
def postgres_url():
    with scratch_postgres_database() as url:
        yield url


@pytest.fixture
def redis_url():
    return reachable_redis_url()
