/*
 * conn.c: log in to SQL Server with FreeTDS db-lib and hand out raw
 * column data.
 *
 * FreeTDS reads freetds.conf files (FREETDSCONF, ~/.freetds.conf,
 * /etc/freetds/freetds.conf) and applies their [global] section to every
 * connection; a stray "client charset" or "text size" there would change
 * the data.  So the connection is described in a configuration of our
 * own, held in an anonymous memory file that dbsetifile() points at:
 * FreeTDS finds the server's section in it first and reads no other
 * file.  TDSVER, TDSPORT and TDSHOST are removed from the environment
 * for the same reason.  The file holds no secret; the password travels
 * only in the LOGINREC.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <sybfront.h>
#include <sybdb.h>

#include "conn.h"
#include "log.h"
#include "util.h"

#define SERVER_SECTION	"pohoda-extract"

enum phase { PH_CONNECT, PH_QUERY };

static struct {
	DBPROCESS	*proc;
	enum phase	 phase;
	int		 code;	/* exit status of the first failure */
	int		 verbose;
	int		 lost;		/* the connection is gone */
	int		 tls;		/* encryption "require" */
	const char	*src;		/* names the query in messages */
	char		 where[300];	/* host:port */
} db;

static void
db_set(int code)
{
	if (db.code == 0)
		db.code = code;
}

static const char *
msg_tail(char *buf, size_t size, const char *text)
{
	size_t	n;

	strlcpy(buf, text != NULL ? text : "", size);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '.' ||
	    buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

/* server_code: what a server error means for the exit status */
static int
server_code(int msgno)
{
	switch (msgno) {
	case 18456:		/* login failed */
	case 18452:		/* untrusted domain */
	case 18470:		/* account disabled */
	case 18486:		/* account locked out */
	case 18487:		/* password expired */
	case 18488:		/* password must be changed */
	case 4060:		/* cannot open the login's database */
	case 4064:		/* cannot open the user's default database */
		return EX_CONFIG;
	case 1205:		/* chosen as deadlock victim */
	case 1222:		/* lock request time out */
		return EX_TEMPFAIL;
	}
	return db.phase == PH_CONNECT ? EX_UNAVAILABLE : EX_DATAERR;
}

static int
msg_handler(DBPROCESS *proc, DBINT msgno, int state, int severity,
    char *text, char *server, char *procname, int line)
{
	char	buf[1024], src[512];

	(void)proc, (void)state, (void)server, (void)procname;
	msg_tail(buf, sizeof(buf), text);
	if (severity > 10 || db.verbose)
		progress_break();
	if (severity <= 10) {
		/* "changed database context" and the like */
		if (db.verbose)
			fprintf(stderr, "%s: %s: server: %s\n", PROG,
			    db.phase == PH_CONNECT ? db.where : db.src, buf);
		return 0;
	}
	if (db.phase == PH_CONNECT)
		fprintf(stderr, "%s: %s: server error %d: %s\n", PROG,
		    db.where, (int)msgno, buf);
	else
		fprintf(stderr, "%s: %s: server error %d, line %d: %s\n",
		    PROG, db.src, (int)msgno, line, buf);
	logx(LOG_ERROR, "query=%s server_error=%d line=%d",
	    log_value(src, sizeof(src), db.src), (int)msgno, line);
	db_set(server_code((int)msgno));
	return 0;
}

/* login_cut: a login that ended without the server's word.  FreeTDS
 * says "connection lost" or "Adaptive Server connection failed" by
 * chance of timing; both mean the same and neither helps */
static int
login_cut(int dberr)
{
	if (db.phase != PH_CONNECT)
		return 0;
	switch (dberr) {
	case SYBEREAD: case SYBEWRIT: case SYBESEOF: case SYBECLOS:
	case SYBEDDNE: case SYBEFCON: case SYBEBTOK:
		return 1;
	}
	return 0;
}

/* lib_code: exit status and wording for a db-lib error */
static int
lib_code(int dberr, const char **what)
{
	if (login_cut(dberr)) {
		*what = db.tls ? "login not completed: the server "
		    "closed the connection, does not speak TDS or offers no "
		    "TLS (encryption is \"require\")" :
		    "login not completed: the server closed the "
		    "connection or does not speak TDS";
		return EX_UNAVAILABLE;
	}
	switch (dberr) {
	case SYBEUHST:
		*what = "unknown host name";
		return EX_UNAVAILABLE;
	case SYBETIME:
		*what = "timed out";
		return EX_TEMPFAIL;
	case SYBECONN: case SYBESOCK:
		*what = "cannot connect";
		return EX_UNAVAILABLE;
	case SYBEREAD: case SYBEWRIT: case SYBESEOF: case SYBECLOS:
	case SYBEDDNE:
		*what = "connection lost";
		db.lost = 1;
		return EX_TEMPFAIL;
	case SYBEPWD:
		*what = "login failed";
		return EX_CONFIG;
	case SYBEICONVI: case SYBEICONVIU: case SYBEICONVAVAIL:
		*what = "character conversion failed";
		return EX_DATAERR;
	}
	*what = NULL;
	return db.phase == PH_CONNECT ? EX_UNAVAILABLE : EX_FAILURE;
}

static int
err_handler(DBPROCESS *proc, int severity, int dberr, int oserr,
    char *dberrstr, char *oserrstr)
{
	const char	*what, *at;
	char		 buf[512], src[512], quoted[512];
	int		 code;

	(void)proc, (void)severity, (void)oserrstr;
	/* the server's own message has been reported already */
	if (dberr == SYBESMSG)
		return INT_CANCEL;
	/* a lower TDS version: not an error by itself; db_connect judges
	 * the version it ends up with */
	if (dberr == SYBEVERDOWN) {
		if (db.verbose)
			fprintf(stderr, "%s: %s: %s\n", PROG, db.where,
			    dberrstr);
		return INT_CANCEL;
	}
	code = lib_code(dberr, &what);
	at = db.phase == PH_CONNECT ? db.where : db.src;
	/* after the first failure the rest are its echoes */
	if (db.code != 0 && !db.verbose)
		return INT_CANCEL;
	progress_break();
	if (what == NULL)
		what = msg_tail(buf, sizeof(buf), dberrstr);
	if (oserr > 0 && dberr != SYBETIME && !login_cut(dberr))
		fprintf(stderr, "%s: %s: %s: %s\n", PROG, at, what,
		    strerror(oserr));
	else
		fprintf(stderr, "%s: %s: %s\n", PROG, at, what);
	logx(LOG_ERROR, "query=%s dberr=%d what=%s",
	    log_value(src, sizeof(src), db.src), dberr,
	    log_value(quoted, sizeof(quoted), what));
	db_set(code);
	return INT_CANCEL;
}

/* conf_value_ok: a value FreeTDS's INI reader takes literally */
static int
conf_value_ok(const char *s)
{
	return s[0] != '\0' && strpbrk(s, "\n\r;#[]= \t") == NULL;
}

/* conf_write: our own freetds.conf in an anonymous memory file */
static int
conf_write(const struct config *cfg, char *path, size_t size)
{
	char	*text;
	int	 fd, n;

	if (!conf_value_ok(cfg->mssql.host)) {
		fprintf(stderr, "%s: %s: mssql.host: not a host name\n", PROG,
		    cfg->path);
		return -1;
	}
	if ((fd = memfd_create("pohoda-extract-freetds.conf",
	    MFD_CLOEXEC)) == -1) {
		fprintf(stderr, "%s: memfd_create: %s\n", PROG,
		    strerror(errno));
		return -1;
	}
	text = xasprintf("[%s]\n\thost = %s\n\tport = %d\n"
	    "\ttds version = %s\n\tencryption = %s\n"
	    "\tclient charset = UTF-8\n\tuse utf-16 = yes\n"
	    "\ttext size = 2147483647\n", SERVER_SECTION, cfg->mssql.host,
	    cfg->mssql.port, cfg->mssql.tds_version,
	    cfg->mssql.encryption);
	n = (int)strlen(text);
	if (write(fd, text, (size_t)n) != n) {
		fprintf(stderr, "%s: memfd: %s\n", PROG, strerror(errno));
		free(text);
		close(fd);
		return -1;
	}
	free(text);
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return fd;
}

static int
tds_version_code(const char *v, BYTE *code)
{
	if (strcmp(v, "7.4") == 0)
		*code = DBVERSION_74;
	else if (strcmp(v, "7.3") == 0)
		*code = DBVERSION_73;
	else if (strcmp(v, "auto") == 0)
		*code = DBVERSION_UNKNOWN;
	else
		return -1;
	return 0;
}

static LOGINREC *
login_make(struct config *cfg, BYTE version)
{
	LOGINREC	*login;

	if ((login = dblogin()) == NULL)
		return NULL;
	DBSETLUSER(login, cfg->mssql.user);
	DBSETLPWD(login, cfg->mssql.password);
	DBSETLAPP(login, PROG);
	DBSETLCHARSET(login, "UTF-8");
	DBSETLDBNAME(login, cfg->mssql.database);
	DBSETLPACKET(login, 16384);
	if (version != DBVERSION_UNKNOWN)
		dbsetlversion(login, version);
	return login;
}

int
db_connect(struct config *cfg, const char *src, int verbose)
{
	LOGINREC	*login;
	BYTE		 version;
	const char	*what;
	char		 path[64];
	int		 fd;

	db.src = src;
	db.verbose = verbose;
	db.phase = PH_CONNECT;
	/* an IPv6 address takes brackets before its port */
	snprintf(db.where, sizeof(db.where),
	    strchr(cfg->mssql.host, ':') ? "[%s]:%d" : "%s:%d",
	    cfg->mssql.host, cfg->mssql.port);
	db.tls = strcmp(cfg->mssql.encryption, "require") == 0;
	/* FreeTDS takes an empty user for a Kerberos login */
	if (cfg->mssql.user[0] == '\0') {
		fprintf(stderr, "%s: %s: mssql.user: must not be empty\n", PROG,
		    cfg->path);
		return EX_CONFIG;
	}
	if (tds_version_code(cfg->mssql.tds_version, &version) == -1) {
		fprintf(stderr, "%s: %s: mssql.tds_version: %s is below 7.3 or "
		    "unknown; expected 7.3, 7.4 or auto\n", PROG, cfg->path,
		    cfg->mssql.tds_version);
		return EX_CONFIG;
	}
	unsetenv("TDSVER");
	unsetenv("TDSPORT");
	unsetenv("TDSHOST");
	if (dbinit() == FAIL) {
		fprintf(stderr, "%s: cannot initialise db-lib\n", PROG);
		return EX_FAILURE;
	}
	dberrhandle(err_handler);
	dbmsghandle(msg_handler);
	if ((fd = conf_write(cfg, path, sizeof(path))) == -1)
		return EX_CONFIG;
	dbsetifile(path);
	dbsetlogintime(cfg->mssql.login_timeout);
	dbsettime(cfg->mssql.query_timeout);

	login = login_make(cfg, version);
	explicit_bzero(cfg->mssql.password, strlen(cfg->mssql.password));
	if (login == NULL) {
		close(fd);
		return EX_FAILURE;
	}
	db.proc = dbopen(login, SERVER_SECTION);
	dbloginfree(login);
	close(fd);
	if (db.proc == NULL) {
		/* db-lib can fail without a word, e.g. on junk for the SET
		 * TEXTSIZE it sends inside dbopen() */
		if (db.code == 0) {
			db_set(lib_code(SYBEFCON, &what));
			fprintf(stderr, "%s: %s: %s\n", PROG, db.where, what);
		}
		return db.code;
	}
	if (dbtds(db.proc) < DBTDS_7_3) {
		fprintf(stderr, "%s: %s: the server speaks TDS below 7.3, "
		    "which sends date and time types as text\n", PROG,
		    db.where);
		return EX_UNAVAILABLE;
	}
	return db.code;
}

/* batch_send: send one batch and wait for the server to start on it */
static int
batch_send(const char *sql)
{
	if (dbcmd(db.proc, sql) == FAIL || dbsqlexec(db.proc) == FAIL) {
		db_set(EX_DATAERR);
		return -1;
	}
	return 0;
}

int
db_query(const char *sql)
{
	RETCODE	rc;

	db.phase = PH_QUERY;
	/* FreeTDS sends its "text size" after login too; say it again so
	 * that nothing between can cut a long text value */
	if (batch_send("SET TEXTSIZE 2147483647") == -1)
		return db.code;
	while ((rc = dbresults(db.proc)) == SUCCEED)
		while (dbnextrow(db.proc) == REG_ROW)
			;
	if (db.code)
		return db.code;

	if (batch_send(sql) == -1)
		return db.code;
	while ((rc = dbresults(db.proc)) != NO_MORE_RESULTS) {
		if (rc == FAIL || db.code) {
			db_set(EX_DATAERR);
			return db.code;
		}
		if (dbnumcols(db.proc) > 0)
			return db.code;
	}
	if (db.code)
		return db.code;
	fprintf(stderr, "%s: %s: the query returned no result set\n", PROG,
	    db.src);
	return EX_DATAERR;
}

int
db_columns(struct column **colsp, int *np)
{
	struct column	*c;
	DBTYPEINFO	*ti;
	int		 i, n;

	n = dbnumcols(db.proc);
	c = xcalloc((size_t)n, sizeof(*c));
	for (i = 0; i < n; i++) {
		c[i].type = dbcoltype(db.proc, i + 1);
		c[i].size = dbcollen(db.proc, i + 1);
		if ((ti = dbcoltypeinfo(db.proc, i + 1)) != NULL) {
			c[i].prec = ti->precision;
			c[i].scale = ti->scale;
		}
		c[i].name = xstrdup(dbcolname(db.proc, i + 1) ?
		    dbcolname(db.proc, i + 1) : "");
	}
	*colsp = c;
	*np = n;
	return 0;
}

int
db_row(void)
{
	STATUS	st;

	st = dbnextrow(db.proc);
	if (db.code)
		return -1;
	if (st == REG_ROW)
		return 1;
	if (st == NO_MORE_ROWS)
		return 0;
	if (st == FAIL)
		db_set(db.lost || dbdead(db.proc) ? EX_TEMPFAIL : EX_DATAERR);
	else {
		progress_break();
		fprintf(stderr, "%s: %s: unexpected compute row\n", PROG,
		    db.src);
		db_set(EX_DATAERR);
	}
	return -1;
}

const unsigned char *
db_value(int col, size_t *len)
{
	const unsigned char	*p;

	p = dbdata(db.proc, col);
	*len = p == NULL ? 0 : (size_t)dbdatlen(db.proc, col);
	return p;
}

int
db_finish(void)
{
	RETCODE	rc;

	while ((rc = dbresults(db.proc)) != NO_MORE_RESULTS) {
		if (rc == FAIL || db.code) {
			db_set(db.lost ? EX_TEMPFAIL : EX_DATAERR);
			break;
		}
		if (dbnumcols(db.proc) > 0) {
			progress_break();
			fprintf(stderr, "%s: %s: the query returned more "
			    "than one result set\n", PROG, db.src);
			db_set(EX_DATAERR);
			break;
		}
	}
	return db.code;
}

int
db_status(void)
{
	return db.code;
}

void
db_fail(int code)
{
	db_set(code);
}

void
db_close(void)
{
	if (db.proc != NULL && !db.lost)
		dbclose(db.proc);
	db.proc = NULL;
	dbexit();
}
