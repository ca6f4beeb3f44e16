/*
 * rewrite.h: qualify the table references of a T-SQL text with a linked
 * server, a database and a schema, keeping every other byte.
 */
#ifndef POHODA_REWRITE_H
#define POHODA_REWRITE_H

#include <stddef.h>

struct rewrite_target {
	const char	*server;	/* "" for none */
	const char	*database;	/* not empty */
	const char	*schema;	/* for one-part names; "" allowed */
};

struct rewrite_error {
	size_t		 line, column;	/* 1-based, in characters */
	const char	*what;
};

enum {
	REWRITE_OK = 0,
	REWRITE_ESYNTAX,		/* error filled in */
	REWRITE_ENOMEM,
	REWRITE_ETOOBIG			/* input over TSQL_MAX_INPUT */
};

/* rewrite_sql: IN[0..LEN) rewritten into a new buffer *OUT of *OUTLEN
 * bytes (NUL-terminated for convenience; free it) */
int	rewrite_sql(const struct rewrite_target *, const char *, size_t,
	    char **, size_t *, struct rewrite_error *);

#endif
