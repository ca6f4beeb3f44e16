/*
 * input.c: read plain or gzip'd NDJSON (told apart by the gzip magic),
 * member by member, and copy a member that is exactly one batch.
 *
 * Gzip input is inflated on a second thread, with ISA-L's igzip (about
 * three times as fast as zlib), while the main thread checks and
 * batches the rows: inflating is half of the work when members are
 * copied.  igzip checks each member's CRC-32 and length, and stops
 * exactly at the end of a member.  The inflating thread hands over
 * "slots": the compressed bytes it consumed, the NDJSON they gave, and
 * whether a member began or ended there; an error travels as a slot
 * too, so that the main thread reports it with the right line number.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>

#include "batch.h"
#include "util.h"

#define IN_SIZE		(256 * 1024)	/* one read */
#define STEP_IN		(32 * 1024)	/* gzip bytes a slot takes */
#define OUT_SIZE	(128 * 1024)	/* NDJSON bytes a slot holds */
#define SLOTS		6
#define REREAD_SIZE	(64 * 1024)

enum slot_kind { SLOT_DATA, SLOT_EOF, SLOT_ERROR };

struct slot {
	enum slot_kind	 kind;
	int		 begin;		/* a member begins here */
	int		 end;		/* and one ends after it */
	size_t		 used;		/* bytes in raw */
	size_t		 made;		/* NDJSON bytes in out */
	long long	 in_size;	/* input read so far */
	int		 code;		/* SLOT_ERROR: exit status */
	int		 in_member;	/* SLOT_EOF: inside a member */
	char		 msg[200];	/* SLOT_ERROR */
	unsigned char	*raw;
	unsigned char	*out;
};

struct input {
	int		 fd;
	const char	*path;
	EVP_MD_CTX	*md;
	long long	 size;
	char		 sha256[65];
	unsigned char	*buf;
	unsigned char	*out;		/* for reading a copy again */

	/* the inflating thread */
	struct inflate_state *z;
	pthread_t	 thread;
	int		 started;
	size_t		 first;		/* bytes read before it */
	int		 z_member;	/* inside a member */
	long long	 z_member_in;	/* its bytes so far */

	/* the slots, and who waits for them */
	struct slot	 slot[SLOTS];
	unsigned	 head;		/* next to fill */
	unsigned	 tail;		/* next to take */
	pthread_mutex_t	 mu;
	pthread_cond_t	 filled, freed;

	/* the main thread */
	long long	 member_out;	/* NDJSON bytes of the member */
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
	int	i;

	if (in->fd != STDIN_FILENO)
		close(in->fd);
	if (in->started) {
		pthread_mutex_destroy(&in->mu);
		pthread_cond_destroy(&in->filled);
		pthread_cond_destroy(&in->freed);
		for (i = 0; i < SLOTS; i++) {
			free(in->slot[i].raw);
			free(in->slot[i].out);
		}
	}
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

/* input_read: bytes read and counted, 0 at the end, -1 with errno */
static ssize_t
input_read(struct input *in, unsigned char *buf, size_t size)
{
	ssize_t	n;

	while ((n = read(in->fd, buf, size)) == -1)
		if (errno != EINTR)
			return -1;
	if (!EVP_DigestUpdate(in->md, buf, (size_t)n)) {
		errno = ENOMEM;
		return -1;
	}
	in->size += n;
	return n;
}

static void
read_fail(const struct input *in)
{
	die(EX_FAILURE, "%s: %s", in->path ? in->path : "stdin",
	    strerror(errno));
}

/* -- the inflating thread ------------------------------------------ */

static struct slot *
slot_get(struct input *in)
{
	struct slot	*s;

	pthread_mutex_lock(&in->mu);
	while (in->head - in->tail == SLOTS)
		pthread_cond_wait(&in->freed, &in->mu);
	pthread_mutex_unlock(&in->mu);
	s = &in->slot[in->head % SLOTS];
	s->kind = SLOT_DATA;
	s->begin = s->end = 0;
	s->used = s->made = 0;
	return s;
}

static void
slot_put(struct input *in, struct slot *s)
{
	s->in_size = in->size;
	pthread_mutex_lock(&in->mu);
	in->head++;
	pthread_cond_signal(&in->filled);
	pthread_mutex_unlock(&in->mu);
}

static void * __attribute__((format(printf, 4, 5)))
slot_error(struct input *in, struct slot *s, int code, const char *fmt, ...)
{
	va_list	ap;

	s->kind = SLOT_ERROR;
	s->code = code;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	slot_put(in, s);
	return NULL;
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

/* a member after the first must start with the gzip magic too: the
 * byte offset of one that does not, else 0 */
static long long
magic_check(const struct input *in, const unsigned char *p, size_t n)
{
	static const unsigned char	magic[2] = { 0x1f, 0x8b };
	long long			k, at;

	for (k = in->z_member_in; k < 2 && (size_t)(k - in->z_member_in) < n;
	    k++) {
		at = k - in->z_member_in;
		if (p[at] != magic[k])
			return in->size - (long long)n + at + 1;
	}
	return 0;
}

/* one slot's worth: inflate from P, at most N bytes; how many it used */
static size_t
inflate_step(struct input *in, struct slot *s, const unsigned char *p,
    size_t n)
{
	int	rc;

	if (!in->z_member) {
		in->z_member = 1;
		in->z_member_in = 0;
		s->begin = 1;
	}
	in->z->next_in = (unsigned char *)(uintptr_t)p;
	in->z->avail_in = n > STEP_IN ? STEP_IN : (uint32_t)n;
	in->z->next_out = s->out;
	in->z->avail_out = OUT_SIZE;
	rc = isal_inflate(in->z);
	s->used = (size_t)(in->z->next_in - p);
	s->made = OUT_SIZE - in->z->avail_out;
	if (rc != ISAL_DECOMP_OK && rc != ISAL_END_INPUT &&
	    rc != ISAL_OUT_OVERFLOW) {
		slot_error(in, s, EX_DATAERR, "bad gzip data: %s",
		    isal_error(rc));
		return 0;
	}
	s->end = in->z->block_state == ISAL_BLOCK_FINISH;
	if (s->used == 0 && s->made == 0 && !s->end) {
		slot_error(in, s, EX_FAILURE, "inflate made no progress");
		return 0;
	}
	memcpy(s->raw, p, s->used);
	in->z_member_in += (long long)s->used;
	if (s->end) {
		in->z_member = 0;
		in->z_member_in = 0;
		isal_inflate_reset(in->z);
		in->z->crc_flag = ISAL_GZIP;
	}
	slot_put(in, s);
	return s->used;
}

static void *
inflate_main(void *arg)
{
	struct input		*in = arg;
	struct slot		*s;
	const unsigned char	*p;
	long long		 bad;
	ssize_t			 n = (ssize_t)in->first;
	size_t			 used;

	for (;;) {
		for (p = in->buf; n > 0; p += used, n -= (ssize_t)used) {
			s = slot_get(in);
			if ((bad = magic_check(in, p, (size_t)n)) != 0)
				return slot_error(in, s, EX_DATAERR,
				    "trailing garbage after gzip member "
				    "(input byte %lld)", bad);
			if ((used = inflate_step(in, s, p, (size_t)n)) == 0 &&
			    s->kind == SLOT_ERROR)
				return NULL;
		}
		if ((n = input_read(in, in->buf, IN_SIZE)) <= 0)
			break;
	}
	s = slot_get(in);
	if (n == -1)
		return slot_error(in, s, EX_FAILURE, "%s: %s", in->path ?
		    in->path : "stdin", strerror(errno));
	s->kind = SLOT_EOF;
	s->in_member = in->z_member;
	slot_put(in, s);
	return NULL;
}

static void
inflate_start(struct input *in, size_t first)
{
	int	i, rc;

	in->z = xmalloc(sizeof(*in->z));
	isal_inflate_init(in->z);
	in->z->crc_flag = ISAL_GZIP;
	for (i = 0; i < SLOTS; i++) {
		in->slot[i].raw = xmalloc(STEP_IN);
		in->slot[i].out = xmalloc(OUT_SIZE);
	}
	in->first = first;
	if (pthread_mutex_init(&in->mu, NULL) != 0 ||
	    pthread_cond_init(&in->filled, NULL) != 0 ||
	    pthread_cond_init(&in->freed, NULL) != 0)
		die(EX_FAILURE, "pthread: cannot set up");
	if ((rc = pthread_create(&in->thread, NULL, inflate_main, in)) != 0)
		die(EX_FAILURE, "pthread_create: %s", strerror(rc));
	in->started = 1;
}

/* -- the main thread ----------------------------------------------- */

static struct slot *
slot_take(struct input *in)
{
	pthread_mutex_lock(&in->mu);
	while (in->head == in->tail)
		pthread_cond_wait(&in->filled, &in->mu);
	pthread_mutex_unlock(&in->mu);
	return &in->slot[in->tail % SLOTS];
}

static void
slot_done(struct input *in)
{
	pthread_mutex_lock(&in->mu);
	in->tail++;
	pthread_cond_signal(&in->freed);
	pthread_mutex_unlock(&in->mu);
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
	in->member_out = 0;
	if (rows_clean(b))
		copy_begin(b);
}

static void
member_end(struct input *in, struct batcher *b)
{
	int	rc;

	if (!b->copy)
		return;
	rc = copy_end(b, 0);
	if (rc == ROWS_COPY_FAIL)
		copy_reread(in, b);
	else if (rc == COPY_WAIT)
		in->wait = 1;
}

static void
gz_run(struct input *in, struct batcher *b)
{
	struct slot	*s;

	for (;;) {
		s = slot_take(in);
		if (s->kind != SLOT_DATA)	/* its last slot */
			pthread_join(in->thread, NULL);
		if (s->kind == SLOT_ERROR && s->code == EX_DATAERR) {
			/* the rows before the error count for its line */
			(void)rows_feed(b, s->out, s->made);
			die_line(s->code, b, "%s", s->msg);
		}
		if (s->kind == SLOT_ERROR)
			die(s->code, "%s", s->msg);
		if (s->kind == SLOT_EOF)
			break;
		if (s->begin)
			member_begin(in, b);
		if (b->copy)
			copy_write(b, s->raw, s->used);
		in->member_out += (long long)s->made;
		if (rows_feed(b, s->out, s->made) == ROWS_COPY_FAIL)
			copy_reread(in, b);
		if (s->end)
			member_end(in, b);
		progress_update(b, s->in_size, 0);
		slot_done(in);
	}
	if (s->in_member)
		die_line(EX_DATAERR, b, "truncated gzip stream (the input "
		    "ends inside a member)");
	if (in->wait)
		(void)copy_end(b, 1);
}

static void
plain_run(struct input *in, struct batcher *b, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		(void)rows_feed(b, in->buf, len);
		progress_update(b, in->size, 0);
		if ((n = input_read(in, in->buf, IN_SIZE)) == -1)
			read_fail(in);
		len = (size_t)n;
	}
}

void
input_run(struct input *in, struct batcher *b)
{
	size_t	len = 0;
	ssize_t	n;

	do {
		if ((n = input_read(in, in->buf + len, IN_SIZE - len)) == -1)
			read_fail(in);
		len += (size_t)n;
	} while (n > 0 && len < 2);
	if (len >= 2 && in->buf[0] == 0x1f && in->buf[1] == 0x8b) {
		inflate_start(in, len);
		gz_run(in, b);
	} else
		plain_run(in, b, len);
	rows_finish(b);
	progress_update(b, in->size, 1);
}
