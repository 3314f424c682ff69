"""Accuracy: on a generated casino with injected causes, the top rank names the cause on every endpoint."""

import json
from collections import Counter

MIN_ACCURACY = 0.95


def names_the_cause(top: dict, expect: dict) -> bool:
    return all(str(top.get(key)) == str(value) for key, value in expect.items())


def test_the_top_rank_names_the_injected_cause_for_95_percent_of_questions_per_endpoint(client, casino):
    sidecar = json.loads(casino.causes_path.read_text())
    assert len(sidecar["causes"]) >= 20
    asked, named, misses = Counter(), Counter(), []
    for cause in sidecar["causes"]:
        for question in cause["questions"]:
            kind = question["endpoint"] + (" (adtributor)" if question["params"].get("algorithm") else "")
            response = client.get(question["endpoint"], query_string=question["params"])
            assert response.status_code == 200, (question, response.json)
            ranks = response.json["ranks"]
            asked[kind] += 1
            if ranks and names_the_cause(ranks[0], question["expect"]):
                named[kind] += 1
            else:
                misses.append((cause["description"], question, ranks[:1]))

    figures = {kind: named[kind] / asked[kind] for kind in asked}
    print("\naccuracy, top rank names the injected cause:")
    for kind in sorted(asked):
        print(f"  {kind:<34} {named[kind]:>3}/{asked[kind]:<3} {figures[kind]:.0%}")
    assert set(asked) == {
        "/singlerankmetrics",
        "/grouprankmetrics",
        "/grouprankdimensions",
        "/grouprankdimensions (adtributor)",
    }
    assert all(figure >= MIN_ACCURACY for figure in figures.values()), misses
