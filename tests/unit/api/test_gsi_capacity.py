"""Global secondary indexes' own capacity meters: a base write refused when
an index it writes has no write capacity left (sparse writes are not), an
index read charged to the index, UpdateTable's index throughput, /metrics."""
import pytest

import dyncore
from dyncore.metrics import Metrics
from tests.unit.clocked import T0, clock, db  # noqa: F401 - fixtures

NO_RETRY = {"retries": {"max_attempts": 0}}
ARN = "arn:aws:dynamodb:local:000000000000:table/tbl"


@pytest.fixture
def client(db):
    return db.client(config=NO_RETRY)


def create(client, rcu=1000, wcu=1000, grcu=1, gwcu=1):
    client.create_table(
        TableName="tbl",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu},
        GlobalSecondaryIndexes=[{
            "IndexName": "byG",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": grcu,
                                      "WriteCapacityUnits": gwcu}}])


def create_on_demand(client, name, **index_extra):
    """An on-demand table with one global index byG on g (ALL)."""
    client.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[dict({"IndexName": "byG",
                                      "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                      "Projection": {"ProjectionType": "ALL"}}, **index_extra)])


def test_index_write_capacity_throttles_base_writes(db, client, clock):
    create(client)
    for i in range(300):                       # the index's 300 s of burst
        client.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "g": {"S": f"g{i}"}})
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException) as e:
        client.put_item(TableName="tbl", Item={"pk": {"S": "more"}, "g": {"S": "x"}})
    assert e.value.response["Error"]["Message"] == (
        "The level of configured provisioned throughput for one or more global secondary "
        "indexes of the table was exceeded. Consider increasing your provisioning level for "
        "the under-provisioned global secondary indexes with the UpdateTable API")
    assert e.value.response["ThrottlingReasons"] == [
        {"reason": "IndexWriteProvisionedThroughputExceeded", "resource": ARN + "/index/byG"}]
    # nothing written, to the table or the index
    assert "Item" not in client.get_item(TableName="tbl", Key={"pk": {"S": "more"}})
    assert client.query(TableName="tbl", IndexName="byG", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "x"}})["Count"] == 0
    # a write the index does not see (no index key: sparse) is not throttled by it
    client.put_item(TableName="tbl", Item={"pk": {"S": "sparse"}, "d": {"S": "v"}})
    client.update_item(TableName="tbl", Key={"pk": {"S": "sparse"}},
                       UpdateExpression="SET d = :d",
                       ExpressionAttributeValues={":d": {"S": "w"}})
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
        client.update_item(TableName="tbl", Key={"pk": {"S": "sparse"}},
                           UpdateExpression="SET g = :g",
                           ExpressionAttributeValues={":g": {"S": "x"}})
    assert "g" not in client.get_item(TableName="tbl", Key={"pk": {"S": "sparse"}})["Item"]
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
        client.delete_item(TableName="tbl", Key={"pk": {"S": "k0"}})
    clock.advance(2)
    client.put_item(TableName="tbl", Item={"pk": {"S": "more"}, "g": {"S": "x"}})
    st = db.capacity_stats("tbl")
    assert st["throttled"] == {}               # the table itself never ran out
    ist = st["indexes"]["byG"]
    assert ist["throttled"] == {"IndexWriteProvisionedThroughputExceeded": 3}
    assert ist["consumed"][1] == 301.0
    text = Metrics().render(db)
    assert 'dyncore_consumed_capacity_units_total{table="tbl",index="byG",kind="write"} 301' \
        in text
    assert 'dyncore_throttled_capacity_units_total{table="tbl",index="byG",kind="write"} 3' \
        in text


def test_index_reads_charge_the_index(db, client, clock):
    create(client, rcu=1, grcu=1000)
    client.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    before = db.capacity_stats("tbl")
    q = dict(TableName="tbl", IndexName="byG", KeyConditionExpression="g = :g",
             ExpressionAttributeValues={":g": {"S": "x"}})
    for _ in range(700):                       # past the table's 300 units of burst
        client.query(**q)
    client.scan(TableName="tbl", IndexName="byG")
    st = db.capacity_stats("tbl")
    assert st["consumed"][0] == before["consumed"][0]
    assert st["indexes"]["byG"]["consumed"][0] == 700 * 0.5 + 0.5
    # and an index out of read capacity throttles its reads, not the table's
    db.table("tbl").indexes["byG"].capacity.configure("PROVISIONED", 1, 1)
    for _ in range(600):
        client.query(**q)
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException) as e:
        client.query(**q)
    assert e.value.response["ThrottlingReasons"] == [
        {"reason": "IndexReadProvisionedThroughputExceeded", "resource": ARN + "/index/byG"}]
    client.get_item(TableName="tbl", Key={"pk": {"S": "a"}})


def test_update_table_changes_index_throughput(db, client, clock):
    create(client)
    for i in range(300):
        client.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "g": {"S": "x"}})
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
        client.put_item(TableName="tbl", Item={"pk": {"S": "more"}, "g": {"S": "x"}})
    client.update_table(TableName="tbl", GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "byG",
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 100}}}])
    cap = db.table("tbl").indexes["byG"].capacity
    assert cap.buckets[1].rate == 100.0
    clock.advance(1)                           # 100 units refilled at the new rate
    for i in range(50):
        client.put_item(TableName="tbl", Item={"pk": {"S": f"n{i}"}, "g": {"S": "y"}})
    # on demand: no index bucket
    client.update_table(TableName="tbl", BillingMode="PAY_PER_REQUEST")
    assert cap.buckets == (None, None)
    for i in range(200):
        client.put_item(TableName="tbl", Item={"pk": {"S": f"o{i}"}, "g": {"S": f"z{i}"}})


def test_batch_write_refused_by_an_index_comes_back_unprocessed(db, client, clock):
    create(client)
    client.create_table(TableName="other",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    for i in range(300):
        client.put_item(TableName="tbl", Item={"pk": {"S": f"k{i}"}, "g": {"S": "x"}})
    put = {"PutRequest": {"Item": {"pk": {"S": "b"}, "g": {"S": "x"}}}}
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
        client.batch_write_item(RequestItems={"tbl": [put]})
    out = client.batch_write_item(RequestItems={
        "tbl": [put], "other": [{"PutRequest": {"Item": {"pk": {"S": "o"}}}}]})
    assert out["UnprocessedItems"] == {"tbl": [put]}
    assert "Item" in client.get_item(TableName="other", Key={"pk": {"S": "o"}})
    assert "Item" not in client.get_item(TableName="tbl", Key={"pk": {"S": "b"}})
    # only the requests the index refuses go back: one it does not see is written
    sparse = {"PutRequest": {"Item": {"pk": {"S": "s"}, "d": {"S": "no index key"}}}}
    out = client.batch_write_item(RequestItems={"tbl": [put, sparse]})
    assert out["UnprocessedItems"] == {"tbl": [put]}
    assert "Item" in client.get_item(TableName="tbl", Key={"pk": {"S": "s"}})


def test_ttl_deletions_charge_no_index(db, client, clock):
    """DynamoDB's TTL deletions consume no write capacity, on the table or
    on its indexes, though the entries go."""
    create(client)
    client.update_time_to_live(TableName="tbl", TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "exp"})
    client.put_item(TableName="tbl", Item={"pk": {"S": "old"}, "g": {"S": "x"},
                                           "exp": {"N": str(int(T0) - 10)}})
    before = db.capacity_stats("tbl")
    assert db.ttl_sweep_now() == 1
    after = db.capacity_stats("tbl")
    assert after["consumed"] == before["consumed"]
    assert after["indexes"]["byG"]["consumed"] == before["indexes"]["byG"]["consumed"] == \
        [0.0, 1.0]
    assert client.query(TableName="tbl", IndexName="byG", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "x"}})["Count"] == 0


def test_switching_to_provisioned_asks_every_index_for_throughput(db, client, clock):
    create_on_demand(client, "swt")
    table_pt = {"ReadCapacityUnits": 100, "WriteCapacityUnits": 100}
    with pytest.raises(client.exceptions.ClientError) as e:
        client.update_table(TableName="swt", BillingMode="PROVISIONED",
                            ProvisionedThroughput=table_pt)
    assert e.value.response["Error"]["Message"] == (
        "One or more parameter values were invalid: ProvisionedThroughput must be specified "
        "for index: byG")
    d = client.describe_table(TableName="swt")["Table"]
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"   # nothing changed
    # an index Update with throughput on a table that stays on-demand is refused
    with pytest.raises(client.exceptions.ClientError, match="should not be specified"):
        client.update_table(TableName="swt", GlobalSecondaryIndexUpdates=[{"Update": {
            "IndexName": "byG",
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])
    client.update_table(TableName="swt", BillingMode="PROVISIONED", ProvisionedThroughput=table_pt,
                        GlobalSecondaryIndexUpdates=[{"Update": {
                            "IndexName": "byG",
                            "ProvisionedThroughput": {"ReadCapacityUnits": 1,
                                                      "WriteCapacityUnits": 1}}}])
    g = client.describe_table(TableName="swt")["Table"]["GlobalSecondaryIndexes"][0]
    assert (g["ProvisionedThroughput"]["ReadCapacityUnits"],
            g["ProvisionedThroughput"]["WriteCapacityUnits"]) == (1, 1)
    for i in range(300):   # the index's 300 s of burst, then it throttles
        client.put_item(TableName="swt", Item={"pk": {"S": f"k{i}"}, "g": {"S": "x"}})
    with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
        client.put_item(TableName="swt", Item={"pk": {"S": "more"}, "g": {"S": "x"}})
    clock.advance(86400)
    client.update_table(TableName="swt", BillingMode="PAY_PER_REQUEST")
    g = client.describe_table(TableName="swt")["Table"]["GlobalSecondaryIndexes"][0]
    assert (g["ProvisionedThroughput"]["ReadCapacityUnits"],
            g["ProvisionedThroughput"]["WriteCapacityUnits"]) == (0, 0)
    client.put_item(TableName="swt", Item={"pk": {"S": "more"}, "g": {"S": "x"}})


def test_an_on_demand_index_keeps_its_maximum(db, client, clock):
    create_on_demand(client, "odi", OnDemandThroughput={"MaxWriteRequestUnits": 5})
    g = client.describe_table(TableName="odi")["Table"]["GlobalSecondaryIndexes"][0]
    assert g["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 5}
    for i in range(5):
        client.put_item(TableName="odi", Item={"pk": {"S": f"k{i}"}, "g": {"S": f"g{i}"}})
    with pytest.raises(client.exceptions.ThrottlingException):
        client.put_item(TableName="odi", Item={"pk": {"S": "more"}, "g": {"S": "x"}})
    client.put_item(TableName="odi", Item={"pk": {"S": "sparse"}})   # the index is not written
    client.update_table(TableName="odi", GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "byG", "OnDemandThroughput": {"MaxWriteRequestUnits": -1}}}])
    g = client.describe_table(TableName="odi")["Table"]["GlobalSecondaryIndexes"][0]
    assert "OnDemandThroughput" not in g
    client.put_item(TableName="odi", Item={"pk": {"S": "more"}, "g": {"S": "x"}})
