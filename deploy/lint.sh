#!/usr/bin/env bash
# Lint the deployment templates: zero errors, zero warnings, zero informational findings.
#
#   deploy/lint.sh [PYTHON]
#
# PYTHON is the interpreter of a venv holding the pinned tools (cfn-lint==1.58.0,
# aws-sam-translator==1.115.0); without it, the interpreter of the `cfn-lint` found on PATH.
# Four passes:
#   1. cfn-lint on deploy/template.yaml itself (SAM resource schemas, parameters, conditions);
#   2. the AWS SAM translator expands the template offline (deploy/sam-expand.py), and cfn-lint
#      checks every generated CloudFormation resource (function, event source mapping, ...);
#   3. cfn-lint on deploy/member.yaml (plain CloudFormation, the member accounts' stack set);
#   4. every EventBridge rule of both templates has its default-bus rule's event pattern
#      (deploy/same-patterns.py).
# Any finding fails the script. Suppressions, if ever needed, live in the template next to the
# resource they concern, with the reason.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
template="$here/template.yaml"
member="$here/member.yaml"

python="${1:-}"
if [ -z "$python" ]; then
  if ! cfn_lint=$(command -v cfn-lint); then
    echo "deploy/lint.sh: no PYTHON given and no cfn-lint on PATH;" \
      "install with: python3 -m venv venv && venv/bin/pip install cfn-lint==1.58.0 aws-sam-translator==1.115.0" >&2
    exit 2
  fi
  # The console script's shebang names the interpreter of its venv.
  python=$(head -n1 "$cfn_lint" | sed 's/^#![[:space:]]*//')
fi
if ! "$python" -c 'import cfnlint, samtranslator' 2>/dev/null; then
  echo "deploy/lint.sh: $python lacks cfn-lint or aws-sam-translator" >&2
  exit 2
fi

# cfnlint has no __main__; call the console script's entry point.
cfn_lint() { "$python" -c 'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())' "$@"; }

echo "==> $(cfn_lint --version), aws-sam-translator $("$python" -c 'import samtranslator; print(samtranslator.__version__)')" >&2

# cfn-lint exits non-zero for any error (2), warning (4) or, with I included, informational (8).
lint() { cfn_lint --include-checks I --format parseable -- "$1"; }

echo "==> cfn-lint deploy/template.yaml" >&2
lint "$template"

expanded=$(mktemp -d)
trap 'rm -rf "$expanded"' EXIT
echo "==> SAM transform, then cfn-lint on the expanded template" >&2
"$python" "$here/sam-expand.py" "$template" >"$expanded/template.json"
lint "$expanded/template.json"

echo "==> cfn-lint deploy/member.yaml" >&2
lint "$member"

echo "==> the same event patterns on every bus (deploy/same-patterns.py)" >&2
"$python" "$here/same-patterns.py" "$template" "$member"

echo "==> templates clean" >&2
