# _dyncore.pxd — mirrors csrc/dyncore.h, the engine's public C API (the contract).
#
# Calls that can block (I/O, waiting on a background thread, taking the db's
# locks) are declared `nogil` so the binding can release the GIL around them;
# the header promises that blocking calls never hold a lock of the caller's.
# Keep this file in step with the header: same names, same order.

from libc.stdint cimport uint32_t, uint64_t


cdef extern from "dyncore.h" nogil:
    enum: DYNCORE_API_VERSION

    # Result codes.
    enum:
        DC_OK
        DC_NOTFOUND
        DC_CORRUPT
        DC_IOERR
        DC_NOSPC
        DC_LOCKED
        DC_CLOSED
        DC_MISUSE
        DC_NOMEM
        DC_INVALID
        DC_TRIMMED

    ctypedef struct dc_error:
        int code
        char message[512]

    # Durability of a write when it returns.
    enum:
        DC_SYNC_COMMIT
        DC_SYNC_INTERVAL
        DC_SYNC_NONE

    struct dc_env:
        pass

    ctypedef struct dc_shared_cache:
        pass

    ctypedef struct dc_options:
        uint32_t size
        uint32_t version
        int sync_mode
        uint32_t sync_interval_ms
        uint64_t cache_bytes
        uint64_t memtable_bytes
        uint32_t max_imm_memtables
        uint32_t block_bytes
        uint32_t restart_interval
        uint32_t bloom_bits_per_key
        int compression_level
        const char *zstd_library
        uint32_t l0_compaction_trigger
        uint32_t l0_slowdown_trigger
        uint32_t l0_stop_trigger
        uint64_t level1_bytes
        uint32_t level_multiplier
        uint64_t target_file_bytes
        uint32_t replica_id
        int create_if_missing
        int paranoid_checks
        dc_env *env
        dc_shared_cache *shared_cache   # since API version 2

    ctypedef struct dc_db:
        pass
    ctypedef struct dc_batch:
        pass
    ctypedef struct dc_iterator:
        pass
    ctypedef struct dc_snapshot:
        pass
    ctypedef struct dc_tail:
        pass

    void dc_options_init(dc_options *opt)

    int dc_open(const char *dir, const dc_options *opt, dc_db **out, dc_error *err)
    int dc_close(dc_db *db, dc_error *err)

    int dc_put(dc_db *db, const char *key, size_t klen, const char *val, size_t vlen,
               dc_error *err)
    int dc_delete(dc_db *db, const char *key, size_t klen, dc_error *err)
    int dc_get(dc_db *db, const dc_snapshot *snap, const char *key, size_t klen,
               char **val, size_t *vlen, dc_error *err)

    # Write batches (in-memory builders: cheap, called with the GIL held).
    dc_batch *dc_batch_new()
    int dc_batch_put(dc_batch *b, const char *key, size_t klen, const char *val,
                      size_t vlen)
    int dc_batch_delete(dc_batch *b, const char *key, size_t klen)
    void dc_batch_clear(dc_batch *b)
    uint32_t dc_batch_count(const dc_batch *b)
    size_t dc_batch_bytes(const dc_batch *b)
    void dc_batch_free(dc_batch *b)

    ctypedef struct dc_write_options:
        uint32_t size
        uint32_t version
        uint64_t hlc
        uint32_t origin
        int sync_mode

    void dc_write_options_init(dc_write_options *wo)
    int dc_write(dc_db *db, const dc_write_options *wo, dc_batch *b, uint64_t *seq_out,
                 dc_error *err)

    # Snapshots.
    const dc_snapshot *dc_snapshot_new(dc_db *db)
    uint64_t dc_snapshot_seq(const dc_snapshot *snap)
    void dc_snapshot_release(dc_db *db, const dc_snapshot *snap)

    # Iterators over [lower, upper).
    dc_iterator *dc_iter_new(dc_db *db, const dc_snapshot *snap, const char *lower,
                             size_t lower_len, const char *upper, size_t upper_len,
                             dc_error *err)
    void dc_iter_seek_first(dc_iterator *it)
    void dc_iter_seek_last(dc_iterator *it)
    void dc_iter_seek(dc_iterator *it, const char *key, size_t klen)
    void dc_iter_seek_for_prev(dc_iterator *it, const char *key, size_t klen)
    void dc_iter_next(dc_iterator *it)
    void dc_iter_prev(dc_iterator *it)
    int dc_iter_valid(const dc_iterator *it)
    const char *dc_iter_key(const dc_iterator *it, size_t *klen)
    const char *dc_iter_value(const dc_iterator *it, size_t *vlen)
    int dc_iter_status(const dc_iterator *it, dc_error *err)
    int dc_iter_read_batch(dc_iterator *it, int reverse, int max_pairs, size_t max_bytes,
                           char **buf, size_t *buf_len)
    void dc_iter_free(dc_iterator *it)

    int dc_flush(dc_db *db, dc_error *err)
    int dc_compact(dc_db *db, dc_error *err)
    int dc_stats(dc_db *db, char **json, dc_error *err)
    uint64_t dc_last_sequence(dc_db *db)

    # WAL tailing.
    ctypedef struct dc_wal_record:
        uint64_t seq
        uint64_t hlc
        uint32_t origin
        uint32_t count
        const char *ops
        size_t ops_len

    int dc_tail_open(dc_db *db, uint64_t from_seq, dc_tail **out, dc_error *err)
    int dc_tail_next(dc_tail *t, dc_wal_record *rec, dc_error *err)
    void dc_tail_release(dc_tail *t, uint64_t upto)
    void dc_tail_close(dc_tail *t)

    # Shared block caches (reference-counted; stats take the cache's locks).
    int dc_shared_cache_open(uint64_t capacity_bytes, dc_shared_cache **out, dc_error *err)
    void dc_shared_cache_unref(dc_shared_cache *c)
    int dc_shared_cache_stats(dc_shared_cache *c, char **json, dc_error *err)

    const char *dc_code_name(int code)
    void dc_free(void *p)
