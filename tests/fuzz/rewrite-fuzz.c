/*
 * rewrite-fuzz.c: libFuzzer target for the T-SQL rewriter.  Invariants:
 * no crash; a failed rewrite names a position inside the input; a
 * successful one keeps every input byte in order, and rewriting its
 * output again changes nothing.
 *
 * fuzz-sources: tools/pohoda-rewrite/tsql.c tools/pohoda-rewrite/rewrite.c
 * fuzz-seeds: $SHARED/cases/rewrite tests/rewrite tests/fuzz/rewrite-regress
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct rewrite_target targets[] = {
	{ "SERVER1", "POHODA_DB", "dbo" },
	{ "", "POHODA_DB", "dbo" },
	{ "S]1", "D[b]", "my schema" },
	{ "S", "D", "" }
};

/* keeps_input: every byte of IN appears in OUT in order, since the
 * rewriter only inserts */
static int
keeps_input(const char *in, size_t len, const char *out, size_t outlen)
{
	size_t	i = 0, o;

	for (o = 0; o < outlen && i < len; o++)
		if (out[o] == in[i])
			i++;
	return i == len;
}

static void
check_one(const struct rewrite_target *tg, const char *in, size_t len)
{
	struct rewrite_error	 e;
	char			*out, *again;
	size_t			 outlen, againlen;
	int			 rc;

	rc = rewrite_sql(tg, in, len, &out, &outlen, &e);
	if (rc == REWRITE_ESYNTAX) {
		if (e.line < 1 || e.column < 1 || e.line > len + 1 ||
		    e.column > len + 1 || e.what == NULL)
			abort();
		return;
	}
	if (rc != REWRITE_OK)
		abort();
	if (outlen < len || !keeps_input(in, len, out, outlen))
		abort();
	if (rewrite_sql(tg, out, outlen, &again, &againlen, &e) !=
	    REWRITE_OK)
		abort();
	if (againlen != outlen || memcmp(again, out, outlen) != 0)
		abort();
	free(again);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		check_one(&targets[i], (const char *)data, size);
	return 0;
}
