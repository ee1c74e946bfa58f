"""Expand deploy/template.yaml with the AWS SAM translator, offline, for linting.

cfn-lint checks a SAM template against SAM's schemas only; the resources SAM generates (the
Lambda function, its event source mapping, its async invoke config) are checked only after the
real transform. This script runs that transform the way `sam deploy` would and prints the
resulting CloudFormation template as JSON on standard output.

    python sam-expand.py deploy/template.yaml > expanded.json

It never calls AWS: the local CodeUri is swapped for a placeholder S3 location (what
`sam package` would upload), and no managed-policy lookup is needed because the template
defines its own roles.
"""

import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

PLACEHOLDER_CODE = "s3://palosync-lint-placeholder/palosync.zip"


class NoManagedPolicies:
    """The template names no managed policy; asking for one is a bug worth failing on."""

    def load(self):
        return {}


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: sam-expand.py TEMPLATE", file=sys.stderr)
        return 2
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template, problems = decode(sys.argv[1])
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = PLACEHOLDER_CODE
    # Round-trip through JSON: the translator wants plain dicts, not cfn-lint's node types.
    plain = json.loads(json.dumps(template))
    try:
        expanded = transform(plain, {}, NoManagedPolicies())
    except InvalidDocumentException as invalid:
        for cause in invalid.causes:
            print(f"{sys.argv[1]}: SAM transform: {cause.message}", file=sys.stderr)
        return 1
    json.dump(expanded, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
