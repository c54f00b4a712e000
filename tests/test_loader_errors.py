"""Every class of broken input the loader must refuse, with FILE:LINE:COL: field.path: message.

Each case writes a broken file into tmp_path and checks, through `load_file` and through
`regionctl validate`, the field path, the line and column (looked up in the text, not
guessed), what the message says, exit code 2 and the absence of a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from regionctl.loading import load_file
from regionctl.model.diagnostics import Diagnostic
from regionctl.model.yaml_source import MAX_DEPTH, MAX_FILE_BYTES
from tests.modelhelpers import (
    VALID,
    assert_clean_lines,
    errors_of,
    invoke,
    position,
    replace_once,
    run,
    write,
)


@dataclass(frozen=True)
class Expect:
    """One diagnostic: its field path, where it points, and what its message says."""

    field: str
    where: tuple[int, int]
    says: tuple[str, ...]  # fragments, in order
    exact: str | None = None  # the whole message, where its wording is the point


def _mutate(old: str, new: str) -> str:
    return replace_once(VALID, old, new)


def _at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    return position(text, needle, occurrence)


def _after(text: str, needle: str) -> tuple[int, int]:
    """Where the value after a `key: ` needle starts."""
    line, col = position(text, needle)
    return line, col + len(needle.split(": ")[0]) + 2


def _bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _padded(total: int) -> str:
    """VALID, padded with a comment to exactly `total` bytes."""
    head = "# " + "x" * (total - len(VALID.encode()) - 3) + "\n"
    text = head + VALID
    assert len(text.encode()) == total
    return text


def _cases() -> list[tuple[str, str | bytes, list[Expect]]]:
    cases: list[tuple[str, str | bytes, list[Expect]]] = []

    def add(case_id: str, content: str | bytes, *expects: Expect) -> None:
        cases.append((case_id, content, list(expects)))

    # -- what is not a single mapping of fields -------------------------------------------
    empty_says = ("expected a YAML mapping", "found an empty file")
    add("empty-file", "", Expect("(file)", (1, 1), empty_says))
    add("only-comments", "# nothing here\n\n", Expect("(file)", (1, 1), empty_says))
    add("only-document-marker", "---\n", Expect("(file)", (1, 1), empty_says))
    add("top-level-list", "- name: shop\n- kind: hybrid\n",
        Expect("(top level)", (1, 1), (),
               exact="expected a mapping of fields at the top level, found a list"))
    add("top-level-scalar", "just some text\n",
        Expect("(top level)", (1, 1), (),
               exact="expected a mapping of fields at the top level, found the scalar 'just some text'"))
    add("top-level-number", "42\n", Expect("(top level)", (1, 1), ("found the scalar 42",)))
    text = VALID + "---\nname: other\n"
    add("two-documents", text,
        Expect("(file)", _at(text, "---"), ("expected one YAML document, found a second one",)))
    text = "---\n" + VALID + "...\n---\n" + VALID
    add("two-explicit-documents", text,
        Expect("(file)", _at(text, "---", 2), ("expected one YAML document, found a second one",)))

    # -- tags that PyYAML's full loader would construct -----------------------------------
    refused = ("expected plain YAML", "which regionctl never constructs")
    for tag in ("!!python/object/apply:os.system", "!!python/object/new:os.system",
                "!!python/name:os.system", "!!python/module:os", "!custom"):
        text = _mutate("name: shop", f"name: {tag} [echo]")
        add(f"tag-{tag.strip('!').replace('/', '-').replace(':', '-')}", text,
            Expect("name", _at(text, tag), (refused[0], repr(tag), refused[1])))
    text = _mutate("regions:\n", "regions: !!python/object:collections.OrderedDict\n")
    add("tag-on-a-list", text,
        Expect("regions", _at(text, "!!python"), ("'!!python/object:collections.OrderedDict'",)))
    text = _mutate("  jitter: 10%", "  !!python/name:os.system : 10%")
    add("tag-on-a-key", text, Expect("network", _at(text, "!!python"), ("'!!python/name:os.system'",)))

    # -- resource limits --------------------------------------------------------------------
    text = _bomb()
    # Refused at the first alias that takes the document over the limit, before anything is built.
    add("alias-bomb", text,
        Expect("(file)", _at(text, "*e", 2), ("expected at most", "values", "alias expansion bomb")))
    text = "name: &loop [a, *loop]\n"
    add("recursive-alias", text, Expect("(file)", _at(text, "*loop"), ("recursive alias",)))
    text = "name: " + "[" * 100 + "]" * 100 + "\n"
    # The top-level mapping is level 1, so the first `[` is level 2: level 49 is the 48th.
    add("deep-flow-nesting", text,
        Expect("(file)", (1, len("name: ") + MAX_DEPTH),
               (f"expected nesting at most {MAX_DEPTH} levels deep",)))
    text = "name:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(60))
    add("deep-block-nesting", text,
        Expect("(file)", _at(text, f"k{MAX_DEPTH - 1}:"), ("found deeper nesting",)))
    add("over-1-MiB", _padded(MAX_FILE_BYTES + 1),
        Expect("(file)", (1, 1), (), exact="expected a YAML file of at most 1024 KiB, found a larger file"))

    # -- bytes that are not UTF-8 text ------------------------------------------------------
    text = _mutate("kind: active-passive", "kind: active\x00passive")
    add("nul-byte", text.encode(),
        Expect("(file)", _at(text, "\x00"), (),
               exact="expected UTF-8 text, found binary content (a NUL byte)"))
    raw = _mutate("name: shop", "name: caf\u00e9").encode("latin-1")
    add("latin-1", raw,
        Expect("(file)", (2, 10), (),
               exact="expected UTF-8 text, found the byte 0xe9 that is not valid UTF-8"))
    add("utf-16", VALID.encode("utf-16"), Expect("(file)", (1, 4), ("binary content",)))
    raw = b"name: shop\nkind: \xff\xfe\n"
    add("invalid-utf-8-line-2", raw, Expect("(file)", (2, 7), ("the byte 0xff",)))

    # -- syntax -------------------------------------------------------------------------------
    text = _mutate("kind: active-passive", "kind: active: passive")
    add("syntax-mapping-values", text,
        Expect("(syntax)", _at(text, ": passive"), (),
               exact="invalid YAML: mapping values are not allowed here"))
    text = _mutate("  - {name: eu-west, zones: [a, b]}", "  - {name: eu-west, zones: [a, b]")
    add("syntax-unclosed-flow-mapping", text,
        Expect("(syntax)", _at(text, "- {name: us-east-2"), ("invalid YAML: expected ',' or '}'",)))
    text = _mutate("    engine: etcd\n", "    engine: etcd\n\ttimings: {}\n")
    add("syntax-tab", text, Expect("(syntax)", _at(text, "\ttimings"), ("invalid YAML", "'\\t'")))
    text = _mutate("name: shop", 'name: "shop')
    add("syntax-unclosed-quote", text,
        Expect("(syntax)", (text.count("\n") + 1, 1), ("invalid YAML", "end of stream")))
    text = _mutate("name: shop", "name: *shop")
    add("syntax-undefined-alias", text,
        Expect("(syntax)", _at(text, "*shop"), (), exact="invalid YAML: found undefined alias 'shop'"))
    text = _mutate("name: shop", "name: sh\x07op")
    add("syntax-control-character", text,
        Expect("(syntax)", _at(text, "\x07"), ("invalid YAML", "#x0007")))

    # -- keys ---------------------------------------------------------------------------------
    text = _mutate("kind: active-passive\n", "kind: active-passive\nname: shop2\n")
    add("duplicate-top-level-key", text,
        Expect("name", _at(text, "name: shop2"), (), exact="expected each key once, found 'name' again "
               f"(first at line {_at(text, 'name: shop')[0]})"))
    text = _mutate("replication: {mode: async}", "replication: {mode: async, mode: sync}")
    add("duplicate-nested-key", text,
        Expect("clusters[0].replication.mode", _at(text, "mode: sync"),
               (f"found 'mode' again (first at line {_at(text, 'mode: async')[0]})",)))
    text = _mutate("    engine: postgres-patroni", "    engin: postgres-patroni")
    add("unknown-key-close", text,
        Expect("clusters[0].engin", _at(text, "engin:"), (),
               exact="expected a known field, found the unknown field 'engin'; did you mean 'engine'?"),
        Expect("clusters[0].engine", (_at(text, "- name: orders")[0], 5),
               ("expected the required field 'engine', found it missing",)))
    text = _mutate("      - {name: pg-2, region: us-east, zone: b}",
                   "      - {name: pg-2, region: us-east, zone: b, colour: blue}")
    add("unknown-key-far", text,
        Expect("clusters[0].nodes[1].colour", _at(text, "colour"), (),
               exact="expected one of the fields adapter, capacity, host, name, priority, region, role, ssh_port, "
                     "zone, found the unknown field 'colour'"))
    text = _mutate("tenants:", "tenant:")
    add("unknown-top-level-key", text,
        Expect("tenant", _at(text, "tenant:"), ("did you mean 'tenants'?",)))

    # -- values -------------------------------------------------------------------------------
    text = _mutate("kind: active-passive", "kind: active-pasive")
    add("enum-kind", text,
        Expect("kind", _at(text, "active-pasive"),
               ("expected one of 'single-region', 'active-passive'", "found 'active-pasive'",
                "did you mean 'active-passive'?")))
    text = _mutate("{mode: async}", "{mode: asink}")
    add("enum-replication-mode", text,
        Expect("clusters[0].replication.mode", _at(text, "asink"), ("did you mean 'async'?",)))
    text = _mutate("engine: postgres-patroni", "engine: postgres-patrony")
    add("enum-engine", text,
        Expect("clusters[0].engine", _at(text, "postgres-patrony"), ("did you mean 'postgres-patroni'?",)))
    text = _mutate("{name: pg-1, region: us-east, zone: a, role: leader}",
                   "{name: pg-1, region: us-east, zone: a, role: leeder}")
    add("enum-role", text,
        Expect("clusters[0].nodes[0].role", _at(text, "leeder"), ("did you mean 'leader'?",)))
    text = _mutate("rto: 60s", "rto: 60")
    add("bare-number-duration", text,
        Expect("slo.rto", _at(text, "60,"), (),
               exact="expected a duration with a unit like 500ms, 30s, 10m, 1h or 1m30s, found the bare number 60 "
                     "(add a unit, for example 30s)"))
    text = _mutate("availability: 99.95%", "availability: 99.95")
    add("bare-number-percentage", text,
        Expect("slo.availability", _at(text, "99.95"), (),
               exact="expected a percentage like 99.95%, found the bare number 99.95 "
                     "(write it with a % sign, for example 99.9%)"))
    text = _mutate("us-east|eu-west: 80ms", "us-east|eu-west: 80")
    add("bare-number-rtt", text,
        Expect("network.rtt.us-east|eu-west", _at(text, "80,"), ("found the bare number 80",)))
    text = _mutate("jitter: 10%", "jitter: 10")
    add("bare-number-jitter", text, Expect("network.jitter", _at(text, "10\n"), ("with a % sign",)))
    text = _mutate("dns_ttl: 5s", "dns_ttl: 5")
    add("bare-number-dns-ttl", text, Expect("traffic[0].dns_ttl", _at(text, "5}"), ("add a unit",)))
    text = _mutate("us-east|eu-west: 80ms", "us-east|eu-west: -80ms")
    add("negative-rtt", text,
        Expect("network.rtt.us-east|eu-west", _at(text, "-80ms"), (),
               exact="expected a duration that is not negative, found '-80ms'"))
    text = _mutate("write_latency_p99: 250ms", "write_latency_p99: -250ms")
    add("negative-latency-slo", text,
        Expect("slo.write_latency_p99", _at(text, "-250ms"), ("not negative",)))
    text = _mutate("availability: 99.95%", "availability: 150%")
    add("percentage-over-100", text,
        Expect("slo.availability", _at(text, "150%"), ("between 0% and 100%", "'150%'")))
    text = _mutate("writes_per_s: 200", "writes_per_s: .inf")
    add("infinite-rate", text, Expect("traffic[0].writes_per_s", _at(text, ".inf"), ("finite number",)))
    for case_id, number in (("huge-integer", "1" * 5000), ("huge-hex-integer", "0x" + "f" * 5000),
                            ("huge-base-60-integer", "1:" * 3000 + "1")):
        text = _mutate("writes_per_s: 200", f"writes_per_s: {number}")
        add(case_id, text,
            Expect("traffic[0].writes_per_s", _after(text, "writes_per_s: "),
                   ("expected a value of sane size", f"({len(number)} characters)", "as int")))
    text = _mutate("  - {name: eu-west, zones: [a, b]}", "  - {name: 'eu west', zones: [a, b]}")
    add("bad-name", text, Expect("regions[1].name", _at(text, "'eu west'"), ("expected a name of letters",)))
    text = _mutate("traffic:\n  - {from: us-east, cluster: orders, writes_per_s: 200, reads_per_s: 1000, "
                   "routing: dns, dns_ttl: 5s}\n", "traffic: heavy\n")
    add("list-expected", text,
        Expect("traffic", _at(text, "heavy"), (), exact="expected a list, found 'heavy'"))
    text = _mutate("  - {name: acme, model: silo, cluster: orders}",
                   "  - {name: acme, model: silo, cluster: [orders]}")
    add("tenant-cluster-shorthand-type", text,
        Expect("tenants[0].cluster", _after(text, "cluster: [orders]"), ("expected text, found a list",)))
    text = _mutate("name: shop\n", "")
    add("missing-required", text,  # placed where the mapping that lacks it starts
        Expect("name", _at(text, "kind:"), (), exact="expected the required field 'name', found it missing"))

    # -- cross-checks -----------------------------------------------------------------------
    text = _mutate("{name: pg-3, region: eu-west,", "{name: pg-3, region: eu-wst,")
    add("node-unknown-region", text,
        Expect("clusters[0].nodes[2].region", _at(text, "eu-wst"), (),
               exact="expected the name of a declared region, found 'eu-wst'; did you mean 'eu-west'? "
                     "(declared: us-east, eu-west, us-east-2)"))
    text = _mutate("{name: pg-3, region: eu-west, zone: a}", "{name: pg-3, region: eu-west, zone: c}")
    add("zone-not-in-region", text,
        Expect("clusters[0].nodes[2].zone", _after(text, "zone: c}"), (),
               exact="expected a zone of region 'eu-west' (a, b), found 'c'"))
    text = _mutate("{name: pg-2, region: us-east, zone: b}",
                   "{name: pg-2, region: us-east, zone: b, role: leader}")
    add("two-leaders", text,
        Expect("clusters[0].nodes[1].role", _at(text, "leader", 2), (),
               exact="expected exactly one initial leader, found a second one ('pg-2'; the first is 'pg-1')"))
    text = _mutate("{name: pg-1, region: us-east, zone: a, role: leader}",
                   "{name: pg-1, region: us-east, zone: a}")
    add("no-leader", text,
        Expect("clusters[0].nodes", _at(text, "- {name: pg-1"),
               ("expected exactly one node with role: leader", "async replication, found none")))
    text = _mutate("  - {name: us-east-2, zones: [a]}",
                   "  - {name: us-east-2, zones: [a]}\n  - {name: eu-west}")
    add("duplicate-region", text,
        Expect("regions[3].name", _at(text, "eu-west}"), (),
               exact="expected unique region names, found 'eu-west' again"))
    text = _mutate("{name: etcd-3,", "{name: pg-3,")
    add("duplicate-node-across-clusters", text,
        Expect("clusters[1].nodes[2].name", _at(text, "pg-3", 2),
               ("expected unique node names, found 'pg-3' again",)))
    text = _mutate("{name: globex,", "{name: acme,")
    add("duplicate-tenant", text,
        Expect("tenants[1].name", _at(text, "acme", 2),
               ("expected unique tenant names, found 'acme' again",)))
    text = _mutate("{from: us-east, cluster: orders,", "{from: us-east, cluster: ordrs,")
    add("traffic-unknown-cluster", text,
        Expect("traffic[0].cluster", _at(text, "ordrs"), ("found 'ordrs'; did you mean 'orders'?",
                                                        "(declared: orders, control)")))
    text = _mutate("{from: us-east, cluster", "{from: ap-south, cluster")
    add("traffic-unknown-region", text,
        Expect("traffic[0].from", _at(text, "ap-south"), ("expected the name of a declared region",)))
    text = _mutate("model: silo, cluster: orders}", "model: silo, cluster: billing}")
    add("tenant-unknown-cluster", text,
        Expect("tenants[0].cluster", _at(text, "billing"), (),
               exact="expected the name of a declared cluster, found 'billing' (declared: orders, control)"))
    text = _mutate("clusters: [orders], services", "clusters: [ordr], services")
    add("tenant-unknown-cluster-in-list", text,
        Expect("tenants[1].clusters[0]", _at(text, "ordr]"), ("did you mean 'orders'?",)))
    text = _mutate("us-east|eu-west: 80ms", "us-east|eu-wset: 80ms")
    add("rtt-unknown-region", text,
        Expect("network.rtt.us-east|eu-wset", _at(text, "us-east|eu-wset"),
               ("expected the name of a declared region, found 'eu-wset'; did you mean 'eu-west'?",)))
    text = _mutate("{name: api, depends_on: [orders]}", "{name: api, depends_on: [orders, web]}")
    add("service-cycle", text,
        Expect("services[0].depends_on", _at(text, "[orders, web]"), (),
               exact="expected dependencies without a cycle, found api -> web -> api"))
    text = _mutate("replication: {mode: async}", "replication: {mode: sync, sync_replicas: [pg-9]}")
    add("sync-replica-not-a-member", text,
        Expect("clusters[0].replication.sync_replicas[0]", _at(text, "pg-9"),
               ("expected the name of a declared node of this cluster, found 'pg-9'",
                "(declared: pg-1, pg-2, pg-3)")))
    text = _mutate("timings: {election_timeout: 2s}", "timings: {election_timout: 2s}")
    add("timing-unknown-for-engine", text,
        Expect("clusters[1].timings.election_timout", _at(text, "election_timout"), (),
               exact="expected a timing of the etcd preset (client_retry, election_timeout, "
                     "health_check_interval, heartbeat, proxy_inter), "
                     "found 'election_timout'; did you mean 'election_timeout'?"))
    return cases


CASES = _cases()


def _check(diags: list[Diagnostic], path: Path, expects: list[Expect]) -> None:
    for expect in expects:
        found = [d for d in diags if d.field == expect.field]
        assert found, f"no diagnostic for {expect.field!r}; got {[d.format() for d in diags]}"
        diag = found[0]
        assert diag.file == str(path)
        assert (diag.line, diag.col) == expect.where, diag.format()
        if expect.exact is not None:
            assert diag.message == expect.exact
        rest = diag.message
        for fragment in expect.says:
            assert fragment in rest, f"{fragment!r} not in {diag.message!r}"
            rest = rest[rest.index(fragment) + len(fragment):]
        assert diag.severity == "error"
        line = diag.format()
        assert line == f"{path}:{expect.where[0]}:{expect.where[1]}: {expect.field}: {diag.message}"
        assert "\n" not in line


@pytest.mark.parametrize(("content", "expects"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_loader_reports_each_error_with_its_place(tmp_path: Path, content: str | bytes,
                                                   expects: list[Expect]) -> None:
    path = write(tmp_path, "broken.yaml", content)
    diags = errors_of(path)
    _check(diags, path, expects)
    # What was expected and what was found, in one line each.
    for diag in diags:
        if diag.field != "(syntax)":
            assert diag.message.startswith("expected") and "found" in diag.message, diag.message


@pytest.mark.parametrize(("content", "expects"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validate_prints_the_same_lines_and_exits_2(tmp_path: Path, content: str | bytes,
                                                    expects: list[Expect]) -> None:
    path = write(tmp_path, "broken.yaml", content)
    result = invoke("validate", str(path))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    matches = assert_clean_lines(result.stderr)
    printed = {(m["field"], int(m["line"]), int(m["col"])) for m in matches}
    for expect in expects:
        assert (expect.field, *expect.where) in printed
    assert all(m["file"] == str(path) for m in matches)


def test_every_broken_file_through_the_real_command(tmp_path: Path) -> None:
    """One process validates every broken file: exit 2, each file reported, no traceback."""
    paths = []
    for i, (case_id, content, _) in enumerate(CASES):
        paths.append(write(tmp_path, f"{i:02d}-{case_id}.yaml", content))
    proc = run("validate", *map(str, paths))
    assert proc.returncode == 2
    assert proc.stdout == ""
    matches = assert_clean_lines(proc.stderr)
    assert {m["file"] for m in matches} == {str(p) for p in paths}


def test_python_tags_are_never_constructed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "pwned"
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    text = (f'name: !!python/object/apply:os.system ["touch {marker}"]\n'
            f'kind: !!python/object/apply:subprocess.check_call [["touch", "{marker}"]]\n'
            f'description: !!python/object/new:os.system ["touch {marker}"]\n'
            f'regions: !!python/object/apply:builtins.exec ["open(\'{marker}\', \'w\')"]\n')
    path = write(tmp_path, "evil.yaml", text)
    diags = errors_of(path)
    assert not marker.exists()
    assert calls == []
    refused = {d.field for d in diags if "never constructs" in d.message}
    assert refused == {"name", "kind", "description", "regions"}
    # A refused value reads as null; the schema's complaints about that null would be noise.
    assert [d for d in diags if d.field in refused and "never constructs" not in d.message] == []
    assert any(d.field == "clusters" for d in diags)  # the rest of the file is still checked
    # And through the real command, in a process where os.system is the real one.
    proc = run("validate", str(path))
    assert proc.returncode == 2
    assert_clean_lines(proc.stderr)
    assert not marker.exists()


def test_alias_bomb_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.yaml", _bomb())
    (diag,) = errors_of(path)
    assert diag.field == "(file)" and "alias expansion bomb" in diag.message


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = _mutate("name: shop\n", "x-zones: &zones [a, b]\nname: shop\n")
    text = text.replace("  - {name: us-east, zones: [a, b]}", "  - {name: us-east, zones: *zones}")
    path = write(tmp_path, "aliases.yaml", text)
    # Aliases are plain YAML: the only complaint is the unknown helper key, not the alias.
    (diag,) = errors_of(path)
    assert diag.field == "x-zones" and "unknown field 'x-zones'" in diag.message


def test_merge_keys_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    text = "base: &base {region: us-east}\nname: shop\nextra: {<<: *base, zone: a}\n"
    path = write(tmp_path, "merge.yaml", text)
    diags = errors_of(path)
    merge = [d for d in diags if "merge key" in d.message]
    assert len(merge) == 1 and merge[0].line == 3


def test_exactly_the_size_limit_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "big.yaml", _padded(MAX_FILE_BYTES))
    assert load_file(path).kind == "topology"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.yaml", "\ufeff".encode() + VALID.encode())
    assert load_file(path).kind == "topology"


def test_missing_file_and_empty_directory(tmp_path: Path) -> None:
    (diag,) = errors_of(tmp_path / "nope.yaml")
    missing = tmp_path / "nope.yaml"
    assert diag.format() == f"{missing}:1:1: (file): expected a readable file, found no such file"
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    result = invoke("validate", str(empty))
    assert result.exit_code == 2  # checking nothing is not a pass
    (match,) = assert_clean_lines(result.stderr)
    assert match["file"] == str(empty) and "found none" in match["message"]


def _schema_errors(text: str) -> str:
    """Several schema-level errors at once (and a duplicate key, found while reading)."""
    text = replace_once(text, "kind: active-passive", "kind: active-pasive")
    text = replace_once(text, "{mode: async}", "{mode: asink}")
    text = replace_once(text, "    engine: etcd", "    engine: etcd\n    engin: etcd")
    text = replace_once(text, "rto: 60s", "rto: 60")
    text = replace_once(text, "us-east|eu-west: 80ms", "us-east|eu-west: -80ms")
    return replace_once(text, "  jitter: 10%", "  jitter: 10%\n  jitter: 20%")


def _crosscheck_errors(text: str) -> str:
    text = replace_once(text, "{name: pg-3, region: eu-west,", "{name: pg-3, region: eu-wst,")
    text = replace_once(text, "{name: pg-2, region: us-east, zone: b}",
                        "{name: pg-2, region: us-east, zone: b, role: leader}")
    text = replace_once(text, "{from: us-east, cluster: orders,", "{from: us-east, cluster: ordrs,")
    text = replace_once(text, "depends_on: [orders]}", "depends_on: [orders, web]}")
    text = replace_once(text, "us-east|eu-west: 80ms", "us-east|eu-wset: 80ms")
    return replace_once(text, "{name: globex,", "{name: acme,")


@pytest.mark.parametrize(("make", "fields"), [
    (_schema_errors, ["network.rtt.us-east|eu-west", "network.jitter", "kind", "clusters[0].replication.mode",
                      "clusters[1].engin", "slo.rto"]),
    (_crosscheck_errors, ["network.rtt.us-east|eu-wset", "clusters[0].nodes[1].role",
                          "clusters[0].nodes[2].region", "traffic[0].cluster", "services[0].depends_on",
                          "tenants[1].name"]),
], ids=["schema", "cross-checks"])
def test_all_errors_of_a_file_at_once(tmp_path: Path, make: Callable[[str], str], fields: list[str]) -> None:
    text = make(VALID)
    path = write(tmp_path, "many.yaml", text)
    diags = errors_of(path)
    assert sorted(d.field for d in diags) == sorted(fields)
    assert [(d.line, d.col) for d in diags] == sorted((d.line, d.col) for d in diags)
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    matches = assert_clean_lines(result.stderr)
    assert [m["field"] for m in matches] == [d.field for d in diags]  # one line each, in file order


def test_runbook_and_lab_files_get_the_same_treatment(tmp_path: Path) -> None:
    runbook = "name: rb\nsteps:\n  - {id: s1, kind: fualt}\n  - {id: s2, kind: wait, timeout: 30}\n"
    path = write(tmp_path, "rb.yaml", runbook)
    diags = errors_of(path)
    assert [(d.field, d.line, d.col) for d in diags] == [
        ("steps[0].kind", *position(runbook, "fualt")), ("steps[1].timeout", *position(runbook, "30}"))]
    assert "did you mean 'fault'?" in diags[0].message
    lab = "name: lab1\ntitle: x\nlevel: expert\ntopology: 5\nsteps: []\n"
    diags = errors_of(write(tmp_path, "lab.yaml", lab))
    # A union's alternatives become one message, and the path names only what the user wrote.
    assert [d.field for d in diags] == ["level", "topology", "steps"]
    assert diags[1].message == "expected text, found 5; or expected a mapping, found 5"


def test_embedded_runbook_keys_with_odd_characters(tmp_path: Path) -> None:
    text = VALID + 'runbooks:\n  - {name: rb, steps: [{id: s1, kind: note}], "[x]": 1, "a.b": 2}\n'
    diags = errors_of(write(tmp_path, "odd.yaml", text))
    assert [d.field for d in diags] == ["runbooks[0]['[x]']", "runbooks[0]['a.b']"]


def test_a_key_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    text = VALID + '"multi\\nline": 1\n'
    (diag,) = errors_of(write(tmp_path, "nl.yaml", text))
    assert diag.field == "['multi\\nline']"
    assert "\n" not in diag.format()


@pytest.mark.parametrize("where", ["cluster", "region", "runbook param"])
def test_a_name_with_a_final_newline_is_refused(tmp_path: Path, where: str) -> None:
    # `$` matches before a final newline: the name rule must hold for the whole text (found in review).
    from regionctl.model.runbook import Runbook
    from regionctl.model.topology import Topology
    from regionctl.model.validation import ValidationError

    base = {"name": "t", "kind": "single-region", "regions": [{"name": "r"}],
            "clusters": [{"name": "c", "engine": "etcd", "nodes": [{"name": "n1", "region": "r"}]}]}
    if where == "cluster":
        base["clusters"][0]["name"] = "c\n"  # type: ignore[index]
    elif where == "region":
        base["regions"] = [{"name": "r\n"}]
    else:
        with pytest.raises(ValidationError, match="expected a name"):
            Runbook.model_validate({"name": "rb", "params": {"ok\n": {}}, "steps": [{"id": "s", "kind": "note"}]})
        return
    with pytest.raises(ValidationError, match="expected a name"):
        Topology.model_validate(base)


def test_an_undeclared_zone_is_reported_with_a_schema_error_on_the_same_node(tmp_path: Path) -> None:
    """`role: boss` and `zone: c` on one node: only the role was reported (the zone check needed the typed
    model, which the role's error kept from being built); the raw references now check zones too."""
    text = replace_once(VALID, "{name: pg-2, region: us-east, zone: b}",
                        "{name: pg-2, region: us-east, zone: c, role: boss}")
    diags = errors_of(write(tmp_path, "zone.yaml", text))
    by_field = {d.field: d.message for d in diags}
    assert set(by_field) == {"clusters[0].nodes[1].zone", "clusters[0].nodes[1].role"}, by_field
    assert by_field["clusters[0].nodes[1].zone"].startswith("expected a zone of region 'us-east' (a, b), found 'c'")
