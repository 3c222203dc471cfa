"""Progress in DynamoDB: conditional writes, a time budget per call and JSON-safe numbers.

Imported only when ``WORKOUT_TABLE`` is set: it imports botocore, which the laptop coach never needs.

One item per person, in the layout ask-sdk's ``DynamoDbAdapter`` uses by default, so tables it
wrote stay readable: ``{"id": <user id>, "attributes": <document>, "revision": <n>}``. The document
is written as one JSON string rather than a DynamoDB map: a map of a workout in progress is a tree
of some 300 typed values that boto3 converts on every read and write (and moto, in the tests and
the benchmark, even more slowly), while a string costs one ``json.dumps``; nothing ever queries
inside the document. Items holding a map (ask-sdk's, or written before) are still read. A write is
a PutItem on condition that the revision is still the one it was read at
(``attribute_not_exists(revision)`` for a first write, which also matches items from before
revisions). When the condition fails, DynamoDB returns the stored item with the failure
(``ReturnValuesOnConditionCheckFailure``), so the store merges without another read.

ask-sdk's ``DynamoDbAdapter`` is not used: it reads only the ``attributes`` map (not the revision),
cannot write conditionally, and its module builds a boto3 resource as it is imported (a default
argument), which fails where no AWS region is configured. This module talks to the table itself.

Alexa waits about 8 seconds for a reply. A request makes at most two storage calls (read before
the handler, save after it), and each call gives up after ``CALL_BUDGET_SECONDS``: botocore's own
retries are off, every attempt is bounded by the connect and read timeouts, and a retry (after
throttling, a server error or a lost race to another save) is started only if a whole attempt
still fits in the budget. So storage costs at most 4 seconds per request however DynamoDB
misbehaves, and however busy the person's other devices are.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError, NoRegionError
from botocore.exceptions import ConnectionError as BotoConnectionError

from skill.errors import ConfigurationError
from skill.storage.base import ProgressStore, Resolve, StaleRevision, StoredDocument

if TYPE_CHECKING:
    from collections.abc import Callable

PARTITION_KEY = "id"  # the table's hash key in template.yaml
ATTRIBUTE_NAME = "attributes"  # the item attribute that holds the document (ask-sdk's default)
REVISION_NAME = "revision"  # the item attribute with the document's revision

CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 1.0
CALL_BUDGET_SECONDS = 2.0
# Errors worth another attempt: throttling and the service's own failures. Anything else (no
# such table, access denied, bad request) fails at once.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)


def make_client(endpoint_url: str | None = None) -> PerThreadClient:
    """DynamoDB clients with short timeouts and no botocore retries, one per thread; the first made now.

    botocore's low-level client, not a boto3 resource: the skill makes three kinds of call on one
    table, and a client is made in half the time of a resource, without importing boto3 (and the S3
    transfer code it brings) on a Lambda's cold start."""
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": 1},
    )

    def make() -> Any:
        return botocore.session.get_session().create_client(
            "dynamodb", endpoint_url=endpoint_url or None, config=config
        )

    try:
        return PerThreadClient(make)
    except NoRegionError:
        raise ConfigurationError(
            "WORKOUT_TABLE is set but no AWS region is configured: set AWS_REGION (Lambda sets it for you)."
        ) from None
    except ValueError as error:  # botocore: an empty or malformed region or endpoint
        raise ConfigurationError(
            f"WORKOUT_TABLE is set but DynamoDB cannot be reached as configured ({error}): "
            "check AWS_REGION and DYNAMODB_ENDPOINT_URL."
        ) from None


class PerThreadClient:
    """A DynamoDB client for each thread that uses it, each from its own botocore session.

    botocore's sessions are not thread-safe, and the web endpoint answers several requests at once
    on threads of one process. The client is made on a thread's first call and kept for that thread.
    """

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._local = threading.local()
        self._local.client = make()  # now: a missing region is a start-up error, not a request's

    @property
    def client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._make()
        return client


def to_dynamodb(document: dict[str, Any]) -> str:
    """The document as it is stored: compact JSON."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def from_wire(value: dict[str, Any]) -> Any:
    """A value in DynamoDB's wire format as plain JSON types (for items that hold the document as a map)."""
    (kind, raw), *_ = value.items()
    if kind == "S":
        return raw
    if kind == "N":
        number = Decimal(raw)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    if kind == "M":
        return {name: from_wire(item) for name, item in raw.items()}
    if kind == "L":
        return [from_wire(item) for item in raw]
    raise ValueError(f"unexpected DynamoDB type {kind!r} in a stored document")


def stored_document(item: dict[str, Any] | None) -> StoredDocument:
    """An item in DynamoDB's wire format as a ``StoredDocument``; revision 0 when there is none."""
    if not item:
        return StoredDocument()
    stored = item.get(ATTRIBUTE_NAME) or {}
    try:
        document = json.loads(stored["S"]) if "S" in stored else from_wire(stored) if stored else None  # a map: older
    except ValueError:
        document = None
    try:
        revision = int(item[REVISION_NAME]["N"]) if REVISION_NAME in item else 0
    except (KeyError, TypeError, ValueError):
        revision = 0
    return StoredDocument(document if isinstance(document, dict) else {}, revision)


class DynamoDBStore(ProgressStore):
    """Documents in the table template.yaml declares (never created here), over clients given to it."""

    attempt_seconds = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS  # the longest one attempt can take

    def __init__(self, table: str, clients: Any, resolve: Resolve, budget: float = CALL_BUDGET_SECONDS) -> None:
        super().__init__(resolve)
        self.table_name = table
        self.clients = clients
        self.budget = budget

    def _describe(self) -> str:
        return f"DynamoDB table {self.table_name}"

    def _ready(self) -> None:
        self.clients.client  # noqa: B018  (a new thread's client is made here, outside the budget)

    def _key(self, key: str) -> dict[str, Any]:
        return {PARTITION_KEY: {"S": key}}

    def _get(self, key: str) -> StoredDocument:
        answer = self.clients.client.get_item(TableName=self.table_name, Key=self._key(key), ConsistentRead=True)
        return stored_document(answer.get("Item"))

    def _put_if(self, key: str, document: dict[str, Any], revision: int) -> None:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(#rev)"}
        if revision:
            condition = {
                "ConditionExpression": "#rev = :seen",
                "ExpressionAttributeValues": {":seen": {"N": str(revision)}},
            }
        item = {**self._key(key), ATTRIBUTE_NAME: {"S": to_dynamodb(document)}, REVISION_NAME: {"N": str(revision + 1)}}
        try:
            self.clients.client.put_item(
                TableName=self.table_name,
                Item=item,
                ExpressionAttributeNames={"#rev": REVISION_NAME},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **condition,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise StaleRevision(stored_document(error.response.get("Item"))) from None

    def _delete(self, key: str) -> None:
        self.clients.client.delete_item(TableName=self.table_name, Key=self._key(key))

    def _retryable(self, error: Exception) -> bool:
        """Throttled, a server error, or the connection failed or timed out."""
        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return code in RETRYABLE_CODES or status >= 500
        return isinstance(error, (BotoConnectionError, HTTPClientError))
