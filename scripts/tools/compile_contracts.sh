#!/usr/bin/env bash
# Regenerate the compiled artifacts of the EVM stand-in's test contracts.
#
#   scripts/tools/compile_contracts.sh
#
# Compiles tests/standins/contracts/*.sol with solc-js (pinned, fetched by npx) through its
# standard-JSON interface, targeting an EVM version py-evm runs in eth-tester (cancun; the
# tester chain runs Prague, which is a superset). Then writes <Contract>.json next to each
# source: {"contractName", "sourceFile", "compiler", "evmVersion", "abi", "bytecode"}.
# CI does not run this; the JSON artifacts are committed.
set -euo pipefail

SOLC_VERSION="0.8.28"
EVM_VERSION="cancun"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONTRACTS="$ROOT/tests/standins/contracts"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$PYTHON" - "$CONTRACTS" "$EVM_VERSION" >"$WORK/input.json" <<'PY'
import json
import sys
from pathlib import Path

contracts, evm_version = Path(sys.argv[1]), sys.argv[2]
print(json.dumps({
    "language": "Solidity",
    "sources": {p.name: {"content": p.read_text()} for p in sorted(contracts.glob("*.sol"))},
    "settings": {
        "optimizer": {"enabled": True, "runs": 200},
        "evmVersion": evm_version,
        "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
    },
}))
PY

# solc-js prints a note about SMT solvers before the JSON; keep only the JSON line.
npx --yes "solc@$SOLC_VERSION" --standard-json <"$WORK/input.json" | grep "^{" >"$WORK/output.json"
COMPILER="$(npx --yes "solc@$SOLC_VERSION" --version)"

"$PYTHON" - "$WORK/output.json" "$CONTRACTS" "$COMPILER" "$EVM_VERSION" <<'PY'
import json
import sys
from pathlib import Path

output = json.loads(Path(sys.argv[1]).read_text())
contracts, compiler, evm_version = Path(sys.argv[2]), sys.argv[3], sys.argv[4]
errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
if errors:
    sys.exit("\n".join(e["formattedMessage"] for e in errors))
for source_file, units in sorted(output["contracts"].items()):
    for name, unit in units.items():
        artifact = {
            "contractName": name,
            "sourceFile": source_file,
            "compiler": f"solc-js {compiler}",
            "evmVersion": evm_version,
            "abi": unit["abi"],
            "bytecode": "0x" + unit["evm"]["bytecode"]["object"],
        }
        target = contracts / f"{name}.json"
        target.write_text(json.dumps(artifact, indent=2) + "\n")
        print(f"wrote {target}")
PY
