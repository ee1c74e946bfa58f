"""Check that every palosync EventBridge rule matches the same events as its default-bus rule.

deploy/template.yaml subscribes the default bus (ApiCallRule, InstanceStateRule) and, for many
accounts and regions, the central bus (CentralApiCallRule, CentralInstanceStateRule);
deploy/member.yaml forwards from each member's default bus (ForwardApiCallRule,
ForwardInstanceStateRule). CloudFormation cannot share one pattern between rules, so the
copies are compared here: a name added to one list and not the others fails.

    python same-patterns.py deploy/template.yaml deploy/member.yaml
"""

import json
import sys

from cfnlint.decode import decode

# (template, logical id) of each copy, the first being the reference.
RULES = {
    "API calls": [(0, "ApiCallRule"), (0, "CentralApiCallRule"), (1, "ForwardApiCallRule")],
    "instance state": [
        (0, "InstanceStateRule"),
        (0, "CentralInstanceStateRule"),
        (1, "ForwardInstanceStateRule"),
    ],
}


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: same-patterns.py TEMPLATE MEMBER_TEMPLATE", file=sys.stderr)
        return 2
    templates = []
    for path in sys.argv[1:]:
        template, problems = decode(path)
        if problems:
            for problem in problems:
                print(problem, file=sys.stderr)
            return 1
        # Plain data: cfn-lint's node types carry line marks that would not compare equal.
        templates.append(json.loads(json.dumps(template)))
    failed = False
    for what, copies in RULES.items():
        patterns = []
        for index, logical_id in copies:
            resource = templates[index]["Resources"].get(logical_id)
            if resource is None:
                print(f"{sys.argv[1 + index]}: no rule {logical_id}", file=sys.stderr)
                return 1
            patterns.append(resource["Properties"]["EventPattern"])
        (first_index, first_id), reference = copies[0], patterns[0]
        for (index, logical_id), pattern in zip(copies[1:], patterns[1:]):
            if pattern != reference:
                failed = True
                print(
                    f"{sys.argv[1 + index]}: {logical_id}'s EventPattern ({what}) differs from "
                    f"{sys.argv[1 + first_index]}: {first_id}'s",
                    file=sys.stderr,
                )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
