"""DynamoDB request shapes, as data.

One entry per operation in `OPERATIONS` (operation name -> input `Struct`),
written from the DynamoDB API reference (member names, types, which members
are required, documented ranges, patterns and enums) and from recorded service
behaviour for the parts the reference does not give: the order in which the
service lists several constraint violations, the order of enum values in its
messages, and where it departs from the documented ranges. dyncore.api.validate
compiles these into checkers; nothing here runs on a request.

What one shape carries
----------------------
- its type: `Str`, `Int` (integer), `Long`, `Bool`, `Blob`, `Double`, `Time`
  (timestamp), `ListOf(member)`, `MapOf(value)`, `Struct(...)`, or `AV` (an
  AttributeValue: no constraints here, the item codec checks its contents;
  validate only checks it is a dict, and in json mode the JSON types of its
  members, which the service reports as SerializationException);
- `bmin`: the "min" the SDK model gives, which botocore checks client-side
  (string and list length, integer value) before anything is sent;
- `checks`: the constraints the service checks, in the order it reports them:
  ("pattern", regex), ("min_len", n), ("max_len", n), ("min", n), ("max", n),
  ("enum", values-in-message-order). On a map, `key_checks` / `value_checks`
  are the service's "Map keys must satisfy constraint" / "Map value must satisfy
  constraint" rules (value_checks apply to the length of each value);
- `arn=True` on a table-name string: a value starting with "arn:" is a table
  ARN, which DynamoDB accepts in TableName; it skips the name rules and is only
  held to 1..1024 characters.

A `Struct` lists its members in the SDK's order (the order botocore names them
in "Unknown parameter ... must be one of: ..."); `required` is what botocore
requires; a member marked NN is one the service reports as "Member must not be
null"; `order` is the order in which the service visits members when it lists
violations (members not named there follow, in member order).

Sources for the service-side facts (cited per item below):
  [D]  dynalite (github.com/architect/dynalite) validations/*.js and test/*.js,
       whose tests ran against live DynamoDB. Where the validations/*.js
       files and the (later) tests disagree, the tests win;
  [C26] live captures of 2026 (us-east-1, eu-west-2, us-west-2) published with
       public DynamoDB conformance suites;
  [M]  the API reference / SDK model (ranges, patterns, enums, required).
"""
from __future__ import annotations

__all__ = [
    "Shape", "Str", "Int", "Long", "Bool", "Blob", "Double", "Time",
    "ListOf", "MapOf", "Struct", "AttrValue", "AV", "NN",
    "OPERATIONS", "CONTROL_PLANE_TABLE_NAME", "JAVA_PACKAGE",
]

JAVA_PACKAGE = "com.amazonaws.dynamodb.v20120810."


class Shape:
    """Base of all shapes. `kind` names the type; `java` is the Java type the
    service's deserializer names in SerializationException messages."""

    __slots__ = ("checks", "bmin", "arn")
    kind = "?"
    java = "?"

    def __init__(self, checks=(), bmin=None, arn=False):
        self.checks = tuple(checks)
        self.bmin = bmin
        self.arn = arn

    def __repr__(self):
        return f"{type(self).__name__}({self.checks!r})"


class Str(Shape):
    __slots__ = ()
    kind = "string"
    java = "java.lang.String"


class Int(Shape):
    __slots__ = ()
    kind = "integer"
    java = "java.lang.Integer"


class Long(Shape):
    __slots__ = ()
    kind = "long"
    java = "java.lang.Long"


class Bool(Shape):
    __slots__ = ()
    kind = "boolean"
    java = "java.lang.Boolean"


class Blob(Shape):
    __slots__ = ()
    kind = "blob"
    java = "java.nio.ByteBuffer"


class Double(Shape):
    __slots__ = ()
    kind = "double"
    java = "java.lang.Double"


class Time(Shape):
    __slots__ = ()
    kind = "timestamp"
    java = "java.util.Date"


class ListOf(Shape):
    __slots__ = ("member",)
    kind = "list"

    def __init__(self, member, checks=(), bmin=None):
        super().__init__(checks, bmin)
        self.member = member

    @property
    def java(self):
        return f"java.util.List<{self.member.java}>"


class MapOf(Shape):
    """A map from string keys. `key` is the key's shape (botocore checks its
    type and min length); `key_checks` / `value_checks` are service rules."""

    __slots__ = ("value", "key", "key_checks", "value_checks")
    kind = "map"

    def __init__(self, value, key=None, checks=(), key_checks=(), value_checks=(),
                 bmin=None, key_arn=False):
        super().__init__(checks, bmin, key_arn)
        self.value = value
        self.key = key if key is not None else Str()
        self.key_checks = tuple(key_checks)
        self.value_checks = tuple(value_checks)

    @property
    def java(self):
        return f"java.util.Map<java.lang.String, {self.value.java}>"


class AttrValue(Shape):
    """An AttributeValue ({"S": ...}, {"N": ...}, ...). Opaque to the shape
    checks of the embedded client (only "is a dict" is checked); in JSON mode
    the deserializer's type rules for its members are checked too, because the
    service reports those as SerializationException before any validation."""

    __slots__ = ()
    kind = "av"
    java = JAVA_PACKAGE + "AttributeValue"


AV = AttrValue()
NN = "NN"  # member marker: the service reports it as "Member must not be null"


class Struct(Shape):
    """A structure. Build with keyword arguments, one per member, in the SDK's
    member order: `Name=shape` or `Name=(shape, NN)`; `_required` (botocore's
    required members, in its order) and `_order` (service visiting order)."""

    __slots__ = ("name", "members", "required", "nn", "order")
    kind = "structure"

    def __init__(self, name, _required=(), _order=(), **members):
        super().__init__()
        self.name = name
        self.members = {}
        nn = []
        for mname, spec in members.items():
            if isinstance(spec, tuple):
                shape, flag = spec
                assert flag == NN, (name, mname)
                nn.append(mname)
            else:
                shape = spec
            self.members[mname] = shape
        for r in _required:
            assert r in self.members, (name, r)
        for o in _order:
            assert o in self.members, (name, o)
        self.required = tuple(_required)
        self.nn = tuple(nn)
        self.order = tuple(_order) + tuple(m for m in self.members if m not in _order)

    @property
    def java(self):
        return JAVA_PACKAGE + self.name

    def __repr__(self):
        return f"Struct({self.name})"


# --------------------------------------------------------------------------
# Constraint helpers
# --------------------------------------------------------------------------

NAME_PATTERN = "[a-zA-Z0-9_.-]+"


def _len(lo=None, hi=None, pattern_first=None):
    out = []
    if pattern_first:
        out.append(("pattern", pattern_first))
    if lo is not None:
        out.append(("min_len", lo))
    if hi is not None:
        out.append(("max_len", hi))
    return tuple(out)


def _rng(lo=None, hi=None):
    out = []
    if lo is not None:
        out.append(("min", lo))
    if hi is not None:
        out.append(("max", hi))
    return tuple(out)


def _enum(*values):
    return (("enum", tuple(values)),)


# --------------------------------------------------------------------------
# Shared shapes
# --------------------------------------------------------------------------

# TableName of the data-plane operations: "Value 'a;' ... regular expression
# pattern ...; Value 'a;' ... length greater than or equal to 3" in this order,
# max 255 [D test/getItem.js "should return ValidationException for incorrect
# attributes", exact message]. The SDK model types it as a name-or-ARN, min 1.
TABLE_NAME = Str(_len(3, 255, NAME_PATTERN), bmin=1, arn=True)
# TableName of the control-plane operations: presence and length are checked
# first, outside the framework ("The parameter 'TableName' is required but was
# not present in the request", "TableName must be at least 3 characters long
# and at most 255 characters long", see CONTROL_PLANE_TABLE_NAME); the framework
# then only checks the pattern [D test/describeTable.js, deleteTable.js,
# createTable.js].
CP_TABLE_NAME = Str((("pattern", NAME_PATTERN),), bmin=1, arn=True)
# TableName inside TransactWriteItems / TransactGetItems actions: not
# null-checked by the framework [D test/transactWriteItem.js: {Put: {}} reports
# only put.item]; name rules as for the data plane.
TX_TABLE_NAME = Str(_len(3, 255, NAME_PATTERN), bmin=1, arn=True)

# IndexName in Query / Scan: pattern, then length [D validations/query.js].
INDEX_NAME = Str(_len(3, 255, NAME_PATTERN), bmin=3)
# IndexName in index definitions (CreateTable, UpdateTable): length first, then
# the pattern [C26 "Value '' at 'globalSecondaryIndexes.1.member.indexName' ...
# Member must have length greater than or equal to 3; Value '' at ... Member"].
DEF_INDEX_NAME = Str((("min_len", 3), ("max_len", 255), ("pattern", NAME_PATTERN)), bmin=3)

ATTR_NAME = Str(_len(None, 65535))  # AttributeName: documented max 64 KB
KEY_ATTR_NAME = Str(_len(1, 255), bmin=1)

# Enum values appear in messages in the service's own order, which is not the
# documented order; orders below are the recorded ones.
RETURN_CONSUMED_CAPACITY = Str(_enum("INDEXES", "TOTAL", "NONE"))  # [D], [C26]
RETURN_ITEM_COLLECTION_METRICS = Str(_enum("SIZE", "NONE"))  # [D]
RETURN_VALUES = Str(_enum("ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"))  # [D], [C26]
CONDITIONAL_OPERATOR = Str(_enum("OR", "AND"))  # [D], [C26]
COMPARISON_OPERATOR = Str(_enum("IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT",
                                "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS"))  # [D]
SELECT = Str(_enum("SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES",
                   "ALL_PROJECTED_ATTRIBUTES"))  # [D test/scan.js]
RETURN_VALUES_ON_CCF = Str(_enum("ALL_OLD", "NONE"))  # [D validations/transactWriteItems.js]
KEY_TYPE = Str(_enum("HASH", "RANGE"))  # [D test/createTable.js]
SCALAR_ATTRIBUTE_TYPE = Str(_enum("B", "N", "S"))  # [D], [C26]
PROJECTION_TYPE = Str(_enum("ALL", "INCLUDE", "KEYS_ONLY"))  # [D validations/createTable.js]
BILLING_MODE = Str(_enum("PROVISIONED", "PAY_PER_REQUEST"))  # [D], [C26]
STREAM_VIEW_TYPE = Str(_enum("OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"))  # [C26]
SSE_TYPE = Str(_enum("AES256", "KMS"))  # [M]
TABLE_CLASS = Str(_enum("STANDARD", "STANDARD_INFREQUENT_ACCESS"))  # [M]
ATTRIBUTE_ACTION = Str(_enum("ADD", "PUT", "DELETE"))  # [M]
MULTI_REGION_CONSISTENCY = Str(_enum("EVENTUAL", "STRONG"))  # [M]
GT_SETTINGS_REPLICATION_MODE = Str(_enum("ENABLED", "DISABLED", "ENABLED_WITH_OVERRIDES"))  # [M]
DISASSOCIATION_MODE = Str(_enum("WAIT_FOR_REPLICATION"))  # [M]
VECTOR_DISTANCE_FUNCTION = Str(_enum("COSINE", "DOT_PRODUCT", "EUCLIDEAN"))  # [M]
SEARCH_SCHEMA_ELEMENT_TYPE = Str(_enum("HASH", "INLINE_FILTER"))  # [M]

STRING = Str()
BOOL = Bool()
LONG = Long()
POSITIVE_LONG = Long(_rng(1), bmin=1)

KEY = MapOf(AV, key=ATTR_NAME)  # Key, ExclusiveStartKey
ITEM = MapOf(AV, key=ATTR_NAME)  # Item
EXPRESSION_ATTRIBUTE_NAMES = MapOf(Str(), key=Str())
EXPRESSION_ATTRIBUTE_VALUES = MapOf(AV, key=Str())
# AttributesToGet: 1..255 names [D validations/getItem.js]; the SDK model has min 1.
ATTRIBUTES_TO_GET = ListOf(ATTR_NAME, _len(1, 255), bmin=1)
ATTRIBUTE_VALUE_LIST = ListOf(AV)

# ProvisionedThroughput: WriteCapacityUnits is reported before ReadCapacityUnits
# [D test/createTable.js; C26 gsi_update_pt_empty_real].
PROVISIONED_THROUGHPUT = Struct(
    "ProvisionedThroughput",
    _required=("ReadCapacityUnits", "WriteCapacityUnits"),
    _order=("WriteCapacityUnits", "ReadCapacityUnits"),
    ReadCapacityUnits=(POSITIVE_LONG, NN),
    WriteCapacityUnits=(POSITIVE_LONG, NN),
)
ON_DEMAND_THROUGHPUT = Struct("OnDemandThroughput", MaxReadRequestUnits=LONG,
                              MaxWriteRequestUnits=LONG)
WARM_THROUGHPUT = Struct("WarmThroughput", ReadUnitsPerSecond=LONG, WriteUnitsPerSecond=LONG)

ATTRIBUTE_DEFINITION = Struct(
    "AttributeDefinition",
    _required=("AttributeName", "AttributeType"),
    _order=("AttributeType", "AttributeName"),  # [C26 ct_attrdefs_empty_entry]
    AttributeName=(KEY_ATTR_NAME, NN),
    AttributeType=(SCALAR_ATTRIBUTE_TYPE, NN),
)
ATTRIBUTE_DEFINITIONS = ListOf(ATTRIBUTE_DEFINITION)

KEY_SCHEMA_ELEMENT = Struct(
    "KeySchemaElement",
    _required=("AttributeName", "KeyType"),
    AttributeName=(KEY_ATTR_NAME, NN),  # [C26 ct_keyschema_empty_entry: attributeName, keyType]
    KeyType=(KEY_TYPE, NN),
)
# KeySchema: 1..2 elements [D validations/createTable.js; M says min 1].
KEY_SCHEMA = ListOf(KEY_SCHEMA_ELEMENT, _len(1, 2), bmin=1)
# A global secondary index's: up to four HASH and four RANGE attributes
# (multi-attribute keys, 2025-11); dyncore.table.schema checks the kinds.
GSI_KEY_SCHEMA = ListOf(KEY_SCHEMA_ELEMENT, _len(1, 8), bmin=1)

PROJECTION = Struct(
    "Projection",
    ProjectionType=PROJECTION_TYPE,
    NonKeyAttributes=ListOf(KEY_ATTR_NAME, _len(1, 20), bmin=1),
)

LOCAL_SECONDARY_INDEX = Struct(
    "LocalSecondaryIndex",
    _required=("IndexName", "KeySchema", "Projection"),
    IndexName=(DEF_INDEX_NAME, NN),
    KeySchema=(KEY_SCHEMA, NN),
    Projection=(PROJECTION, NN),
)
GLOBAL_SECONDARY_INDEX = Struct(
    "GlobalSecondaryIndex",
    _required=("IndexName", "KeySchema", "Projection"),
    IndexName=(DEF_INDEX_NAME, NN),
    KeySchema=(GSI_KEY_SCHEMA, NN),
    Projection=(PROJECTION, NN),
    ProvisionedThroughput=PROVISIONED_THROUGHPUT,
    OnDemandThroughput=ON_DEMAND_THROUGHPUT,
    WarmThroughput=WARM_THROUGHPUT,
)

STREAM_SPECIFICATION = Struct(
    "StreamSpecification",
    _required=("StreamEnabled",),
    StreamEnabled=(BOOL, NN),
    StreamViewType=STREAM_VIEW_TYPE,
)
SSE_SPECIFICATION = Struct(
    "SSESpecification",
    Enabled=BOOL,
    SSEType=SSE_TYPE,
    # min 1 is the service's, not the SDK model's [C26 "Value '' at
    # 'sSESpecification.kMSMasterKeyId' ... greater than or equal to 1"].
    KMSMasterKeyId=Str((("min_len", 1),)),
)

# Tags: the service checks tag keys and values itself ("The Tag Key provided is
# invalid, Key: null"), not through the framework [C26]; botocore's min lengths
# still apply client-side.
TAG = Struct("Tag", _required=("Key", "Value"), Key=Str(bmin=1), Value=Str(bmin=0))
TAG_LIST = ListOf(TAG)

TABLE_ARN = Str(_len(1, 1024), bmin=1)

VECTOR_ATTRIBUTE_DEFINITION = Struct(
    "VectorAttributeDefinition", _required=("AttributeName",),
    AttributeName=(KEY_ATTR_NAME, NN))
SEARCH_SCHEMA = ListOf(Struct(
    "SearchSchemaElement", _required=("AttributeName", "SearchSchemaElementType"),
    AttributeName=(ATTR_NAME, NN), SearchSchemaElementType=(SEARCH_SCHEMA_ELEMENT_TYPE, NN),
), _len(1), bmin=1)


def _vector_index(name):
    return Struct(
        name,
        _required=("IndexName", "VectorAttribute", "Projection", "Dimensions", "DistanceFunction"),
        IndexName=(DEF_INDEX_NAME, NN),
        VectorAttribute=(VECTOR_ATTRIBUTE_DEFINITION, NN),
        SearchSchema=SEARCH_SCHEMA,
        Projection=(PROJECTION, NN),
        Dimensions=(POSITIVE_LONG, NN),
        DistanceFunction=(VECTOR_DISTANCE_FUNCTION, NN),
    )


# Legacy conditions. Expected: [D validations/putItem.js] member order.
EXPECTED_ATTRIBUTE_VALUE = Struct(
    "ExpectedAttributeValue",
    _order=("AttributeValueList", "ComparisonOperator", "Exists", "Value"),
    Value=AV,
    Exists=BOOL,
    ComparisonOperator=COMPARISON_OPERATOR,
    AttributeValueList=ATTRIBUTE_VALUE_LIST,
)
EXPECTED = MapOf(EXPECTED_ATTRIBUTE_VALUE, key=ATTR_NAME)
CONDITION = Struct(
    "Condition",
    _required=("ComparisonOperator",),
    AttributeValueList=ATTRIBUTE_VALUE_LIST,
    ComparisonOperator=(COMPARISON_OPERATOR, NN),  # [D test/scan.js scanFilter.a.member.comparisonOperator]
)
CONDITION_MAP = MapOf(CONDITION, key=ATTR_NAME)
ATTRIBUTE_VALUE_UPDATE = Struct("AttributeValueUpdate", Value=AV, Action=ATTRIBUTE_ACTION)


# --------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------

CREATE_TABLE = Struct(
    "CreateTableInput",
    _required=("TableName",),
    # [D validations/createTable.js] order; AttributeDefinitions and KeySchema
    # are null-checked by the service although the SDK model does not require
    # them [D test/createTable.js "should return ValidationException for null
    # attributes"].
    _order=("AttributeDefinitions", "TableName", "BillingMode", "ProvisionedThroughput",
            "KeySchema", "LocalSecondaryIndexes", "GlobalSecondaryIndexes"),
    AttributeDefinitions=(ATTRIBUTE_DEFINITIONS, NN),
    TableName=CP_TABLE_NAME,
    KeySchema=(KEY_SCHEMA, NN),
    LocalSecondaryIndexes=ListOf(LOCAL_SECONDARY_INDEX),
    GlobalSecondaryIndexes=ListOf(GLOBAL_SECONDARY_INDEX),
    BillingMode=BILLING_MODE,
    ProvisionedThroughput=PROVISIONED_THROUGHPUT,
    StreamSpecification=STREAM_SPECIFICATION,
    SSESpecification=SSE_SPECIFICATION,
    Tags=TAG_LIST,
    TableClass=TABLE_CLASS,
    DeletionProtectionEnabled=BOOL,
    WarmThroughput=WARM_THROUGHPUT,
    ResourcePolicy=STRING,
    OnDemandThroughput=ON_DEMAND_THROUGHPUT,
    GlobalTableSourceArn=TABLE_ARN,
    GlobalTableSettingsReplicationMode=GT_SETTINGS_REPLICATION_MODE,
    VectorIndexes=ListOf(_vector_index("VectorIndex")),
)

DESCRIBE_TABLE = Struct("DescribeTableInput", _required=("TableName",), TableName=CP_TABLE_NAME)
DELETE_TABLE = Struct("DeleteTableInput", _required=("TableName",), TableName=CP_TABLE_NAME)

# ListTables: Limit first, then ExclusiveStartTableName (pattern, then length)
# [D test/listTables.js "should return ValidationExceptions in order"].
LIST_TABLES = Struct(
    "ListTablesInput",
    _order=("Limit", "ExclusiveStartTableName"),
    ExclusiveStartTableName=Str(_len(3, 255, NAME_PATTERN), bmin=3),
    Limit=Int(_rng(1, 100), bmin=1),
)

PROVISIONED_THROUGHPUT_OVERRIDE = Struct("ProvisionedThroughputOverride",
                                         ReadCapacityUnits=POSITIVE_LONG)
ON_DEMAND_THROUGHPUT_OVERRIDE = Struct("OnDemandThroughputOverride", MaxReadRequestUnits=LONG)
REPLICA_GSI_LIST = ListOf(Struct(
    "ReplicaGlobalSecondaryIndex", _required=("IndexName",),
    IndexName=(DEF_INDEX_NAME, NN),
    ProvisionedThroughputOverride=PROVISIONED_THROUGHPUT_OVERRIDE,
    OnDemandThroughputOverride=ON_DEMAND_THROUGHPUT_OVERRIDE,
), _len(1), bmin=1)


def _replica_member_action(name):
    return Struct(
        name, _required=("RegionName",),
        RegionName=(STRING, NN),  # [C26 replicaUpdates.1.member.update.regionName]
        KMSMasterKeyId=STRING,
        ProvisionedThroughputOverride=PROVISIONED_THROUGHPUT_OVERRIDE,
        OnDemandThroughputOverride=ON_DEMAND_THROUGHPUT_OVERRIDE,
        GlobalSecondaryIndexes=REPLICA_GSI_LIST,
        TableClassOverride=TABLE_CLASS,
    )


UPDATE_TABLE = Struct(
    "UpdateTableInput",
    _required=("TableName",),
    _order=("TableName", "ProvisionedThroughput", "GlobalSecondaryIndexUpdates"),  # [D]
    AttributeDefinitions=ATTRIBUTE_DEFINITIONS,
    TableName=CP_TABLE_NAME,
    BillingMode=BILLING_MODE,
    ProvisionedThroughput=PROVISIONED_THROUGHPUT,
    GlobalSecondaryIndexUpdates=ListOf(Struct(
        "GlobalSecondaryIndexUpdate",
        _order=("Update", "Create", "Delete"),  # [D validations/updateTable.js]
        # ProvisionedThroughput of Update/Create is not null-checked any more
        # (on-demand indexes) [C26 gsi_update_odt_empty_real,
        # gsi_create_warm_empty_name_empty].
        Update=Struct(
            "UpdateGlobalSecondaryIndexAction", _required=("IndexName",),
            IndexName=(DEF_INDEX_NAME, NN),
            ProvisionedThroughput=PROVISIONED_THROUGHPUT,
            OnDemandThroughput=ON_DEMAND_THROUGHPUT,
            WarmThroughput=WARM_THROUGHPUT,
        ),
        Create=Struct(
            "CreateGlobalSecondaryIndexAction",
            _required=("IndexName", "KeySchema", "Projection"),
            _order=("Projection", "IndexName", "ProvisionedThroughput", "KeySchema"),  # [D]
            IndexName=(DEF_INDEX_NAME, NN),
            KeySchema=(GSI_KEY_SCHEMA, NN),
            Projection=(PROJECTION, NN),
            ProvisionedThroughput=PROVISIONED_THROUGHPUT,
            OnDemandThroughput=ON_DEMAND_THROUGHPUT,
            WarmThroughput=WARM_THROUGHPUT,
        ),
        Delete=Struct("DeleteGlobalSecondaryIndexAction", _required=("IndexName",),
                      IndexName=(DEF_INDEX_NAME, NN)),
    )),
    StreamSpecification=STREAM_SPECIFICATION,
    SSESpecification=SSE_SPECIFICATION,
    ReplicaUpdates=ListOf(Struct(
        "ReplicationGroupUpdate",
        Create=_replica_member_action("CreateReplicationGroupMemberAction"),
        Update=_replica_member_action("UpdateReplicationGroupMemberAction"),
        Delete=Struct("DeleteReplicationGroupMemberAction", _required=("RegionName",),
                      RegionName=(STRING, NN)),
        Disassociate=Struct("DisassociateReplicationGroupMemberAction",
                            _required=("RegionName", "DisassociationMode"),
                            RegionName=(STRING, NN),
                            DisassociationMode=(DISASSOCIATION_MODE, NN)),
    ), _len(1), bmin=1),
    TableClass=TABLE_CLASS,
    DeletionProtectionEnabled=BOOL,
    MultiRegionConsistency=MULTI_REGION_CONSISTENCY,
    # Witness region names are checked by the operation ("At least one of ...")
    # rather than null-checked [C26 ut_witness_*].
    GlobalTableWitnessUpdates=ListOf(Struct(
        "GlobalTableWitnessGroupUpdate",
        Create=Struct("CreateGlobalTableWitnessGroupMemberAction", _required=("RegionName",),
                      RegionName=STRING),
        Delete=Struct("DeleteGlobalTableWitnessGroupMemberAction", _required=("RegionName",),
                      RegionName=STRING),
    ), _len(1, 1), bmin=1),
    OnDemandThroughput=ON_DEMAND_THROUGHPUT,
    WarmThroughput=WARM_THROUGHPUT,
    GlobalTableSettingsReplicationMode=GT_SETTINGS_REPLICATION_MODE,
    DisassociationProtectionEnabled=BOOL,
    VectorIndexUpdates=ListOf(Struct(
        "VectorIndexUpdate",
        Create=_vector_index("CreateVectorIndexAction"),
        Delete=Struct("DeleteVectorIndexAction", _required=("IndexName",),
                      IndexName=(DEF_INDEX_NAME, NN)),
    )),
)

# Tag operations: no framework constraints; a missing ResourceArn is the
# operation's "Invalid TableArn" [D test/tagResource.js], tag texts as above.
RESOURCE_ARN = Str(bmin=1)
# [inferred] the service null-checks the required members, as elsewhere
TAG_RESOURCE = Struct("TagResourceInput", _required=("ResourceArn", "Tags"),
                      ResourceArn=(RESOURCE_ARN, NN), Tags=(TAG_LIST, NN))
UNTAG_RESOURCE = Struct("UntagResourceInput", _required=("ResourceArn", "TagKeys"),
                        ResourceArn=(RESOURCE_ARN, NN), TagKeys=(ListOf(Str(bmin=1)), NN))
LIST_TAGS_OF_RESOURCE = Struct("ListTagsOfResourceInput", _required=("ResourceArn",),
                               ResourceArn=(RESOURCE_ARN, NN), NextToken=STRING)

PUT_ITEM = Struct(
    "PutItemInput",
    _required=("TableName", "Item"),
    _order=("ReturnConsumedCapacity", "TableName", "Item", "ConditionalOperator", "Expected",
            "ReturnValues", "ReturnItemCollectionMetrics"),  # [D validations/putItem.js]
    TableName=(TABLE_NAME, NN),
    Item=(ITEM, NN),
    Expected=EXPECTED,
    ReturnValues=RETURN_VALUES,
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
    ReturnItemCollectionMetrics=RETURN_ITEM_COLLECTION_METRICS,
    ConditionalOperator=CONDITIONAL_OPERATOR,
    ConditionExpression=STRING,
    ExpressionAttributeNames=EXPRESSION_ATTRIBUTE_NAMES,
    ExpressionAttributeValues=EXPRESSION_ATTRIBUTE_VALUES,
    ReturnValuesOnConditionCheckFailure=RETURN_VALUES_ON_CCF,
)

GET_ITEM = Struct(
    "GetItemInput",
    _required=("TableName", "Key"),
    # [D test/getItem.js, exact message: returnConsumedCapacity, attributesToGet,
    # tableName, key]
    _order=("ReturnConsumedCapacity", "AttributesToGet", "TableName", "Key"),
    TableName=(TABLE_NAME, NN),
    Key=(KEY, NN),
    AttributesToGet=ATTRIBUTES_TO_GET,
    ConsistentRead=BOOL,
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
    ProjectionExpression=STRING,
    ExpressionAttributeNames=EXPRESSION_ATTRIBUTE_NAMES,
)

DELETE_ITEM = Struct(
    "DeleteItemInput",
    _required=("TableName", "Key"),
    _order=("ReturnConsumedCapacity", "TableName", "ReturnValues", "ReturnItemCollectionMetrics",
            "Key", "ConditionalOperator", "Expected"),  # [D validations/deleteItem.js]
    TableName=(TABLE_NAME, NN),
    Key=(KEY, NN),
    Expected=EXPECTED,
    ConditionalOperator=CONDITIONAL_OPERATOR,
    ReturnValues=RETURN_VALUES,
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
    ReturnItemCollectionMetrics=RETURN_ITEM_COLLECTION_METRICS,
    ConditionExpression=STRING,
    ExpressionAttributeNames=EXPRESSION_ATTRIBUTE_NAMES,
    ExpressionAttributeValues=EXPRESSION_ATTRIBUTE_VALUES,
    ReturnValuesOnConditionCheckFailure=RETURN_VALUES_ON_CCF,
)

UPDATE_ITEM = Struct(
    "UpdateItemInput",
    _required=("TableName", "Key"),
    # [D validations/updateItem.js], with ConditionalOperator before Key as in
    # [C26 "Value 'XOR' at 'conditionalOperator' ...; Value null at 'key' ..."]
    # and [C26 "returnConsumedCapacity; tableName; returnValues; key"].
    _order=("ReturnConsumedCapacity", "TableName", "ReturnItemCollectionMetrics", "ReturnValues",
            "ConditionalOperator", "Key", "Expected", "AttributeUpdates"),
    TableName=(TABLE_NAME, NN),
    Key=(KEY, NN),
    AttributeUpdates=MapOf(ATTRIBUTE_VALUE_UPDATE, key=ATTR_NAME),
    Expected=EXPECTED,
    ConditionalOperator=CONDITIONAL_OPERATOR,
    ReturnValues=RETURN_VALUES,
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
    ReturnItemCollectionMetrics=RETURN_ITEM_COLLECTION_METRICS,
    UpdateExpression=STRING,
    ConditionExpression=STRING,
    ExpressionAttributeNames=EXPRESSION_ATTRIBUTE_NAMES,
    ExpressionAttributeValues=EXPRESSION_ATTRIBUTE_VALUES,
    ReturnValuesOnConditionCheckFailure=RETURN_VALUES_ON_CCF,
)

QUERY = Struct(
    "QueryInput",
    _required=("TableName",),
    # [D test/query.js "should return ValidationException for incorrect
    # attributes"]: of eleven violations the service listed these ten, in this
    # order, leaving out keyConditions.b -- so KeyConditions comes last and map
    # entries are visited first to last.
    _order=("Select", "IndexName", "ReturnConsumedCapacity", "QueryFilter", "TableName",
            "ConditionalOperator", "AttributesToGet", "Limit", "KeyConditions",
            "ExclusiveStartKey"),
    TableName=(TABLE_NAME, NN),
    IndexName=INDEX_NAME,
    Select=SELECT,
    AttributesToGet=ATTRIBUTES_TO_GET,
    Limit=Int(_rng(1), bmin=1),
    ConsistentRead=BOOL,
    KeyConditions=CONDITION_MAP,
    QueryFilter=CONDITION_MAP,
    ConditionalOperator=CONDITIONAL_OPERATOR,
    ScanIndexForward=BOOL,
    ExclusiveStartKey=KEY,
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
    ProjectionExpression=STRING,
    FilterExpression=STRING,
    KeyConditionExpression=STRING,
    ExpressionAttributeNames=EXPRESSION_ATTRIBUTE_NAMES,
    ExpressionAttributeValues=EXPRESSION_ATTRIBUTE_VALUES,
)

SCAN = Struct(
    "ScanInput",
    _required=("TableName",),
    # [D test/scan.js "should return ValidationException for incorrect
    # attributes"]: ten of eleven violations listed, attributesToGet left out.
    _order=("Select", "IndexName", "TotalSegments", "ReturnConsumedCapacity", "TableName",
            "ConditionalOperator", "ScanFilter", "Segment", "Limit", "AttributesToGet",
            "ExclusiveStartKey"),
    TableName=(TABLE_NAME, NN),
    IndexName=INDEX_NAME,
    AttributesToGet=ATTRIBUTES_TO_GET,
    Limit=Int(_rng(1), bmin=1),
    Select=SELECT,
    ScanFilter=CONDITION_MAP,
    ConditionalOperator=CONDITIONAL_OPERATOR,
    ExclusiveStartKey=KEY,
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
    # [D] has the lower bounds; the upper ones are the documented ranges.
    TotalSegments=Int(_rng(1, 1000000), bmin=1),
    Segment=Int(_rng(0, 999999), bmin=0),
    ProjectionExpression=STRING,
    FilterExpression=STRING,
    ExpressionAttributeNames=EXPRESSION_ATTRIBUTE_NAMES,
    ExpressionAttributeValues=EXPRESSION_ATTRIBUTE_VALUES,
    ConsistentRead=BOOL,
)

# Batch maps: table-name keys ("Map keys must satisfy constraint: [Member must
# have length less than or equal to 255, Member must have length greater than
# or equal to 3, Member must satisfy regular expression pattern:
# [a-zA-Z0-9_.-]+]") [D test/batchGetItem.js, test/batchWriteItem.js].
BATCH_KEY_CHECKS = (("max_len", 255), ("min_len", 3), ("pattern", NAME_PATTERN))

BATCH_GET_ITEM = Struct(
    "BatchGetItemInput",
    _required=("RequestItems",),
    _order=("ReturnConsumedCapacity", "RequestItems"),  # [D]
    RequestItems=(MapOf(
        Struct(
            "KeysAndAttributes",
            _required=("Keys",),
            # 'requestItems.T.member.keys' ... "Member must have length less
            # than or equal to 100" [D test/batchGetItem.js, reference §13].
            Keys=(ListOf(MapOf(AV, key=ATTR_NAME), _len(1, 100), bmin=1), NN),
            AttributesToGet=ATTRIBUTES_TO_GET,
            ConsistentRead=BOOL,
            ProjectionExpression=STRING,
            ExpressionAttributeNames=EXPRESSION_ATTRIBUTE_NAMES,
        ),
        key=Str(bmin=1),
        checks=_len(1, 100),  # [D] min 1; max 100 tables [M]
        key_checks=BATCH_KEY_CHECKS,
        key_arn=True,
    ), NN),
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
)

WRITE_REQUEST = Struct(
    "WriteRequest",
    _order=("DeleteRequest", "PutRequest"),  # [D validations/batchWriteItem.js]
    PutRequest=Struct("PutRequest", _required=("Item",), Item=(ITEM, NN)),
    DeleteRequest=Struct("DeleteRequest", _required=("Key",), Key=(KEY, NN)),
)
BATCH_WRITE_ITEM = Struct(
    "BatchWriteItemInput",
    _required=("RequestItems",),
    _order=("ReturnConsumedCapacity", "ReturnItemCollectionMetrics", "RequestItems"),  # [D]
    RequestItems=(MapOf(
        ListOf(WRITE_REQUEST, bmin=1),
        key=Str(bmin=1),
        checks=_len(1, 25),  # min 1 [D]; max 25 tables [M]
        key_checks=BATCH_KEY_CHECKS,
        # "Map value must satisfy constraint: [Member must have length less than
        # or equal to 25, Member must have length greater than or equal to 1]"
        # [D test/batchWriteItem.js; reference §13 row 23].
        value_checks=(("max_len", 25), ("min_len", 1)),
        key_arn=True,
    ), NN),
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
    ReturnItemCollectionMetrics=RETURN_ITEM_COLLECTION_METRICS,
)

TRANSACT_GET_ITEMS = Struct(
    "TransactGetItemsInput",
    _required=("TransactItems",),
    _order=("ReturnConsumedCapacity", "TransactItems"),
    TransactItems=(ListOf(Struct(
        "TransactGetItem", _required=("Get",),
        Get=(Struct(
            "Get", _required=("Key", "TableName"),
            Key=(KEY, NN),
            TableName=TX_TABLE_NAME,
            ProjectionExpression=STRING,
            ExpressionAttributeNames=EXPRESSION_ATTRIBUTE_NAMES,
        ), NN),
    ), _len(1, 100), bmin=1), NN),
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
)


def _tx_action(name, required, first, update=False):
    """One TransactWriteItems action. [D validations/transactWriteItems.js]:
    the framework null-checks only Item/Key; member order as there."""
    members = dict(
        TableName=TX_TABLE_NAME,
        ExpressionAttributeValues=EXPRESSION_ATTRIBUTE_VALUES,
        ExpressionAttributeNames=EXPRESSION_ATTRIBUTE_NAMES,
        ReturnValuesOnConditionCheckFailure=RETURN_VALUES_ON_CCF,
        ConditionExpression=STRING,
    )
    members[first] = (ITEM if first == "Item" else KEY, NN)
    if update:
        members["UpdateExpression"] = STRING
    order = tuple(members)
    # SDK member order: Key/Item first, then UpdateExpression, TableName, ...
    sdk = [first] + (["UpdateExpression"] if update else []) + [
        "TableName", "ConditionExpression", "ExpressionAttributeNames",
        "ExpressionAttributeValues", "ReturnValuesOnConditionCheckFailure"]
    if name == "ConditionCheck":
        sdk = ["Key", "TableName", "ConditionExpression", "ExpressionAttributeNames",
               "ExpressionAttributeValues", "ReturnValuesOnConditionCheckFailure"]
    return Struct(name, _required=required, _order=order, **{m: members[m] for m in sdk})


TRANSACT_WRITE_ITEMS = Struct(
    "TransactWriteItemsInput",
    _required=("TransactItems",),
    _order=("ReturnConsumedCapacity", "ReturnItemCollectionMetrics", "ClientRequestToken",
            "TransactItems"),  # [D]
    TransactItems=(ListOf(Struct(
        "TransactWriteItem",
        # [D test/transactWriteItem.js lists delete.key before put.item]
        _order=("Delete", "Put", "Update", "ConditionCheck"),
        ConditionCheck=_tx_action("ConditionCheck", ("Key", "TableName", "ConditionExpression"),
                                  "Key"),
        Put=_tx_action("Put", ("Item", "TableName"), "Item"),
        Delete=_tx_action("Delete", ("Key", "TableName"), "Key"),
        Update=_tx_action("Update", ("Key", "UpdateExpression", "TableName"), "Key", update=True),
    ), _len(1, 100), bmin=1), NN),  # 100 actions (the service's current limit)
    ReturnConsumedCapacity=RETURN_CONSUMED_CAPACITY,
    ReturnItemCollectionMetrics=RETURN_ITEM_COLLECTION_METRICS,
    ClientRequestToken=Str(_len(1, 36), bmin=1),
)

DESCRIBE_TIME_TO_LIVE = Struct("DescribeTimeToLiveInput", _required=("TableName",),
                               TableName=CP_TABLE_NAME)
UPDATE_TIME_TO_LIVE = Struct(
    "UpdateTimeToLiveInput",
    _required=("TableName", "TimeToLiveSpecification"),
    TableName=CP_TABLE_NAME,
    TimeToLiveSpecification=(Struct(
        "TimeToLiveSpecification",
        _required=("Enabled", "AttributeName"),
        # [C26 ttl_empty_struct: attributeName, then enabled; '' -> min 1]
        _order=("AttributeName", "Enabled"),
        Enabled=(BOOL, NN),
        AttributeName=(KEY_ATTR_NAME, NN),
    ), NN),
)
DESCRIBE_LIMITS = Struct("DescribeLimitsInput")
DESCRIBE_ENDPOINTS = Struct("DescribeEndpointsRequest")
DESCRIBE_CONTINUOUS_BACKUPS = Struct("DescribeContinuousBackupsInput", _required=("TableName",),
                                     TableName=CP_TABLE_NAME)

OPERATIONS: dict[str, Struct] = {
    "CreateTable": CREATE_TABLE,
    "DescribeTable": DESCRIBE_TABLE,
    "ListTables": LIST_TABLES,
    "UpdateTable": UPDATE_TABLE,
    "DeleteTable": DELETE_TABLE,
    "TagResource": TAG_RESOURCE,
    "UntagResource": UNTAG_RESOURCE,
    "ListTagsOfResource": LIST_TAGS_OF_RESOURCE,
    "PutItem": PUT_ITEM,
    "GetItem": GET_ITEM,
    "DeleteItem": DELETE_ITEM,
    "UpdateItem": UPDATE_ITEM,
    "Query": QUERY,
    "Scan": SCAN,
    "BatchGetItem": BATCH_GET_ITEM,
    "BatchWriteItem": BATCH_WRITE_ITEM,
    "TransactGetItems": TRANSACT_GET_ITEMS,
    "TransactWriteItems": TRANSACT_WRITE_ITEMS,
    "DescribeTimeToLive": DESCRIBE_TIME_TO_LIVE,
    "UpdateTimeToLive": UPDATE_TIME_TO_LIVE,
    "DescribeLimits": DESCRIBE_LIMITS,
    "DescribeEndpoints": DESCRIBE_ENDPOINTS,
    "DescribeContinuousBackups": DESCRIBE_CONTINUOUS_BACKUPS,
}

# Operations whose TableName is checked before the framework constraints, with
# their own texts [D test/createTable.js, describeTable.js, deleteTable.js;
# validations/updateTable.js, describeTimeToLive.js, updateTimeToLive.js]:
#   missing -> "The parameter 'TableName' is required but was not present in the request"
#   length outside 3..255 -> "TableName must be at least 3 characters long and at most 255 characters long"
CONTROL_PLANE_TABLE_NAME = frozenset({
    "CreateTable", "DescribeTable", "UpdateTable", "DeleteTable",
    "DescribeTimeToLive", "UpdateTimeToLive", "DescribeContinuousBackups",
})
