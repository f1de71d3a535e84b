#!/usr/bin/env python3
"""Build files/cloud-config-novajoin.json from its readable sources.

The JSON is what nova's StaticJSON vendordata provider serves as
vendor_data.json; cloud-init runs the ``cloud-init`` value as vendor
cloud-config. That value is files/cloud-config-novajoin.yaml.in with the line
``@SETUP_SCRIPT@`` replaced by files/novajoin-setup-ipa-client.py, indented
to the placeholder's column (a YAML literal block).

    python3 tools/build-cloud-config.py            # rewrite the committed JSON
    python3 tools/build-cloud-config.py -o FILE    # write elsewhere (tests)
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "files" / "cloud-config-novajoin.yaml.in"
SCRIPT = ROOT / "files" / "novajoin-setup-ipa-client.py"
OUTPUT = ROOT / "files" / "cloud-config-novajoin.json"
PLACEHOLDER = "@SETUP_SCRIPT@"


def cloud_config(template: str, script: str) -> str:
    """The template with the script embedded at the placeholder's indentation."""
    lines = template.splitlines()
    spots = [i for i, line in enumerate(lines) if line.strip() == PLACEHOLDER]
    if len(spots) != 1:
        raise ValueError(f"the template must have one line {PLACEHOLDER!r}, it has {len(spots)}")
    at = spots[0]
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    if "\t" in script:
        raise ValueError("the script contains a tab: YAML block indentation would break")
    body = [indent + line if line else "" for line in script.splitlines()]
    return "\n".join(lines[:at] + body + lines[at + 1:]) + "\n"


def build() -> str:
    text = cloud_config(TEMPLATE.read_text(encoding="utf-8"), SCRIPT.read_text(encoding="utf-8"))
    if not text.startswith("#cloud-config\n"):
        raise ValueError("the template must start with '#cloud-config'")
    return json.dumps({"cloud-init": text}, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT,
                        help="where to write the JSON (default: %(default)s)")
    args = parser.parse_args(argv)
    args.output.write_text(build(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
