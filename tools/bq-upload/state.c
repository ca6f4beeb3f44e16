/*
 * state.c: DIR/upload/, what this batch set has sent to BigQuery.
 *
 *   run        the run id that names the jobs (kept across reruns)
 *   lock       flock'd while a bq-upload works on the set
 *   journal    one JSON object a line, appended whenever a batch's state
 *              changes: {"batch", "job", "attempt", "state", "sha256",
 *              "rows", "session"}; "batch" is NNNNN, or "publish" for the
 *              copy job; the last line of a batch is its state.  State
 *              "inserting" is written before the job is sent, "done" once
 *              it succeeded.
 *   published  written last: TABLE holds this batch set
 *
 * The journal is not fsync'd line by line, because every fact in it can
 * be learnt again from BigQuery: job ids follow from the run, table,
 * batch and attempt, so a batch whose lines were lost starts again at
 * attempt 1, gets 409 duplicate for a job that exists and reads its
 * outcome, and a failed attempt leads on to the next id the same way.
 * A lost line costs requests, never a row.  The one exception is the copy
 * job: once it is done the staging table is dropped, so its "done" line
 * is made durable before that.  A line is one write(2); a process killed
 * in the middle of one (a line that crosses a page can be cut) leaves a
 * last line without its newline, which the next run cuts off.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <jansson.h>

#include "atomicfile.h"
#include "bq.h"
#include "util.h"

static void	journal_open(const char *);

static void
file_put(const char *path, const char *text)
{
	struct atomicfile	af;
	size_t			len = strlen(text);

	if (af_open(&af, path) == -1)
		fatal(EX_FAILURE, "%s: %s", path, strerror(errno));
	if (write(af.fd, text, len) != (ssize_t)len) {
		af_abort(&af);
		fatal(EX_FAILURE, "%s: %s", path, strerror(errno));
	}
	if (af_commit(&af) == -1)
		fatal(EX_FAILURE, "%s: %s", path, strerror(errno));
}

static void
temps_remove(const char *updir)
{
	DIR		*d;
	struct dirent	*e;
	char		*path;

	if ((d = opendir(updir)) == NULL)
		fatal(EX_FAILURE, "%s: %s", updir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (!af_is_temp(e->d_name))
			continue;
		path = xasprintf("%s/%s", updir, e->d_name);
		unlink(path);
		free(path);
	}
	closedir(d);
}

/*
 * updir_prepare: create DIR/upload, hold its lock for the life of the
 * process (two uploads of one set would race for the job ids), and
 * remove what a killed run left half-written.
 */
void
updir_prepare(const char *updir)
{
	char	*path;
	int	 fd;

	if (mkdir(updir, 0700) == -1 && errno != EEXIST)
		fatal(EX_FAILURE, "%s: %s", updir, strerror(errno));
	path = xasprintf("%s/lock", updir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		fatal(EX_FAILURE, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		fatal(errno == EWOULDBLOCK ? EX_TEMPFAIL : EX_FAILURE,
		    "%s: %s", path, errno == EWOULDBLOCK ?
		    "another bq-upload works on this batch set" :
		    strerror(errno));
	free(path);
	temps_remove(updir);
	journal_open(updir);
}

int
run_id_ok(const char *s)
{
	size_t	n = strlen(s);

	return n > 0 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/*
 * run_id: -r RUN, or the token a first run made up; the run file keeps
 * it so that every rerun names its jobs as the first run did.
 */
char *
run_id(const char *updir, const char *given)
{
	unsigned char	 rnd[8];
	char		*path, *text, fresh[32];
	size_t		 i;

	path = xasprintf("%s/run", updir);
	if ((text = file_read(path, 4096, NULL)) != NULL) {
		text[strcspn(text, "\n")] = '\0';
		if (!run_id_ok(text))
			fatal(EX_DATAERR, "%s: not a run id", path);
		if (given != NULL && strcmp(given, text) != 0)
			fatal(EX_USAGE, "%s: this batch set was started as run "
			    "%s, not %s", path, text, given);
		free(path);
		return text;
	}
	if (errno != ENOENT)
		fatal(EX_FAILURE, "%s: %s", path, strerror(errno));
	if (given == NULL) {
		arc4random_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(fresh + 2 * i, 3, "%02x", rnd[i]);
		given = fresh;
	}
	text = xasprintf("%s\n", given);
	file_put(path, text);
	text[strcspn(text, "\n")] = '\0';
	free(path);
	return text;
}

/* the journal, open for appending, and the last line of each batch */
static struct {
	char	*path;
	int	 fd;
	char	**line;		/* [0] publish, [n] batch n */
	size_t	 n;
} jn = { .fd = -1 };

/* slot: where NAME's line is kept, or -1 for a name no batch has */
static long long
slot(const char *name)
{
	const char	*errstr;
	long long	 n;

	if (strcmp(name, "publish") == 0)
		return 0;
	if (strspn(name, "0123456789") != strlen(name))
		return -1;
	n = strtonum(name, 1, 1000000000, &errstr);
	return errstr == NULL ? n : -1;
}

static void
line_keep(long long i, const char *text)
{
	size_t	want = (size_t)i + 1;

	if (want > jn.n) {
		jn.line = xreallocarray(jn.line, want, sizeof(*jn.line));
		memset(jn.line + jn.n, 0, (want - jn.n) * sizeof(*jn.line));
		jn.n = want;
	}
	free(jn.line[i]);
	jn.line[i] = xstrdup(text);
}

static int
field_copy(json_t *j, const char *key, char *buf, size_t size)
{
	json_t	*v = json_object_get(j, key);

	return json_is_string(v) && strlcpy(buf, json_string_value(v),
	    size) < size ? 0 : -1;
}

/* line_parse: a journal line into ST; its batch's slot, or -1 */
static long long
line_parse(const char *text, struct jobstate *st, char *why, size_t size)
{
	json_error_t	 jerr;
	json_t		*j, *v;
	char		 batch[32], state[16];
	long long	 i = -1;

	memset(st, 0, sizeof(*st));
	if ((j = json_loads(text, 0, &jerr)) == NULL) {
		strlcpy(why, jerr.text, size);
		return -1;
	}
	if (field_copy(j, "batch", batch, sizeof(batch)) == -1 ||
	    (i = slot(batch)) == -1 ||
	    field_copy(j, "job", st->job, sizeof(st->job)) == -1 ||
	    field_copy(j, "state", state, sizeof(state)) == -1 ||
	    (strcmp(state, "done") != 0 && strcmp(state, "inserting") != 0) ||
	    field_copy(j, "sha256", st->sha256, sizeof(st->sha256)) == -1 ||
	    !json_is_integer(v = json_object_get(j, "attempt")) ||
	    json_integer_value(v) < 1 || json_integer_value(v) > 1000000) {
		strlcpy(why, "not a bq-upload journal line", size);
		json_decref(j);
		return -1;
	}
	st->attempt = (int)json_integer_value(v);
	st->done = strcmp(state, "done") == 0;
	st->rows = json_integer_value(json_object_get(j, "rows"));
	if (json_is_string(v = json_object_get(j, "session")))
		st->session = xstrdup(json_string_value(v));
	st->exists = 1;
	json_decref(j);
	return i;
}

/* journal_cut: drop a last line a killed process left without its end */
static void
journal_cut(off_t good, off_t size)
{
	if (good == size)
		return;
	if (ftruncate(jn.fd, good) == -1)
		fatal(EX_FAILURE, "%s: %s", jn.path, strerror(errno));
	warnx("%s: the last line was cut short (a process was killed "
	    "while writing it); dropped", jn.path);
}

/*
 * journal_open: read DIR/upload/journal, keep each batch's last line,
 * and hold it open for appending.  A damaged line stops the upload: it
 * is not the trace of a kill, which only ever cuts the last line.
 */
static void
journal_open(const char *updir)
{
	struct jobstate	 st;
	FILE		*f;
	char		*buf = NULL, why[200];
	size_t		 cap = 0, lineno = 0;
	ssize_t		 len;
	off_t		 good = 0, size = 0;
	long long	 i;

	jn.path = xasprintf("%s/journal", updir);
	jn.fd = open(jn.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (jn.fd == -1 || (f = fopen(jn.path, "re")) == NULL)
		fatal(EX_FAILURE, "%s: %s", jn.path, strerror(errno));
	while ((len = getline(&buf, &cap, f)) > 0) {
		size += len;
		lineno++;
		if (buf[len - 1] != '\n')
			break;
		buf[len - 1] = '\0';
		if ((i = line_parse(buf, &st, why, sizeof(why))) == -1)
			fatal(EX_DATAERR, "%s: line %zu: damaged (%s); remove "
			    "that line and run again: the batch's job is "
			    "found by its id", jn.path, lineno, why);
		state_free(&st);
		line_keep(i, buf);
		good = size;
	}
	if (ferror(f))
		fatal(EX_FAILURE, "%s: %s", jn.path, strerror(errno));
	fclose(f);
	free(buf);
	journal_cut(good, size);
}

void
state_load(const char *updir, const char *name, struct jobstate *st)
{
	char		 why[200];
	long long	 i = slot(name);

	(void)updir;
	memset(st, 0, sizeof(*st));
	if (i == -1)
		fatal(EX_FAILURE, "%s: no batch is named %s", jn.path, name);
	if ((size_t)i >= jn.n || jn.line[i] == NULL)
		return;
	if (line_parse(jn.line[i], st, why, sizeof(why)) != i)
		fatal(EX_FAILURE, "%s: %s: %s", jn.path, name, why);
}

/*
 * state_save: append NAME's new state.  The copy job's "done" is synced
 * (with the folder, for a journal made by this run) before anything
 * relies on it: the staging table is dropped next.
 */
void
state_save(const char *updir, const char *name, const struct jobstate *st)
{
	json_t		*j;
	char		*text;
	size_t		 len;
	long long	 i = slot(name);

	if (i == -1)
		fatal(EX_FAILURE, "%s: no batch is named %s", jn.path, name);
	j = json_pack("{s:s, s:s, s:i, s:s, s:s, s:I}", "batch", name,
	    "job", st->job, "attempt", st->attempt, "state", st->done ?
	    "done" : "inserting", "sha256", st->sha256, "rows",
	    (json_int_t)st->rows);
	if (j == NULL)
		fatal(EX_FAILURE, "out of memory");
	if (st->session != NULL)
		json_object_set_new(j, "session", json_string(st->session));
	if ((text = json_dumps(j, JSON_COMPACT)) == NULL)
		fatal(EX_FAILURE, "out of memory");
	json_decref(j);
	line_keep(i, text);
	len = strlen(text);
	text[len] = '\n';		/* over the NUL: one write, one line */
	errno = 0;
	if (write(jn.fd, text, len + 1) != (ssize_t)(len + 1))
		fatal(EX_FAILURE, "%s: %s", jn.path, errno ? strerror(errno) :
		    "short write");
	free(text);
	if (i == 0 && st->done && (fsync(jn.fd) == -1 ||
	    dir_fsync(updir) == -1))
		fatal(EX_FAILURE, "%s: %s", jn.path, strerror(errno));
}

void
state_free(struct jobstate *st)
{
	free(st->session);
	st->session = NULL;
}

int
published_exists(const char *updir)
{
	char	*path;
	int	 rc;

	path = xasprintf("%s/published", updir);
	rc = access(path, F_OK) == 0;
	free(path);
	return rc;
}

void
published_write(const char *updir, const char *table, long long rows)
{
	char	*path, *text;

	path = xasprintf("%s/published", updir);
	text = xasprintf("%s %lld\n", table, rows);
	file_put(path, text);
	free(path);
	free(text);
}
