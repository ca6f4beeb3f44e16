/*
 * rewrite.c: find the table references of a T-SQL text and qualify
 * them: FROM FA becomes FROM [SERVER].[DATABASE].dbo.FA.
 *
 * A table reference is what follows FROM, JOIN, APPLY or a comma of a
 * FROM list.  The walk keeps a stack of parenthesis levels, so that a
 * subquery's own FROM is found at any depth while FROM inside a function
 * call such as TRIM(' ' FROM x) is not taken for a table list.  The
 * output is the input with text inserted before names (and WITH before
 * legacy hints); no input byte is changed or dropped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "tsql.h"

struct level {
	unsigned char	call;		/* a function call's parens */
	unsigned char	selected;	/* SELECT seen at this level */
	unsigned char	in_from;	/* inside a FROM clause's list */
	unsigned char	cte;		/* a CTE's body */
};

/* what an edit inserts: " WITH" before a legacy hint list, or the
 * prefix that a name of one, two or three parts needs */
enum {
	EDIT_WITH = 0,
	EDIT_PRE1, EDIT_PRE2, EDIT_PRE3
};

struct edit {
	uint32_t	 off;
	unsigned char	 what;
};

struct rewriter {
	const char		*s;
	const struct tsql_token	*tok;
	size_t			 ntok;
	struct level		*lv;		/* lv[depth]: current */
	size_t			 depth, lvcap;
	size_t			*cte;	/* CTE names in scope */
	size_t			 ncte, ctecap;
	struct edit		*ed;
	size_t			 ned, edcap;
	size_t			 cte_paren;	/* next CTE body's ( */
	size_t			 not_table;	/* DELETE/FETCH FROM */
	size_t			 delete_depth;	/* DELETE's level */
	const char		*text[4];	/* what each edit inserts */
	int			 nomem;
};

/* grow: P with room for element N, or NULL (P still valid) */
static void *
grow(void *p, size_t n, size_t *cap, size_t size)
{
	size_t	c;

	if (n < *cap)
		return p;
	c = *cap ? *cap * 2 : 64;
	if (c > SIZE_MAX / size || (p = realloc(p, c * size)) == NULL)
		return NULL;
	*cap = c;
	return p;
}

static int
tok_is(const struct rewriter *rw, size_t i, char c)
{
	return i < rw->ntok && rw->tok[i].kind == TSQL_PUNCT &&
	    rw->s[rw->tok[i].off] == c;
}

static int
tok_kw(const struct rewriter *rw, size_t i)
{
	return i < rw->ntok ? rw->tok[i].kw : KW_NONE;
}

/* tok_ident: a name that can be a table, alias or CTE */
static int
tok_ident(const struct rewriter *rw, size_t i)
{
	if (i >= rw->ntok)
		return 0;
	return rw->tok[i].kind == TSQL_QUOTED ||
	    (rw->tok[i].kind == TSQL_WORD &&
	    !(rw->tok[i].kwflags & KWF_RESERVED));
}

static struct level *
level_top(struct rewriter *rw)
{
	return &rw->lv[rw->depth];
}

static void
level_push(struct rewriter *rw, int call, int in_from)
{
	struct level	*lv;

	lv = grow(rw->lv, rw->depth + 1, &rw->lvcap, sizeof(*lv));
	if (lv == NULL) {
		rw->nomem = 1;
		return;
	}
	rw->lv = lv;
	lv = &rw->lv[++rw->depth];
	memset(lv, 0, sizeof(*lv));
	lv->call = (unsigned char)call;
	lv->in_from = (unsigned char)in_from;
}

static void
edit_add(struct rewriter *rw, size_t off, int what)
{
	struct edit	*ed;

	if ((ed = grow(rw->ed, rw->ned, &rw->edcap, sizeof(*ed))) == NULL) {
		rw->nomem = 1;
		return;
	}
	rw->ed = ed;
	rw->ed[rw->ned].off = (uint32_t)off;
	rw->ed[rw->ned].what = (unsigned char)what;
	rw->ned++;
}

/* cte_insert: put name token I into the open-addressing table, whose
 * slots hold a token index + 1 (0: empty) */
static void
cte_insert(struct rewriter *rw, size_t i)
{
	size_t	mask = rw->ctecap - 1, h;

	h = tsql_ident_hash(rw->s, &rw->tok[i]) & mask;
	while (rw->cte[h] != 0)
		h = (h + 1) & mask;
	rw->cte[h] = i + 1;
}

/* cte_add: a CTE name comes into scope; a hash table keeps a statement
 * with many CTEs and many tables from taking quadratic time */
static void
cte_add(struct rewriter *rw, size_t i)
{
	size_t	*old = rw->cte, oldcap = rw->ctecap, n;

	if ((rw->ncte + 1) * 2 > rw->ctecap) {
		rw->ctecap = oldcap ? oldcap * 2 : 16;
		if (rw->ctecap > SIZE_MAX / sizeof(*rw->cte) ||
		    (rw->cte = calloc(rw->ctecap, sizeof(*rw->cte))) == NULL) {
			rw->cte = old;
			rw->ctecap = oldcap;
			rw->nomem = 1;
			return;
		}
		for (n = 0; n < oldcap; n++)
			if (old[n] != 0)
				cte_insert(rw, old[n] - 1);
		free(old);
	}
	cte_insert(rw, i);
	rw->ncte++;
}

static int
cte_find(const struct rewriter *rw, size_t i)
{
	size_t	mask = rw->ctecap - 1, h;

	if (rw->ncte == 0)
		return 0;
	h = tsql_ident_hash(rw->s, &rw->tok[i]) & mask;
	for (; rw->cte[h] != 0; h = (h + 1) & mask)
		if (tsql_ident_eq(rw->s, &rw->tok[rw->cte[h] - 1],
		    &rw->tok[i]))
			return 1;
	return 0;
}

/* cte_clear: a statement ends and its CTE names with it */
static void
cte_clear(struct rewriter *rw)
{
	free(rw->cte);
	rw->cte = NULL;
	rw->ncte = rw->ctecap = 0;
}

/* cte_header: NAME [(COLUMNS)] AS ( at I registers NAME and returns the
 * index of the body's "(", else 0 */
static size_t
cte_header(struct rewriter *rw, size_t i)
{
	size_t	k;

	if (!tok_ident(rw, i))
		return 0;
	k = i + 1;
	if (tok_is(rw, k, '(')) {
		for (k++; tok_ident(rw, k) || tok_is(rw, k, ','); k++)
			continue;
		if (!tok_is(rw, k, ')'))
			return 0;
		k++;
	}
	if (tok_kw(rw, k) != KW_AS || !tok_is(rw, k + 1, '('))
		return 0;
	cte_add(rw, i);
	rw->cte_paren = k + 1;
	return k + 1;
}

/* hint_paren: I opens a list of table hints that SQL Server accepts
 * without WITH, such as (NOLOCK) */
static int
hint_paren(const struct rewriter *rw, size_t i)
{
	size_t	k, hints = 0;

	if (!tok_is(rw, i, '('))
		return 0;
	for (k = i + 1; k < rw->ntok; k++) {
		if (tok_is(rw, k, ')'))
			return hints > 0;
		if (rw->tok[k].kind == TSQL_WORD &&
		    (rw->tok[k].kwflags & KWF_HINT))
			hints++;
		else if (!tok_is(rw, k, ','))
			return 0;
	}
	return 0;
}

/* name_parts: how many parts the dotted name at I has (a..b has three);
 * 0 when it ends in a dot or holds a #temp or @variable part */
static size_t
name_parts(const struct rewriter *rw, size_t i, size_t *end)
{
	size_t	k = i + 1, n = 1;

	while (tok_is(rw, k, '.')) {
		k++;
		n++;
		if (tok_is(rw, k, '.'))
			continue;
		if (k < rw->ntok && (rw->tok[k].kind == TSQL_WORD ||
		    rw->tok[k].kind == TSQL_QUOTED)) {
			k++;
			continue;
		}
		*end = k;
		return 0;
	}
	*end = k;
	return n;
}

/* legacy_hint: the "(" of a hint list written without WITH after the
 * table name ending before END (FA (NOLOCK), FA h (NOLOCK)), or 0 */
static size_t
legacy_hint(const struct rewriter *rw, size_t end)
{
	size_t	k = end;

	if (tok_kw(rw, k) == KW_AS) {
		if (!tok_ident(rw, k + 1))
			return 0;
		k += 2;
	} else if (tok_ident(rw, k))
		k++;
	return hint_paren(rw, k) ? k : 0;
}

/* table_name: qualify the name at I; returns the index after it */
static size_t
table_name(struct rewriter *rw, size_t i)
{
	const struct tsql_token	*t;
	size_t			 parts, end, hint;

	parts = name_parts(rw, i, &end);
	if (parts == 0 || parts > 3 || rw->text[parts] == NULL)
		return end;
	if (parts == 1 && cte_find(rw, i))
		return end;
	/* a table-valued function: SQL Server cannot call one through a
	 * linked server by a four-part name, so it stays as written */
	if (tok_is(rw, end, '(') && !hint_paren(rw, end))
		return end;
	hint = legacy_hint(rw, end);
	edit_add(rw, rw->tok[i].off, parts);
	if (hint != 0) {
		t = &rw->tok[hint - 1];
		edit_add(rw, (size_t)t->off + t->len, EDIT_WITH);
	}
	return end;
}

/* table_source: what follows FROM, JOIN, APPLY or a list's comma at I;
 * returns where the walk goes on */
static size_t
table_source(struct rewriter *rw, size_t i)
{
	const struct tsql_token	*t;
	size_t			 k;
	int			 kw;

	if (i >= rw->ntok)
		return i;
	if (tok_is(rw, i, '(')) {
		for (k = i; tok_is(rw, k, '('); k++)
			continue;
		kw = tok_kw(rw, k);
		/* a derived table: the walk opens it and finds its FROM */
		if (kw == KW_SELECT || kw == KW_WITH || kw == KW_VALUES)
			return i;
		/* parenthesised joins: each level is a table list */
		for (; i < k; i++)
			level_push(rw, 0, 1);
		if (i >= rw->ntok)
			return i;
	}
	t = &rw->tok[i];
	if (t->kind == TSQL_QUOTED ||
	    (t->kind == TSQL_WORD && !(t->kwflags & KWF_RESERVED)))
		return table_name(rw, i);
	return i;
}

/* from_is_table: the FROM at I starts a table list */
static int
from_is_table(struct rewriter *rw, size_t i)
{
	const struct level	*lv = level_top(rw);

	if (i == rw->not_table)
		return 0;
	/* IS [NOT] DISTINCT FROM */
	if (i > 0 && rw->tok[i - 1].kw == KW_DISTINCT)
		return 0;
	/* TRIM(' ' FROM x), SUBSTRING(x FROM 2), EXTRACT(YEAR FROM d) */
	if (lv->call && !lv->selected)
		return 0;
	return 1;
}

/* delete_track: after DELETE, a FROM that follows at the same level
 * with only TOP (n) [PERCENT] between names the target (DELETE FROM t),
 * not a table list; called for every token before it is walked */
static void
delete_track(struct rewriter *rw, size_t i)
{
	const struct tsql_token	*t = &rw->tok[i];

	if (rw->delete_depth == SIZE_MAX || rw->depth > rw->delete_depth)
		return;
	if (rw->depth == rw->delete_depth && (t->kw == KW_TOP ||
	    t->kw == KW_PERCENT || tok_is(rw, i, '(')))
		return;
	if (rw->depth == rw->delete_depth && t->kw == KW_FROM)
		rw->not_table = i;
	rw->delete_depth = SIZE_MAX;
}

/* fetch_cursor: FETCH [NEXT | ... | ABSOLUTE n] FROM cursor */
static void
fetch_cursor(struct rewriter *rw, size_t i)
{
	size_t	k = i + 1;

	switch (tok_kw(rw, k)) {
	case KW_NEXT:
	case KW_PRIOR:
	case KW_FIRST:
	case KW_LAST:
		k++;
		break;
	case KW_ABSOLUTE:
	case KW_RELATIVE:
		k++;
		if (tok_is(rw, k, '-') || tok_is(rw, k, '+'))
			k++;
		k++;
		break;
	}
	if (tok_kw(rw, k) == KW_FROM)
		rw->not_table = k;
}

static size_t
paren_open(struct rewriter *rw, size_t i)
{
	const struct tsql_token	*p;
	int			 call = 0;

	if (i > 0) {
		p = &rw->tok[i - 1];
		call = p->kind == TSQL_QUOTED || (p->kind == TSQL_WORD &&
		    !(p->kwflags & KWF_RESERVED));
	}
	level_push(rw, call, 0);
	if (i == rw->cte_paren && !rw->nomem)
		level_top(rw)->cte = 1;
	return i + 1;
}

static size_t
paren_close(struct rewriter *rw, size_t i)
{
	size_t	body;
	int	cte;

	if (rw->depth == 0)
		return i + 1;
	cte = level_top(rw)->cte;
	rw->depth--;
	/* WITH a AS (...), b AS (...) */
	if (cte && tok_is(rw, i + 1, ',') &&
	    (body = cte_header(rw, i + 2)) != 0)
		return body;
	return i + 1;
}

static void
statement_end(struct rewriter *rw)
{
	struct level	*lv = level_top(rw);

	lv->in_from = 0;
	lv->selected = 0;
	if (rw->depth == 0 && rw->ncte > 0)
		cte_clear(rw);
}

static size_t
punct_walk(struct rewriter *rw, size_t i)
{
	switch (rw->s[rw->tok[i].off]) {
	case '(':
		return paren_open(rw, i);
	case ')':
		return paren_close(rw, i);
	case ',':
		if (level_top(rw)->in_from)
			return table_source(rw, i + 1);
		break;
	case ';':
		statement_end(rw);
		break;
	}
	return i + 1;
}

static size_t
word_walk(struct rewriter *rw, size_t i)
{
	const struct tsql_token	*t = &rw->tok[i];
	struct level		*lv = level_top(rw);
	size_t			 body;

	/* FOR SYSTEM_TIME belongs to the table before it */
	if ((t->kwflags & KWF_ENDS_FROM) &&
	    !(t->kw == KW_FOR && tok_kw(rw, i + 1) == KW_SYSTEM_TIME))
		lv->in_from = 0;
	switch (t->kw) {
	case KW_SELECT:
		lv->selected = 1;
		break;
	case KW_FROM:
		if (!from_is_table(rw, i))
			break;
		lv->in_from = 1;
		return table_source(rw, i + 1);
	case KW_APPLY:
		if (i == 0 || (rw->tok[i - 1].kw != KW_CROSS &&
		    rw->tok[i - 1].kw != KW_OUTER))
			break;
		/* FALLTHROUGH */
	case KW_JOIN:
		/* OPTION (HASH JOIN, FORCE ORDER) names no table */
		if (i + 1 >= rw->ntok || (rw->tok[i + 1].kind == TSQL_PUNCT &&
		    !tok_is(rw, i + 1, '(')))
			break;
		lv->in_from = 1;
		return table_source(rw, i + 1);
	case KW_WITH:
		if ((body = cte_header(rw, i + 1)) != 0)
			return body;
		break;
	case KW_DELETE:
		rw->delete_depth = rw->depth;
		break;
	case KW_FETCH:
		fetch_cursor(rw, i);
		break;
	}
	return i + 1;
}

static void
rewrite_walk(struct rewriter *rw)
{
	size_t	i = 0;

	while (i < rw->ntok && !rw->nomem) {
		delete_track(rw, i);
		if (rw->tok[i].kind == TSQL_PUNCT)
			i = punct_walk(rw, i);
		else if (rw->tok[i].kind == TSQL_WORD)
			i = word_walk(rw, i);
		else
			i++;
	}
}

/* output_build: the input with the edits' text inserted */
static int
output_build(const struct rewriter *rw, size_t len, char **outp,
    size_t *outlenp)
{
	const struct edit	*e;
	size_t			 n, total = len, pos = 0, o = 0, tl;
	char			*out;

	for (n = 0; n < rw->ned; n++)
		total += strlen(rw->text[rw->ed[n].what]);
	if ((out = malloc(total + 1)) == NULL)
		return REWRITE_ENOMEM;
	for (n = 0; n < rw->ned; n++) {
		e = &rw->ed[n];
		/* edits come in the order of the walk, which only moves on */
		if (e->off < pos)
			abort();
		memcpy(out + o, rw->s + pos, e->off - pos);
		o += e->off - pos;
		pos = e->off;
		tl = strlen(rw->text[e->what]);
		memcpy(out + o, rw->text[e->what], tl);
		o += tl;
	}
	memcpy(out + o, rw->s + pos, len - pos);
	o += len - pos;
	out[o] = '\0';
	*outp = out;
	*outlenp = o;
	return REWRITE_OK;
}

/* bracket_quote: [NAME] with every ] doubled */
static char *
bracket_quote(const char *name)
{
	size_t	 n, i, o = 0;
	char	*q;

	n = strlen(name);
	if (n > (SIZE_MAX - 3) / 2 || (q = malloc(2 * n + 3)) == NULL)
		return NULL;
	q[o++] = '[';
	for (i = 0; i < n; i++) {
		q[o++] = name[i];
		if (name[i] == ']')
			q[o++] = ']';
	}
	q[o++] = ']';
	q[o] = '\0';
	return q;
}

/* prefix_make: the texts inserted before one-, two- and three-part
 * names; NULL for three parts without a server */
static int
prefix_make(const struct rewrite_target *tg, char *text[4])
{
	char	*srv = NULL, *db = NULL, *sch = NULL;
	size_t	 n;
	int	 rc = -1;

	if ((db = bracket_quote(tg->database)) == NULL)
		goto out;
	if (tg->server[0] != '\0' &&
	    (srv = bracket_quote(tg->server)) == NULL)
		goto out;
	if (tg->schema[0] == '\0' || tsql_regular_ident(tg->schema))
		sch = strdup(tg->schema);
	else
		sch = bracket_quote(tg->schema);
	if (sch == NULL)
		goto out;
	n = (srv ? strlen(srv) : 0) + strlen(db) + strlen(sch) + 4;
	if ((text[EDIT_PRE1] = malloc(n)) == NULL ||
	    (text[EDIT_PRE2] = malloc(n)) == NULL)
		goto out;
	snprintf(text[EDIT_PRE1], n, "%s%s%s.%s.", srv ? srv : "",
	    srv ? "." : "", db, sch);
	snprintf(text[EDIT_PRE2], n, "%s%s%s.", srv ? srv : "",
	    srv ? "." : "", db);
	if (srv != NULL) {
		if ((text[EDIT_PRE3] = malloc(n)) == NULL)
			goto out;
		snprintf(text[EDIT_PRE3], n, "%s.", srv);
	}
	rc = 0;
out:
	free(srv);
	free(db);
	free(sch);
	return rc;
}

int
rewrite_sql(const struct rewrite_target *tg, const char *in, size_t len,
    char **outp, size_t *outlenp, struct rewrite_error *err)
{
	struct rewriter		 rw;
	struct tsql_token	*tok = NULL;
	struct tsql_error	 te;
	char			*text[4] = { NULL, NULL, NULL, NULL };
	size_t			 ntok, i;
	int			 rc;

	memset(&rw, 0, sizeof(rw));
	rc = tsql_tokenize(in, len, &tok, &ntok, &te);
	if (rc == TSQL_ESYNTAX) {
		tsql_position(in, te.off, &err->line, &err->column);
		err->what = te.what;
		return REWRITE_ESYNTAX;
	}
	if (rc != TSQL_OK)
		return rc == TSQL_ETOOBIG ? REWRITE_ETOOBIG : REWRITE_ENOMEM;
	rc = REWRITE_ENOMEM;
	if (prefix_make(tg, text) == -1)
		goto out;
	rw.s = in;
	rw.tok = tok;
	rw.ntok = ntok;
	rw.cte_paren = rw.not_table = rw.delete_depth = SIZE_MAX;
	rw.text[EDIT_WITH] = " WITH";
	for (i = EDIT_PRE1; i <= EDIT_PRE3; i++)
		rw.text[i] = text[i];
	if ((rw.lv = grow(NULL, 0, &rw.lvcap, sizeof(*rw.lv))) == NULL)
		goto out;
	memset(&rw.lv[0], 0, sizeof(rw.lv[0]));
	rewrite_walk(&rw);
	if (!rw.nomem)
		rc = output_build(&rw, len, outp, outlenp);
out:
	for (i = 0; i < 4; i++)
		free(text[i]);
	free(rw.lv);
	free(rw.cte);
	free(rw.ed);
	free(tok);
	return rc;
}
