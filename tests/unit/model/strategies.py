"""Hypothesis strategies and pure-Python references for the codec tests.

The references here are written from DynamoDB's rules (dynamodb.md §1-§4 and
dynalite's formulas) independently of the codec, using decimal.Decimal.
"""
from __future__ import annotations

import base64
from decimal import Context, Decimal

from hypothesis import strategies as st

CTX = Context(prec=200)


# ----------------------------------------------------------- references

def plain(d: Decimal) -> str:
    """DynamoDB's canonical text of a Decimal: plain notation, no exponent,
    no leading or trailing zeros, no "-0"."""
    if d == 0:
        return "0"
    d = d.normalize(CTX)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def canon(text: str) -> str:
    return plain(Decimal(text))


def num_size(text: str) -> int:
    """dynalite's valSize for N: 1 + ceil(d/2) + (d even and e even) + neg."""
    d = Decimal(text)
    if d == 0:
        return 1
    sign, digits, exp = d.normalize(CTX).as_tuple()
    n = len(digits)
    e = exp + n - 1  # scientific exponent of the first digit
    return 1 + (n + 1) // 2 + (1 if n % 2 == 0 and e % 2 == 0 else 0) + (1 if sign else 0)


def av_size(av: dict) -> int:
    """DynamoDB's size of a client-form AttributeValue."""
    (t, v), = av.items()
    if t == "S":
        return len(v.encode("utf-8"))
    if t == "N":
        return num_size(v)
    if t == "B":
        return len(v)
    if t in ("BOOL", "NULL"):
        return 1
    if t == "SS":
        return sum(len(x.encode("utf-8")) for x in v)
    if t == "NS":
        return sum(num_size(x) for x in v)
    if t == "BS":
        return sum(len(x) for x in v)
    if t == "L":
        return 3 + sum(1 + av_size(x) for x in v)
    if t == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + av_size(x) for k, x in v.items())
    raise AssertionError(t)


def item_size_ref(item: dict) -> int:
    return sum(len(k.encode("utf-8")) + av_size(v) for k, v in item.items())


def canon_av(av: dict) -> dict:
    """The client-form value the codec should give back: numbers canonical."""
    (t, v), = av.items()
    if t == "N":
        return {"N": canon(v)}
    if t == "NS":
        return {"NS": [canon(x) for x in v]}
    if t == "L":
        return {"L": [canon_av(x) for x in v]}
    if t == "M":
        return {"M": {k: canon_av(x) for k, x in v.items()}}
    if t == "B":
        return {"B": bytes(v)}
    if t == "BS":
        return {"BS": [bytes(x) for x in v]}
    return {t: v}


def to_json_av(av: dict) -> dict:
    """Client form to JSON form (B as base64 text)."""
    (t, v), = av.items()
    if t == "B":
        return {"B": base64.b64encode(v).decode()}
    if t == "BS":
        return {"BS": [base64.b64encode(x).decode() for x in v]}
    if t == "L":
        return {"L": [to_json_av(x) for x in v]}
    if t == "M":
        return {"M": {k: to_json_av(x) for k, x in v.items()}}
    return {t: v}


def to_native(av: dict, binary):
    """Client form to native values (what boto3's TypeDeserializer gives)."""
    (t, v), = av.items()
    if t == "S":
        return v
    if t == "N":
        return Decimal(v)
    if t == "B":
        return binary(v)
    if t == "BOOL":
        return v
    if t == "NULL":
        return None
    if t == "SS":
        return set(v)
    if t == "NS":
        return {Decimal(x) for x in v}
    if t == "BS":
        return {binary(x) for x in v}
    if t == "L":
        return [to_native(x, binary) for x in v]
    if t == "M":
        return {k: to_native(x, binary) for k, x in v.items()}
    raise AssertionError(t)


# ------------------------------------------------------------ strategies

@st.composite
def decimals(draw, max_digits: int = 38, wide: bool = True) -> Decimal:
    """A non-zero Decimal DynamoDB can store: 1..max_digits significant digits,
    magnitude in [1E-130, 1E126)."""
    n = draw(st.integers(1, max_digits))
    digits = [draw(st.integers(1, 9))]
    digits += draw(st.lists(st.integers(0, 9), min_size=n - 1, max_size=n - 1))
    if n > 1:
        digits[-1] = draw(st.integers(1, 9))
    if wide:
        sci = draw(st.one_of(st.integers(-6, 12), st.integers(-130, 125),
                             st.sampled_from([-130, -129, 124, 125])))
    else:
        sci = draw(st.integers(-6, 12))
    sign = draw(st.integers(0, 1))
    return Decimal((sign, tuple(digits), sci - (n - 1)))


@st.composite
def spellings(draw, d: Decimal) -> str:
    """One of many texts for the same number."""
    how = draw(st.integers(0, 5))
    if how == 0:
        text = str(d)
    elif how == 1:
        text = format(d, "f")
    elif how == 2:
        text = format(d, "e").replace("e+", "E")
    elif how == 3:  # leading zeros, trailing fraction zeros
        t = format(d, "f")
        neg = t.startswith("-")
        t = t.lstrip("-")
        t = "00" + t + ("" if "." in t else ".") + "000"
        text = ("-" if neg else "") + t
    elif how == 4:  # mantissa scaled by a power of ten
        k = draw(st.integers(-3, 3))
        m = d.scaleb(-k, CTX)
        text = f"{format(m, 'f')}e{k}"
    else:
        text = format(d, "E")
    if not text.startswith("-") and draw(st.booleans()):
        text = "+" + text
    return text


@st.composite
def number_texts(draw, wide: bool = True) -> str:
    if draw(st.integers(0, 15)) == 0:
        return draw(st.sampled_from(["0", "-0", "0.0", "00", "+0", "0e5", ".0"]))
    return draw(spellings(draw(decimals(wide=wide))))


names = st.text(max_size=6)

def avs_strategy(wide: bool = True):
    """Client-form AttributeValues of every type, nested. With wide=False
    numbers stay within what boto3's TypeDeserializer (38-digit context) reads."""
    scalar = st.one_of(
        st.text(max_size=20).map(lambda s: {"S": s}),
        number_texts(wide=wide).map(lambda t: {"N": t}),
        st.binary(max_size=20).map(lambda b: {"B": b}),
        st.booleans().map(lambda b: {"BOOL": b}),
        st.just({"NULL": True}),
        st.lists(st.text(max_size=8), min_size=1, max_size=5, unique=True).map(
            lambda v: {"SS": v}),
        st.lists(number_texts(wide=False), min_size=1, max_size=5,
                 unique_by=lambda t: Decimal(t)).map(lambda v: {"NS": v}),
        st.lists(st.binary(max_size=8), min_size=1, max_size=5, unique=True).map(
            lambda v: {"BS": v}),
    )
    return st.recursive(
        scalar,
        lambda children: st.one_of(
            st.lists(children, max_size=4).map(lambda v: {"L": v}),
            st.dictionaries(names, children, max_size=4).map(lambda v: {"M": v}),
        ),
        max_leaves=20,
    )


avs = avs_strategy(True)
narrow_avs = avs_strategy(False)

attr_names = st.text(min_size=1, max_size=10).filter(lambda s: s not in ("pk", "sk"))


@st.composite
def client_items(draw, pk_type: str = "S", sk_type: str | None = None,
                 wide: bool = True) -> dict:
    """A client-form item with the key attributes pk (and sk) first."""
    item = {"pk": draw(key_avs(pk_type, wide))}
    if sk_type:
        item["sk"] = draw(key_avs(sk_type, wide))
    item.update(draw(st.dictionaries(attr_names, avs if wide else narrow_avs, max_size=8)))
    return item


def key_avs(t: str, wide: bool = True):
    if t == "S":
        return st.text(min_size=1, max_size=20).map(lambda s: {"S": s})
    if t == "B":
        return st.binary(min_size=1, max_size=20).map(lambda b: {"B": b})
    return number_texts(wide=wide).map(lambda x: {"N": x})
