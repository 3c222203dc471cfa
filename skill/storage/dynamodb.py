"""Progress in DynamoDB: conditional writes, a time budget per call and JSON-safe numbers.

Imported only when ``WORKOUT_TABLE`` is set: it imports boto3, which the laptop coach never needs.

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

import boto3
from boto3.dynamodb.types import TypeDeserializer
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


def make_resource(endpoint_url: str | None = None) -> PerThreadResource:
    """DynamoDB resources with short timeouts and no botocore retries, one per thread; the first made now."""
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": 1},
    )

    def make() -> Any:
        return boto3.session.Session().resource("dynamodb", endpoint_url=endpoint_url or None, config=config)

    try:
        return PerThreadResource(make)
    except NoRegionError:
        raise ConfigurationError(
            "WORKOUT_TABLE is set but no AWS region is configured: set AWS_REGION (Lambda sets it for you)."
        ) from None
    except ValueError as error:  # botocore: an empty or malformed region or endpoint
        raise ConfigurationError(
            f"WORKOUT_TABLE is set but DynamoDB cannot be reached as configured ({error}): "
            "check AWS_REGION and DYNAMODB_ENDPOINT_URL."
        ) from None


class PerThreadResource:
    """A boto3 DynamoDB resource for each thread that uses it, each in its own boto3 session.

    boto3's sessions and resources are not thread-safe (its guide says: one per thread), and the
    web endpoint answers several requests at once on threads of one process. The resource is made
    on a thread's first call and kept for that thread, and so are its Table objects (making one
    costs more than a millisecond, twice a request); only ``Table`` is offered.
    """

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._local = threading.local()
        self._local.resource = make()  # now: a missing region is a start-up error, not a request's

    def Table(self, name: str) -> Any:  # boto3's name for it
        tables: dict[str, Any] | None = getattr(self._local, "tables", None)
        if tables is None:
            tables = self._local.tables = {}
        table = tables.get(name)
        if table is None:
            resource = getattr(self._local, "resource", None)
            if resource is None:
                resource = self._local.resource = self._make()
            table = tables[name] = resource.Table(name)
        return table


def to_dynamodb(document: dict[str, Any]) -> str:
    """The document as it is stored: compact JSON."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def from_dynamodb(value: Any) -> Any:
    """The stored document back as plain JSON types (Decimals to ints or floats)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: from_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_dynamodb(item) for item in value]
    return value


def stored_document(item: dict[str, Any] | None) -> StoredDocument:
    """An item (as the resource API returns it) as a ``StoredDocument``; revision 0 when there is none."""
    if not item:
        return StoredDocument()
    stored = item.get(ATTRIBUTE_NAME)
    try:
        document = json.loads(stored) if isinstance(stored, str) else from_dynamodb(stored)  # a map: an older item
    except ValueError:
        document = None
    revision = from_dynamodb(item.get(REVISION_NAME, 0))
    return StoredDocument(document if isinstance(document, dict) else {}, revision if isinstance(revision, int) else 0)


def _item_from_wire(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """An item in DynamoDB's wire format (as an error carries it) in the resource API's form."""
    if not raw:
        return None
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in raw.items()}


class DynamoDBStore(ProgressStore):
    """Documents in the table template.yaml declares (never created here), over a resource given to it."""

    attempt_seconds = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS  # the longest one attempt can take

    def __init__(self, table: str, resource: Any, resolve: Resolve, budget: float = CALL_BUDGET_SECONDS) -> None:
        super().__init__(resolve)
        self.table_name = table
        self.resource = resource
        self.budget = budget

    def _describe(self) -> str:
        return f"DynamoDB table {self.table_name}"

    def _table(self) -> Any:
        return self.resource.Table(self.table_name)

    def _get(self, key: str) -> StoredDocument:
        return stored_document(self._table().get_item(Key={PARTITION_KEY: key}, ConsistentRead=True).get("Item"))

    def _put_if(self, key: str, document: dict[str, Any], revision: int) -> None:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(#rev)"}
        if revision:
            condition = {"ConditionExpression": "#rev = :seen", "ExpressionAttributeValues": {":seen": revision}}
        try:
            self._table().put_item(
                Item={PARTITION_KEY: key, ATTRIBUTE_NAME: to_dynamodb(document), REVISION_NAME: revision + 1},
                ExpressionAttributeNames={"#rev": REVISION_NAME},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **condition,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise StaleRevision(stored_document(_item_from_wire(error.response.get("Item")))) from None

    def _delete(self, key: str) -> None:
        self._table().delete_item(Key={PARTITION_KEY: key})

    def _retryable(self, error: Exception) -> bool:
        """Throttled, a server error, or the connection failed or timed out."""
        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return code in RETRYABLE_CODES or status >= 500
        return isinstance(error, (BotoConnectionError, HTTPClientError))
