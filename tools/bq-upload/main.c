/*
 * bq-upload: load a batch set into a BigQuery table exactly once.
 *
 * Every batch is one load job into TABLE__staging (the first replaces
 * what the staging table held, the rest append); job ids are ours and
 * recorded before each insert, so a rerun after any failure asks
 * BigQuery what happened instead of loading a batch twice.  When the
 * staging table holds exactly the manifest's rows, one copy job replaces
 * TABLE with it: readers never see half a load.
 */
#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <curl/curl.h>
#include <jansson.h>

#include "bq.h"
#include "config.h"
#include "log.h"
#include "manifest.h"
#include "util.h"

#define QUOTA_TABLE_DAY	1500	/* changes to a table a day */
#define STAGING_SUFFIX	"__staging"
#define WINDOW_DFLT	8	/* load jobs running at once */
#define WINDOW_MAX	100

const char	*bq_table = "-";

static struct {
	int		 on;		/* stderr is a terminal, no -q */
	int		 shown;
	double		 start;
	long long	 rows, bytes;
} prog;

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: %s [-qv] [-c config] -t table [-d dataset] "
	    "[-j jobs]\n                 [-m schema] [-r run] dir\n"
	    "       %s [-c config] --check\n"
	    "       %s -h | --help | --version\n",
	    getprogname(), getprogname(), getprogname());
}

void
progress_clear(void)
{
	if (prog.shown)
		fputs("\r\033[K", stderr);
	prog.shown = 0;
}

void
fatal(int code, const char *fmt, ...)
{
	va_list	ap;
	char	msg[2048], buf[2048];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	progress_clear();
	fprintf(stderr, "%s: %s\n", getprogname(), msg);
	logx(LOG_ERROR, "table=%s exit=%d error=%s", bq_table, code,
	    log_value(buf, sizeof(buf), msg));
	exit(code);
}

static void
progress_show(size_t done, size_t n)
{
	double	secs = now_mono() - prog.start;

	if (!prog.on)
		return;
	fprintf(stderr, "\r\033[K%s: %s: batch %zu/%zu, %lld rows, %.1f MB, "
	    "%.1f MB/s", getprogname(), bq_table, done, n, prog.rows,
	    prog.bytes / 1e6, secs > 0 ? prog.bytes / 1e6 / secs : 0.0);
	prog.shown = 1;
}

static void
cleanup(void)
{
	auth_wipe();
	http_end();
}

static void
config_read(const char *path, struct config *cfg)
{
	int	rc;

	path = config_path(path);
	if ((rc = config_load(path, cfg)) != 0)
		exit(rc);
	if (!cfg->has_bigquery)
		fatal(EX_CONFIG, "%s: bigquery: missing", path);
}

/* name_check: WHAT names where NAME came from (an option or a config
 * key), and the exit status says whose mistake it is */
static void
name_check(int ex, const char *what, const char *name, size_t max)
{
	size_t	n = strlen(name);

	if (n == 0 || n > max || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
		fatal(ex, "%s %s: expected 1 to %zu letters, digits or "
		    "underscores", what, name, max);
}

/* batches_verify: every byte the manifest lists, before anything is sent */
static void
batches_verify(const char *dir, struct manifest *m)
{
	char	err[1024];
	int	rc;

	rc = manifest_read(dir, m, err, sizeof(err));
	if (rc == -1)
		fatal(EX_DATAERR, "%s/%s: %s (not a complete batch set)", dir,
		    MANIFEST_NAME, err);
	if (rc != 0)
		fatal(EX_DATAERR, "%s/%s: %s", dir, MANIFEST_NAME, err);
	if (manifest_verify(dir, m, err, sizeof(err)) != 0)
		fatal(EX_DATAERR, "%s/%s", dir, err);
}

/* schema_load: the schema.fields array, or an object holding it */
static json_t *
schema_load(const char *path)
{
	json_error_t	 jerr;
	json_t		*j, *f, *v;
	size_t		 i;

	if ((j = json_load_file(path, 0, &jerr)) == NULL)
		fatal(EX_DATAERR, "%s: %s", path, jerr.text);
	f = json_is_object(j) ? json_object_get(j, "fields") : j;
	if (!json_is_array(f) || json_array_size(f) == 0)
		fatal(EX_DATAERR, "%s: expected the schema's fields array",
		    path);
	json_array_foreach(f, i, v)
		if (!json_is_string(json_object_get(v, "name")) ||
		    !json_is_string(json_object_get(v, "type")))
			fatal(EX_DATAERR, "%s: field %zu: expected a name and "
			    "a type", path, i + 1);
	json_incref(f);
	json_decref(j);
	return f;
}

static void
bq_setup(struct bq *b, const struct config *cfg, char *key_project)
{
	char	*api, err[1024];
	size_t	 n;

	if (cfg->bq.project[0] != '\0')
		b->project = cfg->bq.project;
	else if (key_project != NULL)
		b->project = key_project;
	else
		fatal(EX_CONFIG, "%s: bigquery.project: empty, and the key "
		    "has no project_id", cfg->path);
	if (url_check(cfg->bq.api_url, err, sizeof(err)) == -1)
		fatal(EX_CONFIG, "%s: bigquery.api_url: %s", cfg->path, err);
	api = xstrdup(cfg->bq.api_url);
	while ((n = strlen(api)) > 0 && api[n - 1] == '/')
		api[n - 1] = '\0';
	b->api = api;
	if ((b->project_esc = curl_easy_escape(NULL, b->project, 0)) == NULL)
		fatal(EX_FAILURE, "out of memory");
	b->location = cfg->bq.location;
	b->staging = xasprintf("%s%s", b->table, STAGING_SUFFIX);
}

/* config_check: what a load would refuse first (the dataset, the key
 * file, the URLs), with nothing sent; for the driver, before a run */
static int
config_check(const char *cfgpath, struct bq *b)
{
	static struct config	 cfg;
	char			*dsname, *key_project;

	config_read(cfgpath, &cfg);
	dsname = xasprintf("%s: bigquery.dataset:", cfg.path);
	name_check(EX_CONFIG, dsname, cfg.bq.dataset, 1024);
	free(dsname);
	key_project = auth_init(cfg.bq.credentials);
	b->table = "check";
	bq_setup(b, &cfg, key_project);
	return 0;
}

static void
quota_warn(const struct manifest *m)
{
	if (m->n <= QUOTA_TABLE_DAY / 10)
		return;
	warnx("warning: %s: %zu batches use more than a tenth of the %d "
	    "loads a table may take a day (raise the batch size)", bq_table,
	    m->n, QUOTA_TABLE_DAY);
	logx(LOG_WARNING, "table=%s batches=%zu quota=%d/day "
	    "warning=\"over a tenth of the table's daily load jobs\"",
	    bq_table, m->n, QUOTA_TABLE_DAY);
}

static void
jobid_make(struct jobstate *st, const char *run, const struct bq *b,
    const char *part)
{
	if ((size_t)snprintf(st->job, sizeof(st->job), "pohoda_%s_%s_%s_%s_%d",
	    run, b->dataset, b->table, part, st->attempt) >= sizeof(st->job))
		fatal(EX_USAGE, "%s: the job id would be too long", b->table);
}

/* attempt_next: a new job id, recorded before it is used */
static void
attempt_next(struct jobstate *st, const char *run, const struct bq *b,
    const char *updir, const char *part)
{
	st->attempt++;
	jobid_make(st, run, b, part);
	free(st->session);
	st->session = NULL;
	state_save(updir, part, st);
}

/* a batch whose load job was sent and is not yet known to be done */
struct pending {
	size_t		 i;
	struct jobstate	 st;
	json_t		*job;	/* as the last reply showed it */
	double		 t0, sent;
	int		 skip;		/* done by an earlier run */
};

static json_t *
batch_send(const struct bq *b, const char *dir, const struct batch *bt,
    int first, struct jobstate *st, const char *updir, const char *part)
{
	json_t	*meta, *job;
	char	*path;

	path = xasprintf("%s/%s", dir, bt->name);
	meta = load_meta(b, st->job, first);
	job = load_send(b, meta, path, bt->size, st, updir, part);
	json_decref(meta);
	free(path);
	return job;
}

/* batch_start: send batch I's load job, unless an earlier run did */
static void
batch_start(const struct bq *b, const char *dir, const char *updir,
    const char *run, const struct manifest *m, size_t i, struct pending *p)
{
	const struct batch	*bt = &m->b[i];
	char			 part[32];

	memset(p, 0, sizeof(*p));
	p->i = i;
	p->t0 = now_mono();
	snprintf(part, sizeof(part), "%05zu", i + 1);
	state_load(updir, part, &p->st);
	if (p->st.exists && strcmp(p->st.sha256, bt->sha256) != 0)
		fatal(EX_DATAERR, "%s/journal: %s: made for another %s (remove "
		    "%s to start this batch set over)", updir, part, bt->name,
		    updir);
	if ((p->skip = p->st.done))
		return;
	if (!p->st.exists) {
		p->st.attempt = 1;
		jobid_make(&p->st, run, b, part);
		strlcpy(p->st.sha256, bt->sha256, sizeof(p->st.sha256));
		p->st.rows = bt->rows;
		state_save(updir, part, &p->st);
	}
	p->job = batch_send(b, dir, bt, i == 0, &p->st, updir, part);
	p->sent = now_mono();
}

/*
 * batch_finish: wait for batch I's job; a job that failed in a way worth
 * another try is sent again under the next id, and waited for at once.
 */
static void
batch_finish(const struct bq *b, const char *dir, const char *updir,
    const char *run, const struct manifest *m, struct pending *p)
{
	const struct batch	*bt = &m->b[p->i];
	struct jobstate		*st = &p->st;
	json_t			*job = p->job;
	char			 part[32], what[2200];
	int			 rc = 1, tries = 0, max;

	max = (int)env_long("BQ_UPLOAD_JOB_ATTEMPTS", 5, 1, 100);
	snprintf(part, sizeof(part), "%05zu", p->i + 1);
	if (p->skip)
		goto out;
	for (;;) {
		snprintf(what, sizeof(what), "%s: %s: job %s", b->table,
		    bt->name, st->job);
		if (job != JOB_GONE && (rc = job_outcome(job = job_wait(b,
		    st->job, job, p->sent), what)) == 0)
			break;
		if (job != JOB_GONE)
			json_decref(job);
		/* a failed id cannot be reused: the rerun gets a new one */
		attempt_next(st, run, b, updir, part);
		if (rc > 1)
			fatal(rc, "%s: rejected by BigQuery", what);
		if (++tries >= max)
			fatal(EX_TEMPFAIL, "%s: %s: %d load jobs failed",
			    b->table, bt->name, tries);
		job = batch_send(b, dir, bt, p->i == 0, st, updir, part);
		p->sent = now_mono();
	}
	if (job_rows(job) != bt->rows)
		fatal(EX_DATAERR, "%s: loaded %lld rows, the manifest says "
		    "%lld", what, job_rows(job), bt->rows);
	json_decref(job);
	st->done = 1;
	free(st->session);
	st->session = NULL;
	state_save(updir, part, st);
	logx(LOG_INFO, "table=%s batch=%zu/%zu rows=%lld bytes=%lld "
	    "size=%lld job=%s seconds=%.1f", b->table, p->i + 1, m->n,
	    bt->rows, bt->bytes, bt->size, st->job, now_mono() - p->t0);
out:
	prog.rows += bt->rows;
	prog.bytes += bt->size;
	progress_show(p->i + 1, m->n);
	state_free(st);
}

/*
 * batches_load: the first batch's job (WRITE_TRUNCATE) alone, then the
 * appends with up to WINDOW jobs running at once, waited for in order.
 * Appends commute, so the order the jobs end in does not matter, and a
 * load job is all or nothing; BigQuery spends seconds on each, which
 * would otherwise be spent one after another.
 */
static void
batches_load(const struct bq *b, const char *dir, const char *updir,
    const char *run, const struct manifest *m, size_t window)
{
	struct pending	*ring;
	size_t		 i, head = 0, n = 0;

	if (m->n == 0)
		return;
	ring = xreallocarray(NULL, window, sizeof(*ring));
	batch_start(b, dir, updir, run, m, 0, &ring[0]);
	batch_finish(b, dir, updir, run, m, &ring[0]);
	for (i = 1; i < m->n; i++) {
		if (n == window) {
			batch_finish(b, dir, updir, run, m, &ring[head]);
			head = (head + 1) % window;
			n--;
		}
		batch_start(b, dir, updir, run, m, i,
		    &ring[(head + n) % window]);
		n++;
	}
	for (; n > 0; n--) {
		batch_finish(b, dir, updir, run, m, &ring[head]);
		head = (head + 1) % window;
	}
	free(ring);
}

/* staging_check: exactly the manifest's rows, or nothing is published */
static void
staging_check(const struct bq *b, const struct manifest *m)
{
	long long	rows;

	if (m->n == 0) {
		/* no load job made it: make it empty, with the schema */
		table_delete(b, b->staging);
		table_create(b, b->staging);
	}
	rows = table_rows(b, b->staging);
	if (rows != m->rows)
		fatal(EX_DATAERR, "%s: %s holds %lld rows, the manifest says "
		    "%lld; not published", b->table, b->staging, rows,
		    m->rows);
}

static void
publish(const struct bq *b, const char *updir, const char *run,
    const struct manifest *m)
{
	struct jobstate	 st;
	json_t		*meta, *job;
	char		 what[2200];
	int		 rc = 1;

	state_load(updir, "publish", &st);
	if (st.done)
		goto drop;
	staging_check(b, m);
	if (!st.exists) {
		st.attempt = 1;
		jobid_make(&st, run, b, "publish");
		st.rows = m->rows;
		state_save(updir, "publish", &st);
	}
	for (;;) {
		snprintf(what, sizeof(what), "%s: publish: job %s", b->table,
		    st.job);
		meta = copy_meta(b, st.job);
		job = job_insert(b, meta);
		json_decref(meta);
		if (job != JOB_GONE && (rc = job_outcome(job = job_wait(b,
		    st.job, job, now_mono()), what)) == 0)
			break;
		if (job != JOB_GONE)
			json_decref(job);
		attempt_next(&st, run, b, updir, "publish");
		if (rc > 1)
			fatal(rc, "%s: rejected by BigQuery", what);
		if (st.attempt > 5)
			fatal(EX_TEMPFAIL, "%s: copy jobs keep failing", what);
	}
	json_decref(job);
	st.done = 1;
	state_save(updir, "publish", &st);
drop:
	table_delete(b, b->staging);
	published_write(updir, b->table, m->rows);
	logx(LOG_INFO, "table=%s published=yes rows=%lld batches=%zu job=%s",
	    b->table, m->rows, m->n, st.job);
	state_free(&st);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	/* static: what lives until exit stays reachable, not leaked */
	static struct config	 cfg;
	static struct manifest	 m;
	static struct bq	 b;
	static char		*updir, *runid, *key_project;
	const char		*cfgpath = NULL, *schema = NULL, *run = NULL;
	const char		*errstr;
	char			*dir, *schema_dflt, *dsname;
	size_t			 window = WINDOW_DFLT;
	int			 ch, quiet = 0, verbose = 0, check = 0;

	while ((ch = getopt_long(argc, argv, "c:t:m:d:j:r:qvh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 't':
			b.table = optarg;
			break;
		case 'm':
			schema = optarg;
			break;
		case 'd':
			b.dataset = optarg;
			break;
		case 'j':
			window = strtonum(optarg, 1, WINDOW_MAX, &errstr);
			if (errstr != NULL)
				errx(EX_USAGE, "-j %s: expected 1 to %d load "
				    "jobs at once", optarg, WINDOW_MAX);
			break;
		case 'r':
			run = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			version_print();
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (check && argc == 0 && b.table == NULL) {
		auth_guard();
		atexit(cleanup);
		return config_check(cfgpath, &b);
	}
	if (check || argc != 1 || b.table == NULL) {
		usage(stderr);
		return EX_USAGE;
	}
	dir = argv[0];
	bq_table = b.table;
	auth_guard();
	atexit(cleanup);

	config_read(cfgpath, &cfg);
	log_init(&cfg, verbose);
	name_check(EX_USAGE, "-t", b.table, 1024 - strlen(STAGING_SUFFIX));
	if (b.dataset != NULL) {
		name_check(EX_USAGE, "-d", b.dataset, 1024);
	} else {
		b.dataset = cfg.bq.dataset;
		dsname = xasprintf("%s: bigquery.dataset:", cfg.path);
		name_check(EX_CONFIG, dsname, b.dataset, 1024);
		free(dsname);
	}
	if (run != NULL && !run_id_ok(run))
		fatal(EX_USAGE, "run %s: expected 1 to 64 letters, digits, "
		    "'_' or '-'", run);

	batches_verify(dir, &m);
	schema_dflt = xasprintf("%s/../schema.json", dir);
	b.fields = schema_load(schema != NULL ? schema : schema_dflt);
	free(schema_dflt);
	updir = xasprintf("%s/upload", dir);
	updir_prepare(updir);
	if (published_exists(updir)) {
		logx(LOG_INFO, "table=%s published=already", b.table);
		return 0;
	}
	runid = run_id(updir, run);

	http_init();
	key_project = auth_init(cfg.bq.credentials);
	bq_setup(&b, &cfg, key_project);
	quota_warn(&m);
	prog.on = !quiet && isatty(STDERR_FILENO);
	prog.start = now_mono();

	dataset_ensure(&b);
	batches_load(&b, dir, updir, runid, &m, window);
	publish(&b, updir, runid, &m);

	progress_clear();
	return 0;
}
