/*
 * out.c: the NDJSON writer.  Rows are collected in a 64 KiB buffer and
 * written plain or through deflate.  In gzip mode every MEMBER_ROWS rows
 * end a gzip member, so that pohoda-batch can cut the stream at member
 * boundaries without recompressing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "extract.h"
#include "util.h"

static void
fd_write(struct out *o, const unsigned char *p, size_t n)
{
	ssize_t	w;

	while (n > 0 && o->err == 0) {
		w = write(o->fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			return;
		}
		p += w;
		n -= (size_t)w;
		o->zbytes += w;
	}
}

static void
gz_run(struct out *o, int flush)
{
	int	rc;

	do {
		o->zs.next_out = o->zbuf;
		o->zs.avail_out = OUT_BUFSIZE;
		rc = deflate(&o->zs, flush);
		if (rc == Z_STREAM_ERROR) {
			o->err = EIO;
			return;
		}
		fd_write(o, o->zbuf, OUT_BUFSIZE - o->zs.avail_out);
	} while (o->zs.avail_out == 0 && o->err == 0);
}

void
out_flush(struct out *o)
{
	if (o->err == 0 && o->len > 0) {
		if (o->gz) {
			o->zs.next_in = o->buf;
			o->zs.avail_in = (uInt)o->len;
			gz_run(o, Z_NO_FLUSH);
		} else
			fd_write(o, o->buf, o->len);
	}
	o->bytes += o->len;
	o->len = 0;
}

/* gz_member_end: finish this gzip member; the next byte starts a new one */
static void
gz_member_end(struct out *o)
{
	out_flush(o);
	if (o->err)
		return;
	o->zs.next_in = o->buf;
	o->zs.avail_in = 0;
	gz_run(o, Z_FINISH);
	if (deflateReset(&o->zs) != Z_OK && o->err == 0)
		o->err = EIO;
}

int
out_open(struct out *o, int fd, int gz, long long member_rows)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->gz = gz;
	o->buf = xmalloc(OUT_BUFSIZE);
	o->member_rows = member_rows;
	o->member_left = member_rows;
	if (!gz)
		return 0;
	o->zbuf = xmalloc(OUT_BUFSIZE);
	/* windowBits 15 + 16: a gzip wrapper instead of zlib's */
	if (deflateInit2(&o->zs, OUT_GZ_LEVEL, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
out_row_end(struct out *o)
{
	out_putc(o, '\n');
	o->rows++;
	if (o->gz && o->member_rows > 0 && --o->member_left == 0) {
		gz_member_end(o);
		o->member_left = o->member_rows;
	}
}

/* out_close: write what is left (and the last gzip member); the caller
 * owns fd.  -1 with errno on failure */
int
out_close(struct out *o)
{
	/* a gzip file always has a member, even with no rows */
	if (o->gz && (o->member_left != o->member_rows || o->rows == 0 ||
	    o->member_rows == 0))
		gz_member_end(o);
	else
		out_flush(o);
	if (o->err) {
		errno = o->err;
		return -1;
	}
	return 0;
}

void
out_free(struct out *o)
{
	if (o->gz)
		deflateEnd(&o->zs);
	free(o->buf);
	free(o->zbuf);
	o->buf = o->zbuf = NULL;
}
