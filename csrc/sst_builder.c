/* sst_builder.c — writing a sorted string table (sst.h; FORMATS.md has the
 * grammar).
 *
 * Entries go into the current data block; when its size estimate reaches
 * block_bytes the block is finished, sent through the transform pipeline,
 * and an index entry (the block's last internal key -> offset, stored size)
 * is added. Encoded blocks are gathered in memory and appended to the file
 * in chunks of about 256 KiB. The bloom filter is built at finish from the
 * hashes of the distinct user keys (consecutive duplicates are skipped, as
 * versions of one key are adjacent). finish writes filter, index and footer,
 * syncs and closes; on any error the partial file is removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "bloom.h"
#include "ikey.h"
#include "sst.h"
#include "status.h"

#define WRITE_CHUNK (256 * 1024)

struct dc_sst_builder {
  dc_env *env;
  dc_file *file;
  char *path;
  dc_sst_options opt;
  dc_block_builder data, index;
  dc_buf out;        /* encoded blocks not yet appended */
  uint64_t flushed;  /* bytes appended to the file */
  uint64_t entries;
  uint64_t *hashes;  /* bloom hashes of distinct user keys */
  size_t nhashes, cap_hashes;
  dc_buf smallest, largest; /* largest: last key of the last finished block */
  uint64_t min_seq, max_seq;
  dc_error err;      /* sticky: the first error */
};

void dc_sst_meta_free(dc_sst_meta *m) {
  if (!m) return;
  free(m->smallest);
  free(m->largest);
  m->smallest = m->largest = NULL;
  m->smallest_len = m->largest_len = 0;
}

int dc_sst_builder_new(dc_env *env, const char *path, const dc_sst_options *opt,
                       dc_sst_builder **out, dc_error *err) {
  if (!env) env = dc_env_posix();
  dc_sst_builder *b = calloc(1, sizeof *b);
  if (!b || !(b->path = strdup(path))) {
    free(b);
    return dc_err_set(err, DC_NOMEM, "create sst %s: out of memory", path);
  }
  if (opt) b->opt = *opt;
  if (b->opt.block_bytes == 0) b->opt.block_bytes = 4096;
  if (b->opt.restart_interval <= 0) b->opt.restart_interval = 16;
  if (b->opt.bloom_bits_per_key < 0) b->opt.bloom_bits_per_key = 0;
  b->env = env;
  b->min_seq = UINT64_MAX;
  dc_block_builder_init(&b->data, b->opt.restart_interval);
  dc_block_builder_init(&b->index, 1);
  int rc = env->open(env, path, DC_OPEN_WRITE, &b->file, err);
  if (rc) {
    dc_block_builder_free(&b->data);
    dc_block_builder_free(&b->index);
    free(b->path);
    free(b);
    return rc;
  }
  *out = b;
  return DC_OK;
}

static int write_out(dc_sst_builder *b, dc_error *err) {
  if (b->out.len == 0) return DC_OK;
  int rc = b->env->append(b->env, b->file, b->out.data, b->out.len, err);
  if (rc) return rc;
  b->flushed += b->out.len;
  b->out.len = 0;
  return DC_OK;
}

/* Encode raw as one stored block at the end of the output; *off and *size name it. */
static int put_block(dc_sst_builder *b, const dc_transform *t, const char *raw, size_t len,
                     uint64_t *off, uint64_t *size, dc_error *err) {
  size_t before = b->out.len;
  *off = b->flushed + before;
  int rc = dc_transform_encode(t, raw, len, &b->out, err);
  if (rc) return rc;
  *size = b->out.len - before - DC_BLOCK_TRAILER;
  return DC_OK;
}

static int flush_block(dc_sst_builder *b, dc_error *err) {
  size_t len;
  const char *raw = dc_block_builder_finish(&b->data, &len);
  if (!raw) return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", b->path);
  uint64_t off, size;
  int rc = put_block(b, &b->opt.transform, raw, len, &off, &size, err);
  if (rc) return rc;
  b->largest.len = 0;
  if (dc_buf_append(&b->largest, b->data.last_key.data, b->data.last_key.len))
    return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", b->path);
  char handle[20], *p = handle;
  p = dc_put_varint64(p, off);
  p = dc_put_varint64(p, size);
  rc = dc_block_builder_add(&b->index, b->largest.data, b->largest.len, handle,
                            (size_t)(p - handle));
  if (rc) return dc_err_set(err, rc, "sst %s: cannot add an index entry", b->path);
  dc_block_builder_reset(&b->data);
  if (b->out.len >= WRITE_CHUNK) return write_out(b, err);
  return DC_OK;
}

int dc_sst_builder_add(dc_sst_builder *b, const char *ikey, size_t klen, const char *val,
                       size_t vlen, dc_error *err) {
  if (b->err.code) return dc_err_copy(err, &b->err);
  if (klen < DC_IKEY_TRAILER)
    return dc_err_set(err, DC_MISUSE, "sst %s: internal key of %zu bytes", b->path, klen);
  /* The previous key: in the open block, or the last key of the last block. */
  const dc_buf *prev = b->data.entries ? &b->data.last_key : &b->largest;
  size_t ulen = klen - DC_IKEY_TRAILER;
  int new_user_key = 1;
  dc_error *e = &b->err; /* failures below are sticky */
  if (b->entries) {
    if (dc_ikey_cmp(prev->data, prev->len, ikey, klen) >= 0)
      return dc_err_set(err, DC_MISUSE, "sst %s: keys added out of order (entry %llu)", b->path,
                        (unsigned long long)b->entries);
    new_user_key = dc_bytes_cmp(prev->data, prev->len - DC_IKEY_TRAILER, ikey, ulen) != 0;
  } else if (dc_buf_append(&b->smallest, ikey, klen)) {
    dc_err_set(e, DC_NOMEM, "sst %s: out of memory", b->path);
    return dc_err_copy(err, e);
  }
  if (b->opt.bloom_bits_per_key > 0 && new_user_key) {
    if (b->nhashes == b->cap_hashes) {
      size_t cap = b->cap_hashes ? b->cap_hashes * 2 : 1024;
      uint64_t *h = realloc(b->hashes, cap * sizeof *h);
      if (!h) {
        dc_err_set(e, DC_NOMEM, "sst %s: out of memory", b->path);
        return dc_err_copy(err, e);
      }
      b->hashes = h;
      b->cap_hashes = cap;
    }
    b->hashes[b->nhashes++] = dc_bloom_hash(ikey, ulen);
  }
  int rc = dc_block_builder_add(&b->data, ikey, klen, val, vlen);
  if (rc) {
    dc_err_set(e, rc, "sst %s: cannot add entry %llu (%zu-byte key, %zu-byte value)", b->path,
               (unsigned long long)b->entries, klen, vlen);
    return dc_err_copy(err, e);
  }
  uint64_t seq = dc_ikey_seq(ikey, klen);
  if (seq < b->min_seq) b->min_seq = seq;
  if (seq > b->max_seq) b->max_seq = seq;
  b->entries++;
  if (dc_block_builder_estimate(&b->data) >= b->opt.block_bytes && flush_block(b, e))
    return dc_err_copy(err, e);
  return DC_OK;
}

uint64_t dc_sst_builder_entries(const dc_sst_builder *b) { return b->entries; }

uint64_t dc_sst_builder_size(const dc_sst_builder *b) {
  return b->flushed + b->out.len + (b->data.entries ? dc_block_builder_estimate(&b->data) : 0);
}

static void destroy(dc_sst_builder *b, int remove_file) {
  if (b->file) b->env->close(b->env, b->file, NULL);
  if (remove_file) b->env->remove(b->env, b->path, NULL);
  dc_block_builder_free(&b->data);
  dc_block_builder_free(&b->index);
  dc_buf_free(&b->out);
  dc_buf_free(&b->smallest);
  dc_buf_free(&b->largest);
  free(b->hashes);
  free(b->path);
  free(b);
}

void dc_sst_builder_abandon(dc_sst_builder *b) {
  if (b) destroy(b, 1);
}

static int finish(dc_sst_builder *b, dc_error *err) {
  int rc;
  if (b->data.entries && (rc = flush_block(b, err))) return rc;
  uint64_t foff = 0, fsize = 0, ioff, isize;
  if (b->opt.bloom_bits_per_key > 0 && b->nhashes > 0) {
    dc_buf f = {0};
    if (dc_bloom_build(b->hashes, b->nhashes, b->opt.bloom_bits_per_key, &f)) {
      dc_buf_free(&f);
      return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", b->path);
    }
    static const dc_transform raw = {0}; /* the filter is stored raw */
    rc = put_block(b, &raw, f.data, f.len, &foff, &fsize, err);
    dc_buf_free(&f);
    if (rc) return rc;
  }
  size_t ilen;
  const char *idx = dc_block_builder_finish(&b->index, &ilen);
  if (!idx) return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", b->path);
  if ((rc = put_block(b, &b->opt.transform, idx, ilen, &ioff, &isize, err))) return rc;
  char footer[DC_SST_FOOTER];
  memset(footer, 0, sizeof footer);
  char *p = footer;
  p = dc_put_varint64(p, foff);
  p = dc_put_varint64(p, fsize);
  p = dc_put_varint64(p, ioff);
  p = dc_put_varint64(p, isize);
  dc_enc32(footer + 32, DC_SST_FORMAT);
  dc_enc32(footer + 36, 0);
  dc_enc64(footer + 40, DC_SST_MAGIC);
  if (dc_buf_append(&b->out, footer, sizeof footer))
    return dc_err_set(err, DC_NOMEM, "sst %s: out of memory", b->path);
  if ((rc = write_out(b, err))) return rc;
  if ((rc = b->env->sync(b->env, b->file, err))) return rc;
  dc_file *f = b->file;
  b->file = NULL;
  return b->env->close(b->env, f, err);
}

int dc_sst_builder_finish(dc_sst_builder *b, dc_sst_meta *meta, dc_error *err) {
  memset(meta, 0, sizeof *meta);
  if (!b->err.code) finish(b, &b->err);
  int rc = dc_err_copy(err, &b->err);
  if (rc == DC_OK && b->entries) {
    meta->smallest = malloc(b->smallest.len);
    meta->largest = malloc(b->largest.len);
    if (!meta->smallest || !meta->largest) {
      dc_sst_meta_free(meta);
      rc = dc_err_set(err, DC_NOMEM, "sst %s: out of memory", b->path);
    } else {
      memcpy(meta->smallest, b->smallest.data, b->smallest.len);
      meta->smallest_len = b->smallest.len;
      memcpy(meta->largest, b->largest.data, b->largest.len);
      meta->largest_len = b->largest.len;
      meta->min_seq = b->min_seq;
      meta->max_seq = b->max_seq;
    }
  }
  if (rc == DC_OK) {
    meta->file_size = b->flushed;
    meta->entries = b->entries;
  }
  destroy(b, rc != DC_OK);
  return rc;
}
