"""Where current DynamoDB's messages carry its request framework's
"1 validation error detected: " lead: a property of the operation and the
check (as moto's tests re-run against DynamoDB show), not of the message.
Also the wordings that changed with it: an empty set among a write's
ExpressionAttributeValues, the key condition's "Invalid condition" errors,
a parallel Scan's segment error, an empty key value in a transaction; and
table ARNs accepted wherever a table name is."""
import pytest

import dyncore
from dyncore.errors import ValidationException

P = "1 validation error detected: "
T = "fwp"


@pytest.fixture
def c(tmp_path):
    db = dyncore.open(tmp_path / "d", sync="none")
    yield _client(db)
    db.close()


def _client(db):
    client = db.client()
    client.create_table(TableName=T, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    client.put_item(TableName=T, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    return client


def message(fn, **kw):
    with pytest.raises(ValidationException) as e:
        fn(**kw)
    return e.value.message


UNUSED = "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"
NAMES = {"#u": "x"}


def test_unused_names_are_prefixed_on_writes_only(c):
    key = {"pk": {"S": "a"}}
    cond = {"ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeNames": NAMES}
    assert message(c.put_item, TableName=T, Item=key, **cond) == P + UNUSED
    assert message(c.delete_item, TableName=T, Key=key, **cond) == P + UNUSED
    assert message(c.update_item, TableName=T, Key=key, UpdateExpression="SET n = :v",
                   ExpressionAttributeValues={":v": {"N": "2"}},
                   ExpressionAttributeNames=NAMES) == P + UNUSED
    # the same check, bare, on reads and in transactions
    assert message(c.get_item, TableName=T, Key=key, ProjectionExpression="pk",
                   ExpressionAttributeNames=NAMES) == UNUSED
    assert message(c.query, TableName=T, KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": {"S": "a"}},
                   ExpressionAttributeNames=NAMES) == UNUSED
    assert message(c.scan, TableName=T, ProjectionExpression="pk",
                   ExpressionAttributeNames=NAMES) == UNUSED
    from dyncore.errors import TransactionCanceledException
    with pytest.raises((ValidationException, TransactionCanceledException)) as e:
        c.transact_write_items(TransactItems=[{"Put": dict(TableName=T, Item=key, **cond)}])
    assert UNUSED in str(e.value) and P not in str(e.value)
    assert c.get_item(TableName=T, Key=key)["Item"] == {"pk": {"S": "a"}, "n": {"N": "1"}}


@pytest.mark.parametrize("expr,values,want", [
    ("", None, "Invalid UpdateExpression: The expression can not be empty;"),
    ("ADD x :one SET a = :one ADD y :one", {":one": {"N": "1"}},
     'Invalid UpdateExpression: The "ADD" section can only be used once in an update '
     "expression;"),
    ("SET s = :one REMOVE s.nested", {":one": {"N": "1"}},
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
     "rewrite one of these paths; path one: [s], path two: [s, nested]"),
    ("SET n = :v", {":v": {"SS": []}},
     "One or more parameter values were invalid: An string set  may not be empty"),
])
def test_update_expression_checks_are_prefixed(c, expr, values, want):
    kw = {"ExpressionAttributeValues": values} if values else {}
    assert message(c.update_item, TableName=T, Key={"pk": {"S": "a"}}, UpdateExpression=expr,
                   **kw) == P + want
    assert c.get_item(TableName=T, Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}


def test_empty_values_and_sets_on_writes(c):
    assert message(c.update_item, TableName=T, Key={"pk": {"S": "a"}},
                   UpdateExpression="SET n = :v", ExpressionAttributeValues={}) == \
        P + "ExpressionAttributeValues must not be empty"
    assert message(c.put_item, TableName=T, Item={"pk": {"S": "b"}, "s": {"NS": []}}) == \
        P + "One or more parameter values were invalid: An number set  may not be empty"
    # a read keeps the invalid-value wording for the same empty set
    assert message(c.query, TableName=T, KeyConditionExpression="pk = :p",
                   FilterExpression="n = :s",
                   ExpressionAttributeValues={":p": {"S": "a"}, ":s": {"SS": []}}) == \
        "ExpressionAttributeValues contains invalid value: One or more parameter values " \
        "were invalid: An string set  may not be empty"


@pytest.mark.parametrize("op", ["query", "scan"])
def test_select_conflicts_are_prefixed(c, op):
    kw = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}} \
        if op == "query" else {}
    fn = getattr(c, op)
    assert message(fn, TableName=T, Select="ALL_PROJECTED_ATTRIBUTES", **kw) == \
        P + "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    assert message(fn, TableName=T, Select="SPECIFIC_ATTRIBUTES", **kw) == \
        P + "Must specify the AttributesToGet or ProjectionExpression when choosing to get " \
        "SPECIFIC_ATTRIBUTES"
    assert message(fn, TableName=T, Select="COUNT", ProjectionExpression="pk", **kw) == \
        P + "Cannot specify the ProjectionExpression when choosing to get only the Count"


def test_reworded_checks(c):
    assert message(c.scan, TableName=T, Segment=3, TotalSegments=3) == \
        "The Segment parameter is zero-based and must be less than parameter TotalSegments"
    assert message(c.query, TableName=T, KeyConditionExpression="(pk = x)") == \
        "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: " \
        "Multiple attribute names used in one condition"
    assert message(c.transact_write_items, TransactItems=[{"Update": {
        "TableName": T, "Key": {"pk": {"S": ""}}, "UpdateExpression": "SET n = :v",
        "ExpressionAttributeValues": {":v": {"N": "2"}}}}]) == \
        "One or more parameter values are not valid. The AttributeValue for a key attribute " \
        "cannot contain an empty string value. Key: pk"


def test_a_table_arn_stands_for_its_name(c):
    arn = c.describe_table(TableName=T)["Table"]["TableArn"]
    c.put_item(TableName=arn, Item={"pk": {"S": "b"}})
    assert c.get_item(TableName=arn, Key={"pk": {"S": "b"}})["Item"] == {"pk": {"S": "b"}}
    assert c.scan(TableName=arn)["Count"] == 2
    assert c.query(TableName=arn, KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": {"S": "b"}})["Count"] == 1
    c.transact_write_items(TransactItems=[{"Update": {
        "TableName": arn, "Key": {"pk": {"S": "c"}}, "UpdateExpression": "SET n = :v",
        "ExpressionAttributeValues": {":v": {"N": "3"}}}}])
    got = c.batch_get_item(RequestItems={arn: {"Keys": [{"pk": {"S": "c"}}]}})
    assert got["Responses"] == {arn: [{"pk": {"S": "c"}, "n": {"N": "3"}}]}   # keyed as asked
    out = c.batch_write_item(RequestItems={arn: [{"DeleteRequest": {"Key": {"pk": {"S": "c"}}}}]})
    assert out["UnprocessedItems"] == {}
    assert c.describe_table(TableName=arn)["Table"]["TableName"] == T
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_item(TableName=arn + "x", Key={"pk": {"S": "b"}})
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_item(TableName=arn + "/index/foo", Key={"pk": {"S": "b"}})
    c.delete_table(TableName=arn)
    assert c.list_tables()["TableNames"] == []


def test_put_and_delete_refuse_return_values_they_cannot_give(c):
    for fn, arg in ((c.put_item, {"Item": {"pk": {"S": "a"}}}),
                    (c.delete_item, {"Key": {"pk": {"S": "a"}}})):
        for rv in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"):
            assert message(fn, TableName=T, ReturnValues=rv, **arg) == \
                "Return values set to invalid value"
    assert c.get_item(TableName=T, Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}


def test_batch_get_answers_at_most_16_mb(c):
    """Items of about 300 KB: the answer holds as many as fit in 16 MB (55),
    the rest come back in UnprocessedKeys."""
    big = "x" * 300_000
    keys = [{"pk": {"S": f"b{i:02}"}} for i in range(75)]
    for k in keys:
        c.put_item(TableName=T, Item=dict(k, d={"S": big}))
    out = c.batch_get_item(RequestItems={T: {"Keys": keys}})
    got = out["Responses"][T]
    left = out["UnprocessedKeys"][T]["Keys"]
    assert len(got) == 55 and len(left) == 20
    assert sum(len(i["d"]["S"]) for i in got) <= 16 << 20
    assert {i["pk"]["S"] for i in got} | {k["pk"]["S"] for k in left} == \
        {k["pk"]["S"] for k in keys}


@pytest.mark.parametrize("op,params,want", [
    ("get_item", {"Key": {"a": {"N": "1e126"}}},
     "Number overflow. Attempting to store a number with magnitude larger than supported "
     "range"),
    ("put_item", {"Item": {"a": {"S": "x" * (400 * 1024)}}},
     "Item size has exceeded the maximum allowed size"),
    ("put_item", {"Item": {"a": {"S": "x"}}, "ReturnValues": "ALL_NEW"},
     "Return values set to invalid value"),
    ("delete_item", {"Key": {"a": {"NS": []}}},
     "One or more parameter values were invalid: An number set  may not be empty"),
    ("query", {"KeyConditions": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}}},
     "One or more parameter values were invalid: Invalid number of argument(s) for the EQ "
     "ComparisonOperator"),
    ("batch_write_item", None, "Item size has exceeded the maximum allowed size"),
])
def test_bad_values_are_reported_before_a_missing_table(c, op, params, want):
    if op == "batch_write_item":
        kw = {"RequestItems": {"nosuchtable": [{"PutRequest": {"Item": {
            "a": {"S": "x" * (400 * 1024)}}}}]}}
    else:
        kw = dict(params, TableName="nosuchtable")
    msg = message(getattr(c, op), **kw)
    assert msg.endswith(want)
    # and a good request to the missing table is ResourceNotFoundException
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_item(TableName="nosuchtable", Key={"a": {"N": "1"}})


def test_exclusive_start_key_messages(c):
    q = dict(TableName=T, KeyConditionExpression="pk = :p",
             ExpressionAttributeValues={":p": {"S": "a"}})
    S = "The provided starting key is invalid"
    # a key that does not fit the schema: bare for Query, checked before
    # the key condition (a missing key condition attribute is not reported)
    assert message(c.query, ExclusiveStartKey={}, **q) == S
    assert message(c.query, ExclusiveStartKey={"pk": {"N": "1"}}, **q) == S
    assert message(c.query, ExclusiveStartKey={"pk": {"S": "a"}, "x": {"S": "b"}},
                   TableName=T, KeyConditionExpression="zz = :p",
                   ExpressionAttributeValues={":p": {"S": "a"}}) == S
    # a Scan of a table says why
    assert message(c.scan, TableName=T, ExclusiveStartKey={"pk": {"N": "1"}}) == \
        S + ": The provided key element does not match the schema"
    # a bad value: its own message after the lead
    assert message(c.scan, TableName=T, ExclusiveStartKey={"pk": {"S": "a", "N": "1"}}) \
        .startswith(S + ": Supplied AttributeValue has more than one datatypes set")


def test_key_attributes_are_scalars(tmp_path):
    db = dyncore.open(tmp_path / "k", sync="none")
    try:
        c = db.client()
        c.create_table(TableName="sca", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=[{"IndexName": "byG", "Projection": {
                           "ProjectionType": "ALL"},
                           "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}])
        c.put_item(TableName="sca", Item={"pk": {"S": "a"}, "g": {"S": "x"}})
        lead = "Key attributes must be scalars; list random access '[]' and map lookup '.' " \
               "are not allowed: "
        assert message(c.get_item, TableName="sca", Key={"pk": {"S": "a"}},
                       ProjectionExpression="pk.b") == lead + "Key: pk"
        assert message(c.get_item, TableName="sca", Key={"pk": {"S": "a"}},
                       ProjectionExpression="g[1]") == lead + "IndexKey: g"
        assert message(c.update_item, TableName="sca", Key={"pk": {"S": "a"}},
                       UpdateExpression="SET g.b = :v",
                       ExpressionAttributeValues={":v": {"S": "y"}}) == lead + "IndexKey: g"
        assert message(c.update_item, TableName="sca", Key={"pk": {"S": "a"}},
                       UpdateExpression="SET g = :v",
                       ExpressionAttributeValues={":v": {"N": "1"}}) == \
            "The update expression attempted to update the secondary index key to " \
            "unsupported type"
        # a transaction's Put without its key, and a Query with no key conditions
        assert message(c.transact_write_items, TransactItems=[{"Put": {
            "TableName": "sca", "Item": {"x": {"S": "1"}}}}]) == \
            "The provided key element does not match the schema"
        assert message(c.query, TableName="sca", KeyConditions={}) == \
            "Conditions can be of length 1 or 2 only"
        assert c.get_item(TableName="sca", Key={"pk": {"S": "a"}})["Item"]["g"] == {"S": "x"}
    finally:
        db.close()
