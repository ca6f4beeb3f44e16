/*
 * input.c: read plain or gzip'd NDJSON (told apart by the gzip magic),
 * member by member, and copy a member that is exactly one batch.
 *
 * The input is inflated with ISA-L's igzip, about three times as fast
 * as zlib: inflating is most of the work when members are copied.  It
 * checks each member's CRC-32 and length, and stops exactly at the end
 * of a member.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>

#include "batch.h"
#include "util.h"

#define IN_SIZE		(256 * 1024)
#define OUT_SIZE	(256 * 1024)
#define REREAD_SIZE	(64 * 1024)

struct input {
	int		 fd;
	const char	*path;
	EVP_MD_CTX	*md;
	long long	 size;
	char		 sha256[65];
	unsigned char	*buf;
	unsigned char	*out;
	struct inflate_state *z;	/* the input, NULL when plain */
	int		 in_member;	/* a byte of a member was read */
	long long	 member_in;	/* compressed bytes of it so far */
	long long	 member_out;	/* NDJSON bytes of it so far */
	int		 wait;		/* a short member was copied */
	struct inflate_state *rz;	/* a second reading of a copy */
	unsigned char	*rbuf;
};

struct input *
input_open(const char *path)
{
	struct input	*in;
	int		 fd = STDIN_FILENO;

	if (path != NULL && (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		die(EX_FAILURE, "%s: %s", path, strerror(errno));
	in = xcalloc(1, sizeof(*in));
	in->path = path;
	in->fd = fd;
	if ((in->md = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(in->md, EVP_sha256(), NULL))
		die(EX_FAILURE, "sha256 failed");
	in->buf = xmalloc(IN_SIZE);
	in->out = xmalloc(OUT_SIZE);
	return in;
}

void
input_close(struct input *in)
{
	if (in->fd != STDIN_FILENO)
		close(in->fd);
	free(in->rz);
	free(in->z);
	EVP_MD_CTX_free(in->md);
	free(in->buf);
	free(in->out);
	free(in->rbuf);
	free(in);
}

long long
input_size(const struct input *in)
{
	return in->size;
}

const char *
input_sha256(struct input *in)
{
	unsigned char	md[32];
	int		i;

	if (in->sha256[0] == '\0') {
		if (!EVP_DigestFinal_ex(in->md, md, NULL))
			die(EX_FAILURE, "sha256 failed");
		for (i = 0; i < 32; i++)
			snprintf(in->sha256 + 2 * i, 3, "%02x", md[i]);
	}
	return in->sha256;
}

static size_t
input_read(struct input *in, unsigned char *buf, size_t size)
{
	ssize_t	n;

	while ((n = read(in->fd, buf, size)) == -1)
		if (errno != EINTR)
			die(EX_FAILURE, "%s: %s", in->path ? in->path :
			    "stdin", strerror(errno));
	if (!EVP_DigestUpdate(in->md, buf, (size_t)n))
		die(EX_FAILURE, "sha256 failed");
	in->size += n;
	return (size_t)n;
}

/*
 * copy_reread: the member copied so far is not one batch after all:
 * inflate the copy again and batch its rows the ordinary way, up to
 * where the input has got.
 */
static void
copy_reread(struct input *in, struct batcher *b)
{
	long long	want = in->member_out, got = 0;
	off_t		off = 0;
	ssize_t		n;
	size_t		made;
	int		rc;

	copy_take(b);
	if (in->rz == NULL) {
		in->rbuf = xmalloc(REREAD_SIZE);
		in->rz = xmalloc(sizeof(*in->rz));
		isal_inflate_init(in->rz);
	} else
		isal_inflate_reset(in->rz);
	in->rz->crc_flag = ISAL_GZIP;
	in->rz->avail_in = 0;
	while (got < want) {
		if (in->rz->avail_in == 0) {
			n = pread(b->old.fd, in->rbuf, REREAD_SIZE, off);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				die(EX_FAILURE, "%s: %s", b->old.tmp, n == 0 ?
				    "shorter than written" : strerror(errno));
			off += n;
			in->rz->next_in = in->rbuf;
			in->rz->avail_in = (uint32_t)n;
		}
		in->rz->next_out = in->out;
		in->rz->avail_out = want - got < OUT_SIZE ?
		    (uint32_t)(want - got) : OUT_SIZE;
		rc = isal_inflate(in->rz);
		made = (size_t)(in->rz->next_out - in->out);
		if (rc < 0 || (made == 0 &&
		    in->rz->block_state == ISAL_BLOCK_FINISH))
			die(EX_FAILURE, "%s: reading the copy again failed",
			    b->old.tmp);
		got += (long long)made;
		(void)rows_feed(b, in->out, made);
	}
	af_abort(&b->old);
}

static void
member_begin(struct input *in, struct batcher *b)
{
	if (in->wait) {
		in->wait = 0;
		copy_reread(in, b);
	}
	in->in_member = 1;
	in->member_in = in->member_out = 0;
	if (rows_clean(b))
		copy_begin(b);
}

static void
member_end(struct input *in, struct batcher *b)
{
	int	rc;

	in->in_member = 0;
	isal_inflate_reset(in->z);
	in->z->crc_flag = ISAL_GZIP;
	if (!b->copy)
		return;
	rc = copy_end(b, 0);
	if (rc == ROWS_COPY_FAIL)
		copy_reread(in, b);
	else if (rc == COPY_WAIT)
		in->wait = 1;
}

/* a member after the first must start with the gzip magic too */
static void
magic_check(const struct input *in, const struct batcher *b,
    const unsigned char *p, size_t n)
{
	static const unsigned char	magic[2] = { 0x1f, 0x8b };
	long long			k;

	for (k = in->member_in; k < 2 && (size_t)(k - in->member_in) < n;
	    k++)
		if (p[k - in->member_in] != magic[k])
			die_line(EX_DATAERR, b, "trailing garbage after gzip "
			    "member (input byte %lld)", in->size - (long long)n
			    + (k - in->member_in) + 1);
}

static const char *
isal_error(int rc)
{
	switch (rc) {
	case ISAL_INCORRECT_CHECKSUM:
		return "the member's CRC-32 or length does not match";
	case ISAL_INVALID_WRAPPER:
		return "not a gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INVALID_BLOCK:
		return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:
		return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	default:
		return "not a gzip stream";
	}
}

static void
gz_feed(struct input *in, struct batcher *b, const unsigned char *p,
    size_t n)
{
	size_t	used, made;
	int	rc, end;

	while (n > 0) {
		if (!in->in_member)
			member_begin(in, b);
		magic_check(in, b, p, n);
		in->z->next_in = (unsigned char *)(uintptr_t)p;
		in->z->avail_in = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		in->z->next_out = in->out;
		in->z->avail_out = OUT_SIZE;
		rc = isal_inflate(in->z);
		used = (size_t)(in->z->next_in - p);
		made = OUT_SIZE - in->z->avail_out;
		if (rc != ISAL_DECOMP_OK && rc != ISAL_END_INPUT &&
		    rc != ISAL_OUT_OVERFLOW)
			die_line(EX_DATAERR, b, "bad gzip data: %s",
			    isal_error(rc));
		end = in->z->block_state == ISAL_BLOCK_FINISH;
		if (used == 0 && made == 0 && !end)
			die(EX_FAILURE, "inflate made no progress");
		if (b->copy)
			copy_write(b, p, used);
		p += used;
		n -= used;
		in->member_in += (long long)used;
		in->member_out += (long long)made;
		if (rows_feed(b, in->out, made) == ROWS_COPY_FAIL)
			copy_reread(in, b);
		if (end)
			member_end(in, b);
	}
}

static void
gz_end(struct input *in, struct batcher *b)
{
	if (in->in_member)
		die_line(EX_DATAERR, b, "truncated gzip stream (the input "
		    "ends inside a member)");
	if (in->wait)
		(void)copy_end(b, 1);
}

void
input_run(struct input *in, struct batcher *b)
{
	size_t	len = 0, n;
	int	gzip;

	do {
		n = input_read(in, in->buf + len, IN_SIZE - len);
		len += n;
	} while (n > 0 && len < 2);
	gzip = len >= 2 && in->buf[0] == 0x1f && in->buf[1] == 0x8b;
	if (gzip) {
		in->z = xmalloc(sizeof(*in->z));
		isal_inflate_init(in->z);
		in->z->crc_flag = ISAL_GZIP;
	}
	while (len > 0) {
		if (gzip)
			gz_feed(in, b, in->buf, len);
		else
			(void)rows_feed(b, in->buf, len);
		progress_update(b, in->size, 0);
		len = input_read(in, in->buf, IN_SIZE);
	}
	if (gzip)
		gz_end(in, b);
	rows_finish(b);
	progress_update(b, in->size, 1);
}
