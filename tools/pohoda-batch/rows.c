/*
 * rows.c: check NDJSON lines and cut them into batch files.
 *
 * The check is structural and cheap, for the hot path: a line is valid
 * UTF-8, holds no byte below 0x20, and after optional spaces starts with
 * '{' and ends with '}' right before its newline.  Whether the object
 * inside is well-formed JSON is left to the loader.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>

#include "batch.h"
#include "log.h"
#include "util.h"

#define ZBUF_SIZE	(256 * 1024)
#define ASCII_LOW	UINT64_C(0x2020202020202020)
#define HIGH_BITS	UINT64_C(0x8080808080808080)

void
rows_init(struct batcher *b)
{
	b->line = 1;
	b->af.fd = b->old.fd = -1;
	b->zbuf = xmalloc(ZBUF_SIZE);
	if ((b->md = EVP_MD_CTX_new()) == NULL)
		die(EX_FAILURE, "out of memory");
	b->z = xmalloc(sizeof(*b->z));
	isal_deflate_init(b->z);
	b->zlevel = xmalloc(ISAL_DEF_LVL1_DEFAULT);
}

void
rows_free(struct batcher *b)
{
	free(b->z);
	free(b->zlevel);
	b->z = NULL;
	b->zlevel = NULL;
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
	free(b->zbuf);
	free(b->carry);
	b->zbuf = b->carry = NULL;
	manifest_free(&b->m);
}

int
rows_clean(const struct batcher *b)
{
	return !b->open && !b->in_row;
}

static void
out_write(struct batcher *b, const unsigned char *p, size_t n)
{
	ssize_t	w;

	if (!EVP_DigestUpdate(b->md, p, n))
		die(EX_FAILURE, "sha256 failed");
	b->b_size += (long long)n;
	while (n > 0) {
		if ((w = write(b->af.fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			die(EX_FAILURE, "%s: %s", b->af.tmp, strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
file_open(struct batcher *b)
{
	char	 name[32];
	char	*path;

	batch_name(name, (unsigned long)b->m.n + 1);
	path = xasprintf("%s/%s", b->dir, name);
	if (af_open(&b->af, path) == -1)
		die(EX_FAILURE, "%s: %s", path, strerror(errno));
	free(path);
	if (!EVP_DigestInit_ex(b->md, EVP_sha256(), NULL))
		die(EX_FAILURE, "sha256 failed");
	b->b_rows = b->b_bytes = b->b_size = 0;
	b->open = 1;
}

/*
 * batch_rename: af_commit without its fsyncs, which would cost more
 * than the rest of the work together: a batch set is complete only with
 * its manifest, and set_sync() makes every batch durable before the
 * manifest is written.  A batch under its final name but without a
 * manifest is garbage to the next run.
 */
static void
batch_rename(struct batcher *b)
{
	int	rc;

	rc = close(b->af.fd);
	b->af.fd = -1;
	if (rc == -1 || rename(b->af.tmp, b->af.path) == -1)
		die(EX_FAILURE, "%s: %s", b->af.path, strerror(errno));
	b->af.tmp[0] = '\0';
}

static void
file_commit(struct batcher *b)
{
	struct batch	 bt;
	unsigned char	 md[32];
	int		 i;

	if (!EVP_DigestFinal_ex(b->md, md, NULL))
		die(EX_FAILURE, "sha256 failed");
	memset(&bt, 0, sizeof(bt));
	batch_name(bt.name, (unsigned long)b->m.n + 1);
	bt.rows = b->b_rows;
	bt.bytes = b->b_bytes;
	bt.size = b->b_size;
	for (i = 0; i < 32; i++)
		snprintf(bt.sha256 + 2 * i, 3, "%02x", md[i]);
	batch_rename(b);
	manifest_add(&b->m, &bt);
	b->open = 0;
	logx(LOG_DEBUG, "batch=%s rows=%lld bytes=%lld size=%lld copied=%s",
	    bt.name, bt.rows, bt.bytes, bt.size, b->copy ? "yes" : "no");
}

static void
batch_open(struct batcher *b)
{
	file_open(b);
	isal_deflate_reset(b->z);
	b->z->level = 1;
	b->z->level_buf = b->zlevel;
	b->z->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	b->z->gzip_flag = IGZIP_GZIP;
	b->z->flush = NO_FLUSH;
	b->z->end_of_stream = 0;
}

static void
batch_deflate(struct batcher *b, const unsigned char *p, size_t n, int last)
{
	int	done;

	b->z->next_in = (unsigned char *)(uintptr_t)p;
	b->z->avail_in = (uint32_t)n;
	b->z->end_of_stream = (uint16_t)last;
	do {
		b->z->next_out = b->zbuf;
		b->z->avail_out = ZBUF_SIZE;
		if (isal_deflate(b->z) != COMP_OK)
			die(EX_FAILURE, "deflate failed");
		out_write(b, b->zbuf, ZBUF_SIZE - b->z->avail_out);
		done = b->z->avail_in == 0 && b->z->avail_out > 0 && (!last ||
		    b->z->internal_state.state == ZSTATE_END);
	} while (!done);
}

/* a span of whole or partial rows, in steps a 32-bit count holds */
static void
batch_write(struct batcher *b, const unsigned char *p, size_t n)
{
	size_t	step;

	while (n > 0) {
		step = n > (1U << 30) ? 1U << 30 : n;
		batch_deflate(b, p, step, 0);
		p += step;
		n -= step;
	}
}

static void
batch_close(struct batcher *b)
{
	batch_deflate(b, NULL, 0, 1);
	file_commit(b);
}

static void
carry_add(struct batcher *b, const unsigned char *p, size_t n)
{
	size_t	cap;

	if (b->carry_len + n > b->carry_cap) {
		cap = b->carry_cap ? b->carry_cap : 65536;
		while (cap < b->carry_len + n)
			cap *= 2;
		b->carry = xreallocarray(b->carry, cap, 1);
		b->carry_cap = cap;
	}
	memcpy(b->carry + b->carry_len, p, n);
	b->carry_len += n;
}

static void
carry_flush(struct batcher *b)
{
	batch_write(b, b->carry, b->carry_len);
	b->carry_len = 0;
}

static void
utf8_fail(const struct batcher *b, long long at)
{
	die_line(EX_DATAERR, b, "byte %lld: invalid UTF-8", b->row_len + at);
}

/* a byte that starts a sequence of 3 or 4, or a bad one */
static void
utf8_lead(struct batcher *b, unsigned char c, long long at)
{
	b->u8_lo = 0x80;
	b->u8_hi = 0xbf;
	if (c < 0xc2 || c > 0xf4)
		utf8_fail(b, at);
	else if (c < 0xe0)
		b->u8_need = 1;
	else if (c < 0xf0) {
		b->u8_need = 2;
		if (c == 0xe0)
			b->u8_lo = 0xa0;
		else if (c == 0xed)	/* no surrogates */
			b->u8_hi = 0x9f;
	} else {
		b->u8_need = 3;
		if (c == 0xf0)
			b->u8_lo = 0x90;
		else if (c == 0xf4)
			b->u8_hi = 0x8f;
	}
}

/*
 * line_scan: check the line from P on, resumable across buffers, and
 * return its newline, or END.  One pass does it all: eight printable
 * ASCII bytes at a time, two-byte sequences (Czech letters) inline, the
 * rest byte by byte.
 */
static const unsigned char *
line_scan(struct batcher *b, const unsigned char *p, const unsigned char *end)
{
	const unsigned char	*s = p;
	uint64_t		 w;
	unsigned char		 c;

	b->in_row = 1;
	if (!b->started) {
		while (p < end && *p == ' ')
			p++;
		if (p < end && *p != '\n') {
			if (*p != '{')
				die_line(EX_DATAERR, b, "not a JSON object "
				    "(it does not start with '{')");
			b->started = 1;
		}
	}
	while (p < end) {
		c = *p;
		if (b->u8_need > 0) {
			if (c == '\n')
				break;
			if (c < b->u8_lo || c > b->u8_hi)
				utf8_fail(b, p - s + 1);
			b->u8_lo = 0x80;
			b->u8_hi = 0xbf;
			b->u8_need--;
			p++;
			continue;
		}
		while (end - p >= 8) {
			memcpy(&w, p, 8);
			if (((w | (w - ASCII_LOW)) & HIGH_BITS) != 0)
				break;
			p += 8;
		}
		if (p == end || (c = *p) == '\n')
			break;
		p++;
		if (c < 0x20)
			die_line(EX_DATAERR, b, "byte %lld: control character "
			    "0x%02x (it must be escaped)",
			    b->row_len + (p - s), c);
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c < 0xe0 && p < end && (*p & 0xc0) == 0x80)
			p++;
		else
			utf8_lead(b, c, p - s);
	}
	if (p > s) {
		b->last = p[-1];
		b->row_len += p - s;
	}
	return p;
}

static void
line_end(struct batcher *b)
{
	if (b->row_len == 0)
		die_line(EX_DATAERR, b, "empty line");
	if (!b->started)
		die_line(EX_DATAERR, b, "not a JSON object (a blank line)");
	if (b->u8_need > 0)
		die_line(EX_DATAERR, b, "byte %lld: invalid UTF-8 (a "
		    "truncated sequence)", b->row_len);
	if (b->last != '}')
		die_line(EX_DATAERR, b, "not a JSON object (it does not end "
		    "with '}')");
}

static void
row_reset(struct batcher *b)
{
	b->line++;
	b->row_len = 0;
	b->in_row = 0;
	b->started = 0;
	b->u8_need = 0;
}

static int
too_big(const struct batcher *b, long long len)
{
	return b->max_bytes > 0 && len > b->max_bytes;
}

static void
size_fail(const struct batcher *b, long long len, int exact)
{
	die_line(EX_DATAERR, b, "a row of %lld%s bytes does not fit a batch "
	    "of -b %lld bytes", len, exact ? "" : " or more", b->max_bytes);
}

/*
 * A row that starts in one buffer and ends in a later one: with -b it
 * is kept aside until its length is known, unless it is the batch's
 * first row (then it belongs here whatever its length).
 */
static void
tail_keep(struct batcher *b, const unsigned char *span,
    const unsigned char *row, const unsigned char *end)
{
	if (b->max_bytes == 0 || b->b_rows == 0) {
		batch_write(b, span, (size_t)(end - span));
		return;
	}
	batch_write(b, span, (size_t)(row - span));
	if (too_big(b, b->b_bytes + (long long)b->carry_len +
	    (end - row) + 1)) {
		batch_close(b);
		batch_open(b);
		carry_flush(b);
		batch_write(b, row, (size_t)(end - row));
	} else
		carry_add(b, row, (size_t)(end - row));
}

/*
 * The row just ended (its newline at NL) does not fit the batch: close
 * the batch before the row.  ROW is where the row starts in this
 * buffer, or NULL when it started in an earlier one (and was carried).
 */
static const unsigned char *
batch_cut(struct batcher *b, const unsigned char *span,
    const unsigned char *row)
{
	if (row != NULL)
		batch_write(b, span, (size_t)(row - span));
	batch_close(b);
	batch_open(b);
	if (row != NULL)
		return row;
	carry_flush(b);
	return span;
}

/*
 * rows_feed: check and batch N bytes of NDJSON.  In copy mode nothing
 * is written (the member's compressed bytes are); it returns
 * ROWS_COPY_FAIL as soon as the member holds more than one batch.
 */
int
rows_feed(struct batcher *b, const unsigned char *p, size_t n)
{
	const unsigned char	*end = p + n, *span = p, *row, *nl;
	long long		 len;

	row = b->in_row ? NULL : p;
	while (p < end) {
		if (!b->in_row) {
			row = p;
			if (b->copy && b->b_rows == b->max_rows)
				return ROWS_COPY_FAIL;
			if (!b->copy && !b->open) {
				batch_open(b);
				span = p;
			}
		}
		if ((nl = line_scan(b, p, end)) == end)
			break;
		line_end(b);
		len = b->row_len + 1;
		if (b->copy && too_big(b, b->b_bytes + len))
			return ROWS_COPY_FAIL;
		if (too_big(b, len))
			size_fail(b, len, 1);
		if (!b->copy && b->b_rows > 0 && too_big(b, b->b_bytes + len))
			span = batch_cut(b, span, row);
		else if (!b->copy && row == NULL && b->carry_len > 0)
			carry_flush(b);
		b->b_rows++;
		b->b_bytes += len;
		row_reset(b);
		p = nl + 1;
		if (!b->copy && b->b_rows == b->max_rows) {
			batch_write(b, span, (size_t)(p - span));
			batch_close(b);
			span = p;
		}
	}
	if (b->copy)
		return too_big(b, b->b_bytes + (b->in_row ? b->row_len + 1 :
		    0)) ? ROWS_COPY_FAIL : 0;
	if (b->in_row && too_big(b, b->row_len + 1))
		size_fail(b, b->row_len + 1, 0);
	if (!b->open)
		return 0;
	if (b->in_row && row != NULL)
		tail_keep(b, span, row, end);
	else if (b->in_row && b->carry_len > 0)
		tail_keep(b, span, span, end);
	else
		batch_write(b, span, (size_t)(end - span));
	return 0;
}

void
rows_finish(struct batcher *b)
{
	if (b->in_row)
		die_line(EX_DATAERR, b, "missing final newline (truncated "
		    "input?)");
	if (b->open)
		batch_close(b);
}

/*
 * Copy mode: a gzip member that starts at a batch boundary is written
 * to the batch file as it is read.
 */
void
copy_begin(struct batcher *b)
{
	file_open(b);
	b->copy = 1;
	b->copy_line = b->line;
}

void
copy_write(struct batcher *b, const unsigned char *p, size_t n)
{
	out_write(b, p, n);
}

/*
 * copy_end: the member has ended (AT_EOF: and so has the input).
 * COPY_DONE: committed as a batch, or dropped when it held no rows;
 * COPY_WAIT: it holds fewer rows than a batch, which is right only when
 * the input ends here; ROWS_COPY_FAIL: it is not one batch.
 */
int
copy_end(struct batcher *b, int at_eof)
{
	if (b->in_row)
		return ROWS_COPY_FAIL;
	if (b->b_rows == 0) {
		af_abort(&b->af);
		b->open = b->copy = 0;
		return COPY_DONE;
	}
	if (b->b_rows < b->max_rows && !at_eof)
		return COPY_WAIT;
	file_commit(b);
	b->copy = 0;
	b->copied++;
	return COPY_DONE;
}

/* copy_take: give up copy mode, back to the member's first line; the
 * copy so far goes to b->old for a second reading */
void
copy_take(struct batcher *b)
{
	b->old = b->af;
	b->af.fd = -1;
	b->af.tmp[0] = '\0';
	b->open = b->copy = 0;
	b->line = b->copy_line - 1;
	row_reset(b);
	b->b_rows = b->b_bytes = b->b_size = 0;
}

/* batches_discard: after an error, no batch is left under its name */
void
batches_discard(struct batcher *b)
{
	char	*path;
	size_t	 i;

	if (b->open)
		af_abort(&b->af);
	af_abort(&b->old);
	b->open = 0;
	for (i = 0; i < b->m.n; i++) {
		path = xasprintf("%s/%s", b->dir, b->m.b[i].name);
		(void)unlink(path);
		free(path);
	}
	if (b->m.n > 0)
		(void)dir_fsync(b->dir);
}
