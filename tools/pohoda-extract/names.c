/*
 * names.c: result column names made BigQuery-safe (DESIGN §4): letters,
 * digits and _, Latin diacritics transliterated, anything else _, a
 * leading digit prefixed with _, an empty name f<position>, a name
 * that begins with a prefix BigQuery reserves prefixed with f, and
 * duplicates numbered _2, _3 in column order.  BigQuery compares column
 * names without regard to case, so duplicates are found that way too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract.h"
#include "util.h"

#define KEY_MAX		290	/* of BigQuery's 300 */

/*
 * U+00C0..U+017F to ASCII: one letter, '_' for a sign that is no
 * letter, '*' for the few that become two letters (see wide[]).
 */
static const char latin[] =
    "AAAAAA*CEEEEIIII" "DNOOOOO_OUUUUY**" "aaaaaa*ceeeeiiii"
    "dnooooo_ouuuuy*y" "AaAaAaCcCcCcCcDd" "DdEeEeEeEeEeGgGg"
    "GgGgHhHhIiIiIiIi" "Ii**JjKkkLlLlLlL" "lLlNnNnNnnNnOoOo"
    "Oo**RrRrRrSsSsSs" "SsTtTtTtUuUuUuUu" "UuUuWwYyYZzZzZzs";

static const struct {
	unsigned	 cp;
	const char	*s;
} wide[] = {
	{ 0xc6, "AE" }, { 0xde, "TH" }, { 0xdf, "ss" }, { 0xe6, "ae" },
	{ 0xfe, "th" }, { 0x132, "IJ" }, { 0x133, "ij" }, { 0x152, "OE" },
	{ 0x153, "oe" },
};

/* utf8_next: the code point at *P, advancing it; 0xfffd for a bad byte */
static unsigned
utf8_next(const unsigned char **pp)
{
	const unsigned char	*p = *pp;
	unsigned		 c = p[0], n, i;

	if (c < 0x80) {
		*pp = p + 1;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 1, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, c &= 0x07;
	else {
		*pp = p + 1;
		return 0xfffd;
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*pp = p + 1;
			return 0xfffd;
		}
		c = c << 6 | (p[i] & 0x3f);
	}
	*pp = p + n + 1;
	return c;
}

static const char *
translit(unsigned cp, char one[2])
{
	size_t	i;

	one[1] = '\0';
	if (cp < 0x80) {
		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9') || cp == '_')
			one[0] = (char)cp;
		else
			one[0] = '_';
		return one;
	}
	/* combining diacritics of a decomposed letter: drop them */
	if (cp >= 0x300 && cp <= 0x36f)
		return "";
	if (cp < 0xc0 || cp > 0x17f) {
		one[0] = '_';
		return one;
	}
	one[0] = latin[cp - 0xc0];
	if (one[0] != '*')
		return one;
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (wide[i].cp == cp)
			return wide[i].s;
	one[0] = '_';
	return one;
}

/* BigQuery refuses column names that begin with these, in any case */
static const char *const reserved[] = {
	"_TABLE_", "_FILE_", "_PARTITION", "_ROW_TIMESTAMP", "__ROOT__",
	"_COLIDENTIFIER"
};

static int
name_reserved(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strncasecmp(key, reserved[i], strlen(reserved[i])) == 0)
			return 1;
	return 0;
}

/* name_sanitize: NAME of column POS (from 1) into BUF */
void
name_sanitize(const char *name, int pos, char *buf, size_t size)
{
	const unsigned char	*p = (const unsigned char *)name;
	const char		*t;
	char			 one[2];
	size_t			 n = 0, k;

	if (name == NULL || name[0] == '\0') {
		snprintf(buf, size, "f%d", pos);
		return;
	}
	if (p[0] >= '0' && p[0] <= '9')
		buf[n++] = '_';
	while (*p != '\0' && n < KEY_MAX && n + 3 < size) {
		t = translit(utf8_next(&p), one);
		k = strlen(t);
		memcpy(buf + n, t, k);
		n += k;
	}
	buf[n] = '\0';
	if (n == 0)
		snprintf(buf, size, "f%d", pos);
	else if (name_reserved(buf)) {
		memmove(buf + 1, buf, n + 1);
		buf[0] = 'f';
	}
}

static int
key_taken(const struct column *c, int n, const char *key)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcasecmp(c[i].key, key) == 0)
			return 1;
	return 0;
}

void
names_make(struct column *c, int n)
{
	char	base[KEY_MAX + 8], key[KEY_MAX + 24];
	int	i, k;

	for (i = 0; i < n; i++) {
		name_sanitize(c[i].name, i + 1, base, sizeof(base));
		snprintf(key, sizeof(key), "%s", base);
		for (k = 2; key_taken(c, i, key); k++)
			snprintf(key, sizeof(key), "%s_%d", base, k);
		c[i].key = xstrdup(key);
		c[i].prefixlen = strlen(key) + 4;
		c[i].prefix = xcalloc(c[i].prefixlen / 16 + 1, 16);
		snprintf((char *)c[i].prefix, c[i].prefixlen + 1,
		    "%s\"%s\":", i == 0 ? "{" : ",", key);
	}
}
