"""Expressions where they apply, through the embedded client: conditional
PutItem/DeleteItem/UpdateItem with ReturnValues and
ReturnValuesOnConditionCheckFailure, UpdateItem, Query/Scan filters and
projections (Limit counts items read; Count vs ScannedCount), GetItem and
BatchGetItem projections, the legacy parameters, and atomicity of a
condition with its write under threads."""
import threading
from decimal import Decimal

import pytest

from .conftest import make_table

S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731


def err(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


@pytest.fixture
def t(client):
    make_table(client, sk=None)
    return client


def key(pk):
    return {"pk": S(pk)}


def get(c, pk):
    return c.get_item(TableName="tbl", Key=key(pk)).get("Item")


# -- conditional writes ---------------------------------------------------------

def test_put_if_absent(t):
    t.put_item(TableName="tbl", Item={"pk": S("a"), "v": N(1)},
               ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(t.exceptions.ConditionalCheckFailedException) as e:
        t.put_item(TableName="tbl", Item={"pk": S("a"), "v": N(2)},
                   ConditionExpression="attribute_not_exists(pk)")
    assert err(e) == ("ConditionalCheckFailedException", "The conditional request failed")
    assert "Item" not in e.value.response
    assert get(t, "a")["v"] == N(1)


def test_condition_failure_returns_old_item(t):
    t.put_item(TableName="tbl", Item={"pk": S("a"), "v": N(1)})
    with pytest.raises(t.exceptions.ConditionalCheckFailedException) as e:
        t.put_item(TableName="tbl", Item={"pk": S("a"), "v": N(2)},
                   ConditionExpression="v = :two", ExpressionAttributeValues={":two": N(2)},
                   ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Item"] == {"pk": S("a"), "v": N(1)}
    # an absent item has no Item to return
    with pytest.raises(t.exceptions.ConditionalCheckFailedException) as e:
        t.delete_item(TableName="tbl", Key=key("zz"), ConditionExpression="attribute_exists(pk)",
                      ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert "Item" not in e.value.response


def test_conditional_delete(t):
    t.put_item(TableName="tbl", Item={"pk": S("a"), "v": N(1)})
    with pytest.raises(t.exceptions.ConditionalCheckFailedException):
        t.delete_item(TableName="tbl", Key=key("a"), ConditionExpression="v > :x",
                      ExpressionAttributeValues={":x": N(5)})
    assert get(t, "a") is not None
    out = t.delete_item(TableName="tbl", Key=key("a"), ConditionExpression="v < :x",
                        ExpressionAttributeValues={":x": N(5)}, ReturnValues="ALL_OLD")
    assert out["Attributes"] == {"pk": S("a"), "v": N(1)}
    assert get(t, "a") is None


def test_bad_expression_changes_nothing(t):
    t.put_item(TableName="tbl", Item={"pk": S("a"), "v": N(1)})
    with pytest.raises(t.exceptions.ClientError) as e:
        t.put_item(TableName="tbl", Item={"pk": S("a"), "v": N(2)}, ConditionExpression="v = ")
    assert err(e)[0] == "ValidationException"
    assert "Syntax error" in err(e)[1]
    with pytest.raises(t.exceptions.ClientError) as e:
        t.put_item(TableName="tbl", Item={"pk": S("a")}, ConditionExpression="v = :x",
                   ExpressionAttributeValues={":x": N(1), ":y": N(2)})
    assert err(e) == ("ValidationException",   # PutItem: the framework's prefix
                      "1 validation error detected: Value provided in "
                      "ExpressionAttributeValues unused in expressions: keys: {:y}")
    with pytest.raises(t.exceptions.ClientError) as e:
        t.put_item(TableName="tbl", Item={"pk": S("a")}, ConditionExpression="v = :x",
                   ExpressionAttributeValues={":x": N("abc")})
    assert err(e) == ("ValidationException",
                      "ExpressionAttributeValues contains invalid value: The parameter cannot "
                      "be converted to a numeric value: abc for key :x")
    assert get(t, "a") == {"pk": S("a"), "v": N(1)}


# -- UpdateItem -------------------------------------------------------------------

def test_update_creates_and_returns(t):
    out = t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET v = :one, l = :l",
                        ExpressionAttributeValues={":one": N(1), ":l": {"L": [N(1)]}},
                        ReturnValues="ALL_NEW")
    assert out["Attributes"] == {"pk": S("a"), "v": N(1), "l": {"L": [N(1)]}}
    out = t.update_item(TableName="tbl", Key=key("a"),
                        UpdateExpression="SET v = v + :one, l = list_append(l, :l) REMOVE gone",
                        ExpressionAttributeValues={":one": N(1), ":l": {"L": [N(2)]}},
                        ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"v": N(2), "l": {"L": [N(1), N(2)]}}
    out = t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="ADD v :one",
                        ExpressionAttributeValues={":one": N("0.5")}, ReturnValues="UPDATED_OLD")
    assert out["Attributes"] == {"v": N(2)}
    out = t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="REMOVE l",
                        ReturnValues="ALL_OLD")
    assert out["Attributes"] == {"pk": S("a"), "v": N("2.5"), "l": {"L": [N(1), N(2)]}}
    assert get(t, "a") == {"pk": S("a"), "v": N("2.5")}
    # no update expression: the item is created with its key only
    t.update_item(TableName="tbl", Key=key("k"))
    assert get(t, "k") == {"pk": S("k")}


def test_update_nested_paths_and_updated_values(t):
    t.put_item(TableName="tbl", Item={"pk": S("a"), "m": {"M": {"x": N(1), "y": N(2)}}})
    out = t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET m.x = :v",
                        ExpressionAttributeValues={":v": N(9)}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"m": {"M": {"x": N(9)}}}
    with pytest.raises(t.exceptions.ClientError) as e:
        t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET nope.x = :v",
                      ExpressionAttributeValues={":v": N(9)})
    assert err(e) == ("ValidationException",
                      "The document path provided in the update expression is invalid for update")


def test_update_refuses_key_attributes(t):
    with pytest.raises(t.exceptions.ClientError) as e:
        t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET pk = :v",
                      ExpressionAttributeValues={":v": S("b")})
    assert err(e) == ("ValidationException", "One or more parameter values were invalid: "
                      "Cannot update attribute pk. This attribute is part of the key")
    assert get(t, "a") is None


def test_update_condition_and_failure(t):
    t.put_item(TableName="tbl", Item={"pk": S("a"), "ver": N(1)})
    t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET ver = :new",
                  ConditionExpression="ver = :old",
                  ExpressionAttributeValues={":old": N(1), ":new": N(2)})
    with pytest.raises(t.exceptions.ConditionalCheckFailedException) as e:
        t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET ver = :new",
                      ConditionExpression="ver = :old",
                      ExpressionAttributeValues={":old": N(1), ":new": N(3)},
                      ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Item"] == {"pk": S("a"), "ver": N(2)}
    assert get(t, "a")["ver"] == N(2)


def test_update_runtime_errors_change_nothing(t):
    t.put_item(TableName="tbl", Item={"pk": S("a"), "s": S("x"), "n": N(1)})
    with pytest.raises(t.exceptions.ClientError) as e:
        t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET n = s + :one",
                      ExpressionAttributeValues={":one": N(1)})
    assert err(e)[0] == "ValidationException"
    with pytest.raises(t.exceptions.ClientError) as e:
        t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET n = nothere + :one",
                      ExpressionAttributeValues={":one": N(1)})
    assert err(e) == ("ValidationException", "The provided expression refers to an attribute "
                      "that does not exist in the item")
    big = "x" * 300_000
    t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET b1 = :b",
                  ExpressionAttributeValues={":b": S(big)})
    with pytest.raises(t.exceptions.ClientError) as e:
        t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET b2 = :b",
                      ExpressionAttributeValues={":b": S(big)})
    assert err(e) == ("ValidationException",
                      "Item size to update has exceeded the maximum allowed size")
    item = get(t, "a")
    assert item["n"] == N(1) and "b2" not in item


def test_update_number_overflow(t):
    t.put_item(TableName="tbl", Item={"pk": S("a"), "n": N("9.9999999999999999999999999999999999999E+125")})
    with pytest.raises(t.exceptions.ClientError) as e:
        t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET n = n + n")
    assert err(e) == ("ValidationException", "Number overflow. Attempting to store a number "
                      "with magnitude larger than supported range")


def test_concurrent_add_is_exact(t):
    threads, per = 8, 200

    def work():
        for _ in range(per):
            t.update_item(TableName="tbl", Key=key("c"), UpdateExpression="ADD n :one",
                          ExpressionAttributeValues={":one": N(1)})
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    assert get(t, "c")["n"] == N(threads * per)


def test_concurrent_optimistic_locking(t):
    """Read-then-conditional-write loops: every increment lands once."""
    t.put_item(TableName="tbl", Item={"pk": S("c"), "n": N(0)})
    threads, per = 6, 60
    failures = []

    def work():
        done = 0
        while done < per:
            cur = get(t, "c")["n"]["N"]
            try:
                t.update_item(TableName="tbl", Key=key("c"), UpdateExpression="SET n = :new",
                              ConditionExpression="n = :cur",
                              ExpressionAttributeValues={":cur": N(cur),
                                                         ":new": N(int(cur) + 1)})
                done += 1
            except t.exceptions.ConditionalCheckFailedException:
                failures.append(1)
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    assert get(t, "c")["n"] == N(threads * per)


# -- Query and Scan -----------------------------------------------------------------

@pytest.fixture
def q(client):
    make_table(client)
    for i in range(10):
        client.put_item(TableName="tbl", Item={"pk": S("p"), "sk": N(i), "even": {"BOOL": i % 2 == 0},
                                               "m": {"M": {"a": N(i), "b": S("x")}}})
    return client


def test_query_filter_counts(q):
    out = q.query(TableName="tbl", KeyConditionExpression="pk = :p",
                  FilterExpression="even = :t",
                  ExpressionAttributeValues={":p": S("p"), ":t": {"BOOL": True}})
    assert [i["sk"]["N"] for i in out["Items"]] == ["0", "2", "4", "6", "8"]
    assert (out["Count"], out["ScannedCount"]) == (5, 10)
    # Limit counts items read before the filter
    out = q.query(TableName="tbl", KeyConditionExpression="pk = :p",
                  FilterExpression="even = :t", Limit=3,
                  ExpressionAttributeValues={":p": S("p"), ":t": {"BOOL": True}})
    assert [i["sk"]["N"] for i in out["Items"]] == ["0", "2"]
    assert (out["Count"], out["ScannedCount"]) == (2, 3)
    assert out["LastEvaluatedKey"] == {"pk": S("p"), "sk": N(2)}
    out = q.query(TableName="tbl", KeyConditionExpression="pk = :p", Select="COUNT",
                  FilterExpression="m.a >= :five",
                  ExpressionAttributeValues={":p": S("p"), ":five": N(5)})
    assert "Items" not in out and out["Count"] == 5


def test_query_filter_may_not_use_keys(q):
    with pytest.raises(q.exceptions.ClientError) as e:
        q.query(TableName="tbl", KeyConditionExpression="pk = :p", FilterExpression="sk > :x",
                ExpressionAttributeValues={":p": S("p"), ":x": N(1)})
    assert err(e) == ("ValidationException", "Filter Expression can only contain non-primary "
                      "key attributes: Primary key attribute: sk")


def test_projection(q):
    out = q.query(TableName="tbl", KeyConditionExpression="pk = :p", Limit=2,
                  ProjectionExpression="sk, m.a", ExpressionAttributeValues={":p": S("p")})
    assert out["Items"] == [{"sk": N(0), "m": {"M": {"a": N(0)}}},
                            {"sk": N(1), "m": {"M": {"a": N(1)}}}]
    got = q.get_item(TableName="tbl", Key={"pk": S("p"), "sk": N(3)},
                     ProjectionExpression="#e, nothing", ExpressionAttributeNames={"#e": "even"})
    assert got["Item"] == {"even": {"BOOL": False}}
    out = q.scan(TableName="tbl", ProjectionExpression="sk", FilterExpression="sk < :two",
                 ExpressionAttributeValues={":two": N(2)})
    assert sorted(i["sk"]["N"] for i in out["Items"]) == ["0", "1"]
    assert out["ScannedCount"] == 10
    bg = q.batch_get_item(RequestItems={"tbl": {
        "Keys": [{"pk": S("p"), "sk": N(1)}], "ProjectionExpression": "m.b"}})
    assert bg["Responses"]["tbl"] == [{"m": {"M": {"b": S("x")}}}]


def test_select_and_projection(q):
    with pytest.raises(q.exceptions.ClientError) as e:
        q.scan(TableName="tbl", Select="COUNT", ProjectionExpression="sk")
    assert err(e) == ("ValidationException", "1 validation error detected: Cannot specify "
                      "the ProjectionExpression when choosing to get only the Count")
    with pytest.raises(q.exceptions.ClientError) as e:
        q.scan(TableName="tbl", Select="ALL_ATTRIBUTES", AttributesToGet=["sk"])
    assert err(e) == ("ValidationException", "1 validation error detected: Cannot specify "
                      "the AttributesToGet when choosing to get ALL_ATTRIBUTES")
    with pytest.raises(q.exceptions.ClientError) as e:
        q.scan(TableName="tbl", Select="SPECIFIC_ATTRIBUTES")
    assert err(e)[0] == "ValidationException"
    out = q.scan(TableName="tbl", Select="SPECIFIC_ATTRIBUTES", AttributesToGet=["sk"])
    assert all(set(i) == {"sk"} for i in out["Items"])


# -- legacy parameters ------------------------------------------------------------------

def test_legacy_expected_and_attribute_updates(t):
    t.put_item(TableName="tbl", Item={"pk": S("a"), "v": N(1)},
               Expected={"pk": {"Exists": False}})
    with pytest.raises(t.exceptions.ConditionalCheckFailedException):
        t.put_item(TableName="tbl", Item={"pk": S("a")}, Expected={"pk": {"Exists": False}})
    t.update_item(TableName="tbl", Key=key("a"),
                  AttributeUpdates={"v": {"Action": "ADD", "Value": N(2)},
                                    "s": {"Action": "PUT", "Value": {"SS": ["x"]}}},
                  Expected={"v": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1)]}})
    assert get(t, "a") == {"pk": S("a"), "v": N(3), "s": {"SS": ["x"]}}
    t.update_item(TableName="tbl", Key=key("a"), AttributeUpdates={"s": {"Action": "DELETE"}})
    assert get(t, "a") == {"pk": S("a"), "v": N(3)}
    with pytest.raises(t.exceptions.ClientError) as e:
        t.update_item(TableName="tbl", Key=key("a"), UpdateExpression="SET v = :x",
                      AttributeUpdates={"v": {"Action": "DELETE"}},
                      ExpressionAttributeValues={":x": N(1)})
    assert err(e) == ("ValidationException", "Can not use both expression and non-expression "
                      "parameters in the same request: Non-expression parameters: "
                      "{AttributeUpdates} Expression parameters: {UpdateExpression}")


def test_legacy_filters_and_attributes_to_get(q):
    out = q.query(TableName="tbl", KeyConditions={"pk": {"ComparisonOperator": "EQ",
                                                         "AttributeValueList": [S("p")]}},
                  QueryFilter={"even": {"ComparisonOperator": "EQ",
                                        "AttributeValueList": [{"BOOL": False}]}},
                  AttributesToGet=["sk"])
    assert out["Items"] == [{"sk": N(i)} for i in (1, 3, 5, 7, 9)]
    out = q.scan(TableName="tbl", ScanFilter={
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(2), N(4)]},
        "even": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}},
        ConditionalOperator="OR")
    assert sorted(int(i["sk"]["N"]) for i in out["Items"]) == [0, 2, 3, 4, 6, 8]
    got = q.get_item(TableName="tbl", Key={"pk": S("p"), "sk": N(1)}, AttributesToGet=["even"])
    assert got["Item"] == {"even": {"BOOL": False}}


# -- the resource Table ---------------------------------------------------------------

def test_resource_update_and_conditions(db, t):
    from boto3.dynamodb.conditions import Attr
    table = db.Table("tbl")
    table.put_item(Item={"pk": "a", "n": 1, "tags": {"x"}})
    out = table.update_item(Key={"pk": "a"}, UpdateExpression="SET n = n + :d ADD tags :t",
                            ExpressionAttributeValues={":d": 2, ":t": {"y"}},
                            ConditionExpression=Attr("n").eq(1), ReturnValues="ALL_NEW")
    assert out["Attributes"] == {"pk": "a", "n": Decimal(3), "tags": {"x", "y"}}
    with pytest.raises(table.meta.client.exceptions.ConditionalCheckFailedException):
        table.delete_item(Key={"pk": "a"}, ConditionExpression=Attr("n").gt(10))
    got = table.scan(FilterExpression=Attr("tags").contains("y"), ProjectionExpression="n")
    assert got["Items"] == [{"n": Decimal(3)}]


# -- the repeated-request fast path (Service.write) reports like the general path --

def test_fast_path_errors_match_general_path(t):
    upd = dict(TableName="tbl", UpdateExpression="SET v = :v", ConditionExpression="attribute_exists(pk)",
               ExpressionAttributeValues={":v": N(1)})
    t.put_item(TableName="tbl", Item={"pk": S("a")})
    t.update_item(Key=key("a"), **upd)                    # builds and caches the plan

    def outcome(fn):
        try:
            fn()
        except Exception as e:   # noqa: BLE001 - comparing whatever is raised
            return type(e).__name__, str(e)
        return None
    cases = [
        lambda: t.update_item(Key={"pk": N(1)}, **upd),                  # wrong key type
        lambda: t.update_item(Key={"pk": S("a"), "x": S("y")}, **upd),   # not the schema
        lambda: t.update_item(Key=key("a"), ReturnValues="BOGUS", **upd),
        lambda: t.update_item(Key={"pk": {"S": 5}}, **upd),              # botocore's check
        lambda: t.update_item(Key=key("nope"), **upd),                   # condition fails
    ]
    from dyncore.api import exprs
    first, again = [], []
    for c in cases:
        t.update_item(Key=key("a"), **upd)                # the plan is cached: fast path
        assert exprs.cached_plan("UpdateItem", dict(upd, Key=key("a")), 1) is not None
        first.append(outcome(c))
        exprs._PLANS.clear()                              # no plan: the general path
        again.append(outcome(c))
    assert first == again
    assert first[0][0] == "ValidationException" and first[2][0] == "ValidationException"
    assert first[3][0] == "ParamValidationError"
    assert first[4][0] == "ConditionalCheckFailedException"
    assert "when calling the UpdateItem operation" in first[4][1]
