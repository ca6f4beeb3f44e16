/*
 * tsql.h: a tokenizer that knows T-SQL's lexical rules well enough to
 * tell code from comments, literals and quoted identifiers.
 *
 * Only significant tokens are returned: whitespace and comments are
 * skipped, since the rewriter only ever inserts text between tokens and
 * copies every input byte through unchanged.
 */
#ifndef POHODA_TSQL_H
#define POHODA_TSQL_H

#include <stddef.h>
#include <stdint.h>

/* the largest input a token offset can address */
#define TSQL_MAX_INPUT	(16u * 1024 * 1024)

enum tsql_kind {
	TSQL_WORD = 1,		/* keyword or regular identifier */
	TSQL_QUOTED,		/* [identifier] or "identifier" */
	TSQL_STRING,		/* 'literal' or N'literal' */
	TSQL_NUMBER,
	TSQL_VARIABLE,		/* @name, @@name */
	TSQL_TEMP,		/* #name, ##name */
	TSQL_PUNCT		/* any other single byte */
};

/* the keywords the rewriter acts on; every other word is KW_NONE */
enum tsql_kw {
	KW_NONE = 0,
	KW_OTHER,		/* a reserved word without a role here */
	KW_ABSOLUTE, KW_APPLY, KW_AS, KW_CROSS, KW_DELETE, KW_DISTINCT,
	KW_FETCH, KW_FIRST, KW_FOR, KW_FROM, KW_JOIN, KW_LAST, KW_NEXT,
	KW_OUTER, KW_PERCENT, KW_PRIOR, KW_RELATIVE, KW_SELECT,
	KW_SYSTEM_TIME, KW_TOP, KW_VALUES, KW_WITH
};

/* keyword properties */
#define KWF_RESERVED	0x01	/* not a bare table name or alias */
#define KWF_HINT	0x02	/* a table hint allowed without WITH */
#define KWF_ENDS_FROM	0x04	/* ends a FROM clause's table list */

struct tsql_token {
	uint32_t	off;
	uint32_t	len;
	unsigned char	kind;		/* enum tsql_kind */
	unsigned char	kw;		/* enum tsql_kw */
	unsigned char	kwflags;	/* KWF_* */
};

struct tsql_error {
	size_t		 off;	/* where the bad construct began */
	const char	*what;
};

enum {
	TSQL_OK = 0,
	TSQL_ESYNTAX,			/* error filled in */
	TSQL_ENOMEM,
	TSQL_ETOOBIG			/* longer than TSQL_MAX_INPUT */
};

/* tsql_tokenize: the significant tokens of SRC[0..LEN) into a new array
 * (free it) */
int	tsql_tokenize(const char *, size_t, struct tsql_token **, size_t *,
	    struct tsql_error *);
/* tsql_position: 1-based line and column (in UTF-8 characters) of an
 * offset */
void	tsql_position(const char *, size_t, size_t *, size_t *);
/* tsql_ident_eq: two identifier tokens name the same thing (quotes
 * removed, ASCII letters compared without case) */
int	tsql_ident_eq(const char *, const struct tsql_token *,
	    const struct tsql_token *);
/* tsql_ident_hash: a hash that agrees with tsql_ident_eq */
uint32_t tsql_ident_hash(const char *, const struct tsql_token *);
/* tsql_regular_ident: NAME can stand bare (no quotes needed) */
int	tsql_regular_ident(const char *);

#endif
