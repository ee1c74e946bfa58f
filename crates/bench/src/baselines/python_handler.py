"""A Python Lambda function for the cold-start baseline: it imports boto3 (and, with
`original`, creates the ec2 and s3 resources at import time as aws-lambda-paloalto did), then
runs the Lambda Runtime API loop: GET the next event, POST the response."""

import json
import os
import sys
import urllib.request

import boto3

if len(sys.argv) > 1 and sys.argv[1] == "original":
    ec2 = boto3.resource("ec2")
    s3 = boto3.resource("s3")

BASE = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation"


def handler(event):
    return {"keys": 0, "operations": 0, "commit": None}


while True:
    with urllib.request.urlopen(BASE + "/next") as reply:
        request_id = reply.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(reply.read())
    answer = json.dumps(handler(event)).encode()
    post = urllib.request.Request(BASE + "/" + request_id + "/response", data=answer, method="POST")
    urllib.request.urlopen(post).read()
