/*
 * conv.c: the two character conversions FreeTDS asks for on every row,
 * code page 1250 (varchar of a Czech collation) and UTF-16LE (nvarchar)
 * to UTF-8, by table.  glibc's iconv(3) does them in two steps through
 * UCS-4 and costs a fifth of a run; iconv.c puts these in its place.
 *
 * Both keep iconv(3)'s contract to the byte, so that FreeTDS handles a
 * bad byte as it does with glibc: characters are converted in order; a
 * byte the code page does not define, a lone surrogate or a high
 * surrogate followed by no low one stops with EILSEQ at its first byte;
 * a character cut off at the end of the input stops with EINVAL there;
 * a character whose UTF-8 does not fit the output stops with E2BIG
 * there.  Nothing is ever irreversible, so success returns 0.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "extract.h"

/* code page 1250's bytes 0x80-0xff (Unicode's CP1250.TXT); 0 where it
 * defines no character */
static const uint16_t cp1250[128] = {
	0x20ac, 0x0000, 0x201a, 0x0000, 0x201e, 0x2026, 0x2020, 0x2021,
	0x0000, 0x2030, 0x0160, 0x2039, 0x015a, 0x0164, 0x017d, 0x0179,
	0x0000, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x0000, 0x2122, 0x0161, 0x203a, 0x015b, 0x0165, 0x017e, 0x017a,
	0x00a0, 0x02c7, 0x02d8, 0x0141, 0x00a4, 0x0104, 0x00a6, 0x00a7,
	0x00a8, 0x00a9, 0x015e, 0x00ab, 0x00ac, 0x00ad, 0x00ae, 0x017b,
	0x00b0, 0x00b1, 0x02db, 0x0142, 0x00b4, 0x00b5, 0x00b6, 0x00b7,
	0x00b8, 0x0105, 0x015f, 0x00bb, 0x013d, 0x02dd, 0x013e, 0x017c,
	0x0154, 0x00c1, 0x00c2, 0x0102, 0x00c4, 0x0139, 0x0106, 0x00c7,
	0x010c, 0x00c9, 0x0118, 0x00cb, 0x011a, 0x00cd, 0x00ce, 0x010e,
	0x0110, 0x0143, 0x0147, 0x00d3, 0x00d4, 0x0150, 0x00d6, 0x00d7,
	0x0158, 0x016e, 0x00da, 0x0170, 0x00dc, 0x00dd, 0x0162, 0x00df,
	0x0155, 0x00e1, 0x00e2, 0x0103, 0x00e4, 0x013a, 0x0107, 0x00e7,
	0x010d, 0x00e9, 0x0119, 0x00eb, 0x011b, 0x00ed, 0x00ee, 0x010f,
	0x0111, 0x0144, 0x0148, 0x00f3, 0x00f4, 0x0151, 0x00f6, 0x00f7,
	0x0159, 0x016f, 0x00fa, 0x0171, 0x00fc, 0x00fd, 0x0163, 0x02d9,
};

static size_t
utf8_size(uint32_t c)
{
	if (c < 0x80)
		return 1;
	if (c < 0x800)
		return 2;
	return c < 0x10000 ? 3 : 4;
}

/* utf8_put: C (no surrogate) as UTF-8 of N = utf8_size(C) bytes */
static void
utf8_put(unsigned char *p, uint32_t c, size_t n)
{
	switch (n) {
	case 1:
		p[0] = (unsigned char)c;
		return;
	case 2:
		p[0] = (unsigned char)(0xc0 | c >> 6);
		break;
	case 3:
		p[0] = (unsigned char)(0xe0 | c >> 12);
		p[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		break;
	default:
		p[0] = (unsigned char)(0xf0 | c >> 18);
		p[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
		p[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		break;
	}
	p[n - 1] = (unsigned char)(0x80 | (c & 0x3f));
}

/* conv_end: the pointers moved past what was done; -1 with E when the
 * conversion stopped short */
static size_t
conv_end(char **in, size_t *inleft, const unsigned char *p, char **out,
    size_t *outleft, unsigned char *o, int e)
{
	*inleft -= (size_t)(p - (const unsigned char *)*in);
	*outleft -= (size_t)(o - (unsigned char *)*out);
	*in = (char *)p;
	*out = (char *)o;
	if (e == 0)
		return 0;
	errno = e;
	return (size_t)-1;
}

size_t
conv_cp1250(char **in, size_t *inleft, char **out, size_t *outleft)
{
	const unsigned char	*p = (const unsigned char *)*in;
	const unsigned char	*end = p + *inleft;
	unsigned char		*o = (unsigned char *)*out;
	unsigned char		*oend = o + *outleft;
	uint64_t		 w;
	uint32_t		 c;
	size_t			 k, n;

	while (p < end) {
		if (WORD_LE && end - p >= 8 && oend - o >= 8) {
			w = word_load(p);
			k = (size_t)word_lead(w & WORD_HIGH);
			memcpy(o, &w, 8);
			o += k;
			p += k;
			if (k == 8)
				continue;
		}
		if (*p < 0x80) {
			if (o == oend)
				break;
			*o++ = *p++;
			continue;
		}
		if ((c = cp1250[*p - 0x80]) == 0)
			return conv_end(in, inleft, p, out, outleft, o, EILSEQ);
		n = utf8_size(c);
		if ((size_t)(oend - o) < n)
			break;
		utf8_put(o, c, n);
		o += n;
		p++;
	}
	return conv_end(in, inleft, p, out, outleft, o, p < end ? E2BIG : 0);
}

/* utf16_next: the code point at P (LEFT bytes, at least 2) and its
 * size in *K; -1 with the error for a bad or cut-off surrogate */
static int32_t
utf16_next(const unsigned char *p, size_t left, size_t *k, int *e)
{
	uint32_t	u1, u2;

	u1 = (uint32_t)p[0] | (uint32_t)p[1] << 8;
	*k = 2;
	if (u1 < 0xd800 || u1 > 0xdfff)
		return (int32_t)u1;
	/* the checks in glibc's order: a lone low surrogate, then a pair
	 * cut off by the end of the input, then a bad second half */
	*e = EILSEQ;
	if (u1 >= 0xdc00)
		return -1;
	if (left < 4) {
		*e = EINVAL;
		return -1;
	}
	u2 = (uint32_t)p[2] | (uint32_t)p[3] << 8;
	if (u2 < 0xdc00 || u2 > 0xdfff)
		return -1;
	*k = 4;
	return (int32_t)(0x10000 + ((u1 - 0xd800) << 10) + (u2 - 0xdc00));
}

size_t
conv_utf16le(char **in, size_t *inleft, char **out, size_t *outleft)
{
	const unsigned char	*p = (const unsigned char *)*in;
	const unsigned char	*end = p + *inleft;
	unsigned char		*o = (unsigned char *)*out;
	unsigned char		*oend = o + *outleft;
	int32_t			 c;
	size_t			 k, n;
	int			 e = 0;

	while (end - p >= 2) {
		if (p[1] == 0 && p[0] < 0x80) {
			if (o == oend)
				break;
			*o++ = p[0];
			p += 2;
			continue;
		}
		if ((c = utf16_next(p, (size_t)(end - p), &k, &e)) < 0)
			return conv_end(in, inleft, p, out, outleft, o, e);
		n = utf8_size((uint32_t)c);
		if ((size_t)(oend - o) < n)
			break;
		utf8_put(o, (uint32_t)c, n);
		o += n;
		p += k;
	}
	e = end - p >= 2 ? E2BIG : end - p == 1 ? EINVAL : 0;
	return conv_end(in, inleft, p, out, outleft, o, e);
}
