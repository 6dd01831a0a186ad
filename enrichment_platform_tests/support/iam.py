"""AWS with IAM enforced, for proving resources/deploy/iam-policy.json by running under it: moto's server in a
process of its own that authenticates every request after the first few and evaluates the caller's IAM
policies, records every request it gets, and the reading of that recording as the IAM actions performed."""

import base64
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

import boto3
import pytest

from enrichment_platform.devstack.processes import free_port
from enrichment_platform.devstack.s3_server import start_moto_server_process
from enrichment_platform_tests.support.harness import DEPLOY

SHIPPED_POLICY = DEPLOY / "iam-policy.json"
SHIPPED_BUCKET = "rl-data"
SHIPPED_QUEUE = "enrichment-raw-postings-events"
ACCOUNT = "123456789012"  # moto's default account, also the one the shipped policy names
REGION = "us-east-1"
# Requests moto's server takes without authentication: creating the admin user, its key and its policy.
ADMIN_SETUP_REQUESTS = 3
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
# SQS authorizes a batch call by the action of its single form; moto's server checks the batch call's own
# name, so the policy a test user gets lists both.
SQS_BATCH_ACTIONS = {
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    "SendMessageBatch": "SendMessage",
}
# S3 calls whose IAM action is not "s3:" + the call's name (path-style requests, as boto3 sends to 127.0.0.1).
S3_BUCKET_CALLS = {"GET": "s3:ListBucket", "HEAD": "s3:ListBucket"}
S3_OBJECT_CALLS = {
    "GET": "s3:GetObject",
    "HEAD": "s3:GetObject",
    "PUT": "s3:PutObject",
    "DELETE": "s3:DeleteObject",
}
S3_IGNORED_QUERY = {
    "list-type",
    "prefix",
    "start-after",
    "continuation-token",
    "max-keys",
    "x-id",
    "encoding-type",
}

MULTIPART_QUERY = {"uploads", "uploadId", "partNumber"}


class UnmappedRequestError(AssertionError):
    """A recorded request this module cannot name the IAM action of: teach `iam_operation` its call."""


@dataclass(frozen=True)
class Operation:
    """One request as IAM sees it: the action, the resource ARN and the condition keys it carries."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    request: str = field(default="", compare=False)  # "METHOD url", for messages

    def __str__(self) -> str:
        extra = "".join(f" {key}={value!r}" for key, value in self.context)
        return f"{self.action} on {self.resource}{extra}"


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _pattern(text: str) -> re.Pattern:
    """IAM's wildcards: * any run of characters, ? one character; nothing else is special."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text))


def _matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return bool(
        _pattern(pattern.lower() if ignore_case else pattern).fullmatch(
            value.lower() if ignore_case else value
        )
    )


CONDITION_TESTS = {
    "StringLike": lambda expected, actual: _matches(expected, actual),
    "StringEquals": lambda expected, actual: expected == actual,
    "ArnEquals": lambda expected, actual: expected == actual,
    "ArnLike": lambda expected, actual: _matches(expected, actual),
}


def conditions_hold(
    statement: dict, context: dict[str, str], only: tuple[str, str, str] | None = None
) -> bool:
    """Whether the request's condition keys satisfy every condition of the statement (a key the request
    does not carry satisfies none, as in IAM, unless the operator ends in IfExists); `only` = (operator,
    key, value) narrows one condition to one value."""
    for operator, keys in statement.get("Condition", {}).items():
        test = CONDITION_TESTS.get(operator.removesuffix("IfExists"))
        if test is None:
            raise NotImplementedError(f"condition operator {operator} of {statement.get('Sid')}")
        for key, expected in keys.items():
            values = _listed(expected)
            if only is not None and only[:2] == (operator, key):
                values = [only[2]]
            if key not in context:
                if operator.endswith("IfExists"):
                    continue  # ...IfExists: a request without the key is not held to the condition
                return False
            if not any(test(value, context[key]) for value in values):
                return False
    return True


def grants(statement: dict, operation: Operation) -> bool:
    """Whether an Allow statement grants the operation: its action, its resource and its conditions."""
    return (
        statement["Effect"] == "Allow"
        and any(
            _matches(action, operation.action, ignore_case=True) for action in _listed(statement["Action"])
        )
        and any(_matches(resource, operation.resource) for resource in _listed(statement["Resource"]))
        and conditions_hold(statement, dict(operation.context))
    )


def allowed(policy: dict, operation: Operation) -> bool:
    return any(grants(statement, operation) for statement in policy["Statement"])


def grant_parts(statement: dict) -> Iterator[tuple[str, str, tuple[str, str, str] | None]]:
    """Each (action, resource, condition value) a statement lists: what "nothing broader" holds it to."""
    choices = [
        (operator, key, value)
        for operator, keys in statement.get("Condition", {}).items()
        for key, expected in keys.items()
        for value in _listed(expected)
    ]
    for action in _listed(statement["Action"]):
        for resource in _listed(statement["Resource"]):
            for choice in choices or [None]:
                yield action, resource, choice


def used_by(
    statement: dict, part: tuple[str, str, tuple[str, str, str] | None], operation: Operation
) -> bool:
    """Whether the operation needs this part of the statement (its action, resource and condition value)."""
    action, resource, choice = part
    return (
        _matches(action, operation.action, ignore_case=True)
        and _matches(resource, operation.resource)
        and conditions_hold(statement, dict(operation.context), only=choice)
    )


def data_statements(policy: dict) -> list[dict]:
    """The statements on S3 and SQS, the data the flow touches."""
    return [
        statement
        for statement in policy["Statement"]
        if all(action.split(":")[0] in ("s3", "sqs") for action in _listed(statement["Action"]))
    ]


def policy_for(bucket: str, queue: str, without: tuple[str, ...] = ()) -> dict:
    """The shipped policy with the test's bucket and queue in place of the deployment's, minus the statements
    named in `without`; sqs batch actions added beside their single forms for moto (see SQS_BATCH_ACTIONS)."""
    text = SHIPPED_POLICY.read_text()
    text = text.replace(f"arn:aws:s3:::{SHIPPED_BUCKET}", f"arn:aws:s3:::{bucket}")
    text = text.replace(f":{ACCOUNT}:{SHIPPED_QUEUE}", f":{ACCOUNT}:{queue}")
    policy = json.loads(text)
    missing = set(without) - {statement.get("Sid") for statement in policy["Statement"]}
    assert not missing, f"no statement {missing} in {SHIPPED_POLICY}"
    policy["Statement"] = [
        statement for statement in policy["Statement"] if statement.get("Sid") not in without
    ]
    return policy


def moto_policy(policy: dict) -> dict:
    """`policy` as moto's server needs it to authorize what AWS would (batch calls by their own name)."""
    single_to_batch = {f"sqs:{single}": f"sqs:{batch}" for batch, single in SQS_BATCH_ACTIONS.items()}
    statements = []
    for statement in policy["Statement"]:
        actions = _listed(statement["Action"])
        statements.append(
            {**statement, "Action": actions + [single_to_batch[a] for a in actions if a in single_to_batch]}
        )
    return {**policy, "Statement": statements}


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}


class IamAws:
    """moto's server (every service) with IAM enforced from its fourth request on, and an admin allowed
    everything; it records every request into `recording`."""

    def __init__(self, endpoint_url: str, recording: Path, admin: Keys):
        self.endpoint_url = endpoint_url
        self.recording = recording
        self.admin = admin

    def client(self, service: str, keys: Keys | None = None):
        keys = keys or self.admin
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
        )

    def create_user(self, policy: dict) -> Keys:
        """A user whose only permissions are `policy` (as moto needs it), and its access key."""
        iam = self.client("iam")
        name = f"platform-{uuid.uuid4().hex[:8]}"
        iam.create_user(UserName=name)
        iam.put_user_policy(
            UserName=name, PolicyName="task-role", PolicyDocument=json.dumps(moto_policy(policy))
        )
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Keys(key["AccessKeyId"], key["SecretAccessKey"])

    def create_bucket_and_queue(self, raw_prefix: str) -> tuple[str, str]:
        """A fresh bucket whose raw prefix sends its ObjectCreated events to a fresh queue: (bucket, its
        URL)."""
        bucket, queue = f"iam-{uuid.uuid4().hex[:12]}", f"{SHIPPED_QUEUE}-{uuid.uuid4().hex[:8]}"
        s3, sqs = self.client("s3"), self.client("sqs")
        s3.create_bucket(Bucket=bucket)
        url = sqs.create_queue(QueueName=queue, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": raw_prefix}]}},
                    }
                ]
            },
        )
        return bucket, url

    def start_recording_anew(self) -> None:
        self.recording.write_text("")

    def operations(self, keys: Keys) -> list[Operation]:
        """What the holder of `keys` asked since the recording was last started anew, as IAM actions."""
        return [
            iam_operation(entry) for entry in recorded_requests(self.recording) if _signed_by(entry, keys)
        ]


@contextmanager
def iam_aws(workdir: Path) -> Iterator[IamAws]:
    """Start moto's server with IAM enforced after ADMIN_SETUP_REQUESTS requests, which create the admin."""
    recording = workdir / "recording.jsonl"
    with pytest.MonkeyPatch.context() as patch:  # read by the server process only
        patch.setenv("INITIAL_NO_AUTH_ACTION_COUNT", str(ADMIN_SETUP_REQUESTS))
        patch.setenv("MOTO_ENABLE_RECORDING", "true")
        patch.setenv("MOTO_RECORDER_FILEPATH", str(recording))
        service = start_moto_server_process(free_port(), workdir, all_services=True)
    with service:
        iam = boto3.client(
            "iam",
            endpoint_url=service.endpoint_url,
            region_name=REGION,
            aws_access_key_id="unused-before-enforcement",
            aws_secret_access_key="unused-before-enforcement",
        )
        iam.create_user(UserName="admin")
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        iam.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))
        aws = IamAws(service.endpoint_url, recording, Keys(key["AccessKeyId"], key["SecretAccessKey"]))
        denied = aws.client("s3", Keys("AKIANOTAUSER00000000", "x"))
        with pytest.raises(denied.exceptions.ClientError, match="InvalidAccessKeyId"):
            denied.list_buckets()  # enforcement is on from here
        yield aws


def recorded_requests(recording: Path) -> list[dict]:
    """The entries of moto's recording; requests served at once may share a line, so they are decoded one
    JSON object after another."""
    text, decoder, entries, position = recording.read_text(), json.JSONDecoder(), [], 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return entries
        entry, position = decoder.raw_decode(text, position)
        entries.append(entry)


def _header(entry: dict, name: str) -> str:
    return next((value for key, value in entry["headers"].items() if key.lower() == name.lower()), "")


def _signed_by(entry: dict, keys: Keys) -> bool:
    return f"Credential={keys.access_key_id}/" in _header(entry, "Authorization")


def _body(entry: dict) -> bytes:
    body = entry.get("body") or ""
    return base64.b64decode(body) if entry.get("body_encoded") else body.encode()


def iam_operation(entry: dict) -> Operation:
    """The IAM action and resource a recorded request is authorized by."""
    service = _header(entry, "Authorization").split("Credential=")[1].split("/")[3]
    if service == "s3":
        return _s3_operation(entry)
    if service == "sqs":
        return _sqs_operation(entry)
    raise UnmappedRequestError(f"a {service} request: {entry['method']} {entry['url']}")


def _s3_operation(entry: dict) -> Operation:
    url = urlsplit(entry["url"])
    query = parse_qs(url.query, keep_blank_values=True)
    bucket, _, key = url.path.lstrip("/").partition("/")
    described = f"{entry['method']} {entry['url']}"
    unknown = set(query) - S3_IGNORED_QUERY
    if key and unknown & MULTIPART_QUERY and not unknown - MULTIPART_QUERY:
        # A multipart upload: started, its parts and its completion are PutObject; its abort has its own.
        action = "s3:AbortMultipartUpload" if entry["method"] == "DELETE" else "s3:PutObject"
        if entry["method"] in ("POST", "PUT", "DELETE"):
            return Operation(action, f"arn:aws:s3:::{bucket}/{unquote(key)}", (), described)
    if not key and entry["method"] == "POST" and unknown == {"delete"}:
        keys = [
            element.text
            for element in ElementTree.fromstring(_body(entry)).iter()
            if element.tag.endswith("Key")
        ]
        raise UnmappedRequestError(
            f"DeleteObjects of {keys}: record one operation per key first ({described})"
        )
    if unknown or _header(entry, "x-amz-copy-source"):
        raise UnmappedRequestError(f"an S3 call with {sorted(unknown) or 'a copy source'}: {described}")
    if not key:
        action = S3_BUCKET_CALLS.get(entry["method"])
        prefix = query.get("prefix", [""])[0]
        context = (("s3:prefix", prefix),) if entry["method"] == "GET" else ()
        if action:
            return Operation(action, f"arn:aws:s3:::{bucket}", context, described)
    elif entry["method"] in S3_OBJECT_CALLS:
        return Operation(
            S3_OBJECT_CALLS[entry["method"]], f"arn:aws:s3:::{bucket}/{unquote(key)}", (), described
        )
    raise UnmappedRequestError(f"an S3 call: {described}")


def _sqs_operation(entry: dict) -> Operation:
    target = _header(entry, "X-Amz-Target")
    if target:  # the JSON protocol
        call, arguments = target.split(".")[-1], json.loads(_body(entry) or b"{}")
        queue_url = arguments.get("QueueUrl", "")
    else:  # the query protocol
        form = parse_qs(_body(entry).decode())
        call, queue_url = form["Action"][0], form.get("QueueUrl", [""])[0]
    if not queue_url:
        raise UnmappedRequestError(f"an SQS {call} without a queue: {entry['url']}")
    account, name = urlsplit(queue_url).path.strip("/").split("/")
    action = f"sqs:{SQS_BATCH_ACTIONS.get(call, call)}"
    return Operation(action, f"arn:aws:sqs:{REGION}:{account}:{name}", (), f"{call} {queue_url}")
