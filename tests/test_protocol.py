"""The wire between grader and sandbox (autograder/protocol.py): round trips, and reading that is
bounded and total: whatever arrives, the readers return a value or raise ProtocolError, nothing else."""

import base64
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import protocol
from autograder.protocol import ProtocolError

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def wire(message):
    """`message` as the other side reads it."""
    return protocol.loads(protocol.dumps(message) + b"\n")


def same(a, b):
    """Equal values, arrays compared bit for bit (so -0.0 is not 0.0), tuples as lists."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.astype("<f8").tobytes() == b.astype("<f8").tobytes())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


# ------------------------------------------------------------------ one place for the limits
def test_both_sides_use_this_module_and_its_limits():
    from autograder import runner, sandbox

    assert runner.protocol.__file__ == protocol.__file__
    assert not hasattr(sandbox, "MAX_REPLY") and not hasattr(runner, "MAX_LINE")
    assert protocol.MAX_ARRAY_ELEMENTS * 8 * 4 / 3 < protocol.MAX_LINE  # the largest array fits in a line


def test_frames():
    line = protocol.frame(protocol.ZYGOTE, {protocol.FORK: "cells", "keep": False})
    assert line.startswith(b"Z") and line.endswith(b"\n") and line.count(b"\n") == 1
    assert protocol.parse_frame(line[:-1]) == (b"Z", {"fork": "cells", "keep": False})
    assert protocol.parse_frame(b'C{"ok":true}') == (b"C", {"ok": True})
    for bad in (b"", b"X{}", b"C", b"Z[1]", "C{}"):
        with pytest.raises(ProtocolError):
            protocol.parse_frame(bad)


# ------------------------------------------------------------------ loads
def test_a_line_up_to_the_limit_is_read_and_a_longer_one_is_not():
    padding = protocol.MAX_LINE - len(b'{"a":""}')
    exact = b'{"a":"' + b"x" * padding + b'"}'
    assert len(exact) == protocol.MAX_LINE and len(protocol.loads(exact)["a"]) == padding
    with pytest.raises(ProtocolError, match="too large"):
        protocol.loads(b'{"a":"' + b"x" * (padding + 1) + b'"}')
    with pytest.raises(ProtocolError, match="too large"):
        protocol.dumps({"a": "x" * (padding + 1)})


def test_nesting_is_limited_before_parsing():
    def nested(depth):
        return b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"

    assert protocol.loads(nested(protocol.MAX_DEPTH))
    for depth in (protocol.MAX_DEPTH + 1, 10_000, 1_000_000):
        with pytest.raises(ProtocolError, match="nested too deeply"):
            protocol.loads(nested(depth))
    with pytest.raises(ProtocolError):
        protocol.loads(b"[" * 100_000)  # unbalanced, and deep
    with pytest.raises(ProtocolError):  # the writer refuses what the reader would
        deep = []
        for _ in range(protocol.MAX_DEPTH):
            deep = [deep]
        protocol.dumps({"a": deep})


def test_brackets_inside_strings_do_not_count():
    text = '"[' + "[{" * 1000 + '\\"' + "\\\\" + '"'
    line = ('{"a": ' + text + ', "b": [' + text + "]}").encode()
    assert protocol.loads(line) == json.loads(line)
    escaped = b'{"a": "\\\\", "b": ' + b"[" * 40 + b"]" * 40 + b"}"  # an escaped backslash ends the string
    with pytest.raises(ProtocolError, match="nested too deeply"):
        protocol.loads(escaped)


@pytest.mark.parametrize("line", [
    b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 1e400}', b'{"a": -1e999}',
    b'{"a": 1' + b"0" * 500 + b"}", b"[1, 2]", b'"text"', b"3", b"null", b"", b"{", b"\xff\xfe", b"{}garbage",
    b'\xef\xbb\xbf{"a": 1}', b'{"a": "\xff"}',
])
def test_what_is_not_a_plain_json_object_is_refused(line):
    with pytest.raises(ProtocolError):
        protocol.loads(line)


def test_numbers_near_the_limits_are_read():
    assert protocol.loads(b'{"a": 1.7976931348623157e308, "b": -5e-324, "c": ' + b"9" * 400 + b"}")["c"] == 10**400 - 1


def test_lone_surrogates_are_replaced_so_what_is_read_can_be_written():
    value = protocol.loads(b'{"a": "x\\ud800y", "\\udfff": ["\\ud83d\\ude00"]}')
    assert value == {"a": "x\ufffdy", "\ufffd": ["\U0001F600"]}
    json.dumps(value, ensure_ascii=False).encode("utf-8")


def test_only_the_graders_own_requests_may_hold_nan():
    message = {"value": float("nan"), "limit": float("inf"), "array": protocol.encode_array([np.nan, -np.inf])}
    with pytest.raises(ProtocolError):
        protocol.dumps(message)
    line = protocol.dumps(message, allow_nonfinite=True)
    with pytest.raises(ProtocolError):
        protocol.loads(line)  # what the grader reads
    read = protocol.loads(line, allow_nonfinite=True)  # what the sandbox reads from the grader
    assert math.isnan(read["value"]) and read["limit"] == math.inf
    array = protocol.decode_array(read["array"], finite=False)
    assert np.isnan(array[0]) and array[1] == -np.inf
    with pytest.raises(ProtocolError, match="NaN or inf"):
        protocol.decode_array(read["array"])


def test_dumps_refuses_what_the_other_side_could_not_read():
    for bad in ({"a": float("nan")}, {"a": object()}, {1j: 1}):
        with pytest.raises(ProtocolError):
            protocol.dumps(bad)
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(ProtocolError):
        protocol.dumps({"a": cyclic})


# ------------------------------------------------------------------ ARRAY
def test_arrays_round_trip_as_new_writable_float64():
    original = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    array = protocol.decode_array(wire({"v": protocol.encode_array(original)})["v"])
    assert array.dtype == np.float64 and array.flags.writeable and array.flags.c_contiguous
    np.testing.assert_array_equal(array, original)
    assert protocol.decode_array(None) is None
    assert protocol.decode_array(protocol.encode_array(np.zeros((0, 7)))).shape == (0, 7)
    assert protocol.decode_array(protocol.encode_array(3.5)).shape == ()


def array_message(shape, data):
    return {"shape": shape, "data": data}


EIGHT = base64.b64encode(np.zeros(1).tobytes()).decode()


@pytest.mark.parametrize("obj", [
    [1.0], "AAAA", 3, {"shape": [1]}, {"data": EIGHT}, {"shape": [1], "data": EIGHT, "extra": 1},
    array_message([-1], EIGHT), array_message([1.0], EIGHT), array_message([True], EIGHT),
    array_message("1", EIGHT), array_message([1], 8), array_message([2], EIGHT), array_message([1], EIGHT[:-1] + "!"),
    array_message([1] * (protocol.MAX_NDIM + 1), EIGHT), array_message([1], "é" * 12),
    array_message([1], " " + EIGHT[1:]),
])
def test_what_is_not_an_array_is_refused_in_the_students_words(obj):
    with pytest.raises(ProtocolError, match="^what Linear.backward returned could not be read as an array of numbers$"):
        protocol.decode_array(obj, what="what Linear.backward returned")


@pytest.mark.parametrize("shape", [[10**30], [protocol.MAX_ARRAY_ELEMENTS + 1], [2**11, 2**11, 2**11],
                                   [0, 2**40, 2**40], [2**64, 0]])
def test_huge_shapes_are_refused_before_anything_is_decoded(shape):
    with pytest.raises(ProtocolError, match="too large to read"):
        protocol.decode_array(array_message(shape, ""), what="Linear.W")
    with pytest.raises(ProtocolError, match="too large"):
        protocol.decode_array(array_message([5], ""), what="Linear.W", max_elements=4)


def test_nan_and_inf_are_refused():
    for bad in (np.nan, np.inf, -np.inf):
        message = protocol.encode_array([1.0, bad])
        with pytest.raises(ProtocolError, match="^Linear.dW contains NaN or inf values$"):
            protocol.decode_array(message, what="Linear.dW")


def test_encoding_refuses_arrays_too_large_for_a_line():
    with pytest.raises(ProtocolError):
        protocol.encode_array(np.zeros(protocol.MAX_ARRAY_ELEMENTS + 1))
    assert protocol.encode_array(np.zeros((1,) * protocol.MAX_NDIM))["shape"] == [1] * protocol.MAX_NDIM


# ------------------------------------------------------------------ DATA and PLAIN
def test_tagged_data():
    value = {"a": [1, 2.5, True, None, "x", (np.ones(2), np.int64(3), np.float32(0.5), np.bool_(False))]}
    decoded = protocol.decode_data(wire({"v": protocol.encode_data(value)})["v"])
    assert same(decoded, {"a": [1, 2.5, True, None, "x", [np.ones(2), 3, 0.5, False]]})
    assert protocol.encode_data("x" * 5000) == {"str": "x" * protocol.MAX_STR}
    with pytest.raises(ProtocolError, match="^what accuracy returned contains NaN or inf values$"):
        protocol.decode_data(wire({"v": protocol.encode_data(float("nan"))})["v"], what="what accuracy returned")


@pytest.mark.parametrize("obj", [
    {"int": True}, {"int": 1.5}, {"int": 10**500}, {"bool": 1}, {"str": 3}, {"str": "x" * (protocol.MAX_STR + 1)},
    {"float": "1"}, {"list": {}}, {"dict": [[1, None]]}, {"dict": [["a"]]}, {"dict": [["a", None, None]]},
    {"dict": {"a": None}}, {"int": 1, "float": 1.0}, {}, [], "x", 1, True, {"list": [{"int": "x"}]},
    {"list": [{"list": [{"list": [{"list": [{"list": []}]}]}]}]},
    {"list": [None] * (protocol.MAX_DATA_ITEMS + 1)}, {"dict": [["k", None]] * (protocol.MAX_DATA_KEYS + 1)},
])
def test_what_is_not_tagged_data_is_refused(obj):
    with pytest.raises(ProtocolError, match="^what accuracy returned "):
        protocol.decode_data(obj, what="what accuracy returned")


def test_huge_floats_are_refused():
    with pytest.raises(ProtocolError, match="NaN or inf"):
        protocol.decode_data({"float": 10**400})


def test_plain_values():
    class Sneaky(str):
        def __str__(self):
            raise RuntimeError("student code")

    value = {"A": "Dense_1.W", "n": [1, 2.0, None, True], Sneaky("k"): Sneaky("v"), 3: "int key",
             "f": float("inf"), "o": object(), "big": 10**1000, "deep": [[[[[[[[1]]]]]]]]}
    result = protocol.plain(value)
    assert result == {"A": "Dense_1.W", "n": [1, 2.0, None, True], "k": "v", "f": None, "o": None, "big": None,
                      "deep": [[[[[[None]]]]]]}
    assert protocol.decode_plain(wire({"v": result})["v"]) == result
    for bad in ({1: 2}, [1j], float("nan"), "x" * 2000, list(range(101)), [[[[[[[[1]]]]]]]], object()):
        with pytest.raises(ProtocolError):
            protocol.decode_plain(bad)


# ------------------------------------------------------------------ outputs
def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def result(text, **more):
    return {"output_type": "execute_result", "execution_count": None, "data": {"text/plain": text, **more},
            "metadata": {}}


def error(evalue, lines):
    return {"output_type": "error", "ename": "ValueError", "evalue": evalue, "traceback": lines}


def test_small_outputs_are_kept_whole():
    outputs = [stream("hi\n"), {"output_type": "display_data", "data": {"text/plain": "x"}, "metadata": {}},
               result("42")]
    assert protocol.cap_outputs(outputs, 10_000, "NOTE") == outputs


def test_outputs_are_cut_to_the_limit_with_one_note():
    outputs = [stream("a" * 50_000), stream("b" * 50_000, "stderr")]
    outputs += [{"output_type": "display_data", "data": {"text/html": "c" * 10_000}, "metadata": {}}] * 10
    outputs.append(result("d" * 1_000_000, **{"text/html": "e" * 1_000_000}))
    capped = protocol.cap_outputs(outputs, 20_000, "NOTE")
    assert protocol.outputs_size(capped) <= 20_000 + 500
    assert sum(json.dumps(o).count("NOTE") for o in capped) == 2  # in the value, and where the rest was left out
    assert capped[0]["text"].startswith("a") and capped[-1]["output_type"] == "execute_result"
    assert capped[-1]["data"]["text/plain"].startswith("ddd") and len(capped) == 2
    assert "text/html" not in capped[-1]["data"]


def test_errors_and_scores_are_kept_however_little_room_is_left():
    outputs = [stream("x" * 100_000), error("v" * 100_000, ["line " * 1000] * 100),
               result("2.0", **{"text/html": "h" * 10**5})]
    capped = protocol.cap_outputs(outputs, 0, "NOTE")
    kinds = [o["output_type"] for o in capped]
    assert kinds == ["stream", "error", "execute_result"], kinds
    assert capped[2]["data"] == {"text/plain": "2.0"}  # a test cell's score, not cut, no note in it
    assert capped[1]["ename"] == "ValueError" and capped[1]["traceback"]
    assert protocol.outputs_size(capped) <= protocol.MIN_ERROR + 1000
    everything = protocol.cap_outputs(outputs, 10**9, "NOTE")
    assert protocol.outputs_size(everything) <= protocol.MAX_ERROR + 2 * 10**5 + 1000


def test_outputs_of_any_shape_are_capped_without_errors():
    odd = [None, 3, {"output_type": "stream", "text": ["a", "b"]}, {"output_type": "error"},
           {"output_type": "execute_result", "data": "x"}, {"output_type": "display_data", "data": {"a": object()}},
           {"output_type": "weird", "payload": "p" * 10_000}, {}]
    capped = protocol.cap_outputs(odd, 1000, "NOTE")
    assert all(isinstance(o, dict) for o in capped)
    assert protocol.cap_outputs("not a list", 10, "NOTE") == []


# ------------------------------------------------------------------ properties
finite = st.floats(allow_nan=False, allow_infinity=False)
shapes = hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=6)


@SETTINGS
@given(hnp.arrays(np.float64, shapes, elements=finite))
def test_any_finite_array_round_trips(array):
    assert same(protocol.decode_array(wire({"v": protocol.encode_array(array)})["v"]), array)


@SETTINGS
@given(hnp.arrays(np.float64, shapes, elements=st.floats()))
def test_any_array_round_trips_or_is_refused_for_nan_or_inf(array):
    message = wire({"v": protocol.encode_array(array)})["v"]
    if np.all(np.isfinite(array)):
        assert same(protocol.decode_array(message), array)
    else:
        with pytest.raises(ProtocolError, match="NaN or inf"):
            protocol.decode_array(message)


keys = st.text(max_size=20)
scalars = st.none() | st.booleans() | st.integers(-10**100, 10**100) | finite | st.text(max_size=50)
small_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3), elements=finite)


def tagged(depth):
    if depth == 0:
        return scalars | small_arrays
    inner = tagged(depth - 1)
    return (scalars | small_arrays | st.lists(inner, max_size=4) | st.tuples(inner, inner)
            | st.dictionaries(keys, inner, max_size=4))


def as_decoded(value):
    if isinstance(value, (list, tuple)):
        return [as_decoded(v) for v in value]
    if isinstance(value, dict):
        return {k: as_decoded(v) for k, v in value.items()}
    return value


@SETTINGS
@given(tagged(protocol.MAX_DATA_DEPTH))
def test_tagged_data_round_trips(value):
    decoded = protocol.decode_data(wire({"value": protocol.encode_data(value)})["value"])
    assert same(decoded, as_decoded(value))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=40,
)


@SETTINGS
@given(json_values)
def test_plain_data_round_trips(value):
    plain = protocol.plain(value)
    assert protocol.decode_plain(wire({"value": plain})["value"]) == plain


def total(reader, *args, **kwargs):
    """Call the reader; only a value or ProtocolError may come out."""
    try:
        return reader(*args, **kwargs)
    except ProtocolError as error:
        assert str(error)
        return error


@SETTINGS
@given(st.binary(max_size=300))
def test_loads_is_total_on_any_bytes(data):
    value = total(protocol.loads, data)
    assert isinstance(value, (dict, ProtocolError))


@SETTINGS
@given(st.lists(st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b",", b":", b"1", b"a", b'"a":', b"null",
                                 b"1e999", b"-", b".", b"\\u", b"d800", b" "]), max_size=200))
def test_loads_is_total_on_json_like_bytes(parts):
    value = total(protocol.loads, b"".join(parts))
    assert isinstance(value, (dict, ProtocolError))


@SETTINGS
@given(json_values)
def test_loads_reads_json_objects_within_the_limits(value):
    line = json.dumps({"v": value}).encode()
    read = total(protocol.loads, line)
    if isinstance(read, dict):
        assert json.dumps(read) == json.dumps(json.loads(line)) or "\\ud" in line.decode().lower()
    else:
        assert any(isinstance(x, float) and not math.isfinite(x) for x in _leaves(value)) \
            or any(isinstance(x, int) and len(str(abs(x))) > protocol.MAX_INT_DIGITS for x in _leaves(value)) \
            or _depth(value) + 1 > protocol.MAX_DEPTH


def _depth(value):
    if isinstance(value, (list, dict)):
        return 1 + max((_depth(v) for v in (value.values() if isinstance(value, dict) else value)), default=0)
    return 0


def _leaves(value):
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    else:
        yield value


@SETTINGS
@given(st.integers(1, 200_000), st.sampled_from([b"[", b"{\"a\":"]), st.booleans())
def test_deep_nesting_never_recurses(depth, opener, closed):
    closer = b"]" if opener == b"[" else b"}"
    line = b'{"x":' + opener * depth + (b"1" + closer * depth if closed else b"") + b"}"
    value = total(protocol.loads, line)
    assert isinstance(value, ProtocolError) == (depth + 1 > protocol.MAX_DEPTH or not closed)


@SETTINGS
@given(st.integers(-10**1000, 10**1000) | st.floats() | st.text(max_size=10))
def test_huge_numbers_anywhere(number):
    for message in ({"shape": [number], "data": ""}, {"shape": [1, number], "data": EIGHT}, {"int": number},
                    {"float": number}, {"list": [{"int": number}]}, {"dict": [["k", {"float": number}]]}):
        total(protocol.decode_array, message)
        total(protocol.decode_data, message)
        total(protocol.decode_plain, message)
    total(protocol.loads, json.dumps({"n": number}).encode())


dimensions = st.integers(-3, 10) | st.integers() | st.floats() | st.booleans() | st.text(max_size=2)
array_like = st.fixed_dictionaries({
    "shape": st.lists(dimensions, max_size=4) | st.integers() | st.none(),
    "data": st.text(alphabet="AQgw+/=!é", max_size=40) | st.integers()
    | st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode()),
})


@SETTINGS
@given(array_like | json_values)
def test_decoders_are_total_on_anything(obj):
    array = total(protocol.decode_array, obj, what="x")
    if isinstance(array, np.ndarray):
        assert array.dtype == np.float64 and array.size == math.prod(obj["shape"]) and np.all(np.isfinite(array))
    total(protocol.decode_data, obj, what="x")
    total(protocol.decode_data, {"list": [obj]}, what="x")
    total(protocol.decode_data, {"dict": [["k", obj]]}, what="x")
    total(protocol.decode_plain, obj, what="x")
    total(protocol.dumps, {"v": obj})


@SETTINGS
@given(st.lists(st.dictionaries(st.sampled_from(["output_type", "name", "text", "data", "ename", "evalue",
                                                 "traceback", "metadata"]),
                                st.sampled_from(["stream", "error", "execute_result", "display_data", "stdout"])
                                | st.text(max_size=3000) | st.lists(st.text(max_size=500), max_size=40)
                                | st.dictionaries(st.text(max_size=10), st.text(max_size=3000), max_size=3)),
                max_size=8), st.integers(0, 20_000))
def test_cap_outputs_bounds_any_outputs(outputs, limit):
    capped = protocol.cap_outputs(outputs, limit, "NOTE")
    essential = sum(protocol.output_size(o) for o in capped if o.get("output_type") == "error") + \
        sum(protocol.SHORT_RESULT + 200 for o in capped if o.get("output_type") == "execute_result")
    assert protocol.outputs_size(capped) <= limit + essential + 200
    protocol.dumps({"outputs": capped})
