/*
 * out.c: the NDJSON writer.  Rows are collected in a 128 KiB buffer and
 * written plain or through deflate.  In gzip mode every MEMBER_ROWS rows
 * end a gzip member, so that pohoda-batch can cut the stream at member
 * boundaries without recompressing.
 *
 * Gzip is ISA-L's igzip at level 1 (about four times zlib's fastest for
 * a similar size) on a second thread: while it compresses and writes one
 * full buffer, the main thread formats rows into the other.  Two buffers,
 * so memory stays fixed however many rows pass.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>

#include "extract.h"
#include "util.h"

/* the compressed side: output written as it comes, so a small buffer;
 * the small level-1 work area too (84 KiB, not 276): peak memory is
 * measured against the pandas script's, and the speed is the same */
#define ZBUF_SIZE	(64 * 1024)

static void
fd_write(int fd, const unsigned char *p, size_t n, int *err,
    long long *total)
{
	ssize_t	w;

	while (n > 0 && *err == 0) {
		w = write(fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			*err = errno;
			return;
		}
		p += w;
		n -= (size_t)w;
		*total += w;
	}
}

/* gz_member_start: a new gzip member, header included */
static void
gz_member_start(struct out *o)
{
	isal_deflate_reset(o->z);
	o->z->level = OUT_GZ_LEVEL;
	o->z->level_buf = o->zlevel;
	o->z->level_buf_size = ISAL_DEF_LVL1_SMALL;
	o->z->gzip_flag = IGZIP_GZIP;
	o->z->flush = NO_FLUSH;
}

/* gz_run: on the compressing thread, N bytes into the current member,
 * and the member's end (trailer) if END */
static void
gz_run(struct out *o, unsigned char *p, size_t n, int end)
{
	int	done;

	o->z->next_in = p;
	o->z->avail_in = (uint32_t)n;
	o->z->end_of_stream = (uint16_t)end;
	do {
		o->z->next_out = o->zbuf;
		o->z->avail_out = ZBUF_SIZE;
		if (isal_deflate(o->z) != COMP_OK) {
			o->zerr = EIO;
			return;
		}
		fd_write(o->fd, o->zbuf, ZBUF_SIZE - o->z->avail_out,
		    &o->zerr, &o->zbytes);
		done = o->z->avail_in == 0 && o->z->avail_out > 0 && (!end ||
		    o->z->internal_state.state == ZSTATE_END);
	} while (!done && o->zerr == 0);
	if (end && o->zerr == 0)
		gz_member_start(o);
}

/* gz_wake: with mu held; a wake-up costs a system call, so only when
 * the other thread sleeps */
static void
gz_wake(struct out *o)
{
	if (o->waiting)
		pthread_cond_broadcast(&o->cv);
}

static void *
gz_thread(void *arg)
{
	struct out	*o = arg;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->jbusy && !o->quit) {
			o->waiting++;
			pthread_cond_wait(&o->cv, &o->mu);
			o->waiting--;
		}
		if (!o->jbusy)
			break;
		pthread_mutex_unlock(&o->mu);
		if (o->zerr == 0)
			gz_run(o, o->jbuf, o->jlen, o->jend);
		pthread_mutex_lock(&o->mu);
		o->jbusy = 0;
		gz_wake(o);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

/* gz_wait: until the compressing thread is idle; its error becomes ours */
static void
gz_wait(struct out *o)
{
	pthread_mutex_lock(&o->mu);
	while (o->jbusy) {
		o->waiting++;
		pthread_cond_wait(&o->cv, &o->mu);
		o->waiting--;
	}
	if (o->err == 0)
		o->err = o->zerr;
	pthread_mutex_unlock(&o->mu);
}

/* gz_hand: give the full buffer to the compressing thread and take the
 * one it is done with */
static void
gz_hand(struct out *o, int end)
{
	unsigned char	*t;

	gz_wait(o);
	if (o->err)
		return;
	pthread_mutex_lock(&o->mu);
	o->jbuf = o->buf;
	o->jlen = o->len;
	o->jend = end;
	o->jbusy = 1;
	gz_wake(o);
	pthread_mutex_unlock(&o->mu);
	t = o->buf;
	o->buf = o->spare;
	o->spare = t;
}

void
out_flush(struct out *o)
{
	if (o->err == 0 && o->len > 0) {
		if (o->gz)
			gz_hand(o, 0);
		else
			fd_write(o->fd, o->buf, o->len, &o->err, &o->zbytes);
	}
	o->bytes += o->len;
	o->len = 0;
}

/* gz_member_end: finish this gzip member; the next byte starts a new one */
static void
gz_member_end(struct out *o)
{
	if (o->err == 0)
		gz_hand(o, 1);
	o->bytes += o->len;
	o->len = 0;
}

int
out_open(struct out *o, int fd, int gz, long long member_rows)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->gz = gz;
	o->buf = xmalloc(OUT_BUFSIZE + OUT_SLACK);
	o->member_rows = member_rows;
	o->member_left = member_rows;
	if (!gz)
		return 0;
	o->spare = xmalloc(OUT_BUFSIZE + OUT_SLACK);
	o->zbuf = xmalloc(ZBUF_SIZE);
	o->z = xmalloc(sizeof(*o->z));
	o->zlevel = xmalloc(ISAL_DEF_LVL1_SMALL);
	isal_deflate_init(o->z);
	gz_member_start(o);
	if (pthread_mutex_init(&o->mu, NULL) != 0 ||
	    pthread_cond_init(&o->cv, NULL) != 0 ||
	    (errno = pthread_create(&o->thr, NULL, gz_thread, o)) != 0) {
		o->gz = 0;
		return -1;
	}
	o->running = 1;
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

/* gz_stop: let the compressing thread finish its buffer, and end it */
static void
gz_stop(struct out *o)
{
	if (!o->running)
		return;
	gz_wait(o);
	pthread_mutex_lock(&o->mu);
	o->quit = 1;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->thr, NULL);
	o->running = 0;
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
	gz_stop(o);
	if (o->err == 0)
		o->err = o->zerr;
	if (o->err) {
		errno = o->err;
		return -1;
	}
	return 0;
}

void
out_free(struct out *o)
{
	gz_stop(o);
	if (o->gz) {
		pthread_mutex_destroy(&o->mu);
		pthread_cond_destroy(&o->cv);
	}
	free(o->buf);
	free(o->spare);
	free(o->zbuf);
	free(o->z);
	free(o->zlevel);
	o->buf = o->spare = o->zbuf = o->zlevel = NULL;
	o->z = NULL;
}
