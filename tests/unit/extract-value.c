/*
 * extract-value: unit test driver for pohoda-extract's pure parts.
 *
 *   extract-value values    stdin: "TYPE PREC SCALE HEX" lines, where
 *                           HEX is what db-lib's dbdata() holds (NULL:
 *                           a NULL value, -: empty); stdout: the JSON
 *                           value, a tab, the BigQuery type
 *   extract-value names     stdin: comma-separated result column names,
 *                           "(no name)" for none; stdout: the keys
 *   extract-value gz ROWS MEMBER FILE   ROWS rows {"n":N} through the
 *                           writer, a gzip member every MEMBER rows
 *   extract-value selftest  checks against independent computations;
 *                           prints each failure, exits 1 on any
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sybfront.h>
#include <sybdb.h>

#include "../../tools/pohoda-extract/extract.h"

static int	failures;

static void
check(int ok, const char *what, const char *got, const char *want)
{
	if (ok)
		return;
	failures++;
	printf("FAIL %s: got '%s', want '%s'\n", what, got ? got : "",
	    want ? want : "");
}

/* render: one value through the real writer, read back into BUF */
static int
render(const struct column *c, const unsigned char *data, size_t len,
    char *buf, size_t size)
{
	struct out	 o;
	FILE		*fp = tmpfile();
	char		 err[VALUE_ERRLEN];
	size_t		 n;
	int		 rc;

	if (fp == NULL)
		return -1;
	out_open(&o, fileno(fp), 0, 0);
	if (data == NULL) {
		out_write(&o, "null", 4);
		rc = 0;
	} else
		rc = value_write(&o, c, data, len, err);
	out_close(&o);
	out_free(&o);
	rewind(fp);
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	if (rc == -1)
		snprintf(buf, size, "error: %s", err);
	return rc;
}

static unsigned char *
hex_decode(const char *h, size_t *n)
{
	unsigned char	*p;
	size_t		 i, len = strlen(h);
	unsigned	 b;

	p = malloc(len / 2 + 64);
	if (p == NULL)
		exit(2);
	for (i = 0; i + 1 < len; i += 2) {
		if (sscanf(h + i, "%2x", &b) != 1)
			exit(2);
		p[i / 2] = (unsigned char)b;
	}
	*n = len / 2;
	return p;
}

static int
values_run(void)
{
	char		*line = NULL, *hex, *buf;
	size_t		 cap = 0, n;
	unsigned char	*data;
	struct column	 c;
	int		 type, prec, scale, off;

	while (getline(&line, &cap, stdin) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%d %d %d %n", &type, &prec, &scale,
		    &off) != 3)
			return 2;
		hex = line + off;
		memset(&c, 0, sizeof(c));
		c.type = type, c.prec = prec, c.scale = scale;
		if (column_classify(&c) == -1) {
			printf("error: no mapping\t-\n");
			continue;
		}
		data = NULL;
		n = 0;
		if (strcmp(hex, "NULL") != 0)
			data = hex_decode(strcmp(hex, "-") ? hex : "", &n);
		/* db-lib hands out whole DBNUMERIC structs */
		if (data != NULL && (type == SYBDECIMAL ||
		    type == SYBNUMERIC)) {
			memset(data + n, 0, sizeof(DBNUMERIC) - n);
			n = sizeof(DBNUMERIC);
		}
		buf = malloc(4 * n + 256);
		render(&c, data ? data : (const unsigned char *)"", n, buf,
		    4 * n + 256);
		if (data == NULL)
			snprintf(buf, 4 * n + 256, "null");
		printf("%s\t%s\n", buf, c.bqtype);
		free(buf);
		free(data);
	}
	free(line);
	return 0;
}

static int
names_run(void)
{
	struct column	 c[64];
	char		*line = NULL, *p, *q, none[1] = "";
	size_t		 cap = 0;
	int		 n, i;

	while (getline(&line, &cap, stdin) > 0) {
		line[strcspn(line, "\n")] = '\0';
		memset(c, 0, sizeof(c));
		for (n = 0, p = line; p != NULL && n < 64; n++) {
			q = strstr(p, ", ");
			if (q != NULL)
				*q = '\0';
			c[n].name = strcmp(p, "(no name)") ? p : none;
			p = q ? q + 2 : NULL;
		}
		names_make(c, n);
		for (i = 0; i < n; i++) {
			printf("%s%s", i ? ", " : "", c[i].key);
			free(c[i].key);
			free(c[i].prefix);
		}
		printf("\n");
	}
	free(line);
	return 0;
}

static int
gz_run(long long rows, long long member, const char *path)
{
	struct out	o;
	char		t[32];
	long long	i;
	int		fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || out_open(&o, fd, 1, member) == -1)
		return 2;
	for (i = 1; i <= rows; i++) {
		out_write(&o, "{\"n\":", 5);
		out_write(&o, t, int_format(t, i));
		out_putc(&o, '}');
		out_row_end(&o);
	}
	if (out_close(&o) == -1 || close(fd) == -1)
		return 2;
	out_free(&o);
	return 0;
}

/* the calendar against gmtime(3), for every day SQL Server knows */
static void
test_calendar(void)
{
	struct tm	tm;
	time_t		t;
	long		d;
	int		y, m, dd;
	char		got[32], want[32];

	/* 1900-01-01 is -2208988800 s from the Unix epoch */
	for (d = -693595; d <= 2958463; d++) {
		t = (time_t)d * 86400 - 2208988800LL;
		gmtime_r(&t, &tm);
		civil_from_days(d, &y, &m, &dd);
		if (y != tm.tm_year + 1900 || m != tm.tm_mon + 1 ||
		    dd != tm.tm_mday) {
			snprintf(got, sizeof(got), "%d-%d-%d", y, m, dd);
			snprintf(want, sizeof(want), "%d-%d-%d",
			    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
			check(0, "civil_from_days", got, want);
			return;
		}
	}
	check(civil_from_days(-693596, &y, &m, &dd) == -1,
	    "day before 0001-01-01 refused", "", "");
	check(civil_from_days(2958464, &y, &m, &dd) == -1,
	    "day after 9999-12-31 refused", "", "");
}

static uint64_t	rng = 20261203;

static uint64_t
rand64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* dec_want: V (below 10^38) with SCALE decimals, as text */
static void
dec_want(char *want, unsigned __int128 v, int neg, int scale)
{
	unsigned __int128	x = v;
	char			dig[64];
	int			k, nd = 0, p = 0;

	do {
		dig[nd++] = (char)('0' + (int)(x % 10));
		x /= 10;
	} while (x > 0);
	if (neg && v != 0)
		want[p++] = '-';
	for (k = nd > scale ? nd : scale + 1; k > 0; k--) {
		if (k == scale)
			want[p++] = '.';
		want[p++] = k <= nd ? dig[k - 1] : '0';
	}
	want[p] = '\0';
}

/* precisions 1-20, where the magnitude has at most 9 bytes, in as few
 * bytes as hold 10^p - 1 (how FreeTDS keeps them) */
static void
test_decimal_small(void)
{
	unsigned char		arr[33];
	unsigned __int128	lim, v, x;
	char			got[128], want[128];
	int			i, k, nb, prec, scale, neg;

	for (i = 0; i < 20000; i++) {
		prec = 1 + (int)(rand64() % 20);
		for (k = 0, lim = 1; k < prec; k++)
			lim *= 10;
		for (nb = 0, x = lim - 1; x > 0; x >>= 8)
			nb++;
		v = ((unsigned __int128)rand64() << 64 | rand64()) % lim;
		if (rand64() % 4 == 0)
			v = lim - 1 - rand64() % 3;
		scale = (int)(rand64() % (unsigned)(prec + 1));
		neg = (int)(rand64() & 1);
		memset(arr, 0, sizeof(arr));
		arr[0] = (unsigned char)neg;
		for (k = 0, x = v; k < nb; k++, x >>= 8)
			arr[nb - k] = (unsigned char)x;
		dec_want(want, v, neg, scale);
		dec_format(got, sizeof(got), arr, prec, scale, 33);
		check(strcmp(got, want) == 0, "decimal(1-20)", got, want);
	}
}

/* decimals against unsigned __int128 printing */
static void
test_decimal(void)
{
	unsigned char		arr[33];
	unsigned __int128	v, x;
	char			got[128], want[128];
	int			i, k, scale, neg;

	for (i = 0; i < 20000; i++) {
		v = (unsigned __int128)rand64() << 64 | rand64();
		v >>= rand64() % 128;
		/* keep it within decimal(38) */
		while (v >= (unsigned __int128)1e38)
			v /= 10;
		scale = (int)(rand64() % 39);
		neg = (int)(rand64() & 1);
		memset(arr, 0, sizeof(arr));
		arr[0] = (unsigned char)neg;
		for (k = 0, x = v; k < 16; k++, x >>= 8)
			arr[16 - k] = (unsigned char)x;
		dec_want(want, v, neg, scale);
		dec_format(got, sizeof(got), arr, 38, scale, 33);
		check(strcmp(got, want) == 0, "decimal(38)", got, want);
	}
	test_decimal_small();
	/* a byte above what precision 5 keeps is an error, not a value */
	memset(arr, 0, sizeof(arr));
	arr[4] = 1;
	check(dec_format(got, sizeof(got), arr, 5, 2, 33) == -1,
	    "stray byte refused", got, "-1");
	/* 10^5 does not fit decimal(5,0) */
	memset(arr, 0, sizeof(arr));
	arr[1] = 0x01, arr[2] = 0x86, arr[3] = 0xa0;
	check(dec_format(got, sizeof(got), arr, 5, 0, 33) == -1,
	    "too many digits refused", got, "-1");
}

static void
test_money(void)
{
	char		got[64], want[64];
	long long	v;
	int		i;

	for (i = 0; i < 20000; i++) {
		v = (long long)rand64();
		if (i < 3)
			v = i == 0 ? INT64_MIN : i == 1 ? INT64_MAX : 0;
		money_format(got, sizeof(got), v);
		snprintf(want, sizeof(want), "%s%llu.%04llu",
		    v < 0 ? "-" : "",
		    (unsigned long long)(v < 0 ? -(v / 10000) : v / 10000),
		    (unsigned long long)(v < 0 ? -(v % 10000) : v % 10000));
		check(strcmp(got, want) == 0, "money", got, want);
	}
}

static void
test_float(void)
{
	char	got[64];
	double	d;
	float	f;
	int	i;
	union { uint64_t u; double d; } ud;
	union { uint32_t u; float f; } uf;

	for (i = 0; i < 100000; i++) {
		ud.u = rand64();
		if (float_format(got, sizeof(got), ud.d, 0) == -1) {
			check(ud.d != ud.d || ud.d - ud.d != 0,
			    "only NaN/inf refused", got, "");
			continue;
		}
		d = strtod(got, NULL);
		check(d == ud.d, "double reads back", got, "same value");
		uf.u = (uint32_t)rand64();
		if (float_format(got, sizeof(got), uf.f, 1) == -1)
			continue;
		f = strtof(got, NULL);
		check(f == uf.f, "real reads back", got, "same value");
	}
	float_format(got, sizeof(got), 0.1, 0);
	check(strcmp(got, "0.1") == 0, "0.1 shortest", got, "0.1");
	float_format(got, sizeof(got), (float)0.1, 1);
	check(strcmp(got, "0.1") == 0, "real 0.1 shortest", got, "0.1");
	float_format(got, sizeof(got), 1e300 * 10, 0);
	check(float_format(got, sizeof(got), 1e300 * 1e300, 0) == -1,
	    "infinity refused", got, "-1");
}

static void
test_datetime_ticks(void)
{
	struct column	c;
	DBDATETIME	dt;
	char		got[64], want[64];
	int		t;

	memset(&c, 0, sizeof(c));
	c.type = SYBDATETIME;
	column_classify(&c);
	for (t = 0; t < 300; t++) {
		dt.dtdays = 0;
		dt.dttime = 300 * 59 + t;
		render(&c, (unsigned char *)&dt, sizeof(dt), got,
		    sizeof(got));
		/* round half up of t * 10 / 3 ms, by the other route */
		snprintf(want, sizeof(want), "\"1900-01-01 00:00:59.%03d\"",
		    (int)((t * 1000.0 / 300.0) + 0.5));
		check(strcmp(got, want) == 0, "datetime tick", got, want);
	}
}

static void
test_strings(void)
{
	static const struct {
		const char	*in, *want;
	} v[] = {
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\"" },
		{ "\b\f", "\"\\b\\f\"" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\x84",
		    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\x84\"" },
		{ "\xc0\x80", NULL }, { "\xed\xa0\x80", NULL },
		{ "\xf5\x80\x80\x80", NULL }, { "a\xc3", NULL },
		{ "\xe0\x9f\xbf", NULL }, { "\xf4\x90\x80\x80", NULL },
		{ "\x80", NULL },
	};
	struct column	c;
	char		got[64];
	size_t		i;
	int		rc;

	memset(&c, 0, sizeof(c));
	c.type = SYBCHAR;
	column_classify(&c);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rc = render(&c, (const unsigned char *)v[i].in,
		    strlen(v[i].in), got, sizeof(got));
		if (v[i].want == NULL)
			check(rc == -1, "invalid UTF-8 refused", got, "error");
		else
			check(strcmp(got, v[i].want) == 0, "string", got,
			    v[i].want);
	}
}

/* esc_ref: S (valid UTF-8) as a JSON string, a byte at a time */
static void
esc_ref(const unsigned char *s, size_t n, char *buf)
{
	size_t	i;
	int	e;

	*buf++ = '"';
	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '"': case '\\': e = s[i]; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		case '\t': e = 't'; break;
		case '\b': e = 'b'; break;
		case '\f': e = 'f'; break;
		default: e = 0;
		}
		if (e != 0) {
			*buf++ = '\\';
			*buf++ = (char)e;
		} else if (s[i] < 0x20)
			buf += snprintf(buf, 7, "\\u%04x", s[i]);
		else
			*buf++ = (char)s[i];
	}
	*buf++ = '"';
	*buf = '\0';
}

/*
 * test_string_words: json_string takes 8 bytes at a time; strings of
 * every length to 24 made of pieces a word test must tell apart (plain
 * bytes next to the ones to escape, the ends of UTF-8 sequences, a bad
 * byte), at every offset, against esc_ref; the bad ones refused
 */
static void
test_string_words(void)
{
	static const char	*piece[] = { "a", " ", "!", "#", "~", "[",
	    "]", "\x7f", "\x1f", "\x01", "\"", "\\", "\n", "\t",
	    "\xc3\xa9", "\xc5\x99", "\xe2\x82\xac",
	    "\xf0\x9f\x8e\x84", "\x80", "\xff", "\xc3" };
	const int		 npiece = sizeof(piece) / sizeof(piece[0]);
	const int		 nbad = 3;	/* the last ones */
	struct column		 c;
	unsigned char		 s[64];
	char			 got[512], want[512], what[64];
	size_t			 n;
	int			 len, at, k, p, bad, rc;

	memset(&c, 0, sizeof(c));
	c.type = SYBCHAR;
	column_classify(&c);
	for (len = 0; len <= 24; len++)
		for (at = 0; at <= len; at++)
			for (k = 0; k < npiece; k++) {
				/* LEN bytes of filler, piece K at AT */
				memset(s, 'x', sizeof(s));
				p = (int)strlen(piece[k]);
				memcpy(s + at, piece[k], (size_t)p);
				n = (size_t)(len + p);
				bad = k >= npiece - nbad;
				rc = render(&c, s, n, got, sizeof(got));
				snprintf(what, sizeof(what), "word: piece %d "
				    "at %d of %d", k, at, len);
				if (bad) {
					check(rc == -1, what, got, "error");
					continue;
				}
				esc_ref(s, n, want);
				check(rc == 0 && strcmp(got, want) == 0, what,
				    got, want);
			}
}

static void
test_base64(void)
{
	static const char	*want[] = { "\"\"", "\"Zg==\"", "\"Zm8=\"",
	    "\"Zm9v\"", "\"Zm9vYg==\"", "\"Zm9vYmE=\"", "\"Zm9vYmFy\"" };
	struct column		 c;
	char			 got[64];
	size_t			 i;

	memset(&c, 0, sizeof(c));
	c.type = SYBBINARY;
	column_classify(&c);
	/* RFC 4648 section 10 */
	for (i = 0; i < 7; i++) {
		render(&c, (const unsigned char *)"foobar", i, got,
		    sizeof(got));
		check(strcmp(got, want[i]) == 0, "base64", got, want[i]);
	}
}

int
main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "values") == 0)
		return values_run();
	if (argc == 2 && strcmp(argv[1], "names") == 0)
		return names_run();
	if (argc == 5 && strcmp(argv[1], "gz") == 0)
		return gz_run(atoll(argv[2]), atoll(argv[3]), argv[4]);
	if (argc == 3 && strcmp(argv[1], "selftest") == 0) {
		if (strcmp(argv[2], "calendar") == 0)
			test_calendar();
		else if (strcmp(argv[2], "decimal") == 0)
			test_decimal();
		else if (strcmp(argv[2], "money") == 0)
			test_money();
		else if (strcmp(argv[2], "float") == 0)
			test_float();
		else if (strcmp(argv[2], "ticks") == 0)
			test_datetime_ticks();
		else if (strcmp(argv[2], "strings") == 0) {
			test_strings();
			test_string_words();
		}
		else if (strcmp(argv[2], "base64") == 0)
			test_base64();
		else
			return 2;
		return failures ? 1 : 0;
	}
	fprintf(stderr, "usage: extract-value values|names|selftest WHAT|"
	    "gz ROWS MEMBER FILE\n");
	return 2;
}
