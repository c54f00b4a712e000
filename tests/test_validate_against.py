"""`validate`: a standalone runbook or lab checked against a topology (--topology), cross-reference
errors in the same pass as schema errors, and suggestions by edit distance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regionctl.model.suggest import closest, edit_distance
from tests.modelhelpers import TOPOLOGIES, assert_clean_lines, invoke, position, replace_once, write

RUNBOOK = """\
name: rb
steps:
  - {id: outage, kind: fault, fault: "node:pg-9"}
  - {id: wait, kind: wait, condition: 'leader(order) == "pg-3"', needs: [outage]}
  - {id: promote, kind: action, action: promote, target: pg-33, needs: [wait]}
"""


def test_a_standalone_runbook_is_checked_against_the_topology_given(tmp_path: Path) -> None:
    book = write(tmp_path, "rb.yaml", RUNBOOK)
    alone = invoke("validate", str(book))
    assert alone.exit_code == 0 and "names not checked: add --topology TOPOLOGY" in alone.stdout
    result = invoke("validate", str(book), "--topology", "active-passive")
    assert result.exit_code == 2 and result.stdout == ""
    lines = assert_clean_lines(result.stderr)
    assert [(int(m["line"]), m["field"]) for m in lines] == [
        (3, "steps[0].fault"), (4, "steps[1].condition"), (5, "steps[2].target")]
    assert "no node named 'pg-9'" in lines[0]["message"]
    assert "no cluster named 'order'" in lines[1]["message"]
    assert "found 'pg-33'" in lines[2]["message"]
    assert int(lines[0]["line"]) == position(RUNBOOK, "node:pg-9")[0]


def test_a_valid_runbook_passes_against_its_topology(tmp_path: Path) -> None:
    book = write(tmp_path, "ok.yaml", RUNBOOK.replace("pg-9", "pg-1").replace("(order)", "(orders)")
                 .replace("pg-33", "pg-3"))
    result = invoke("validate", str(book), "--topology", "active-passive", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True


def test_a_lab_is_checked_against_the_topology_given() -> None:
    lab = str(Path(__file__).resolve().parent.parent / "labs" / "raft-election.yaml")
    assert invoke("validate", lab).exit_code == 0
    result = invoke("validate", lab, "--topology", "active-passive")
    assert result.exit_code == 2 and "no node named 'etcd-a'" in result.stderr
    assert_clean_lines(result.stderr)


def test_a_bad_topology_option_is_reported_once(tmp_path: Path) -> None:
    book = write(tmp_path, "rb.yaml", RUNBOOK)
    result = invoke("validate", str(book), "--topology", "activ-passive")
    assert result.exit_code == 2 and "did you mean 'active-passive'?" in result.stderr


def test_a_misspelt_region_is_reported_with_the_schema_errors_and_the_closest_name(tmp_path: Path) -> None:
    text = (TOPOLOGIES / "active-passive.yaml").read_text()
    text = replace_once(text, "{name: pg-2, region: us-east,", "{name: pg-2, region: us-esat,")
    text = replace_once(text, "{name: checkout, depends_on: [orders, sessions]}",
                        "{name: checkout, depends_on: [orders, sesions], colour: blue}")
    path = write(tmp_path, "broken.yaml", text)
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    lines = assert_clean_lines(result.stderr)
    by_field = {m["field"]: m["message"] for m in lines}
    assert "unknown field 'colour'" in by_field["services[0].colour"]  # the schema's error...
    region = by_field["clusters[0].nodes[1].region"]  # ...and, in the same pass, the references
    assert "found 'us-esat'; did you mean 'us-east'?" in region
    assert "did you mean 'sessions'?" in by_field["services[0].depends_on[1]"]
    line, _ = position(text, "region: us-esat")
    assert any(int(m["line"]) == line for m in lines)


def test_no_reference_error_is_invented_when_the_names_cannot_be_read(tmp_path: Path) -> None:
    text = (TOPOLOGIES / "active-passive.yaml").read_text()
    text = replace_once(text, "- {name: us-west, zones: [a]", "- {nom: us-west, zones: [a]")
    result = invoke("validate", str(write(tmp_path, "t.yaml", text)))
    assert result.exit_code == 2
    assert "expected the required field 'name'" in result.stderr
    assert "expected the name of a declared region" not in result.stderr  # us-west's nodes are not flagged


@pytest.mark.parametrize(("word", "choices", "expected"), [
    ("us-esat", ["us-west", "us-east", "eu-west"], "us-east"),
    ("activ-passive", ["active-active", "active-passive", "hybrid"], "active-passive"),
    ("asink", ["async", "sync", "semi-sync"], "async"),
    ("pg-9", ["pg-1", "pg-2", "pg-3"], "pg-1"),
    ("zzzzzz", ["us-east"], None),
    ("c", ["a", "b"], None),
])
def test_suggestions_go_by_edit_distance(word: str, choices: list[str], expected: str | None) -> None:
    assert closest(word, choices) == expected


def test_a_swap_of_neighbours_is_one_edit() -> None:
    assert edit_distance("us-esat", "us-east") == 1
    assert edit_distance("us-esat", "us-west") > 1


def test_a_misspelt_fault_target_gets_the_closest_region() -> None:
    result = invoke("drill", "active-passive", "--fault", "region:us-esat")
    assert result.exit_code == 2 and "did you mean 'us-east'?" in result.stderr


def test_the_readmes_broken_example_shows_schema_and_reference_errors_together() -> None:
    example = Path(__file__).resolve().parent.parent / "docs" / "examples" / "broken.yaml"
    result = invoke("validate", str(example))
    assert result.exit_code == 2
    fields = [m["field"] for m in assert_clean_lines(result.stderr)]
    assert {"kind", "clusters[0].nodez", "network.jitter", "slo.rto"} <= set(fields)  # the schema's
    assert {"clusters[0].nodes[1].region", "traffic[0].cluster"} <= set(fields)  # the references'
