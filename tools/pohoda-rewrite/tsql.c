/*
 * tsql.c: T-SQL's lexical rules: -- and nested block comments, 'string'
 * and N'string' literals with doubled quotes, [identifiers] with ]]
 * and "identifiers" with "", numbers, @variables and #temp names.
 */
#include <stdlib.h>
#include <string.h>

#include "tsql.h"

struct keyword {
	const char	*name;
	unsigned char	 kw;
	unsigned char	 flags;
};

/* SQL Server's reserved words, the table hints that may stand without
 * WITH, and the few other words the rewriter looks at; sorted (C
 * locale) for bsearch */
static const struct keyword keywords[] = {
	{ "ABSOLUTE", KW_ABSOLUTE, 0 },
	{ "ADD", KW_OTHER, KWF_RESERVED },
	{ "ALL", KW_OTHER, KWF_RESERVED },
	{ "ALTER", KW_OTHER, KWF_RESERVED },
	{ "AND", KW_OTHER, KWF_RESERVED },
	{ "ANY", KW_OTHER, KWF_RESERVED },
	{ "APPLY", KW_APPLY, 0 },
	{ "AS", KW_AS, KWF_RESERVED },
	{ "ASC", KW_OTHER, KWF_RESERVED },
	{ "AUTHORIZATION", KW_OTHER, KWF_RESERVED },
	{ "BACKUP", KW_OTHER, KWF_RESERVED },
	{ "BEGIN", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "BETWEEN", KW_OTHER, KWF_RESERVED },
	{ "BREAK", KW_OTHER, KWF_RESERVED },
	{ "BROWSE", KW_OTHER, KWF_RESERVED },
	{ "BULK", KW_OTHER, KWF_RESERVED },
	{ "BY", KW_OTHER, KWF_RESERVED },
	{ "CASCADE", KW_OTHER, KWF_RESERVED },
	{ "CASE", KW_OTHER, KWF_RESERVED },
	{ "CHECK", KW_OTHER, KWF_RESERVED },
	{ "CHECKPOINT", KW_OTHER, KWF_RESERVED },
	{ "CLOSE", KW_OTHER, KWF_RESERVED },
	{ "CLUSTERED", KW_OTHER, KWF_RESERVED },
	{ "COALESCE", KW_OTHER, KWF_RESERVED },
	{ "COLLATE", KW_OTHER, KWF_RESERVED },
	{ "COLUMN", KW_OTHER, KWF_RESERVED },
	{ "COMMIT", KW_OTHER, KWF_RESERVED },
	{ "COMPUTE", KW_OTHER, KWF_RESERVED },
	{ "CONSTRAINT", KW_OTHER, KWF_RESERVED },
	{ "CONTAINS", KW_OTHER, KWF_RESERVED },
	{ "CONTAINSTABLE", KW_OTHER, KWF_RESERVED },
	{ "CONTINUE", KW_OTHER, KWF_RESERVED },
	{ "CONVERT", KW_OTHER, KWF_RESERVED },
	{ "CREATE", KW_OTHER, KWF_RESERVED },
	{ "CROSS", KW_CROSS, KWF_RESERVED },
	{ "CURRENT", KW_OTHER, KWF_RESERVED },
	{ "CURRENT_DATE", KW_OTHER, KWF_RESERVED },
	{ "CURRENT_TIME", KW_OTHER, KWF_RESERVED },
	{ "CURRENT_TIMESTAMP", KW_OTHER, KWF_RESERVED },
	{ "CURRENT_USER", KW_OTHER, KWF_RESERVED },
	{ "CURSOR", KW_OTHER, KWF_RESERVED },
	{ "DATABASE", KW_OTHER, KWF_RESERVED },
	{ "DBCC", KW_OTHER, KWF_RESERVED },
	{ "DEALLOCATE", KW_OTHER, KWF_RESERVED },
	{ "DECLARE", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "DEFAULT", KW_OTHER, KWF_RESERVED },
	{ "DELETE", KW_DELETE, KWF_RESERVED|KWF_ENDS_FROM },
	{ "DENY", KW_OTHER, KWF_RESERVED },
	{ "DESC", KW_OTHER, KWF_RESERVED },
	{ "DISK", KW_OTHER, KWF_RESERVED },
	{ "DISTINCT", KW_DISTINCT, KWF_RESERVED },
	{ "DISTRIBUTED", KW_OTHER, KWF_RESERVED },
	{ "DOUBLE", KW_OTHER, KWF_RESERVED },
	{ "DROP", KW_OTHER, KWF_RESERVED },
	{ "DUMP", KW_OTHER, KWF_RESERVED },
	{ "ELSE", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "END", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "ERRLVL", KW_OTHER, KWF_RESERVED },
	{ "ESCAPE", KW_OTHER, KWF_RESERVED },
	{ "EXCEPT", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "EXEC", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "EXECUTE", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "EXISTS", KW_OTHER, KWF_RESERVED },
	{ "EXIT", KW_OTHER, KWF_RESERVED },
	{ "EXTERNAL", KW_OTHER, KWF_RESERVED },
	{ "FETCH", KW_FETCH, KWF_RESERVED },
	{ "FILE", KW_OTHER, KWF_RESERVED },
	{ "FILLFACTOR", KW_OTHER, KWF_RESERVED },
	{ "FIRST", KW_FIRST, 0 },
	{ "FOR", KW_FOR, KWF_RESERVED|KWF_ENDS_FROM },
	{ "FOREIGN", KW_OTHER, KWF_RESERVED },
	{ "FREETEXT", KW_OTHER, KWF_RESERVED },
	{ "FREETEXTTABLE", KW_OTHER, KWF_RESERVED },
	{ "FROM", KW_FROM, KWF_RESERVED },
	{ "FULL", KW_OTHER, KWF_RESERVED },
	{ "FUNCTION", KW_OTHER, KWF_RESERVED },
	{ "GOTO", KW_OTHER, KWF_RESERVED },
	{ "GRANT", KW_OTHER, KWF_RESERVED },
	{ "GROUP", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "HAVING", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "HOLDLOCK", KW_OTHER, KWF_RESERVED|KWF_HINT },
	{ "IDENTITY", KW_OTHER, KWF_RESERVED },
	{ "IDENTITYCOL", KW_OTHER, KWF_RESERVED },
	{ "IDENTITY_INSERT", KW_OTHER, KWF_RESERVED },
	{ "IF", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "IN", KW_OTHER, KWF_RESERVED },
	{ "INDEX", KW_OTHER, KWF_RESERVED },
	{ "INNER", KW_OTHER, KWF_RESERVED },
	{ "INSERT", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "INTERSECT", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "INTO", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "IS", KW_OTHER, KWF_RESERVED },
	{ "JOIN", KW_JOIN, KWF_RESERVED },
	{ "KEY", KW_OTHER, KWF_RESERVED },
	{ "KILL", KW_OTHER, KWF_RESERVED },
	{ "LAST", KW_LAST, 0 },
	{ "LEFT", KW_OTHER, KWF_RESERVED },
	{ "LIKE", KW_OTHER, KWF_RESERVED },
	{ "LINENO", KW_OTHER, KWF_RESERVED },
	{ "LOAD", KW_OTHER, KWF_RESERVED },
	{ "MERGE", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "NATIONAL", KW_OTHER, KWF_RESERVED },
	{ "NEXT", KW_NEXT, 0 },
	{ "NOCHECK", KW_OTHER, KWF_RESERVED },
	{ "NOEXPAND", KW_OTHER, KWF_HINT },
	{ "NOLOCK", KW_OTHER, KWF_HINT },
	{ "NONCLUSTERED", KW_OTHER, KWF_RESERVED },
	{ "NOT", KW_OTHER, KWF_RESERVED },
	{ "NOWAIT", KW_OTHER, KWF_HINT },
	{ "NULL", KW_OTHER, KWF_RESERVED },
	{ "NULLIF", KW_OTHER, KWF_RESERVED },
	{ "OF", KW_OTHER, KWF_RESERVED },
	{ "OFF", KW_OTHER, KWF_RESERVED },
	{ "OFFSETS", KW_OTHER, KWF_RESERVED },
	{ "ON", KW_OTHER, KWF_RESERVED },
	{ "OPEN", KW_OTHER, KWF_RESERVED },
	{ "OPENDATASOURCE", KW_OTHER, KWF_RESERVED },
	{ "OPENQUERY", KW_OTHER, KWF_RESERVED },
	{ "OPENROWSET", KW_OTHER, KWF_RESERVED },
	{ "OPENXML", KW_OTHER, KWF_RESERVED },
	{ "OPTION", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "OR", KW_OTHER, KWF_RESERVED },
	{ "ORDER", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "OUTER", KW_OUTER, KWF_RESERVED },
	{ "OVER", KW_OTHER, KWF_RESERVED },
	{ "PAGLOCK", KW_OTHER, KWF_HINT },
	{ "PERCENT", KW_PERCENT, KWF_RESERVED },
	{ "PIVOT", KW_OTHER, KWF_RESERVED },
	{ "PLAN", KW_OTHER, KWF_RESERVED },
	{ "PRIMARY", KW_OTHER, KWF_RESERVED },
	{ "PRINT", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "PRIOR", KW_PRIOR, 0 },
	{ "PROC", KW_OTHER, KWF_RESERVED },
	{ "PROCEDURE", KW_OTHER, KWF_RESERVED },
	{ "PUBLIC", KW_OTHER, KWF_RESERVED },
	{ "RAISERROR", KW_OTHER, KWF_RESERVED },
	{ "READ", KW_OTHER, KWF_RESERVED },
	{ "READCOMMITTED", KW_OTHER, KWF_HINT },
	{ "READPAST", KW_OTHER, KWF_HINT },
	{ "READTEXT", KW_OTHER, KWF_RESERVED },
	{ "READUNCOMMITTED", KW_OTHER, KWF_HINT },
	{ "RECONFIGURE", KW_OTHER, KWF_RESERVED },
	{ "REFERENCES", KW_OTHER, KWF_RESERVED },
	{ "RELATIVE", KW_RELATIVE, 0 },
	{ "REPEATABLEREAD", KW_OTHER, KWF_HINT },
	{ "REPLICATION", KW_OTHER, KWF_RESERVED },
	{ "RESTORE", KW_OTHER, KWF_RESERVED },
	{ "RESTRICT", KW_OTHER, KWF_RESERVED },
	{ "RETURN", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "REVERT", KW_OTHER, KWF_RESERVED },
	{ "REVOKE", KW_OTHER, KWF_RESERVED },
	{ "RIGHT", KW_OTHER, KWF_RESERVED },
	{ "ROLLBACK", KW_OTHER, KWF_RESERVED },
	{ "ROWCOUNT", KW_OTHER, KWF_RESERVED },
	{ "ROWGUIDCOL", KW_OTHER, KWF_RESERVED },
	{ "ROWLOCK", KW_OTHER, KWF_HINT },
	{ "RULE", KW_OTHER, KWF_RESERVED },
	{ "SAVE", KW_OTHER, KWF_RESERVED },
	{ "SCHEMA", KW_OTHER, KWF_RESERVED },
	{ "SECURITYAUDIT", KW_OTHER, KWF_RESERVED },
	{ "SELECT", KW_SELECT, KWF_RESERVED|KWF_ENDS_FROM },
	{ "SEMANTICKEYPHRASETABLE", KW_OTHER, KWF_RESERVED },
	{ "SEMANTICSIMILARITYDETAILSTABLE", KW_OTHER, KWF_RESERVED },
	{ "SEMANTICSIMILARITYTABLE", KW_OTHER, KWF_RESERVED },
	{ "SERIALIZABLE", KW_OTHER, KWF_HINT },
	{ "SESSION_USER", KW_OTHER, KWF_RESERVED },
	{ "SET", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "SETUSER", KW_OTHER, KWF_RESERVED },
	{ "SHUTDOWN", KW_OTHER, KWF_RESERVED },
	{ "SNAPSHOT", KW_OTHER, KWF_HINT },
	{ "SOME", KW_OTHER, KWF_RESERVED },
	{ "STATISTICS", KW_OTHER, KWF_RESERVED },
	{ "SYSTEM_TIME", KW_SYSTEM_TIME, 0 },
	{ "SYSTEM_USER", KW_OTHER, KWF_RESERVED },
	{ "TABLE", KW_OTHER, KWF_RESERVED },
	{ "TABLESAMPLE", KW_OTHER, KWF_RESERVED },
	{ "TABLOCK", KW_OTHER, KWF_HINT },
	{ "TABLOCKX", KW_OTHER, KWF_HINT },
	{ "TEXTSIZE", KW_OTHER, KWF_RESERVED },
	{ "THEN", KW_OTHER, KWF_RESERVED },
	{ "TO", KW_OTHER, KWF_RESERVED },
	{ "TOP", KW_TOP, KWF_RESERVED },
	{ "TRAN", KW_OTHER, KWF_RESERVED },
	{ "TRANSACTION", KW_OTHER, KWF_RESERVED },
	{ "TRIGGER", KW_OTHER, KWF_RESERVED },
	{ "TRUNCATE", KW_OTHER, KWF_RESERVED },
	{ "TRY_CONVERT", KW_OTHER, KWF_RESERVED },
	{ "TSEQUAL", KW_OTHER, KWF_RESERVED },
	{ "UNION", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "UNIQUE", KW_OTHER, KWF_RESERVED },
	{ "UNPIVOT", KW_OTHER, KWF_RESERVED },
	{ "UPDATE", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "UPDATETEXT", KW_OTHER, KWF_RESERVED },
	{ "UPDLOCK", KW_OTHER, KWF_HINT },
	{ "USE", KW_OTHER, KWF_RESERVED },
	{ "USER", KW_OTHER, KWF_RESERVED },
	{ "VALUES", KW_VALUES, KWF_RESERVED },
	{ "VARYING", KW_OTHER, KWF_RESERVED },
	{ "VIEW", KW_OTHER, KWF_RESERVED },
	{ "WAITFOR", KW_OTHER, KWF_RESERVED },
	{ "WHEN", KW_OTHER, KWF_RESERVED },
	{ "WHERE", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "WHILE", KW_OTHER, KWF_RESERVED|KWF_ENDS_FROM },
	{ "WITH", KW_WITH, KWF_RESERVED },
	{ "WITHIN", KW_OTHER, KWF_RESERVED },
	{ "WRITETEXT", KW_OTHER, KWF_RESERVED },
	{ "XLOCK", KW_OTHER, KWF_HINT },
};

struct lexer {
	const char	*s;
	size_t		 len;
	size_t		 p;
	struct tsql_token *tok;
	size_t		 ntok, cap;
};

static int
ascii_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(int c)
{
	c = ascii_upper(c);
	return is_digit(c) || (c >= 'A' && c <= 'F');
}

/* any byte above ASCII counts as a letter: identifiers may hold any
 * Unicode letter, and UTF-8 never uses ASCII bytes inside a character */
static int
is_word_start(int c)
{
	c = (unsigned char)c;
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    c == '_' || c >= 0x80;
}

static int
is_word_char(int c)
{
	return is_word_start(c) || is_digit(c) || c == '@' || c == '#' ||
	    c == '$';
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

struct word {
	const char	*s;
	size_t		 len;
};

static int
keyword_cmp(const void *key, const void *elem)
{
	const struct word	*w = key;
	const struct keyword	*k = elem;
	size_t			 i, n = strlen(k->name);
	int			 d;

	for (i = 0; i < w->len && i < n; i++) {
		d = ascii_upper((unsigned char)w->s[i]) -
		    (unsigned char)k->name[i];
		if (d != 0)
			return d;
	}
	return w->len < n ? -1 : w->len > n;
}

static void
keyword_find(const char *s, struct tsql_token *t)
{
	const struct keyword	*k;
	struct word		 w;

	w.s = s;
	w.len = t->len;
	k = bsearch(&w, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), keyword_cmp);
	if (k != NULL) {
		t->kw = k->kw;
		t->kwflags = k->flags;
	}
}

static int
lexer_push(struct lexer *lx, size_t start, int kind)
{
	struct tsql_token	*t;
	size_t			 cap;

	if (lx->ntok == lx->cap) {
		cap = lx->cap ? lx->cap * 2 : 256;
		t = realloc(lx->tok, cap * sizeof(*t));
		if (t == NULL)
			return -1;
		lx->tok = t;
		lx->cap = cap;
	}
	t = &lx->tok[lx->ntok++];
	t->off = (uint32_t)start;
	t->len = (uint32_t)(lx->p - start);
	t->kind = (unsigned char)kind;
	t->kw = KW_NONE;
	t->kwflags = 0;
	if (kind == TSQL_WORD)
		keyword_find(lx->s + start, t);
	return 0;
}

/* skip_quoted: past the closing Q of a literal or quoted identifier,
 * where QQ stands for one Q; -1 when the input ends first */
static int
skip_quoted(struct lexer *lx, char q)
{
	while (lx->p < lx->len) {
		if (lx->s[lx->p++] != q)
			continue;
		if (lx->p < lx->len && lx->s[lx->p] == q) {
			lx->p++;
			continue;
		}
		return 0;
	}
	return -1;
}

/* skip_comment: past a block comment; they nest in T-SQL */
static int
skip_comment(struct lexer *lx)
{
	const char	*s = lx->s;
	size_t		 depth = 1;

	lx->p += 2;
	while (lx->p + 1 < lx->len) {
		if (s[lx->p] == '/' && s[lx->p + 1] == '*') {
			depth++;
			lx->p += 2;
		} else if (s[lx->p] == '*' && s[lx->p + 1] == '/') {
			lx->p += 2;
			if (--depth == 0)
				return 0;
		} else
			lx->p++;
	}
	return -1;
}

static void
skip_line(struct lexer *lx)
{
	const char	*nl;

	nl = memchr(lx->s + lx->p, '\n', lx->len - lx->p);
	lx->p = nl != NULL ? (size_t)(nl - lx->s) : lx->len;
}

static void
skip_digits(struct lexer *lx)
{
	while (lx->p < lx->len && is_digit(lx->s[lx->p]))
		lx->p++;
}

/* skip_number: 12, 1.5, .5, 1e-3, 0x1F; what follows (1FROM) is a token
 * of its own, as SQL Server reads it */
static void
skip_number(struct lexer *lx)
{
	const char	*s = lx->s;
	size_t		 q;

	if (s[lx->p] == '0' && lx->p + 1 < lx->len &&
	    ascii_upper(s[lx->p + 1]) == 'X') {
		lx->p += 2;
		while (lx->p < lx->len && is_hex(s[lx->p]))
			lx->p++;
		return;
	}
	skip_digits(lx);
	if (lx->p < lx->len && s[lx->p] == '.') {
		lx->p++;
		skip_digits(lx);
	}
	if (lx->p < lx->len && ascii_upper(s[lx->p]) == 'E') {
		q = lx->p + 1;
		if (q < lx->len && (s[q] == '+' || s[q] == '-'))
			q++;
		if (q < lx->len && is_digit(s[q])) {
			lx->p = q;
			skip_digits(lx);
		}
	}
}

static void
skip_word(struct lexer *lx)
{
	lx->p++;
	while (lx->p < lx->len && is_word_char(lx->s[lx->p]))
		lx->p++;
}

/* lexer_token: one token (or whitespace or a comment: kind 0) at p;
 * NULL, or what is unterminated */
static const char *
lexer_token(struct lexer *lx, int *kind)
{
	const char	*s = lx->s;
	int		 c, next;

	c = (unsigned char)s[lx->p];
	next = lx->p + 1 < lx->len ? (unsigned char)s[lx->p + 1] : 0;
	*kind = 0;
	if (is_space(c)) {
		lx->p++;
	} else if (c == '-' && next == '-') {
		skip_line(lx);
	} else if (c == '/' && next == '*') {
		if (skip_comment(lx) == -1)
			return "unterminated comment";
	} else if (c == '\'' || ((c == 'N' || c == 'n') && next == '\'')) {
		lx->p += c == '\'' ? 1 : 2;
		*kind = TSQL_STRING;
		if (skip_quoted(lx, '\'') == -1)
			return "unterminated string literal";
	} else if (c == '[') {
		lx->p++;
		*kind = TSQL_QUOTED;
		if (skip_quoted(lx, ']') == -1)
			return "unterminated bracketed identifier";
	} else if (c == '"') {
		lx->p++;
		*kind = TSQL_QUOTED;
		if (skip_quoted(lx, '"') == -1)
			return "unterminated quoted identifier";
	} else if (is_digit(c) || (c == '.' && is_digit(next))) {
		skip_number(lx);
		*kind = TSQL_NUMBER;
	} else if (c == '@' || c == '#' || is_word_start(c)) {
		skip_word(lx);
		*kind = c == '@' ? TSQL_VARIABLE : c == '#' ? TSQL_TEMP :
		    TSQL_WORD;
	} else {
		lx->p++;
		*kind = TSQL_PUNCT;
	}
	return NULL;
}

int
tsql_tokenize(const char *s, size_t len, struct tsql_token **tokp,
    size_t *ntokp, struct tsql_error *e)
{
	struct lexer		 lx;
	struct tsql_token	*t;
	const char		*what;
	size_t			 start;
	int			 kind;

	if (len > TSQL_MAX_INPUT)
		return TSQL_ETOOBIG;
	memset(&lx, 0, sizeof(lx));
	lx.s = s;
	lx.len = len;
	/* a byte order mark is not part of the first word */
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		lx.p = 3;
	while (lx.p < len) {
		start = lx.p;
		if ((what = lexer_token(&lx, &kind)) != NULL) {
			free(lx.tok);
			e->off = start;
			e->what = what;
			return TSQL_ESYNTAX;
		}
		if (kind != 0 && lexer_push(&lx, start, kind) == -1) {
			free(lx.tok);
			return TSQL_ENOMEM;
		}
	}
	/* an exact fit lets a sanitizer catch a read past the last token */
	if (lx.ntok == 0) {
		free(lx.tok);
		lx.tok = NULL;
	} else if ((t = realloc(lx.tok, lx.ntok * sizeof(*t))) != NULL)
		lx.tok = t;
	*tokp = lx.tok;
	*ntokp = lx.ntok;
	return TSQL_OK;
}

void
tsql_position(const char *s, size_t off, size_t *line, size_t *col)
{
	size_t	i;

	*line = 1;
	*col = 1;
	i = off >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	for (; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

struct ident_iter {
	const char	*p, *end;
	char		 close;
};

static void
ident_start(struct ident_iter *it, const char *s, const struct tsql_token *t)
{
	it->p = s + t->off;
	it->end = it->p + t->len;
	it->close = 0;
	if (t->kind == TSQL_QUOTED) {
		it->close = *it->p == '[' ? ']' : '"';
		it->p++;
		it->end--;
	}
}

/* ident_next: the next character of the name, quotes undone; -1 at
 * the end */
static int
ident_next(struct ident_iter *it)
{
	int	c;

	if (it->p >= it->end)
		return -1;
	c = (unsigned char)*it->p++;
	if (it->close != 0 && c == it->close)
		it->p++;
	return ascii_upper(c);
}

int
tsql_ident_eq(const char *s, const struct tsql_token *a,
    const struct tsql_token *b)
{
	struct ident_iter	ia, ib;
	int			ca, cb;

	ident_start(&ia, s, a);
	ident_start(&ib, s, b);
	do {
		ca = ident_next(&ia);
		cb = ident_next(&ib);
		if (ca != cb)
			return 0;
	} while (ca != -1);
	return 1;
}

uint32_t
tsql_ident_hash(const char *s, const struct tsql_token *t)
{
	struct ident_iter	it;
	uint32_t		h = 2166136261u;
	int			c;

	/* FNV-1a over what tsql_ident_eq compares */
	ident_start(&it, s, t);
	while ((c = ident_next(&it)) != -1)
		h = (h ^ (uint32_t)c) * 16777619u;
	return h;
}

int
tsql_regular_ident(const char *name)
{
	struct tsql_token	t;
	size_t			i;

	if (name[0] == '\0' || !is_word_start(name[0]) ||
	    (unsigned char)name[0] >= 0x80)
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (!is_word_char(name[i]) || (unsigned char)name[i] >= 0x80)
			return 0;
	memset(&t, 0, sizeof(t));
	t.len = (uint32_t)i;
	keyword_find(name, &t);
	return !(t.kwflags & KWF_RESERVED);
}
