"""`regionctl schema topology|runbook|lab|report`"""

from __future__ import annotations

import click


@click.command()
@click.argument("kind", type=click.Choice(["topology", "runbook", "lab", "report"]))
def schema(kind: str) -> None:
    """Print the JSON Schema of a file kind, for editors' YAML support; `report`: of the
    `--json` reports of drill, run, blast, status and lab --check.

    \b
    Save it and point your editor at it, for example with a first line
      # yaml-language-server: $schema=./topology.schema.json
    \b
    Example:
      $ regionctl schema topology > topology.schema.json
    """
    from regionctl.cli.common import print_json

    if kind == "report":
        from regionctl.contract.schema import report_schema

        print_json(report_schema())
        return
    from regionctl.model.loader import json_schema

    print_json(json_schema(kind))  # type: ignore[arg-type]
