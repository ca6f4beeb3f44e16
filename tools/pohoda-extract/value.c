/*
 * value.c: raw db-lib column data to JSON text, exactly as SQL Server
 * would print the value.  Nothing here goes through dbconvert() or a
 * double: decimals and money are printed by integer arithmetic, dates
 * from their day and tick counts, so that the output does not depend on
 * FreeTDS's locale, date formats or rounding.
 *
 * What db-lib hands over (FreeTDS 1.3, dbdata()):
 *   DBNUMERIC   precision, scale, array[0] = 1 when negative, then the
 *               magnitude big-endian in the bytes FreeTDS keeps for that
 *               precision (the wire's little-endian bytes swapped)
 *   DBMONEY     high int32, low uint32 of value * 10^4
 *   DBDATETIME  days since 1900-01-01, 1/300 s ticks since midnight
 *   DBDATETIMEALL  100 ns units since midnight, days since 1900-01-01,
 *               offset minutes; datetimeoffset's time and date are UTC
 *   GUID        the 16 wire bytes, first three groups little-endian
 *   strings     already converted to UTF-8 (client charset)
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sybfront.h>
#include <sybdb.h>

#include "extract.h"

#define MAX_DIGITS	80	/* 33 magnitude bytes need at most 80 */

/* codes dbcoltype() returns that sybdb.h does not name */
#ifndef SYBUNIQUE
#define SYBUNIQUE	36
#endif
#ifndef SYBVARIANT
#define SYBVARIANT	98
#endif

static const struct {
	int		 type;
	const char	*name;
} type_names[] = {
	{ SYBCHAR, "char" }, { SYBVARCHAR, "varchar" },
	{ SYBNVARCHAR, "nvarchar" }, { SYBTEXT, "text" },
	{ SYBNTEXT, "ntext" }, { SYBBINARY, "binary" },
	{ SYBVARBINARY, "varbinary" }, { SYBIMAGE, "image" },
	{ SYBINT1, "tinyint" }, { SYBINT2, "smallint" }, { SYBINT4, "int" },
	{ SYBINT8, "bigint" }, { SYBBIT, "bit" }, { SYBREAL, "real" },
	{ SYBFLT8, "float" }, { SYBMONEY, "money" },
	{ SYBMONEY4, "smallmoney" }, { SYBDATETIME, "datetime" },
	{ SYBDATETIME4, "smalldatetime" }, { SYBDECIMAL, "decimal" },
	{ SYBNUMERIC, "numeric" }, { SYBUNIQUE, "uniqueidentifier" },
	{ SYBMSDATE, "date" }, { SYBMSTIME, "time" },
	{ SYBMSDATETIME2, "datetime2" },
	{ SYBMSDATETIMEOFFSET, "datetimeoffset" },
	{ SYBVARIANT, "sql_variant" }, { SYBDATE, "date (Sybase)" },
	{ SYBTIME, "time (Sybase)" }, { SYBBIGDATETIME, "bigdatetime" },
	{ SYBBIGTIME, "bigtime" }, { SYBVOID, "void" },
};

const char *
type_name(int type)
{
	size_t	i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "unknown";
}

/* decimal_bqtype: DESIGN §4, NUMERIC holds 29 integer and 9 decimal
 * digits */
static const char *
decimal_bqtype(int prec, int scale)
{
	if (scale <= 9 && prec - scale <= 29)
		return "NUMERIC";
	return "BIGNUMERIC";
}

int
column_classify(struct column *c)
{
	switch (c->type) {
	case SYBBIT: case SYBBITN:
		c->kind = K_BOOL, c->bqtype = "BOOL";
		break;
	case SYBINT1: case SYBINT2: case SYBINT4: case SYBINT8: case SYBINTN:
		c->kind = K_INT, c->bqtype = "INT64";
		break;
	case SYBDECIMAL: case SYBNUMERIC:
		c->kind = K_DECIMAL;
		c->bqtype = decimal_bqtype(c->prec, c->scale);
		break;
	case SYBMONEY: case SYBMONEY4: case SYBMONEYN:
		c->kind = K_MONEY, c->bqtype = "NUMERIC";
		break;
	case SYBFLT8: case SYBFLTN:
		c->kind = K_FLOAT, c->bqtype = "FLOAT64";
		break;
	case SYBREAL:
		c->kind = K_REAL, c->bqtype = "FLOAT64";
		break;
	case SYBMSDATE:
		c->kind = K_DATE, c->bqtype = "DATE";
		break;
	case SYBMSTIME:
		c->kind = K_TIME, c->bqtype = "TIME";
		break;
	case SYBDATETIME: case SYBDATETIMN:
		c->kind = K_DATETIME, c->bqtype = "DATETIME";
		break;
	case SYBDATETIME4:
		c->kind = K_SMALLDATETIME, c->bqtype = "DATETIME";
		break;
	case SYBMSDATETIME2:
		c->kind = K_DATETIME2, c->bqtype = "DATETIME";
		break;
	case SYBMSDATETIMEOFFSET:
		c->kind = K_DATETIMEOFFSET, c->bqtype = "TIMESTAMP";
		break;
	case SYBCHAR: case SYBVARCHAR: case SYBNVARCHAR: case SYBTEXT:
	case SYBNTEXT:
		c->kind = K_STRING, c->bqtype = "STRING";
		break;
	case SYBBINARY: case SYBVARBINARY: case SYBIMAGE:
		c->kind = K_BYTES, c->bqtype = "BYTES";
		break;
	case SYBUNIQUE:
		c->kind = K_GUID, c->bqtype = "STRING";
		break;
	default:
		return -1;
	}
	return 0;
}

/* int_format: V in decimal into BUF (at least 21 bytes), no NUL */
size_t
int_format(char *buf, long long v)
{
	char			 tmp[24];
	unsigned long long	 u;
	size_t			 n = 0, i = 0;

	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		buf[i++] = '-';
	while (n > 0)
		buf[i++] = tmp[--n];
	return i;
}

/* mag_digits: a big-endian magnitude of N bytes in decimal, into D
 * (MAX_DIGITS); the number of digits, at least 1 */
static int
mag_digits(const unsigned char *be, int n, char *d)
{
	uint32_t	 limb[9];
	char		 rev[MAX_DIGITS + 9];
	int		 nl, i, k, nd = 0, j;
	uint64_t	 rem;

	/* base 2^32 limbs, most significant first */
	nl = (n + 3) / 4;
	memset(limb, 0, sizeof(limb));
	for (i = 0; i < n; i++) {
		k = nl - 1 - (n - 1 - i) / 4;
		limb[k] = limb[k] << 8 | be[i];
	}
	for (;;) {
		for (i = 0; i < nl && limb[i] == 0; i++)
			;
		if (i == nl)
			break;
		/* divide by 10^9, keep the remainder's nine digits */
		rem = 0;
		for (i = 0; i < nl; i++) {
			uint64_t cur = rem << 32 | limb[i];
			limb[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		for (j = 0; j < 9; j++) {
			rev[nd++] = (char)('0' + rem % 10);
			rem /= 10;
		}
	}
	while (nd > 1 && rev[nd - 1] == '0')
		nd--;
	if (nd == 0)
		rev[nd++] = '0';
	for (i = 0; i < nd; i++)
		d[i] = rev[nd - 1 - i];
	return nd;
}

/* mag_digits64: as mag_digits for a magnitude of at most 8 bytes, in
 * one 64-bit word: the limb division was a tenth of a run */
static int
mag_digits64(const unsigned char *be, int n, char *d)
{
	char		rev[24];
	uint64_t	v = 0;
	int		i, nd = 0;

	for (i = 0; i < n; i++)
		v = v << 8 | be[i];
	do {
		rev[nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < nd; i++)
		d[i] = rev[nd - 1 - i];
	return nd;
}

/* digits_place: sign, DIGITS and a point before the last SCALE digits
 * into BUF; -1 when it does not fit */
static int
digits_place(char *buf, size_t size, int neg, const char *dig, int nd,
    int scale)
{
	size_t	i = 0;
	int	k, zero = (nd == 1 && dig[0] == '0');

	if ((size_t)nd + (size_t)scale + 4 > size)
		return -1;
	if (neg && !zero)
		buf[i++] = '-';
	if (nd <= scale) {
		buf[i++] = '0';
		buf[i++] = '.';
		for (k = nd; k < scale; k++)
			buf[i++] = '0';
		memcpy(buf + i, dig, (size_t)nd);
		i += (size_t)nd;
	} else {
		memcpy(buf + i, dig, (size_t)(nd - scale));
		i += (size_t)(nd - scale);
		if (scale > 0) {
			buf[i++] = '.';
			memcpy(buf + i, dig + nd - scale, (size_t)scale);
			i += (size_t)scale;
		}
	}
	buf[i] = '\0';
	return (int)i;
}

static int
numeric_bytes_count(int prec)
{
	unsigned char	m[40];
	int		i, n = 1, carry;

	/* m = 10^prec, little-endian, then count the bytes of m - 1 */
	memset(m, 0, sizeof(m));
	m[0] = 1;
	while (prec-- > 0) {
		carry = 0;
		for (i = 0; i < (int)sizeof(m); i++) {
			carry += m[i] * 10;
			m[i] = (unsigned char)carry;
			carry >>= 8;
		}
	}
	for (i = 0; m[i] == 0; i++)
		m[i] = 0xff;
	m[i]--;
	for (i = (int)sizeof(m) - 1; i > 0 && m[i] == 0; i--)
		;
	n = i + 1;
	return 1 + n;
}

/* numeric_bytes: how many bytes FreeTDS keeps for a precision: a sign
 * byte and the fewest bytes that hold 10^prec - 1.  Kept per precision:
 * working it out for every value cost a fifth of the run */
static int
numeric_bytes(int prec)
{
	static int	known[78];

	if (known[prec] == 0)
		known[prec] = numeric_bytes_count(prec);
	return known[prec];
}

/*
 * dec_format: a DBNUMERIC's sign and magnitude bytes (ARRAY, 33 bytes)
 * with PREC and SCALE into BUF.  -1 when the value has more digits than
 * its precision or bytes where FreeTDS keeps none.
 */
int
dec_format(char *buf, size_t size, const unsigned char *array, int prec,
    int scale, int len)
{
	char	dig[MAX_DIGITS];
	int	nb, nd, i;

	if (prec < 1 || prec > 77 || scale < 0 || scale > prec)
		return -1;
	nb = numeric_bytes(prec);
	if (nb > len)
		return -1;
	for (i = nb; i < len; i++)
		if (array[i] != 0)
			return -1;
	if (nb - 1 <= 8)
		nd = mag_digits64(array + 1, nb - 1, dig);
	else
		nd = mag_digits(array + 1, nb - 1, dig);
	if (nd > prec)
		return -1;
	return digits_place(buf, size, array[0] == 1, dig, nd, scale);
}

/* money_format: V / 10^4 with exactly four decimals */
int
money_format(char *buf, size_t size, long long v)
{
	char			dig[24];
	unsigned long long	u;
	int			nd = 0, i;
	char			rev[24];

	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		rev[nd++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	for (i = 0; i < nd; i++)
		dig[i] = rev[nd - 1 - i];
	return digits_place(buf, size, v < 0, dig, nd, 4);
}

/*
 * civil_from_days: the proleptic Gregorian date DAYS after 1900-01-01
 * (negative before it), by counting 400-year eras from 0000-03-01 so that
 * the leap day is the last day of a counted year.
 */
int
civil_from_days(long days, int *y, int *m, int *d)
{
	long	z, era, doe, yoe, doy, mp;

	/* 0000-03-01 is 693901 days before 1900-01-01 */
	z = days + 693901;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
	return (*y >= 1 && *y <= 9999) ? 0 : -1;
}

/*
 * float_short: the common double fast, without printf and strtod (they
 * were a tenth of a run): V is the double nearest to M / 10^K for an M
 * below 10^15, so M / 10^K is what %.15g prints (its 15 digits cannot
 * round to anything else, V being within half an ulp of it) and reads
 * back as V.  10^-4 <= |V| < 10^15 keeps %g in fixed notation.  -1 for
 * any other value (zero, NaN too): the slow way decides.
 */
static int
float_short(char *buf, size_t size, double v)
{
	static const double	p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
	    1e7, 1e8, 1e9 };
	char			rev[24];
	double			a = fabs(v), t;
	long long		m = 0, q;
	int			k, nd = 0, i = 0;

	if (!(a >= 1e-4 && a < 1e15))
		return -1;
	for (k = 0; k < 10; k++) {
		t = a * p10[k];
		if (t >= 1e15)
			return -1;
		m = (long long)t;
		if ((double)m == t && (double)m / p10[k] == a)
			break;
	}
	if (k == 10 || size < 24)
		return -1;
	for (; k > 0 && m % 10 == 0; k--)
		m /= 10;
	for (q = m; q > 0 || nd <= k; q /= 10)
		rev[nd++] = (char)('0' + q % 10);
	if (v < 0)
		buf[i++] = '-';
	while (nd > k)
		buf[i++] = rev[--nd];
	if (k > 0)
		buf[i++] = '.';
	while (nd > 0)
		buf[i++] = rev[--nd];
	buf[i] = '\0';
	return i;
}

/*
 * float_format: the shortest of %.{min}g .. %.{max}g that reads back as
 * the same value (a float for real, a double for float); -1 for NaN
 * and infinities, which JSON cannot hold.
 */
int
float_format(char *buf, size_t size, double v, int is_real)
{
	int	p, lo = is_real ? 6 : 15, hi = is_real ? 9 : 17, n = -1;

	if (!is_real && (n = float_short(buf, size, v)) >= 0)
		return n;
	if (!isfinite(v))
		return -1;
	for (p = lo; p <= hi; p++) {
		n = snprintf(buf, size, "%.*g", p, v);
		if (n < 0 || (size_t)n >= size)
			return -1;
		if (is_real ? strtof(buf, NULL) == (float)v :
		    strtod(buf, NULL) == v)
			break;
	}
	return n;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
base64_write(struct out *o, const unsigned char *p, size_t n)
{
	char	q[4];

	out_putc(o, '"');
	for (; n >= 3; p += 3, n -= 3) {
		q[0] = b64[p[0] >> 2];
		q[1] = b64[(p[0] & 3) << 4 | p[1] >> 4];
		q[2] = b64[(p[1] & 15) << 2 | p[2] >> 6];
		q[3] = b64[p[2] & 63];
		out_write(o, q, 4);
	}
	if (n > 0) {
		q[0] = b64[p[0] >> 2];
		q[1] = b64[(p[0] & 3) << 4 | (n == 2 ? p[1] >> 4 : 0)];
		q[2] = n == 2 ? b64[(p[1] & 15) << 2] : '=';
		q[3] = '=';
		out_write(o, q, 4);
	}
	out_putc(o, '"');
}

/* utf8_len: length of the valid UTF-8 sequence at P (at most N bytes),
 * 0 when invalid: no overlong forms, surrogates or values past U+10FFFF */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned	c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		return (n >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* utf8_check: the offset of the first byte of S that is not valid
 * UTF-8, N when there is none */
size_t
utf8_check(const unsigned char *s, size_t n)
{
	size_t	i = 0, k;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_len(s + i, n - i)) == 0)
			return i;
		i += k;
	}
	return n;
}

/* what json_string does with each byte: copy it, escape it, or check
 * the UTF-8 sequence it starts */
enum { JS_COPY, JS_ESC, JS_UTF8 };

static unsigned char	js_class[256];

static void
js_class_init(void)
{
	int	c;

	for (c = 0; c < 256; c++)
		js_class[c] = c < 0x20 || c == '"' || c == '\\' ? JS_ESC :
		    c >= 0x80 ? JS_UTF8 : JS_COPY;
}

/* json_esc: the escape for byte C (below 0x20, '"' or '\\') at P */
static unsigned char *
json_esc(unsigned char *p, unsigned c)
{
	static const char	hex[] = "0123456789abcdef";

	*p++ = '\\';
	switch (c) {
	case '"': *p++ = '"'; break;
	case '\\': *p++ = '\\'; break;
	case '\n': *p++ = 'n'; break;
	case '\r': *p++ = 'r'; break;
	case '\t': *p++ = 't'; break;
	case '\b': *p++ = 'b'; break;
	case '\f': *p++ = 'f'; break;
	default:
		memcpy(p, "u00", 3);
		p[3] = (unsigned char)hex[c >> 4];
		p[4] = (unsigned char)hex[c & 15];
		p += 5;
	}
	return p;
}

/* js_special: the flags of the bytes of W json_string cannot copy as
 * they are (word_lead) */
static inline uint64_t
js_special(uint64_t w)
{
	return word_below(w, 0x20) | word_equal(w, '"') |
	    word_equal(w, '\\') | (w & WORD_HIGH);
}

/* JS_PIECE: input bytes escaped per out_room(): each makes at most 6
 * bytes, and a UTF-8 sequence begun in a piece may end 3 bytes past it */
#define JS_PIECE	4096

/*
 * json_string: S quoted and escaped, written straight into the output
 * buffer a piece at a time (values are short, and a call to memcpy per
 * run of plain bytes cost more than the copy).  -1 with the offset of
 * the first invalid byte in BAD.
 */
int
json_string(struct out *o, const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char	*p;
	uint64_t	 w;
	size_t		 i = 0, lim, k;

	if (js_class['"'] != JS_ESC)
		js_class_init();
	out_putc(o, '"');
	while (i < n) {
		lim = n - i < JS_PIECE ? n : i + JS_PIECE;
		p = out_room(o, 6 * (lim - i) + 3);
		while (i < lim) {
			if (WORD_LE && lim - i >= 8) {
				w = word_load(s + i);
				k = (size_t)word_lead(js_special(w));
				memcpy(p, &w, 8);
				p += k;
				i += k;
				if (k == 8)
					continue;
			}
			switch (js_class[s[i]]) {
			case JS_COPY:
				*p++ = s[i++];
				break;
			case JS_ESC:
				p = json_esc(p, s[i++]);
				break;
			default:
				if ((k = utf8_len(s + i, n - i)) == 0) {
					if (bad != NULL)
						*bad = i;
					return -1;
				}
				while (k-- > 0)
					*p++ = s[i++];
			}
		}
		o->len = (size_t)(p - o->buf);
	}
	out_putc(o, '"');
	return 0;
}

/* frac_put: the first DIGITS (0-6) of a 7-digit 100-ns fraction,
 * truncated, with its point */
static size_t
frac_put(char *p, unsigned long t100ns, int digits)
{
	unsigned long	f = t100ns % 10000000ul;
	int		i;

	if (digits > 6)
		digits = 6;
	if (digits <= 0)
		return 0;
	for (i = digits; i < 7; i++)
		f /= 10;
	p[0] = '.';
	for (i = digits; i > 0; i--) {
		p[i] = (char)('0' + f % 10);
		f /= 10;
	}
	return (size_t)digits + 1;
}

/* digits_put: V in exactly N digits, zero-padded */
static size_t
digits_put(char *p, unsigned long v, int n)
{
	int	i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return (size_t)n;
}

static size_t
date_put(char *p, int y, int m, int d)
{
	digits_put(p, (unsigned long)y, 4);
	p[4] = '-';
	digits_put(p + 5, (unsigned long)m, 2);
	p[7] = '-';
	digits_put(p + 8, (unsigned long)d, 2);
	p[10] = '\0';
	return 10;
}

/* hms_put: SECS since midnight (below 86400) as HH:MM:SS */
static size_t
hms_put(char *p, long secs)
{
	digits_put(p, (unsigned long)(secs / 3600), 2);
	p[2] = ':';
	digits_put(p + 3, (unsigned long)(secs / 60 % 60), 2);
	p[5] = ':';
	digits_put(p + 6, (unsigned long)(secs % 60), 2);
	p[8] = '\0';
	return 8;
}

static int
fail(char *err, const char *what)
{
	snprintf(err, VALUE_ERRLEN, "%s", what);
	return -1;
}

/* The *_text functions write a value's text at T (40 bytes) and return
 * its length, -1 with a message in ERR. */

/* datetime_text: legacy datetime, ticks of 1/300 s rounded to the
 * millisecond as SQL Server prints them (.997, .007) */
static int
datetime_text(char *t, const unsigned char *data, size_t len, char *err)
{
	DBDATETIME	dt;
	int		y, m, d, ms;
	size_t		i;

	if (len != sizeof(dt))
		return fail(err, "datetime of unexpected size");
	memcpy(&dt, data, sizeof(dt));
	if (dt.dttime < 0 || dt.dttime >= 300L * 86400 ||
	    civil_from_days(dt.dtdays, &y, &m, &d) == -1)
		return fail(err, "datetime out of range");
	ms = ((dt.dttime % 300) * 10 + 1) / 3;
	i = date_put(t, y, m, d);
	t[i++] = ' ';
	i += hms_put(t + i, dt.dttime / 300);
	t[i++] = '.';
	i += digits_put(t + i, (unsigned long)ms, 3);
	return (int)i;
}

static int
smalldatetime_text(char *t, const unsigned char *data, size_t len,
    char *err)
{
	DBDATETIME4	dt;
	int		y, m, d;
	size_t		i;

	if (len != sizeof(dt))
		return fail(err, "smalldatetime of unexpected size");
	memcpy(&dt, data, sizeof(dt));
	if (dt.minutes >= 1440 || civil_from_days(dt.days, &y, &m, &d) == -1)
		return fail(err, "smalldatetime out of range");
	i = date_put(t, y, m, d);
	t[i++] = ' ';
	i += hms_put(t + i, dt.minutes * 60L);
	return (int)i;
}

/* msdate_text: date, time, datetime2 and datetimeoffset (as UTC) */
static int
msdate_text(char *t, enum kind kind, const unsigned char *data, size_t len,
    char *err)
{
	DBDATETIMEALL	dta;
	int		y, m, d;
	size_t		i = 0;
	unsigned long	secs;

	if (len != sizeof(dta))
		return fail(err, "date/time of unexpected size");
	memcpy(&dta, data, sizeof(dta));
	if (dta.time >= 864000000000ULL)
		return fail(err, "time out of range");
	secs = (unsigned long)(dta.time / 10000000u);
	if (kind != K_TIME) {
		if (civil_from_days(dta.date, &y, &m, &d) == -1)
			return fail(err, "date out of range");
		i = date_put(t, y, m, d);
		if (kind == K_DATE)
			return (int)i;
		t[i++] = kind == K_DATETIMEOFFSET ? 'T' : ' ';
	}
	i += hms_put(t + i, (long)secs);
	i += frac_put(t + i, (unsigned long)(dta.time % 10000000u),
	    dta.time_prec);
	if (kind == K_DATETIMEOFFSET)
		t[i++] = 'Z';
	return (int)i;
}

static void
guid_write(struct out *o, const unsigned char *g)
{
	static const char	hex[] = "0123456789ABCDEF";
	static const int	order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
	    8, 9, 10, 11, 12, 13, 14, 15 };
	unsigned char		*t = out_room(o, 38);
	int			 i, k = 0;

	t[k++] = '"';
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			t[k++] = '-';
		t[k++] = hex[g[order[i]] >> 4];
		t[k++] = hex[g[order[i]] & 15];
	}
	t[k++] = '"';
	o->len += (size_t)k;
}

static int
int_value(struct out *o, const unsigned char *data, size_t len, char *err)
{
	int16_t		i2;
	int32_t		i4;
	int64_t		i8;
	long long	v;

	switch (len) {
	case 1:
		v = data[0];		/* tinyint is unsigned */
		break;
	case 2:
		memcpy(&i2, data, 2), v = i2;
		break;
	case 4:
		memcpy(&i4, data, 4), v = i4;
		break;
	case 8:
		memcpy(&i8, data, 8), v = i8;
		break;
	default:
		return fail(err, "integer of unexpected size");
	}
	o->len += int_format((char *)out_room(o, 24), v);
	return 0;
}

static int
money_value(struct out *o, const unsigned char *data, size_t len,
    char *err)
{
	char		*t;
	DBMONEY		m;
	int32_t		m4;
	long long	v;
	int		n;

	if (len == 8) {
		memcpy(&m, data, 8);
		v = (long long)((uint64_t)(uint32_t)m.mnyhigh << 32 |
		    m.mnylow);
	} else if (len == 4) {
		memcpy(&m4, data, 4);
		v = m4;
	} else
		return fail(err, "money of unexpected size");
	t = (char *)out_room(o, 32);
	n = money_format(t + 1, 30, v);
	t[0] = '"';
	t[n + 1] = '"';
	o->len += (size_t)n + 2;
	return 0;
}

static int
decimal_value(struct out *o, const unsigned char *data, size_t len,
    char *err)
{
	char		*t;
	DBNUMERIC	num;
	int		n;

	if (len < 2 || len > sizeof(num))
		return fail(err, "decimal of unexpected size");
	memset(&num, 0, sizeof(num));
	memcpy(&num, data, len);
	t = (char *)out_room(o, MAX_DIGITS + 8);
	n = dec_format(t + 1, MAX_DIGITS + 6, num.array, num.precision,
	    num.scale, (int)sizeof(num.array));
	if (n < 0)
		return fail(err, "decimal value does not fit its precision");
	t[0] = '"';
	t[n + 1] = '"';
	o->len += (size_t)n + 2;
	return 0;
}

static int
float_value(struct out *o, const unsigned char *data, size_t len, char *err)
{
	char	*t;
	float	f;
	double	v;
	int	n;

	if (len == 4) {
		memcpy(&f, data, 4);
		v = f;
	} else if (len == 8)
		memcpy(&v, data, 8);
	else
		return fail(err, "float of unexpected size");
	t = (char *)out_room(o, 40);
	if ((n = float_format(t, 40, v, len == 4)) < 0)
		return fail(err, "NaN or infinity has no JSON form");
	o->len += (size_t)n;
	return 0;
}

static int
text_value(struct out *o, const struct column *c, const unsigned char *data,
    size_t len, char *err)
{
	char	*t = (char *)out_room(o, 48);
	int	 n;

	if (c->kind == K_DATETIME)
		n = datetime_text(t + 1, data, len, err);
	else if (c->kind == K_SMALLDATETIME)
		n = smalldatetime_text(t + 1, data, len, err);
	else
		n = msdate_text(t + 1, c->kind, data, len, err);
	if (n == -1)
		return -1;
	t[0] = '"';
	t[n + 1] = '"';
	o->len += (size_t)n + 2;
	return 0;
}

int
value_write(struct out *o, const struct column *c, const unsigned char *data,
    size_t len, char *err)
{
	size_t	bad;

	switch (c->kind) {
	case K_BOOL:
		if (len != 1)
			return fail(err, "bit of unexpected size");
		if (data[0])
			out_write(o, "true", 4);
		else
			out_write(o, "false", 5);
		return 0;
	case K_INT:
		return int_value(o, data, len, err);
	case K_DECIMAL:
		return decimal_value(o, data, len, err);
	case K_MONEY:
		return money_value(o, data, len, err);
	case K_FLOAT: case K_REAL:
		return float_value(o, data, len, err);
	case K_DATE: case K_TIME: case K_DATETIME: case K_SMALLDATETIME:
	case K_DATETIME2: case K_DATETIMEOFFSET:
		return text_value(o, c, data, len, err);
	case K_STRING:
		if (json_string(o, data, len, &bad) == -1) {
			snprintf(err, VALUE_ERRLEN,
			    "invalid UTF-8 at byte %zu", bad);
			return -1;
		}
		return 0;
	case K_BYTES:
		base64_write(o, data, len);
		return 0;
	case K_GUID:
		if (len != 16)
			return fail(err, "uniqueidentifier of unexpected size");
		guid_write(o, data);
		return 0;
	}
	return fail(err, "no mapping for this type");
}
