"""The dyncore command: tables, partitions, split."""
import json

import dyncore
from dyncore.cli import main


def test_tables_partitions_split(tmp_path, capsys):
    path = tmp_path / "d"
    with dyncore.open(path) as db:
        c = db.client()
        c.create_table(TableName="users", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")
        for i in range(200):
            c.put_item(TableName="users", Item={"id": {"S": f"u{i}"}})
    assert main(["tables", str(path)]) == 0
    assert capsys.readouterr().out.split("\t")[:2] == ["users", "items=200"]
    assert main(["split", str(path), "users"]) == 0
    capsys.readouterr()
    assert main(["partitions", str(path), "users", "--json"]) == 0
    parts = json.loads(capsys.readouterr().out)
    assert len(parts) == 2
    assert parts[0]["HashRangeStart"] == 0 and parts[1]["HashRangeEnd"] == 2**64 - 1
    assert parts[0]["HashRangeEnd"] + 1 == parts[1]["HashRangeStart"]
    assert main(["partitions", str(path), "nope"]) == 1
