"""Item operations through the embedded client: Put/Get/Delete, Query with
every sort-key operator and pagination, Scan with segments and pages, the
batch operations and their limits, with DynamoDB's messages."""
from decimal import Decimal

import pytest

from .conftest import make_table


def err(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


@pytest.fixture
def t(client):
    make_table(client)
    return client


def put(c, pk, sk, **attrs):
    item = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    item.update(attrs)
    c.put_item(TableName="tbl", Item=item)
    return item


def test_put_get_delete(t):
    item = put(t, "a", 1, x={"S": "é"}, b={"B": b"\x00\x01"}, m={"M": {"l": {"L": [
        {"N": "1.50"}, {"NULL": True}, {"BOOL": False}, {"SS": ["x", "y"]}]}}})
    got = t.get_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert got["Item"]["m"]["M"]["l"]["L"][0] == {"N": "1.5"}
    assert got["Item"]["b"] == {"B": b"\x00\x01"}
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Item" not in t.get_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "2"}})
    old = t.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                     ReturnValues="ALL_OLD")
    assert old["Attributes"]["x"] == {"S": "é"}
    out = t.delete_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1.0"}},
                        ReturnValues="ALL_OLD")
    assert out["Attributes"] == {"pk": {"S": "a"}, "sk": {"N": "1"}}
    assert "Attributes" not in t.delete_item(TableName="tbl",
                                             Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                                             ReturnValues="ALL_OLD")
    del item


@pytest.mark.parametrize("key, message", [
    ({"pk": {"S": "a"}}, "The provided key element does not match the schema"),
    ({"pk": {"S": "a"}, "sk": {"S": "1"}}, "The provided key element does not match the schema"),
    ({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "y"}},
     "The provided key element does not match the schema"),
])
def test_bad_keys(t, key, message):
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.get_item(TableName="tbl", Key=key)
    assert err(e) == ("ValidationException", message)


def test_put_item_errors_change_nothing(t):
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.put_item(TableName="tbl", Item={"pk": {"S": "a"}})
    assert err(e)[1] == "One or more parameter values were invalid: Missing the key sk in the item"
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"S": "x"}})
    assert err(e)[1] == ("One or more parameter values were invalid: Type mismatch for key sk "
                         "expected: N actual: S")
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"},
                                        "big": {"S": "x" * 409600}})
    assert err(e)[1] == "Item size has exceeded the maximum allowed size"
    with pytest.raises(t.exceptions.ValidationException):
        t.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                   ReturnValues="ALL_NEW")
    assert t.scan(TableName="tbl")["Count"] == 0


def test_query_operators(t):
    for sk in [-5, -1.5, 0, 1, 2, 2.5, 3, 10, 100]:
        put(t, "p", sk)
    put(t, "q", 1)

    def q(expr, values, **kw):
        vals = {":p": {"S": "p"}}
        vals.update(values)
        out = t.query(TableName="tbl", KeyConditionExpression=expr,
                      ExpressionAttributeValues=vals, **kw)
        return [Decimal(i["sk"]["N"]) for i in out["Items"]]

    D = Decimal
    assert q("pk = :p", {}) == [D(x) for x in ["-5", "-1.5", "0", "1", "2", "2.5", "3", "10", "100"]]
    assert q("pk = :p AND sk < :a", {":a": {"N": "2"}}) == [D("-5"), D("-1.5"), D("0"), D("1")]
    assert q("pk = :p AND sk <= :a", {":a": {"N": "2"}})[-1] == D("2")
    assert q("pk = :p AND sk > :a", {":a": {"N": "3"}}) == [D("10"), D("100")]
    assert q("pk = :p AND sk >= :a", {":a": {"N": "3"}}) == [D("3"), D("10"), D("100")]
    assert q("pk = :p AND sk = :a", {":a": {"N": "2.50"}}) == [D("2.5")]
    assert q("pk = :p AND sk BETWEEN :a AND :b", {":a": {"N": "-1.5"}, ":b": {"N": "2"}}) == \
        [D("-1.5"), D("0"), D("1"), D("2")]
    assert q("pk = :p", {}, ScanIndexForward=False)[:3] == [D("100"), D("10"), D("3")]
    out = t.query(TableName="tbl", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "p"}}, Select="COUNT")
    assert out["Count"] == 9 and "Items" not in out


def test_query_begins_with(client):
    make_table(client, sk=("sk", "S"))
    for sk in ["a", "ab", "abc", "abd", "b", "a\x00", "\U0001F600x"]:
        client.put_item(TableName="tbl", Item={"pk": {"S": "p"}, "sk": {"S": sk}})
    out = client.query(TableName="tbl", KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                       ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"S": "ab"}})
    assert [i["sk"]["S"] for i in out["Items"]] == ["ab", "abc", "abd"]
    out = client.query(TableName="tbl", KeyConditionExpression="pk = :p",
                       ExpressionAttributeValues={":p": {"S": "p"}})
    assert [i["sk"]["S"] for i in out["Items"]] == ["a", "a\x00", "ab", "abc", "abd", "b",
                                                    "\U0001F600x"]


def test_query_pagination_both_ways(t):
    for sk in range(20):
        put(t, "p", sk)
    for forward in (True, False):
        got, esk = [], None
        while True:
            kw = {"ExclusiveStartKey": esk} if esk else {}
            page = t.query(TableName="tbl", KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": "p"}}, Limit=6,
                           ScanIndexForward=forward, **kw)
            got += [int(i["sk"]["N"]) for i in page["Items"]]
            esk = page.get("LastEvaluatedKey")
            if not esk:
                break
            assert set(esk) == {"pk", "sk"}
        assert got == (list(range(20)) if forward else list(range(19, -1, -1)))


def test_query_page_is_one_megabyte(t):
    blob = "x" * (100 * 1024)
    for sk in range(25):
        put(t, "p", sk, blob={"S": blob})
    page = t.query(TableName="tbl", KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": {"S": "p"}})
    assert 9 <= page["Count"] <= 11 and "LastEvaluatedKey" in page


def test_query_key_condition_errors(t):
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.query(TableName="tbl")
    assert "KeyConditions or KeyConditionExpression" in err(e)[1]
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.query(TableName="tbl", KeyConditionExpression="sk = :a",
                ExpressionAttributeValues={":a": {"N": "1"}})
    assert err(e)[1] == "Query condition missed key schema element: pk"


def test_query_legacy_key_conditions(t):
    for sk in range(5):
        put(t, "p", sk)
    out = t.query(TableName="tbl", KeyConditions={
        "pk": {"AttributeValueList": [{"S": "p"}], "ComparisonOperator": "EQ"},
        "sk": {"AttributeValueList": [{"N": "1"}, {"N": "3"}], "ComparisonOperator": "BETWEEN"}})
    assert [i["sk"]["N"] for i in out["Items"]] == ["1", "2", "3"]


def test_scan_segments_cover_everything_once(t):
    for i in range(300):
        put(t, f"k{i}", i)
    for total in (1, 2, 7, 64):
        seen = []
        for seg in range(total):
            esk = None
            while True:
                kw = {"ExclusiveStartKey": esk} if esk else {}
                page = t.scan(TableName="tbl", Segment=seg, TotalSegments=total, Limit=17, **kw)
                seen += [i["pk"]["S"] for i in page["Items"]]
                esk = page.get("LastEvaluatedKey")
                if not esk:
                    break
        assert sorted(seen) == sorted(f"k{i}" for i in range(300))


def test_scan_segment_errors(t):
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.scan(TableName="tbl", Segment=3, TotalSegments=3)
    assert err(e)[1] == ("The Segment parameter is zero-based and must be less than parameter "
                         "TotalSegments")
    with pytest.raises(t.exceptions.ValidationException):
        t.scan(TableName="tbl", Segment=1)


def test_scan_paginator(t):
    for i in range(50):
        put(t, f"k{i}", i)
    pages = list(t.get_paginator("scan").paginate(TableName="tbl",
                                                  PaginationConfig={"PageSize": 7}))
    assert sum(p["Count"] for p in pages) == 50
    assert len(pages) == 8


def test_batch_write_and_get(t):
    items = [{"pk": {"S": f"k{i}"}, "sk": {"N": str(i)}, "v": {"S": "x" * i}} for i in range(25)]
    out = t.batch_write_item(RequestItems={"tbl": [{"PutRequest": {"Item": i}} for i in items]})
    assert out["UnprocessedItems"] == {}
    keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items]
    got = t.batch_get_item(RequestItems={"tbl": {"Keys": keys}})
    assert sorted(got["Responses"]["tbl"], key=lambda i: int(i["sk"]["N"])) == items
    assert got["UnprocessedKeys"] == {}
    t.batch_write_item(RequestItems={"tbl": [{"DeleteRequest": {"Key": k}} for k in keys[:10]]})
    assert t.scan(TableName="tbl")["Count"] == 15


def test_batch_errors(t):
    k = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.batch_write_item(RequestItems={"tbl": [{"PutRequest": {"Item": k}},
                                               {"DeleteRequest": {"Key": k}}]})
    assert err(e)[1] == "Provided list of item keys contains duplicates"
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.batch_get_item(RequestItems={"tbl": {"Keys": [k, {"pk": {"S": "a"}, "sk": {"N": "1.0"}}]}})
    assert err(e)[1] == "Provided list of item keys contains duplicates"
    with pytest.raises(t.exceptions.ResourceNotFoundException):
        t.batch_write_item(RequestItems={"nope": [{"PutRequest": {"Item": k}}]})
    # A bad item anywhere in the batch writes nothing.
    with pytest.raises(t.exceptions.ValidationException):
        t.batch_write_item(RequestItems={"tbl": [{"PutRequest": {"Item": k}},
                                               {"PutRequest": {"Item": {"pk": {"S": "b"}}}}]})
    assert t.scan(TableName="tbl")["Count"] == 0


def test_batch_get_unprocessed_past_16mb(t):
    blob = "x" * (390 * 1024)
    keys = []
    for i in range(50):
        put(t, "p", i, blob={"S": blob})
        keys.append({"pk": {"S": "p"}, "sk": {"N": str(i)}})
    out = t.batch_get_item(RequestItems={"tbl": {"Keys": keys}})
    got = len(out["Responses"]["tbl"])
    left = len(out["UnprocessedKeys"]["tbl"]["Keys"])
    assert got + left == 50 and 40 <= got < 50


def test_consumed_capacity(t):
    put(t, "a", 1, x={"S": "y" * 5000})
    out = t.get_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                     ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0   # 5 KB eventually consistent: 2 x 0.5
    out = t.put_item(TableName="tbl", Item={"pk": {"S": "b"}, "sk": {"N": "1"}},
                     ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "tbl", "CapacityUnits": 1.0}


def test_batch_limits(t):
    items = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "sk": {"N": "1"}}}} for i in range(26)]
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.batch_write_item(RequestItems={"tbl": items})
    assert "Member must have length less than or equal to 25" in err(e)[1]
    keys = [{"pk": {"S": f"k{i}"}, "sk": {"N": "1"}} for i in range(101)]
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.batch_get_item(RequestItems={"tbl": {"Keys": keys}})
    assert "Member must have length less than or equal to 100" in err(e)[1]
    assert t.scan(TableName="tbl")["Count"] == 0


def test_many_threads(t):
    import threading
    errors = []

    def work(n):
        try:
            for i in range(300):
                put(t, f"w{n}", i, v={"S": "x" * (i % 50)})
                got = t.get_item(TableName="tbl", Key={"pk": {"S": f"w{n}"}, "sk": {"N": str(i)}})
                assert got["Item"]["v"] == {"S": "x" * (i % 50)}
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert t.scan(TableName="tbl", Select="COUNT")["Count"] == 8 * 300


def test_placeholders_without_expressions(t):
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                   ExpressionAttributeValues={":v": {"S": "unused"}})
    assert err(e)[1] == ("ExpressionAttributeValues can only be specified when using "
                         "expressions: ConditionExpression is null")
    with pytest.raises(t.exceptions.ValidationException) as e:
        t.get_item(TableName="tbl", Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                   ExpressionAttributeNames={"#n": "x"})
    assert err(e)[1] == "ExpressionAttributeNames can only be specified when using expressions"
    assert t.scan(TableName="tbl")["Count"] == 0
