/*
 * pohoda-extract: run one query on SQL Server and write its rows as
 * NDJSON (plain or gzip'd), and a BigQuery schema for them.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
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

static char *
query_read(const struct opts *o, const char *src)
{
	char	*q;
	size_t	 n;

	if (o->sql != NULL)
		return xstrdup(o->sql);
	if ((q = file_read(o->file ? o->file : "-", QUERY_MAX, &n)) == NULL)
		err(EX_NOINPUT, "%s", src);
	if (strlen(q) != n)
		errx(EX_DATAERR, "%s: NUL byte in the query", src);
	if (strspn(q, " \t\r\n") == n)
		errx(EX_DATAERR, "%s: empty query", src);
	return q;
}

static void
config_get(const struct opts *o, struct config *cfg)
{
	const char	*path = o->config;
	int		 rc;

	if (path == NULL)
		path = getenv("POHODA_SYNC_CONFIG");
	if (path == NULL || path[0] == '\0')
		path = "config.json";
	if ((rc = config_load(path, cfg)) != 0)
		exit(rc);
	if (!cfg->has_mssql) {
		fprintf(stderr, "%s: mssql: missing\n", path);
		exit(EX_CONFIG);
	}
}

static int
columns_check(struct column *c, int n)
{
	int	i, bad = 0;

	for (i = 0; i < n; i++) {
		if (column_classify(&c[i]) == 0)
			continue;
		fprintf(stderr, "%s: column %d (%s): type %s (%d) has no "
		    "BigQuery mapping\n", PROG, i + 1,
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

/* file_begin: open PATH under its temporary name; -1 is stdout */
static int
file_begin(struct atomicfile *af, const char *path, char *tmp)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		af->fd = -1;
		return STDOUT_FILENO;
	}
	if (af_open(af, path) == -1)
		err(EX_FAILURE, "%s", path);
	strlcpy(tmp, af->tmp, PATH_MAX);
	return af->fd;
}

static int
file_commit(struct atomicfile *af, char *tmp)
{
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
file_abort(struct atomicfile *af, char *tmp)
{
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
		out_write(o, c[i].prefix, c[i].prefixlen);
		if ((data = db_value(i + 1, &len)) == NULL) {
			out_write(o, "null", 4);
			continue;
		}
		if (value_write(o, &c[i], data, len, err) == -1) {
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
rows_copy(struct out *o, const struct column *c, int n, const char *src,
    struct progress *p)
{
	int	rc;

	while ((rc = db_row()) == 1) {
		if (row_write(o, c, n, src) == -1)
			return -1;
		if (o->err != 0) {
			fprintf(stderr, "%s: %s: write: %s\n", PROG, src,
			    strerror(o->err));
			db_fail(EX_FAILURE);
			return -1;
		}
		if (p->on && (o->rows & 1023) == 0)
			progress_show(p, o, 0);
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	struct opts		 o;
	struct config		 cfg;
	struct column		*cols = NULL;
	struct atomicfile	 afd, afs;
	struct out		 out;
	struct progress		 prog;
	struct timespec		 end;
	char			*query, *label;
	const char		*src;
	int			 ncols = 0, rc, fd;
	double			 secs;

	opts_parse(&o, argc, argv);
	src = o.sql ? "query" : (o.file && strcmp(o.file, "-") != 0) ?
	    o.file : "stdin";
	label = label_default(&o);
	query = query_read(&o, src);
	config_get(&o, &cfg);
	log_init(&cfg, o.verbose);
	if (o.batch < 0)
		o.batch = cfg.batch_size;
	memset(&prog, 0, sizeof(prog));
	prog.on = !o.quiet && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	prog.last = prog.start;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	rc = db_connect(&cfg, src, o.verbose);
	if (rc == 0)
		rc = db_query(query);
	if (rc == 0)
		db_columns(&cols, &ncols);
	if (rc == 0)
		rc = columns_check(cols, ncols);
	if (rc != 0) {
		db_close();
		logx(LOG_ERROR, "table=%s status=%d", label, rc);
		columns_free(cols, ncols);
		config_free(&cfg);
		free(query);
		free(label);
		return rc;
	}

	afs.fd = -1;
	if (o.schema != NULL) {
		fd = file_begin(&afs, o.schema, tmp_schema);
		if (schema_write(fd, cols, ncols) == -1)
			err(EX_FAILURE, "%s", o.schema);
	}
	fd = file_begin(&afd, o.out, tmp_data);
	if (out_open(&out, fd, o.out != NULL && has_suffix(o.out, ".gz"),
	    o.batch) == -1)
		err(EX_FAILURE, "zlib");

	rc = rows_copy(&out, cols, ncols, src, &prog);
	if (rc == 0)
		rc = db_finish();
	else
		rc = db_status() ? db_status() : EX_FAILURE;
	if (rc == 0 && out_close(&out) == -1) {
		warn("%s", o.out ? o.out : "stdout");
		rc = EX_FAILURE;
	}
	if (rc == 0 && (file_commit(&afs, tmp_schema) == -1 ||
	    file_commit(&afd, tmp_data) == -1))
		rc = EX_FAILURE;
	if (rc != 0) {
		file_abort(&afs, tmp_schema);
		file_abort(&afd, tmp_data);
	}
	db_close();

	clock_gettime(CLOCK_MONOTONIC, &end);
	secs = elapsed(&prog.start, &end);
	if (prog.on)
		progress_show(&prog, &out, 1);
	if (rc == 0)
		logx(LOG_INFO, "table=%s rows=%lld bytes=%lld seconds=%.1f "
		    "rate=%.0f/s", label, out.rows, out.bytes, secs,
		    secs > 0 ? (double)out.rows / secs : 0.0);
	else
		logx(LOG_ERROR, "table=%s status=%d rows=%lld", label, rc,
		    out.rows);
	out_free(&out);
	columns_free(cols, ncols);
	config_free(&cfg);
	free(query);
	free(label);
	return rc;
}
