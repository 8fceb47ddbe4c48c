# _count.pxi — item counts over an engine range: the engine's iterator read in
# C with the GIL released, each value's DynamoDB size taken from the item
# codec's header (csrc/dyncore_codec.h). Included by _core.pyx after
# _db.pxi and _codec.pxi: it joins the two, which is the binding's job, so
# neither the engine nor the codec knows the other.


def count_items(DB db, lower=None, upper=None):
    """(items, total DynamoDB size, damaged) of the encoded items stored in
    [lower, upper) of `db` (None: unbounded). `damaged` counts values that are
    not an item of a known format version (they add nothing to the size)."""
    cdef dc_iterator *it
    cdef dc_error err
    cdef const char *lo = NULL
    cdef const char *up = NULL
    cdef size_t lon = 0, upn = 0, vn = 0
    cdef const char *v
    cdef uint64_t size, items = 0, total = 0, damaged = 0
    cdef uint32_t count
    cdef int rc = DC_OK
    cdef dc_db *cdb
    if lower is not None:
        lower = _coerce_bytes(lower, "lower")
        lo = PyBytes_AS_STRING(lower)
        lon = <size_t>PyBytes_GET_SIZE(lower)
    if upper is not None:
        upper = _coerce_bytes(upper, "upper")
        up = PyBytes_AS_STRING(upper)
        upn = <size_t>PyBytes_GET_SIZE(upper)
    _err_init(&err)
    db._enter()
    cdb = db._db
    with nogil:
        it = dc_iter_new(cdb, NULL, lo, lon, up, upn, &err)
        if it == NULL:
            rc = err.code if err.code != DC_OK else DC_NOMEM
        else:
            dc_iter_seek_first(it)
            while dc_iter_valid(it):
                v = dc_iter_value(it, &vn)
                if dc_item_header(<const uint8_t *>v, vn, &size, &count) == NULL:
                    damaged += 1
                else:
                    total += size
                items += 1
                dc_iter_next(it)
            rc = dc_iter_status(it, &err)
            dc_iter_free(it)
    db._leave()
    if rc != DC_OK:
        _raise(rc, &err)
    return items, total, damaged
