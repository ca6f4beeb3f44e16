/*
 * pohoda-batch: cut an NDJSON(.gz) stream into numbered gzip'd batch
 * files and a manifest, the unit a failed upload resumes from.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "atomicfile.h"
#include "batch.h"
#include "config.h"
#include "log.h"
#include "manifest.h"
#include "util.h"

#define SOURCE_NAME	"source"
#define SOURCE_MAGIC	"# pohoda-batch source 1"
#define MAX_ROWS	10000000

static struct batcher	*cleanup_b;	/* what to undo on an error */
static const char	*cleanup_dir;
static int		 show_progress;
static int		 progress_shown;

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: %s [-qv] [-b bytes] "
	    "[-c config] [-n rows] -o dir [file]\n", getprogname());
	exit(code);
}

static void
source_remove(const char *dir)
{
	char	*path;

	path = xasprintf("%s/%s", dir, SOURCE_NAME);
	(void)unlink(path);
	free(path);
}

static void __attribute__((noreturn))
vdie(int code, const char *prefix, const char *fmt, va_list ap)
{
	char	*msg;

	if (progress_shown)
		fputc('\n', stderr);
	progress_shown = 0;
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	logx(LOG_ERROR, "error=%s", msg ? msg : "?");
	warnx("%s%s", prefix, msg ? msg : "out of memory");
	free(msg);
	if (cleanup_b != NULL)
		batches_discard(cleanup_b);
	if (cleanup_dir != NULL)
		source_remove(cleanup_dir);
	exit(code);
}

void
die(int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vdie(code, "", fmt, ap);
	va_end(ap);
}

void
die_line(int code, const struct batcher *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*prefix;

	prefix = xasprintf("%s: line %lld: ", b->name, b->line);
	va_start(ap, fmt);
	vdie(code, prefix, fmt, ap);
	va_end(ap);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
progress_update(const struct batcher *b, long long in_bytes, int final)
{
	static double	start, last;
	double		t;

	if (!show_progress)
		return;
	t = now();
	if (start == 0)
		start = last = t;
	if (!final && t - last < 0.5)
		return;
	last = t;
	fprintf(stderr, "\r%s: %lld rows, %zu batches, %.1f MB read, "
	    "%.0f rows/s ", getprogname(), b->line - 1, b->m.n,
	    in_bytes / 1e6, t > start ? (b->line - 1) / (t - start) : 0.0);
	progress_shown = !final;
	if (final)
		fputc('\n', stderr);
}

/* SIZE[kKmMgG]: bytes, the suffixes in powers of 1024 */
static long long
size_parse(const char *s)
{
	char		*end;
	long long	 n, unit = 1;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end != s && end[0] != '\0' && end[1] == '\0') {
		switch (end[0]) {
		case 'k': case 'K': unit = 1LL << 10; end++; break;
		case 'm': case 'M': unit = 1LL << 20; end++; break;
		case 'g': case 'G': unit = 1LL << 30; end++; break;
		}
	}
	if (end == s || *end != '\0' || errno || n < 1 ||
	    n > (1LL << 50) / unit) {
		warnx("-b: %s: expected a number of bytes (like 100M)", s);
		usage(EX_USAGE);
	}
	return n * unit;
}

/* config_optional: the config to read, or NULL when there is none to
 * read (the batch size then has its default) */
static const char *
config_optional(const char *given)
{
	const char	*env = getenv("POHODA_SYNC_CONFIG");

	/* only the implicit ./config.json may be absent */
	if (given == NULL && (env == NULL || env[0] == '\0') &&
	    access("config.json", R_OK) != 0)
		return NULL;
	return config_path(given);
}

/* config_get: the config, or the defaults when there is none; 1 when
 * there is one */
static int
config_get(const char *given, struct config *cfg)
{
	const char	*path;

	if ((path = config_optional(given)) == NULL) {
		config_defaults(cfg);
		return 0;
	}
	if (config_load(path, cfg) != 0) {
		config_free(cfg);
		exit(EX_CONFIG);
	}
	return 1;
}

/* mkdir -p, 0700 for what it makes */
static void
dir_make(const char *dir)
{
	char	*path, *p;

	path = xstrdup(dir);
	for (p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char	saved = *p;

			*p = '\0';
			if (mkdir(path, 0700) == -1 && errno != EEXIST)
				die(EX_FAILURE, "%s: %s", path,
				    strerror(errno));
			*p = saved;
		}
		if (*p == '\0')
			break;
	}
	free(path);
}

/* one pohoda-batch at a time in a folder; the lock goes with the
 * process */
static void
dir_lock(const char *dir)
{
	int	fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		die(EX_FAILURE, "%s: %s", dir, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		die(errno == EWOULDBLOCK ? EX_TEMPFAIL : EX_FAILURE,
		    "%s: %s", dir, errno == EWOULDBLOCK ?
		    "in use by another pohoda-batch" : strerror(errno));
}

static int
is_batch_name(const char *name)
{
	size_t	digits = strspn(name, "0123456789");

	return digits >= 5 && strcmp(name + digits, ".ndjson.gz") == 0;
}

/* one of our temporary files: ".NAME.tmp.XXXXXX" with NAME ours */
static int
is_our_temp(const char *name)
{
	char	 inner[256];
	char	*mark;

	if (!af_is_temp(name) ||
	    strlcpy(inner, name + 1, sizeof(inner)) >= sizeof(inner))
		return 0;
	if ((mark = strstr(inner, ".tmp.")) == NULL)
		return 0;
	*mark = '\0';
	return is_batch_name(inner) || strcmp(inner, MANIFEST_NAME) == 0 ||
	    strcmp(inner, SOURCE_NAME) == 0;
}

static int
manifest_has(const struct manifest *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->b[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * dir_sweep: remove our leftover temporary files and, with M NULL, our
 * batch files too.  With M given, it returns whether a batch file is
 * there that M does not list.
 */
static int
dir_sweep(const char *dir, const struct manifest *m)
{
	DIR		*d;
	struct dirent	*e;
	char		*path;
	int		 stray = 0, rm;

	if ((d = opendir(dir)) == NULL)
		die(EX_FAILURE, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		rm = is_our_temp(e->d_name);
		if (is_batch_name(e->d_name)) {
			if (m == NULL)
				rm = 1;
			else if (!manifest_has(m, e->d_name))
				stray = 1;
		}
		if (!rm)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (unlink(path) == -1 && errno != ENOENT)
			die(EX_FAILURE, "%s: %s", path, strerror(errno));
		free(path);
	}
	closedir(d);
	return stray;
}

/* set_remove: the manifest first, so that what is left is incomplete */
static void
set_remove(const char *dir)
{
	const char	*names[] = { MANIFEST_NAME, SOURCE_NAME };
	char		*path;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		path = xasprintf("%s/%s", dir, names[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			die(EX_FAILURE, "%s: %s", path, strerror(errno));
		free(path);
	}
	(void)dir_sweep(dir, NULL);
	if (dir_fsync(dir) == -1)
		die(EX_FAILURE, "%s: %s", dir, strerror(errno));
}

/*
 * DIR/source says what the set was made from: the batch limits and the
 * input's size and checksum.  A set is current for FILE when all of it
 * matches; for standard input, which cannot be read twice, when the
 * limits do.
 */
static char *
source_head(const struct batcher *b)
{
	return xasprintf("%s\nbatch_rows\t%lld\nbatch_bytes\t%lld\n",
	    SOURCE_MAGIC, b->max_rows, b->max_bytes);
}

static void
source_write(const struct batcher *b, long long size, const char *sha)
{
	struct atomicfile	 af;
	char			*path, *head, *text;
	size_t			 len;

	path = xasprintf("%s/%s", b->dir, SOURCE_NAME);
	head = source_head(b);
	text = xasprintf("%sinput_size\t%lld\ninput_sha256\t%s\n", head,
	    size, sha);
	len = strlen(text);
	if (af_open(&af, path) == -1 ||
	    write(af.fd, text, len) != (ssize_t)len || af_commit(&af) == -1)
		die(EX_FAILURE, "%s: %s", path, strerror(errno));
	free(text);
	free(head);
	free(path);
}

static const char *
source_check(const struct batcher *b, const char *file)
{
	struct stat	 st;
	char		 sha[65];
	char		*path, *text, *head, *want;
	long long	 size;
	const char	*why = NULL;

	path = xasprintf("%s/%s", b->dir, SOURCE_NAME);
	text = file_read(path, 4096, NULL);
	free(path);
	if (text == NULL)
		return "no source file";
	head = source_head(b);
	if (strncmp(text, head, strlen(head)) != 0)
		why = "made with other batch limits or damaged";
	else if (file != NULL && stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
		if (file_sha256(file, sha, &size) == -1)
			die(EX_FAILURE, "%s: %s", file, strerror(errno));
		want = xasprintf("%sinput_size\t%lld\ninput_sha256\t%s\n",
		    head, size, sha);
		if (strcmp(text, want) != 0)
			why = "made from another input";
		free(want);
	}
	free(head);
	free(text);
	return why;
}

/* set_check: NULL when DIR holds a complete set made from this input
 * with these limits (then M is its manifest), else why not */
static const char *
set_check(const struct batcher *b, const char *file, struct manifest *m)
{
	static char	 why[512];
	char		 err[256];
	int		 rc;

	rc = manifest_read(b->dir, m, err, sizeof(err));
	if (rc == -1 && errno == ENOENT)
		return "no manifest";
	if (rc != 0) {
		snprintf(why, sizeof(why), "manifest: %s", err);
		return why;
	}
	if (manifest_verify(b->dir, m, err, sizeof(err)) == -1) {
		snprintf(why, sizeof(why), "%s", err);
		return why;
	}
	if (dir_sweep(b->dir, m))
		return "a batch file the manifest does not list";
	return source_check(b, file);
}

/* set_sync: the batches on disk before the manifest says they are */
static void
set_sync(const char *dir)
{
	int	fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    syncfs(fd) == -1 || fsync(fd) == -1)
		die(EX_FAILURE, "%s: %s", dir, strerror(errno));
	close(fd);
}

/*
 * set_current: whether DIR holds the set to make (its manifest is then
 * in b->m); if not, and there was a set, the log says why it goes
 */
static int
set_current(struct batcher *b, const char *file)
{
	struct manifest	 m;
	const char	*why;
	char		 dirq[512], whyq[512];

	if ((why = set_check(b, file, &m)) == NULL) {
		b->m = m;
		return 1;
	}
	manifest_free(&m);
	if (strcmp(why, "no manifest") != 0)
		logx(LOG_INFO, "dir=%s rebuilding=yes reason=%s",
		    log_value(dirq, sizeof(dirq), b->dir),
		    log_value(whyq, sizeof(whyq), why));
	return 0;
}

static void
set_finish(struct batcher *b, struct input *in)
{
	set_sync(b->dir);
	source_write(b, input_size(in), input_sha256(in));
	if (manifest_write(b->dir, &b->m) == -1)
		die(EX_FAILURE, "%s/%s: %s", b->dir, MANIFEST_NAME,
		    strerror(errno));
}

static void
summary_log(const struct batcher *b, const char *what, double seconds)
{
	char	dir[512];

	logx(LOG_INFO, "dir=%s %s rows=%lld batches=%zu bytes=%lld "
	    "size=%lld copied=%zu seconds=%.2f",
	    log_value(dir, sizeof(dir), b->dir), what, b->m.rows, b->m.n,
	    b->m.bytes, b->m.size, b->copied, seconds);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	 cfg;
	struct batcher	 b;
	struct input	*in;
	const char	*cpath = NULL, *errstr, *file = NULL;
	double		 start = now();
	int		 ch, quiet = 0, verbose = 0, have_cfg = 0;

	memset(&b, 0, sizeof(b));
	while ((ch = getopt_long(argc, argv, "b:c:hn:o:qv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			b.max_bytes = size_parse(optarg);
			break;
		case 'c':
			cpath = optarg;
			break;
		case 'h':
			usage(0);
		case 'n':
			b.max_rows = strtonum(optarg, 1, MAX_ROWS, &errstr);
			if (errstr != NULL) {
				warnx("-n: %s: %s", optarg, errstr);
				usage(EX_USAGE);
			}
			break;
		case 'o':
			b.dir = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			version_print();
			return 0;
		default:
			usage(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (b.dir == NULL || b.dir[0] == '\0' || argc > 1)
		usage(EX_USAGE);
	if (argc == 1 && strcmp(argv[0], "-") != 0)
		file = argv[0];
	b.name = file ? file : "stdin";

	have_cfg = config_get(cpath, &cfg);
	if (b.max_rows == 0)
		b.max_rows = cfg.batch_size;
	log_init(have_cfg ? &cfg : NULL, verbose);
	show_progress = !quiet && isatty(STDERR_FILENO);

	dir_make(b.dir);
	dir_lock(b.dir);
	in = input_open(file);

	if (set_current(&b, file)) {
		summary_log(&b, "up_to_date=yes", now() - start);
		manifest_free(&b.m);
		input_close(in);
		config_free(&cfg);
		return 0;
	}
	set_remove(b.dir);

	rows_init(&b);
	cleanup_b = &b;
	cleanup_dir = b.dir;
	input_run(in, &b);
	set_finish(&b, in);
	cleanup_b = NULL;
	cleanup_dir = NULL;

	summary_log(&b, "up_to_date=no", now() - start);
	rows_free(&b);
	input_close(in);
	config_free(&cfg);
	return 0;
}
