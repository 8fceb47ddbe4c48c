"""The resource Table on native Python values, as boto3's resource API."""
from decimal import Decimal

import pytest

import dyncore
from dyncore.model import Binary


@pytest.fixture
def table(tmp_path):
    db = dyncore.open(tmp_path / "d", sync="none")
    res = db.resource()
    t = res.create_table(TableName="users",
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"},
                                    {"AttributeName": "n", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                               {"AttributeName": "n", "AttributeType": "N"}],
                         BillingMode="PAY_PER_REQUEST")
    yield t
    db.close()


def test_native_round_trip(table):
    item = {"id": "u1", "n": 1, "age": Decimal("30.50"), "big": 10**30, "ok": True,
            "none": None, "data": b"\x00\xff", "tags": {"a", "b"}, "nums": {1, Decimal("2.5")},
            "bins": {b"x", b"y"}, "list": [1, "two", [3], {"four": 4}], "map": {"k": "v"}}
    table.put_item(Item=item)
    got = table.get_item(Key={"id": "u1", "n": 1})["Item"]
    assert got["age"] == Decimal("30.5") and isinstance(got["age"], Decimal)
    assert got["big"] == Decimal(10**30)
    assert got["n"] == Decimal(1)
    assert got["ok"] is True and got["none"] is None
    assert got["data"] == Binary(b"\x00\xff") and got["data"] == b"\x00\xff"
    assert got["tags"] == {"a", "b"} and got["nums"] == {Decimal(1), Decimal("2.5")}
    assert got["bins"] == {Binary(b"x"), Binary(b"y")}
    assert got["list"] == [Decimal(1), "two", [Decimal(3)], {"four": Decimal(4)}]
    assert got["map"] == {"k": "v"}


def test_float_is_refused(table):
    with pytest.raises(TypeError):
        table.put_item(Item={"id": "u", "n": 1, "f": 1.5})


def test_query_with_conditions(table):
    boto3 = pytest.importorskip("boto3")
    from boto3.dynamodb.conditions import Key
    for n in range(10):
        table.put_item(Item={"id": "u", "n": n})
    out = table.query(KeyConditionExpression=Key("id").eq("u") & Key("n").between(3, 5))
    assert [i["n"] for i in out["Items"]] == [3, 4, 5]
    out = table.query(KeyConditionExpression="id = :u AND n > :n",
                      ExpressionAttributeValues={":u": "u", ":n": 7}, ScanIndexForward=False)
    assert [i["n"] for i in out["Items"]] == [9, 8]
    del boto3


def test_batch_writer(table):
    with table.batch_writer() as bw:
        for n in range(60):
            bw.put_item(Item={"id": "b", "n": n})
        bw.delete_item(Key={"id": "b", "n": 0})
    out = table.query(KeyConditionExpression="id = :u", ExpressionAttributeValues={":u": "b"})
    assert out["Count"] == 59


def test_batch_writer_dedupes_by_keys(table):
    with table.batch_writer(overwrite_by_pkeys=["id", "n"]) as bw:
        bw.put_item(Item={"id": "d", "n": 1, "v": "first"})
        bw.put_item(Item={"id": "d", "n": 1, "v": "second"})
    assert table.get_item(Key={"id": "d", "n": 1})["Item"]["v"] == "second"


def test_table_attributes(table):
    assert table.table_status == "ACTIVE"
    assert table.key_schema[0] == {"AttributeName": "id", "KeyType": "HASH"}
    table.put_item(Item={"id": "x", "n": 1})
    table.reload()
    assert table.item_count == 1
    table.delete()
    table.wait_until_not_exists()


def test_key_condition_and_filter_objects_together(table):
    """boto3 builds one set of placeholders per request: a Key condition
    and an Attr filter in one query must not overwrite each other's."""
    from boto3.dynamodb.conditions import Attr, Key
    for n in range(10):
        table.put_item(Item={"id": "u", "n": n, "kind": "even" if n % 2 == 0 else "odd"})
    out = table.query(KeyConditionExpression=Key("id").eq("u") & Key("n").between(2, 7),
                      FilterExpression=Attr("kind").eq("odd"))
    assert [i["n"] for i in out["Items"]] == [3, 5, 7]
    assert out["ScannedCount"] == 6
