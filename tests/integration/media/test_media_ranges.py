"""Reading media back with HTTP ranges: any range equals the same bytes of the original, first, middle and last
sealed chunks included; ranges outside the file answer 416."""

import random

import pytest

from tests.support.tus import CHUNK, fake_video

SIZE = 5 * CHUNK + 4567


@pytest.fixture
def uploaded(studio):
    data = fake_video(SIZE, seed=11)
    file_id = studio.tus("eli").upload(data, project=studio.project_id).headers["studio-file"]
    return studio, data, file_id


def ranged(studio, file_id: str, header: str):
    return studio.get(f"/api/media/{file_id}", "zoe", range=header)


def test_ranges_equal_the_original_bytes(uploaded):
    studio, data, file_id = uploaded
    rng = random.Random(3)  # noqa: S311 - reproducible ranges, nothing secret
    picks = [(0, 0), (0, CHUNK - 1), (CHUNK - 1, CHUNK), (2 * CHUNK + 5, 3 * CHUNK + 5), (SIZE - 1, SIZE - 1),
             (5 * CHUNK, SIZE - 1), (CHUNK // 2, SIZE - 1)]
    picks += [tuple(sorted(rng.sample(range(SIZE), 2))) for _ in range(12)]
    for first, last in picks:
        answer = ranged(studio, file_id, f"bytes={first}-{last}")
        assert answer.status_code == 206, (first, last)
        assert answer.headers["content-range"] == f"bytes {first}-{last}/{SIZE}"
        assert answer.headers["accept-ranges"] == "bytes"
        assert answer.content == data[first:last + 1], (first, last)


def test_open_ended_and_suffix_ranges(uploaded):
    studio, data, file_id = uploaded
    assert ranged(studio, file_id, f"bytes={SIZE - 10}-").content == data[-10:]
    assert ranged(studio, file_id, "bytes=-700").content == data[-700:]
    assert ranged(studio, file_id, f"bytes=-{SIZE * 2}").content == data
    assert ranged(studio, file_id, f"bytes=100-{SIZE * 3}").content == data[100:]
    whole = studio.get(f"/api/media/{file_id}", "zoe")
    assert whole.status_code == 200 and whole.headers["content-length"] == str(SIZE)


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 9}", "bytes=-0", "bytes=9-3"])
def test_ranges_outside_the_file_are_unsatisfiable(uploaded, header):
    studio, _data, file_id = uploaded
    answer = ranged(studio, file_id, header)
    assert answer.status_code == 416 and answer.headers["content-range"] == f"bytes */{SIZE}"
