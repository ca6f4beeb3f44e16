/*
 * pohoda-extract: run one query on SQL Server and write its rows as
 * NDJSON (plain or gzip'd), and a BigQuery schema for them.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "atomicfile.h"
#include "config.h"
#include "conn.h"
#include "extract.h"
#include "log.h"
#include "util.h"

#define QUERY_MAX	(16 * 1024 * 1024)

struct opts {
	const char	*config;
	const char	*sql;		/* -e */
	const char	*file;
	const char	*out;
	const char	*schema;
	const char	*label;
	long long	 batch;		/* -1: batch_size */
	int		 quiet;
	int		 verbose;
};

struct progress {
	int		 on;
	struct timespec	 start, last;
};

struct run {
	struct opts		 o;
	struct config		 cfg;
	const char		*src;	/* names the query */
	const char		*outname;
	char			*label;
	char			*query;
	struct column		*cols;
	int			 ncols;
	struct atomicfile	 afd, afs;	/* data, schema */
	int			 fdd, fds;
	int			 ddirect, sdirect;	/* not renamed */
	struct out		 out;
	struct progress		 prog;
};

/* a progress line is on the terminal without its newline */
static int	progress_open;

/* temporary names, removed by the signal handler */
static char	tmp_data[PATH_MAX], tmp_schema[PATH_MAX];

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: %s [-qv] [-B rows] [-c config] [-m schema] "
	    "[-o out] [-T label]\n"
	    "       [-e sql | file]\n", PROG);
}

static void
on_signal(int sig)
{
	if (tmp_data[0] != '\0')
		unlink(tmp_data);
	if (tmp_schema[0] != '\0')
		unlink(tmp_schema);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
is_stdout(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0;
}

/* path_same: A and B name one file: the same base name in the same
 * folder, however the folder is written */
static int
path_same(const char *a, const char *b)
{
	const char	*ba, *bb;
	char		*da, *db, *ra, *rb;
	int		 same;

	if (is_stdout(a) || is_stdout(b))
		return is_stdout(a) && is_stdout(b);
	ba = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
	bb = strrchr(b, '/') ? strrchr(b, '/') + 1 : b;
	if (strcmp(ba, bb) != 0)
		return 0;
	da = path_dir(a);
	db = path_dir(b);
	ra = realpath(da, NULL);
	rb = realpath(db, NULL);
	same = ra != NULL && rb != NULL ? strcmp(ra, rb) == 0 :
	    strcmp(da, db) == 0;
	free(da);
	free(db);
	free(ra);
	free(rb);
	return same;
}

static void
opts_check(const struct opts *o)
{
	const struct {
		char		 opt;
		const char	*value;
	} named[] = { { 'o', o->out }, { 'm', o->schema }, { 'T', o->label } };
	struct stat	st;
	size_t		i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i].value != NULL && named[i].value[0] == '\0') {
			warnx("-%c: empty name", named[i].opt);
			exit(EX_USAGE);
		}
	/* both into /dev/null is no mistake */
	if (o->schema != NULL && path_same(o->out, o->schema) &&
	    !(stat(o->schema, &st) == 0 && S_ISCHR(st.st_mode))) {
		warnx("-o and -m name the same file (%s)",
		    is_stdout(o->schema) ? "standard output" : o->schema);
		exit(EX_USAGE);
	}
}

static void
opts_parse(struct opts *o, int argc, char **argv)
{
	static const struct option	longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*errstr;
	int		 ch;

	memset(o, 0, sizeof(*o));
	o->batch = -1;
	while ((ch = getopt_long(argc, argv, "B:c:e:hm:o:qT:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'B':
			o->batch = strtonum(optarg, 0, 1000000000, &errstr);
			if (errstr != NULL)
				errx(EX_USAGE, "-B %s: %s", optarg, errstr);
			break;
		case 'c': o->config = optarg; break;
		case 'e': o->sql = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'm': o->schema = optarg; break;
		case 'o': o->out = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'T': o->label = optarg; break;
		case 'v': o->verbose = 1; break;
		case 'V': version_print(); exit(0);
		default: usage(stderr); exit(EX_USAGE);
		}
	}
	if (argc - optind > 1 || (o->sql != NULL && argc - optind > 0)) {
		usage(stderr);
		exit(EX_USAGE);
	}
	if (argc - optind == 1)
		o->file = argv[optind];
	opts_check(o);
}

/* label_default: FILE's base name without .sql */
static char *
label_default(const struct opts *o)
{
	const char	*base;
	char		*s;
	size_t		 n;

	if (o->label != NULL)
		return xstrdup(o->label);
	if (o->file == NULL || strcmp(o->file, "-") == 0)
		return xstrdup(o->sql != NULL ? "query" : "stdin");
	base = strrchr(o->file, '/');
	s = xstrdup(base != NULL ? base + 1 : o->file);
	n = strlen(s);
	if (n > 4 && strcmp(s + n - 4, ".sql") == 0)
		s[n - 4] = '\0';
	return s;
}

/* query_check: text FreeTDS can send whole: not empty, no NUL, UTF-8
 * (FreeTDS sends what comes before a bad byte, then fails) */
static void
query_check(const char *q, size_t n, const char *src)
{
	size_t	bad, line = 1, col = 1, i;

	if (strlen(q) != n)
		errx(EX_DATAERR, "%s: NUL byte in the query", src);
	if (strspn(q, " \t\r\n") == n)
		errx(EX_DATAERR, "%s: empty query", src);
	if ((bad = utf8_check((const unsigned char *)q, n)) == n)
		return;
	for (i = 0; i < bad; i++, col++)
		if (q[i] == '\n')
			line++, col = 0;
	errx(EX_DATAERR, "%s: line %zu, byte %zu: not valid UTF-8", src,
	    line, col);
}

static char *
query_read(const struct opts *o, const char *src)
{
	char	*q;
	size_t	 n;

	if (o->sql != NULL) {
		query_check(o->sql, strlen(o->sql), src);
		return xstrdup(o->sql);
	}
	if ((q = file_read(o->file ? o->file : "-", QUERY_MAX, &n)) == NULL) {
		if (errno == EFBIG)
			errx(EX_DATAERR, "%s: larger than %d MiB", src,
			    QUERY_MAX / (1024 * 1024));
		err(EX_FAILURE, "%s", src);
	}
	/* a byte order mark (Notepad writes one) says how the file is
	 * encoded; sent on, it is a syntax error for the server */
	if (n >= 3 && memcmp(q, "\357\273\277", 3) == 0) {
		n -= 3;
		memmove(q, q + 3, n + 1);
	}
	query_check(q, n, src);
	return q;
}

static void
config_get(const struct opts *o, struct config *cfg)
{
	const struct rlimit	 nocore = { 0, 0 };
	const char		*path = config_path(o->config);
	int			 rc;

	/* the password must not end up in a core file */
	setrlimit(RLIMIT_CORE, &nocore);
	if ((rc = config_load(path, cfg)) != 0)
		exit(rc);
	if (!cfg->has_mssql) {
		warnx("%s: mssql: missing", path);
		exit(EX_CONFIG);
	}
}

static int
columns_check(struct column *c, int n, const char *src)
{
	int	i, bad = 0;

	for (i = 0; i < n; i++) {
		if (column_classify(&c[i]) == 0)
			continue;
		fprintf(stderr, "%s: %s: column %d (%s): type %s (%d) has "
		    "no BigQuery mapping\n", PROG, src, i + 1,
		    c[i].name[0] ? c[i].name : "no name",
		    type_name(c[i].type), c[i].type);
		bad = 1;
	}
	names_make(c, n);
	return bad ? EX_DATAERR : 0;
}

static void
columns_free(struct column *c, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].key);
		free(c[i].prefix);
	}
	free(c);
}

/* file_begin: PATH under its temporary name, stdout for none or "-",
 * or PATH itself (*DIRECT set) when it exists and is no regular file;
 * -1 with errno on failure */
static int
file_begin(struct atomicfile *af, const char *path, char *tmp, int *direct)
{
	struct stat	st;
	int		fd;

	af->fd = -1;
	if (path == NULL || strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* rename(2) would say so only once the result is in */
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return -1;
		}
		/* a FIFO or /dev/null: renaming over it would put a
		 * regular file in its place (as root, in /dev) */
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) != -1)
			*direct = 1;
		return fd;
	}
	if (af_open(af, path) == -1)
		return -1;
	strlcpy(tmp, af->tmp, PATH_MAX);
	return af->fd;
}

static int
file_commit(struct atomicfile *af, char *tmp, const char *path, int fd,
    int *direct)
{
	if (*direct) {
		*direct = 0;
		if (close(fd) == -1) {
			warn("%s", path);
			return -1;
		}
		return 0;
	}
	if (af->fd == -1)
		return 0;
	if (af_commit(af) == -1) {
		warn("%s", af->path);
		tmp[0] = '\0';
		return -1;
	}
	tmp[0] = '\0';
	return 0;
}

static void
file_abort(struct atomicfile *af, char *tmp, int fd, int *direct)
{
	if (*direct)
		close(fd);
	*direct = 0;
	if (af->fd != -1)
		af_abort(af);
	tmp[0] = '\0';
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void
out_puts(struct out *o, const char *s)
{
	out_write(o, s, strlen(s));
}

/* schema_write: the BigQuery schema.fields array */
static int
schema_write(int fd, const struct column *c, int n)
{
	struct out	o;
	int		i, rc;

	out_open(&o, fd, 0, 0);
	out_puts(&o, "[\n");
	for (i = 0; i < n; i++) {
		out_puts(&o, "  {\"name\": \"");
		out_puts(&o, c[i].key);
		out_puts(&o, "\", \"type\": \"");
		out_puts(&o, c[i].bqtype);
		out_puts(&o, "\", \"mode\": \"NULLABLE\", \"description\": ");
		/* names come from db-lib in UTF-8; a bad one is dropped */
		if (json_string(&o, (const unsigned char *)c[i].name,
		    strlen(c[i].name), NULL) == -1)
			out_puts(&o, "\"\"");
		out_puts(&o, i + 1 < n ? "},\n" : "}\n");
	}
	out_puts(&o, "]\n");
	rc = out_close(&o);
	out_free(&o);
	return rc;
}

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
progress_start(struct progress *p, int quiet)
{
	memset(p, 0, sizeof(*p));
	p->on = !quiet && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static void
progress_show(struct progress *p, const struct out *o, int last)
{
	struct timespec	now;
	double		secs;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && elapsed(&p->last, &now) < 0.5)
		return;
	p->last = now;
	secs = elapsed(&p->start, &now);
	fprintf(stderr, "\r%s: %lld rows, %.1f MB, %.0f rows/s%s", PROG,
	    o->rows, (double)(o->bytes + (long long)o->len) / 1e6,
	    secs > 0 ? (double)o->rows / secs : 0.0, last ? "\n" : " ");
	progress_open = !last;
}

void
progress_break(void)
{
	if (progress_open)
		fputc('\n', stderr);
	progress_open = 0;
}

/* row_write: one row as a JSON object line; -1 after reporting */
static int
row_write(struct out *o, const struct column *c, int n, const char *src)
{
	const unsigned char	*data;
	size_t			 len;
	char			 err[VALUE_ERRLEN];
	int			 i;

	for (i = 0; i < n; i++) {
		out_padded(o, c[i].prefix, c[i].prefixlen);
		if ((data = db_value(i + 1, &len)) == NULL) {
			out_write(o, "null", 4);
			continue;
		}
		if (value_write(o, &c[i], data, len, err) == -1) {
			progress_break();
			fprintf(stderr, "%s: %s: row %lld, column %s: %s\n",
			    PROG, src, o->rows + 1, c[i].key, err);
			db_fail(EX_DATAERR);
			return -1;
		}
	}
	out_putc(o, '}');
	out_row_end(o);
	return 0;
}

static int
rows_copy(struct run *r)
{
	int	rc;

	while ((rc = db_row()) == 1) {
		if (row_write(&r->out, r->cols, r->ncols, r->src) == -1)
			return -1;
		if (r->out.err != 0) {
			progress_break();
			fprintf(stderr, "%s: %s: %s\n", PROG, r->outname,
			    strerror(r->out.err));
			db_fail(EX_FAILURE);
			return -1;
		}
		if (r->prog.on && (r->out.rows & 1023) == 0)
			progress_show(&r->prog, &r->out, 0);
	}
	return rc;
}

/* run_open: the output files under their temporary names, before the
 * server is asked, so that a wrong -o costs no query */
static int
run_open(struct run *r)
{
	if (r->o.schema != NULL && (r->fds = file_begin(&r->afs,
	    r->o.schema, tmp_schema, &r->sdirect)) == -1) {
		warn("%s", r->o.schema);
		return EX_FAILURE;
	}
	if ((r->fdd = file_begin(&r->afd, r->o.out, tmp_data,
	    &r->ddirect)) == -1) {
		warn("%s", r->o.out);
		return EX_FAILURE;
	}
	return 0;
}

/* run_query: connect, run the query, know its columns */
static int
run_query(struct run *r)
{
	int	rc;

	if ((rc = db_connect(&r->cfg, r->src, r->o.verbose)) != 0)
		return rc;
	if ((rc = db_query(r->query)) != 0)
		return rc;
	db_columns(&r->cols, &r->ncols);
	return columns_check(r->cols, r->ncols, r->src);
}

/* run_write: the schema and the rows under temporary names, renamed
 * into place when the whole result is in */
static int
run_write(struct run *r)
{
	int	rc;

	if (r->o.schema != NULL &&
	    schema_write(r->fds, r->cols, r->ncols) == -1) {
		warn("%s", is_stdout(r->o.schema) ? "stdout" : r->o.schema);
		return EX_FAILURE;
	}
	if (out_open(&r->out, r->fdd, r->o.out != NULL &&
	    has_suffix(r->o.out, ".gz"), r->o.batch) == -1) {
		warn("cannot start the compression thread");
		return EX_FAILURE;
	}

	if (rows_copy(r) == -1)
		return db_status() ? db_status() : EX_FAILURE;
	if ((rc = db_finish()) != 0)
		return rc;
	if (out_close(&r->out) == -1) {
		warn("%s", r->outname);
		return EX_FAILURE;
	}
	if (file_commit(&r->afs, tmp_schema, r->o.schema, r->fds,
	    &r->sdirect) == -1 ||
	    file_commit(&r->afd, tmp_data, r->o.out, r->fdd,
	    &r->ddirect) == -1)
		return EX_FAILURE;
	return 0;
}

static void
run_report(struct run *r, int rc)
{
	struct timespec	 end;
	double		 secs;
	char		 buf[512];
	const char	*label;

	clock_gettime(CLOCK_MONOTONIC, &end);
	secs = elapsed(&r->prog.start, &end);
	/* after a failure its message is the last word */
	if (r->prog.on && r->out.buf != NULL && rc == 0)
		progress_show(&r->prog, &r->out, 1);
	progress_break();
	label = log_value(buf, sizeof(buf), r->label);
	if (rc == 0)
		logx(LOG_INFO, "table=%s rows=%lld bytes=%lld seconds=%.1f "
		    "rate=%.0f/s", label, r->out.rows, r->out.bytes, secs,
		    secs > 0 ? (double)r->out.rows / secs : 0.0);
	else
		logx(LOG_ERROR, "table=%s status=%d rows=%lld", label, rc,
		    r->out.rows);
}

static void
run_free(struct run *r)
{
	file_abort(&r->afs, tmp_schema, r->fds, &r->sdirect);
	file_abort(&r->afd, tmp_data, r->fdd, &r->ddirect);
	db_close();
	out_free(&r->out);
	columns_free(r->cols, r->ncols);
	config_free(&r->cfg);
	free(r->query);
	free(r->label);
}

/* stdio_hold: a closed standard descriptor gets /dev/null, so that no
 * file or socket opened later takes its number and receives messages or
 * a schema; stdout's is read-only, so that writing it still fails */
static void
stdio_hold(void)
{
	int	fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY) != fd)
			exit(EX_FAILURE);
}

int
main(int argc, char *argv[])
{
	struct run	r;
	int		rc;

	stdio_hold();
	memset(&r, 0, sizeof(r));
	r.afd.fd = r.afs.fd = -1;
	opts_parse(&r.o, argc, argv);
	r.src = r.o.sql ? "query" :
	    (r.o.file && strcmp(r.o.file, "-") != 0) ? r.o.file : "stdin";
	r.outname = r.o.out ? r.o.out : "stdout";
	r.label = label_default(&r.o);
	r.query = query_read(&r.o, r.src);
	config_get(&r.o, &r.cfg);
	log_init(&r.cfg, r.o.verbose);
	if (r.o.batch < 0)
		r.o.batch = r.cfg.batch_size;
	progress_start(&r.prog, r.o.quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	/* a reader that went away (| head) ends us as it ends cat(1), but
	 * not before the temporary files are gone; when SIGPIPE is ignored,
	 * the write error says "Broken pipe" instead */
	if (signal(SIGPIPE, on_signal) == SIG_IGN)
		signal(SIGPIPE, SIG_IGN);

	rc = run_open(&r);
	if (rc == 0)
		rc = run_query(&r);
	if (rc == 0)
		rc = run_write(&r);
	run_report(&r, rc);

	run_free(&r);
	return rc;
}
