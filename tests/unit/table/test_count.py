"""count_items: item counts and DynamoDB sizes over an engine range, in C."""
import dyncore.model  # noqa: F401  (registers the codec's classes)
from dyncore import _core
from dyncore.engine import Engine


def test_count_items_ranges_and_damage(tmp_path):
    schema = _core.KeySchema("pk", "S")
    with Engine(tmp_path / "e", sync="none") as e:
        want_n = want_b = 0
        for i in range(500):
            h, k, v, size = schema.encode_item({"pk": f"k{i}", "x": "y" * (i % 40)},
                                               _core.FORM_NATIVE)
            e.put(k, v)
            want_n += 1
            want_b += size
        assert _core.count_items(e) == (want_n, want_b, 0)
        e.flush()
        assert _core.count_items(e) == (want_n, want_b, 0)
        e.put(b"\xff" * 9, b"not an item")
        assert _core.count_items(e) == (want_n + 1, want_b, 1)
        assert _core.count_items(e, b"\xff" * 9, None) == (1, 0, 1)
        assert _core.count_items(e, b"\x00", b"\x00") == (0, 0, 0)
