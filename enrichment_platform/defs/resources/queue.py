"""The SQS queue that S3 sends the raw prefix's ObjectCreated events to, for buckets too large to list."""

import re
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
import dagster as dg
from pydantic import PrivateAttr

MAX_MESSAGES_PER_RECEIVE = 10  # SQS' own limit
_AWS_QUEUE_URL = re.compile(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com/")


class QueueAccessError(RuntimeError):
    """SQS could not be reached or refused a request (infrastructure: the tick fails, the next one
    retries)."""


@dataclass(frozen=True)
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str


class RawPostingsQueue(dg.ConfigurableResource):
    """Receives and deletes S3 event messages; an empty `queue_url` means there is no queue (the sensor
    lists S3)."""

    queue_url: str = ""
    wait_seconds: int = 1  # long polling: asks every SQS server, so an answer is empty only when the queue is

    _client: Any = PrivateAttr(default=None)

    @property
    def client(self) -> Any:
        if self._client is None:
            # The queue's own region, when the URL names one, whatever the default region is. A session of
            # its own, as dagster-aws' S3 resource makes: credentials are read now, not once per process.
            region = _AWS_QUEUE_URL.match(self.queue_url)
            session = boto3.session.Session()
            self._client = session.client("sqs", region_name=region.group(1) if region else None)
        return self._client

    def _failed(self, action: str, error: Exception) -> QueueAccessError:
        return QueueAccessError(
            f"SQS {action} failed for {self.queue_url}: {error}. Check RAW_POSTINGS_QUEUE_URL, "
            "AWS_ENDPOINT_URL, credentials and the queue's access policy."
        )

    def receive(self, max_messages: int) -> list[QueueMessage]:
        """Up to `max_messages` messages, in receives of 10, until the queue has no more to give."""
        messages: list[QueueMessage] = []
        while len(messages) < max_messages:
            try:
                answer = self.client.receive_message(
                    QueueUrl=self.queue_url,
                    WaitTimeSeconds=self.wait_seconds,
                    MaxNumberOfMessages=min(MAX_MESSAGES_PER_RECEIVE, max_messages - len(messages)),
                )
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
                raise self._failed("receive", error) from error
            received = answer.get("Messages", [])
            if not received:
                break
            messages += [QueueMessage(m["MessageId"], m["ReceiptHandle"], m["Body"]) for m in received]
        return messages

    def delete(self, receipt_handles: list[str]) -> list[str]:
        """Delete messages by receipt handle, 10 per request; returns why the deletions SQS refused failed
        (e.g. a handle that expired because the message was received again since)."""
        refused = []
        for start in range(0, len(receipt_handles), MAX_MESSAGES_PER_RECEIVE):
            entries = [
                {"Id": str(index), "ReceiptHandle": handle}
                for index, handle in enumerate(receipt_handles[start : start + MAX_MESSAGES_PER_RECEIVE])
            ]
            try:
                answer = self.client.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
                raise self._failed("delete", error) from error
            refused += [
                f"{failure['Code']}: {failure.get('Message', '')}" for failure in answer.get("Failed", [])
            ]
        return refused
