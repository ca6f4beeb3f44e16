/*
 * extract.h: the parts of pohoda-extract shared between its files: the
 * buffered NDJSON writer (out.c), column names (names.c), value
 * formatting from raw db-lib column data (value.c) and the FreeTDS
 * connection (conn.c).
 */
#ifndef POHODA_EXTRACT_H
#define POHODA_EXTRACT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PROG		"pohoda-extract"

/* gzip level: see the man page, level 1 measured as the best rows/s */
#define OUT_GZ_LEVEL	1
#define OUT_BUFSIZE	(128 * 1024)
/* room past OUT_BUFSIZE in each buffer: out_padded() copies in 16-byte
 * pieces and may write up to 15 bytes past the end of what it adds */
#define OUT_SLACK	16

struct isal_zstream;

/*
 * Eight bytes at a time, on a little-endian machine (WORD_LE; elsewhere
 * the callers take byte by byte): the string loops (json_string,
 * conv.c) test a whole word for bytes they must look at and copy the
 * bytes before the first such one in a single store.  word_load reads 8
 * bytes from anywhere; a flag is a byte's 0x80 bit in a mask, and
 * word_lead counts the bytes before the first flagged one.  The flag
 * tests below are exact for that first byte (a borrow only moves flags
 * to later bytes).
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORD_LE		1
#else
#define WORD_LE		0
#endif
#define WORD_ONES	0x0101010101010101ULL
#define WORD_HIGH	0x8080808080808080ULL

static inline uint64_t
word_load(const unsigned char *p)
{
	uint64_t	w;

	memcpy(&w, p, 8);
	return w;
}

/* word_below: the flags of the bytes of W below N (N at most 0x80) */
static inline uint64_t
word_below(uint64_t w, unsigned n)
{
	return (w - WORD_ONES * n) & ~w & WORD_HIGH;
}

/* word_equal: the flags of the bytes of W equal to C */
static inline uint64_t
word_equal(uint64_t w, unsigned c)
{
	return word_below(w ^ (WORD_ONES * c), 1);
}

/* word_lead: bytes before the lowest set bit of MASK's bytes */
static inline int
word_lead(uint64_t mask)
{
	return mask == 0 ? 8 : __builtin_ctzll(mask) >> 3;
}

/*
 * out: NDJSON bytes collected in a buffer and written to a file
 * descriptor, plain or as gzip members.  Errors are sticky: the first
 * one is kept in err (an errno value) and everything after is dropped.
 * In gzip mode a second thread compresses and writes (out.c); the j*
 * fields, under mu, are the buffer handed to it.
 */
struct out {
	int		 fd;
	int		 gz;
	int		 err;
	unsigned char	*buf;
	size_t		 len;
	unsigned char	*spare;
	unsigned char	*zbuf;
	struct isal_zstream *z;
	unsigned char	*zlevel;
	pthread_t	 thr;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 running;
	int		 quit;
	int		 waiting;	/* threads asleep on cv */
	int		 jbusy;
	int		 jend;
	unsigned char	*jbuf;
	size_t		 jlen;
	int		 zerr;		/* the thread's first error */
	long long	 member_rows;	/* rows per gzip member, 0: one */
	long long	 member_left;
	long long	 rows;
	long long	 bytes;		/* uncompressed bytes written */
	long long	 zbytes;	/* bytes sent to fd */
};

int	out_open(struct out *, int, int, long long);
void	out_flush(struct out *);
void	out_row_end(struct out *);
int	out_close(struct out *);
void	out_free(struct out *);

static inline void
out_write(struct out *o, const void *p, size_t n)
{
	if (o->len + n > OUT_BUFSIZE) {
		out_flush(o);
		if (n > OUT_BUFSIZE) {
			/* a long value goes through in buffer-sized pieces */
			while (n > OUT_BUFSIZE) {
				memcpy(o->buf, p, OUT_BUFSIZE);
				o->len = OUT_BUFSIZE;
				out_flush(o);
				p = (const unsigned char *)p + OUT_BUFSIZE;
				n -= OUT_BUFSIZE;
			}
		}
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* out_room: the end of the buffer, with at least N (at most
 * OUT_BUFSIZE) bytes free, for formatting a value in place; the caller
 * adds what it wrote to len */
static inline unsigned char *
out_room(struct out *o, size_t n)
{
	if (o->len + n > OUT_BUFSIZE)
		out_flush(o);
	return o->buf + o->len;
}

/* out_padded: N bytes from P, which may be read in whole 16-byte
 * pieces (see column.prefix): a short copy of a size the compiler knows
 * costs less than a call to memcpy */
static inline void
out_padded(struct out *o, const unsigned char *p, size_t n)
{
	unsigned char	*d;
	size_t		 k;

	if (n > 256) {
		out_write(o, p, n);
		return;
	}
	d = out_room(o, n);
	for (k = 0; k < n; k += 16)
		memcpy(d + k, p + k, 16);
	o->len += n;
}

static inline void
out_putc(struct out *o, int c)
{
	if (o->len == OUT_BUFSIZE)
		out_flush(o);
	o->buf[o->len++] = (unsigned char)c;
}

/* what a column becomes in JSON and BigQuery */
enum kind {
	K_BOOL, K_INT, K_DECIMAL, K_MONEY, K_FLOAT, K_REAL, K_DATE, K_TIME,
	K_DATETIME, K_SMALLDATETIME, K_DATETIME2, K_DATETIMEOFFSET,
	K_STRING, K_BYTES, K_GUID
};

struct column {
	int		 type;		/* db-lib type code */
	int		 size;		/* dbcollen */
	int		 prec, scale;	/* decimal(p,s); time scale */
	enum kind	 kind;
	const char	*bqtype;
	char		*name;		/* as the server sent it */
	char		*key;		/* BigQuery-safe name */
	unsigned char	*prefix;	/* {"key": or ,"key":, zeros after
					 * it to a multiple of 16 bytes */
	size_t		 prefixlen;
};

/* main.c: end a progress line on the terminal before a message */
void	progress_break(void);

/* value.c */
#define VALUE_ERRLEN	160

/* column_classify: kind and BigQuery type of a column from its db-lib
 * type, size and precision; -1 for a type that has no mapping */
int	column_classify(struct column *);
const char *type_name(int);
/* value_write: one non-NULL value as JSON; -1 with a message in ERR */
int	value_write(struct out *, const struct column *,
	    const unsigned char *, size_t, char *);
/* json_string: S as a JSON string; -1 for invalid UTF-8 */
int	json_string(struct out *, const unsigned char *, size_t, size_t *);

/* utf8_check: offset of the first invalid UTF-8 byte, N if none */
size_t	utf8_check(const unsigned char *, size_t);

/* the pure conversions, also used by the unit test */
int	dec_format(char *, size_t, const unsigned char *, int, int, int);
int	money_format(char *, size_t, long long);
int	civil_from_days(long, int *, int *, int *);
int	float_format(char *, size_t, double, int);
size_t	int_format(char *, long long);

/* conv.c: code page 1250 and UTF-16LE to UTF-8, with iconv(3)'s
 * arguments, results and errors */
size_t	conv_cp1250(char **, size_t *, char **, size_t *);
size_t	conv_utf16le(char **, size_t *, char **, size_t *);

/* names.c */
/* names_make: BigQuery-safe, unique keys for N columns (DESIGN §4) */
void	names_make(struct column *, int);
/* name_sanitize: one name into BUF (size at least 4 * strlen + 16) */
void	name_sanitize(const char *, int, char *, size_t);

#endif
