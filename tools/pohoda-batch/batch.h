/*
 * batch.h: what the parts of pohoda-batch share.
 *
 * input.c reads the raw input (plain or gzip'd NDJSON) and hands the
 * NDJSON bytes to rows.c, which checks every line and cuts the rows into
 * batch files.  A gzip member that starts a batch is first copied to the
 * batch file as it is read ("copy mode"); when it turns out not to hold
 * exactly the rows of one batch, input.c inflates the copy once more and
 * rows.c compresses the rows instead.
 */
#ifndef POHODA_BATCH_H
#define POHODA_BATCH_H

#include <openssl/evp.h>

#include "atomicfile.h"
#include "manifest.h"

struct isal_zstream;

#define COPY_DONE	0
#define ROWS_COPY_FAIL	1	/* the member is not one batch */
#define COPY_WAIT	2	/* a short member: right only at the end */

struct batcher {
	/* settings */
	const char	*dir;
	const char	*name;		/* the input, for messages */
	long long	 max_rows;
	long long	 max_bytes;	/* 0: no limit */

	/* the line being read */
	long long	 line;		/* its number, from 1 */
	long long	 row_len;	/* bytes seen, without the newline */
	int		 in_row;	/* a byte of it was seen */
	int		 started;	/* its '{' was seen */
	unsigned char	 last;		/* its last byte so far */
	int		 u8_need;	/* UTF-8 continuation bytes due */
	unsigned char	 u8_lo, u8_hi;	/* range of the next one */

	/* the batch being written */
	int		 open;
	int		 copy;		/* copying an input member */
	long long	 copy_line;	/* the line the copy began at */
	struct atomicfile af;
	struct atomicfile old;		/* a copy being read again */
	struct isal_zstream *z;		/* igzip, level 1 */
	unsigned char	*zlevel;	/* its level 1 buffer */
	EVP_MD_CTX	*md;
	unsigned char	*zbuf;
	long long	 b_rows, b_bytes, b_size;

	/* with -b: the start of a row that may not fit this batch */
	unsigned char	*carry;
	size_t		 carry_len, carry_cap;

	struct manifest	 m;		/* the batches written */
	size_t		 copied;	/* of which copied unchanged */
};

/* rows.c */
void	rows_init(struct batcher *);
void	rows_free(struct batcher *);
int	rows_feed(struct batcher *, const unsigned char *, size_t);
void	rows_finish(struct batcher *);
int	rows_clean(const struct batcher *);
void	copy_begin(struct batcher *);
void	copy_write(struct batcher *, const unsigned char *, size_t);
int	copy_end(struct batcher *, int);
void	copy_take(struct batcher *);
void	batches_discard(struct batcher *);

/* input.c */
struct input;
struct input *input_open(const char *);
void	input_run(struct input *, struct batcher *);
void	input_close(struct input *);
long long input_size(const struct input *);
const char *input_sha256(struct input *);

/* pohoda-batch.c */
void	die(int, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	die_line(int, const struct batcher *, const char *, ...)
	    __attribute__((format(printf, 3, 4), noreturn));
void	progress_update(const struct batcher *, long long, int);

#endif
