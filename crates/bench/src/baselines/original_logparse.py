"""What the original Lambda did with a CloudTrail log file: read it whole (gunzip), json.loads
the whole document, then loop over Records keeping the EC2 calls it acted on. Prints one JSON
line: seconds spent, peak resident memory of this process (VmHWM), records kept."""

import gzip
import json
import sys
import time

ACTED_ON = {
    "StartInstances",
    "StopInstances",
    "AuthorizeSecurityGroupIngress",
    "RevokeSecurityGroupIngress",
}


def peak_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main(path):
    started = time.perf_counter()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        contents = f.read()
    logs = json.loads(contents)
    kept = 0
    for record in logs["Records"]:
        if record.get("eventSource") == "ec2.amazonaws.com" and record["eventName"] in ACTED_ON:
            kept += 1
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_rss_kib": peak_rss_kib(), "kept": kept}))


if __name__ == "__main__":
    main(sys.argv[1])
