"""POST /v1/seniority through the real API process, cache and model: the batch flow's levels, one model
request per distinct normalized pair, the 1,000-pair limit."""

import numpy as np
import pytest
import requests

from enrichment_platform.defs.resources.model import SeniorityModelClient
from enrichment_platform.pipeline.augment import distinct_pairs, seniority_of_pairs

pytestmark = pytest.mark.integration

PAIRS = [
    ("Acme Corp", "Senior Data Engineer"),
    ("ACME  corp", "senior data engineer "),  # a spelling variant of the first pair
    ("Globex", "Junior Accountant"),
    ("Initech", "Chief Executive Officer"),
    ("Globex", "Junior Accountant"),
    ("Ｉｎｉｔｅｃｈ", "VP of Engineering"),
]


def batch_levels(model_target: str, pairs: list[tuple[str, str]]) -> list[int]:
    """What the batch engine gives the pairs, with an empty in-memory cache in place of Redis."""
    model = SeniorityModelClient(target=model_target, capacity=0)
    cache: dict[bytes, int] = {}
    levels, _ = seniority_of_pairs(
        distinct_pairs([company for company, _ in pairs], [title for _, title in pairs]),
        lookup=lambda keys: np.array([cache.get(key.tobytes(), 0) for key in keys], dtype=np.uint8),
        infer=model.infer,
        store=lambda keys, found: cache.update(zip((key.tobytes() for key in keys), found.tolist())),
    )
    model.client.close()
    return levels.tolist()


def model_pairs_asked(server) -> float:
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    return next(
        float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("enrichment_api_model_pairs_total")
    )


def test_sync_levels_equal_the_batch_engine_and_each_distinct_pair_is_inferred_once(api_server, model_target):
    body = {"pairs": [{"company": company, "title": title} for company, title in PAIRS]}
    first = api_server.post("/v1/seniority", json=body)
    assert first.status_code == 200
    assert first.json() == {"seniority": batch_levels(model_target, PAIRS)}
    assert first.json()["seniority"][0] == first.json()["seniority"][1]
    assert model_pairs_asked(api_server) == 4  # distinct normalized pairs

    again = api_server.post("/v1/seniority", json=body)
    assert again.json() == first.json()
    assert model_pairs_asked(api_server) == 4  # all from the cache now


def test_more_than_1000_pairs_are_refused_with_422(api_server):
    body = {"pairs": [{"company": "Acme", "title": f"Engineer {n}"} for n in range(1001)]}
    answer = api_server.post("/v1/seniority", json=body)
    assert answer.status_code == 422
    assert "at most 1000" in answer.json()["error"]
    assert model_pairs_asked(api_server) == 0


def test_a_malformed_body_is_a_422_saying_what_is_missing(api_server):
    answer = api_server.post("/v1/seniority", json={"pairs": [{"company": "Acme"}]})
    assert answer.status_code == 422
    assert "pairs.0.title" in answer.json()["error"]
