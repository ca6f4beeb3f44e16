/*
 * state.c: DIR/upload/, what this batch set has sent to BigQuery.
 *
 *   run             the run id that names the jobs (kept across reruns)
 *   lock            flock'd while a bq-upload works on the set
 *   00001.state     per batch: {"job", "attempt", "state", "sha256",
 *                   "session", "rows"}; state "inserting" is written
 *                   before the job is sent, "done" once it succeeded
 *   publish.state   the same for the copy job that publishes TABLE
 *   published       written last: TABLE holds this batch set
 *
 * Every file is replaced atomically (mode 0600), so a process killed at
 * any instant leaves either the old or the new state, and the job id in
 * an "inserting" state lets a rerun ask BigQuery what became of it.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
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

static int
field_copy(json_t *j, const char *key, char *buf, size_t size)
{
	json_t	*v = json_object_get(j, key);

	return json_is_string(v) && strlcpy(buf, json_string_value(v),
	    size) < size ? 0 : -1;
}

void
state_load(const char *updir, const char *name, struct jobstate *st)
{
	json_error_t	 jerr;
	json_t		*j, *v;
	char		*path, state[16];

	memset(st, 0, sizeof(*st));
	path = xasprintf("%s/%s.state", updir, name);
	if ((j = json_load_file(path, 0, &jerr)) == NULL) {
		if (access(path, F_OK) == -1 && errno == ENOENT) {
			free(path);
			return;
		}
		fatal(EX_DATAERR, "%s: damaged (%s); remove it and run again: "
		    "the batch's job is found by its id", path, jerr.text);
	}
	if (field_copy(j, "job", st->job, sizeof(st->job)) == -1 ||
	    field_copy(j, "state", state, sizeof(state)) == -1 ||
	    field_copy(j, "sha256", st->sha256, sizeof(st->sha256)) == -1 ||
	    !json_is_integer(v = json_object_get(j, "attempt")))
		fatal(EX_DATAERR, "%s: not a bq-upload state file; remove it "
		    "and run again: the batch's job is found by its id", path);
	st->attempt = (int)json_integer_value(v);
	st->done = strcmp(state, "done") == 0;
	st->rows = json_integer_value(json_object_get(j, "rows"));
	if (json_is_string(v = json_object_get(j, "session")))
		st->session = xstrdup(json_string_value(v));
	st->exists = 1;
	json_decref(j);
	free(path);
}

void
state_save(const char *updir, const char *name, const struct jobstate *st)
{
	json_t	*j;
	char	*path, *text;

	j = json_pack("{s:s, s:i, s:s, s:s, s:I}", "job", st->job,
	    "attempt", st->attempt, "state", st->done ? "done" : "inserting",
	    "sha256", st->sha256, "rows", (json_int_t)st->rows);
	if (j == NULL)
		fatal(EX_FAILURE, "out of memory");
	if (st->session != NULL)
		json_object_set_new(j, "session", json_string(st->session));
	if ((text = json_dumps(j, JSON_COMPACT)) == NULL)
		fatal(EX_FAILURE, "out of memory");
	json_decref(j);
	path = xasprintf("%s/%s.state", updir, name);
	file_put(path, text);
	free(path);
	free(text);
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
