/*
 * extract-conv: unit test driver for pohoda-extract's character
 * conversions (tools/pohoda-extract/conv.c).  Built without iconv.c, so
 * iconv(3) here is glibc's own.
 *
 *   extract-conv cp1250 HEX    HEX converted to UTF-8: prints the output
 *   extract-conv utf16le HEX   in hex and "ok", or how it stopped:
 *                              "EILSEQ N", "EINVAL N" (N: input offset)
 *   extract-conv glibc SEED COUNT   COUNT random inputs and output sizes
 *                              through conv.c and glibc's iconv: the
 *                              same result, errno, bytes consumed and
 *                              output; prints each difference, exits 1
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/pohoda-extract/extract.h"

#define MAXIN	1024	/* bytes of input at most */
#define FUZZIN	48	/* ... of a random one */

typedef size_t	(*conv_fn)(char **, size_t *, char **, size_t *);

struct res {
	size_t		rc;
	int		err;
	size_t		used, made;
	unsigned char	out[4 * MAXIN + 8];
};

static uint64_t	rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static int
hex_read(const char *s, unsigned char *buf, size_t size, size_t *n)
{
	unsigned int	b;

	for (*n = 0; s[0] != '\0' && s[1] != '\0'; s += 2) {
		if (*n == size || sscanf(s, "%2x", &b) != 1)
			return -1;
		buf[(*n)++] = (unsigned char)b;
	}
	return s[0] == '\0' ? 0 : -1;
}

/* run: IN through FN into an output of OUTSIZE bytes */
static void
run(conv_fn fn, iconv_t cd, const unsigned char *in, size_t n,
    size_t outsize, struct res *r)
{
	char	*ip = (char *)in, *op = (char *)r->out;
	size_t	 il = n, ol = outsize;

	memset(r->out, 0xaa, sizeof(r->out));
	errno = 0;
	r->rc = fn != NULL ? fn(&ip, &il, &op, &ol) :
	    iconv(cd, &ip, &il, &op, &ol);
	r->err = r->rc == (size_t)-1 ? errno : 0;
	r->used = n - il;
	r->made = outsize - ol;
	if ((size_t)(ip - (char *)in) != r->used ||
	    (size_t)(op - (char *)r->out) != r->made)
		r->err = -1;	/* pointers and counts disagree */
}

static int
one(const char *kind, const char *hex)
{
	unsigned char	in[MAXIN];
	struct res	*r;
	size_t		 n, i;

	if (hex_read(hex, in, sizeof(in), &n) == -1 || n > MAXIN) {
		fprintf(stderr, "extract-conv: bad hex\n");
		return 2;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return 2;
	run(strcmp(kind, "cp1250") == 0 ? conv_cp1250 : conv_utf16le, NULL,
	    in, n, sizeof(r->out), r);
	for (i = 0; i < r->made; i++)
		printf("%02x", r->out[i]);
	if (r->err == 0)
		printf(" ok\n");
	else
		printf(" %s %zu\n", r->err == EILSEQ ? "EILSEQ" :
		    r->err == EINVAL ? "EINVAL" : "other", r->used);
	free(r);
	return 0;
}

/* unit_pick: a UTF-16 code unit, mostly ones near the edges */
static uint16_t
unit_pick(void)
{
	static const uint16_t	edge[] = { 0x0041, 0x0000, 0x007f, 0x0080,
	    0x00e1, 0x07ff, 0x0800, 0x0159, 0xd7ff, 0xd800, 0xd83c, 0xdbff,
	    0xdc00, 0xdf84, 0xdfff, 0xe000, 0xfeff, 0xfffe, 0xffff };

	if (rnd(4) == 0)
		return (uint16_t)rnd(0x10000);
	return edge[rnd(sizeof(edge) / sizeof(edge[0]))];
}

static void
input_make(int utf16, unsigned char *in, size_t *n)
{
	size_t		len = rnd(FUZZIN), i;
	uint32_t	ascii;
	uint16_t	u;

	if (!utf16) {
		/* in 8 bytes, 3 ASCII or (for the runs conv.c copies 8
		 * bytes at a time) 7 */
		ascii = rnd(2) == 0 ? 3 : 7;
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)(rnd(8) < ascii ? rnd(128) :
			    0x80 + rnd(128));
		*n = len;
		return;
	}
	for (i = 0; i + 1 < len; i += 2) {
		u = unit_pick();
		in[i] = (unsigned char)(u & 0xff);
		in[i + 1] = (unsigned char)(u >> 8);
	}
	if (rnd(8) == 0)
		in[i++] = (unsigned char)rnd(256);	/* an odd byte */
	*n = i;
}

static int
res_same(const struct res *a, const struct res *b)
{
	return a->rc == b->rc && a->err == b->err && a->used == b->used &&
	    a->made == b->made && memcmp(a->out, b->out, a->made) == 0;
}

static int
fuzz(uint64_t seed, long count)
{
	static const char	*from[2] = { "CP1250", "UTF-16LE" };
	conv_fn			 fns[2] = { conv_cp1250, conv_utf16le };
	unsigned char		 in[MAXIN];
	static struct res	 a, b;
	iconv_t			 cd;
	size_t			 n, outsize;
	long			 i;
	int			 k, bad = 0;

	rng = seed | 1;
	for (k = 0; k < 2; k++) {
		if ((cd = iconv_open("UTF-8", from[k])) == (iconv_t)-1) {
			perror("iconv_open");
			return 2;
		}
		for (i = 0; i < count; i++) {
			input_make(k, in, &n);
			outsize = rnd(8) == 0 ? sizeof(a.out) :
			    rnd((uint32_t)(2 * n + 2));
			run(fns[k], NULL, in, n, outsize, &a);
			run(NULL, cd, in, n, outsize, &b);
			if (res_same(&a, &b))
				continue;
			if (bad++ >= 10)
				continue;
			printf("%s: %zu bytes, out %zu: ours rc %d errno %d "
			    "used %zu made %zu; glibc rc %d errno %d used "
			    "%zu made %zu\n", from[k], n, outsize, (int)a.rc,
			    a.err, a.used, a.made, (int)b.rc, b.err, b.used,
			    b.made);
		}
		iconv_close(cd);
	}
	return bad > 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && (strcmp(argv[1], "cp1250") == 0 ||
	    strcmp(argv[1], "utf16le") == 0))
		return one(argv[1], argv[2]);
	if (argc == 4 && strcmp(argv[1], "glibc") == 0)
		return fuzz(strtoull(argv[2], NULL, 10),
		    strtol(argv[3], NULL, 10));
	fprintf(stderr, "usage: extract-conv cp1250|utf16le hex\n"
	    "       extract-conv glibc seed count\n");
	return 2;
}
