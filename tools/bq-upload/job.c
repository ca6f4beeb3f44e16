/*
 * job.c: the BigQuery REST calls bq-upload needs: datasets.get/insert,
 * tables.get/insert/delete, jobs.insert (metadata, multipart upload and
 * resumable upload), jobs.get.  A job id that already exists (409
 * duplicate) is never an error here: it is read back with jobs.get, so
 * a retried insert cannot load a batch twice.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <jansson.h>

#include "bq.h"
#include "log.h"
#include "util.h"

#define CHUNK_UNIT	262144		/* resumable chunks: 256 KiB */

/*
 * bq-upload reads three things of a job: its state, its errors and the
 * rows it loaded.  The partial response leaves out the configuration, which
 * repeats the whole schema, and prettyPrint=false the indentation; a
 * server that ignores either only sends more.
 */
#define COMPACT		"prettyPrint=false"
#define JOB_FIELDS	"fields=status,statistics(load/outputRows)&" COMPACT

static char *
rest_url(const struct bq *b, const char *rest)
{
	return xasprintf("%s/bigquery/v2/projects/%s/%s", b->api,
	    b->project_esc, rest);
}

static char *
json_text(json_t *j)
{
	char	*s;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		fatal(EX_FAILURE, "out of memory");
	return s;
}

static void
req_init(struct http_req *q, const char *method, const char *url,
    const char *what)
{
	memset(q, 0, sizeof(*q));
	q->method = method;
	q->url = url;
	q->auth = 1;
	q->what = what;
}

static json_t *
reply_json(const struct http_resp *r, const char *what)
{
	json_t	*j;

	if ((j = resp_json(r)) == NULL || !json_is_object(j))
		fatal(EX_UNAVAILABLE, "%s: HTTP %ld: the reply is not a JSON "
		    "object", what, r->status);
	return j;
}

void
dataset_ensure(const struct bq *b)
{
	struct http_req		 q;
	struct http_resp	 r = { .range_last = -1 };
	json_t			*j;
	char			*url, *body;

	url = rest_url(b, "datasets");
	body = xasprintf("%s/%s", url, b->dataset);
	req_init(&q, "GET", body, "datasets.get");
	http_call(&q, &r);
	free(body);
	if (r.status == 200)
		goto out;
	if (r.status != 404)
		resp_fail(&r, "datasets.get");
	j = json_pack("{s:{s:s, s:s}, s:s}", "datasetReference",
	    "projectId", b->project, "datasetId", b->dataset,
	    "location", b->location);
	body = json_text(j);
	json_decref(j);
	req_init(&q, "POST", url, "datasets.insert");
	q.ctype = "application/json";
	q.body = body;
	q.len = strlen(body);
	http_call(&q, &r);
	free(body);
	/* 409: made meanwhile by someone else, which is just as good */
	if (r.status != 200 && r.status != 409)
		resp_fail(&r, "datasets.insert");
	logx(LOG_INFO, "table=%s dataset=%s created=yes location=%s",
	    b->table, b->dataset, b->location);
out:
	resp_free(&r);
	free(url);
}

/* table_rows: numRows of a table, or -1 when it does not exist */
long long
table_rows(const struct bq *b, const char *table)
{
	struct http_req		 q;
	struct http_resp	 r = { .range_last = -1 };
	json_t			*j, *v;
	char			*path, *url;
	long long		 n = -1;

	path = xasprintf("datasets/%s/tables/%s?fields=numRows&" COMPACT,
	    b->dataset, table);
	url = rest_url(b, path);
	req_init(&q, "GET", url, "tables.get");
	http_call(&q, &r);
	if (r.status == 200) {
		j = reply_json(&r, "tables.get");
		v = json_object_get(j, "numRows");
		if (json_is_string(v))
			n = strtoll(json_string_value(v), NULL, 10);
		else if (json_is_integer(v))
			n = json_integer_value(v);
		else
			n = 0;
		json_decref(j);
	} else if (r.status != 404)
		resp_fail(&r, "tables.get");
	resp_free(&r);
	free(url);
	free(path);
	return n;
}

void
table_delete(const struct bq *b, const char *table)
{
	struct http_req		 q;
	struct http_resp	 r = { .range_last = -1 };
	char			*path, *url;

	path = xasprintf("datasets/%s/tables/%s", b->dataset, table);
	url = rest_url(b, path);
	req_init(&q, "DELETE", url, "tables.delete");
	http_call(&q, &r);
	if (r.status != 200 && r.status != 204 && r.status != 404)
		resp_fail(&r, "tables.delete");
	resp_free(&r);
	free(url);
	free(path);
}

/* table_create: an empty table with the schema (for an empty set) */
void
table_create(const struct bq *b, const char *table)
{
	struct http_req		 q;
	struct http_resp	 r = { .range_last = -1 };
	json_t			*j;
	char			*path, *url, *body;

	j = json_pack("{s:{s:s, s:s, s:s}, s:{s:O}}", "tableReference",
	    "projectId", b->project, "datasetId", b->dataset, "tableId",
	    table, "schema", "fields", b->fields);
	body = json_text(j);
	json_decref(j);
	path = xasprintf("datasets/%s/tables", b->dataset);
	url = rest_url(b, path);
	req_init(&q, "POST", url, "tables.insert");
	q.ctype = "application/json";
	q.body = body;
	q.len = strlen(body);
	http_call(&q, &r);
	if (r.status != 200 && r.status != 409)
		resp_fail(&r, "tables.insert");
	resp_free(&r);
	free(url);
	free(path);
	free(body);
}

static json_t *
job_ref(const struct bq *b, const char *jobid)
{
	return json_pack("{s:s, s:s, s:s}", "projectId", b->project, "jobId",
	    jobid, "location", b->location);
}

static json_t *
table_ref(const struct bq *b, const char *table)
{
	return json_pack("{s:s, s:s, s:s}", "projectId", b->project,
	    "datasetId", b->dataset, "tableId", table);
}

json_t *
load_meta(const struct bq *b, const char *jobid, int truncate)
{
	json_t	*j;

	j = json_pack("{s:o, s:{s:{s:o, s:s, s:{s:O}, s:s, s:s, s:i, s:b}}}",
	    "jobReference", job_ref(b, jobid), "configuration", "load",
	    "destinationTable", table_ref(b, b->staging),
	    "sourceFormat", "NEWLINE_DELIMITED_JSON",
	    "schema", "fields", b->fields,
	    "writeDisposition", truncate ? "WRITE_TRUNCATE" : "WRITE_APPEND",
	    "createDisposition", "CREATE_IF_NEEDED",
	    "maxBadRecords", 0, "ignoreUnknownValues", 0);
	if (j == NULL)
		fatal(EX_FAILURE, "cannot build the load job");
	return j;
}

json_t *
copy_meta(const struct bq *b, const char *jobid)
{
	json_t	*j;

	/* a copy defaults to WRITE_EMPTY: say WRITE_TRUNCATE explicitly */
	j = json_pack("{s:o, s:{s:{s:o, s:o, s:s, s:s}}}",
	    "jobReference", job_ref(b, jobid), "configuration", "copy",
	    "sourceTable", table_ref(b, b->staging),
	    "destinationTable", table_ref(b, b->table),
	    "writeDisposition", "WRITE_TRUNCATE",
	    "createDisposition", "CREATE_IF_NEEDED");
	if (j == NULL)
		fatal(EX_FAILURE, "cannot build the copy job");
	return j;
}

/* job_get: the job resource, or NULL when no job has that id */
json_t *
job_get(const struct bq *b, const char *jobid)
{
	struct http_req		 q;
	struct http_resp	 r = { .range_last = -1 };
	json_t			*j = NULL;
	char			*path, *url;

	path = xasprintf("jobs/%s?location=%s&" JOB_FIELDS, jobid,
	    b->location);
	url = rest_url(b, path);
	req_init(&q, "GET", url, "jobs.get");
	http_call(&q, &r);
	if (r.status == 200)
		j = reply_json(&r, "jobs.get");
	else if (r.status != 404)
		resp_fail(&r, "jobs.get");
	resp_free(&r);
	free(url);
	free(path);
	return j;
}

static const char *
meta_jobid(json_t *meta)
{
	return json_string_value(json_object_get(json_object_get(meta,
	    "jobReference"), "jobId"));
}

/* job_existing: after a 409, the job that holds the id; JOB_GONE when
 * none does (a session reserved it but never made the job) */
static json_t *
job_existing(const struct bq *b, json_t *meta)
{
	json_t	*j;

	logx(LOG_DEBUG, "table=%s job=%s insert=duplicate", b->table,
	    meta_jobid(meta));
	if ((j = job_get(b, meta_jobid(meta))) == NULL)
		return JOB_GONE;
	return j;
}

/* job_insert: a job without data (copy) */
json_t *
job_insert(const struct bq *b, json_t *meta)
{
	struct http_req		 q;
	struct http_resp	 r = { .range_last = -1 };
	json_t			*j;
	char			*url, *body;

	url = rest_url(b, "jobs?" JOB_FIELDS);
	body = json_text(meta);
	req_init(&q, "POST", url, "jobs.insert");
	q.ctype = "application/json";
	q.body = body;
	q.len = strlen(body);
	http_call(&q, &r);
	if (r.status == 409)
		j = job_existing(b, meta);
	else if (r.status == 200)
		j = reply_json(&r, "jobs.insert");
	else
		resp_fail(&r, "jobs.insert");
	resp_free(&r);
	free(url);
	free(body);
	return j;
}

static const char *
job_state(json_t *job)
{
	const char	*s;

	s = json_string_value(json_object_get(json_object_get(job, "status"),
	    "state"));
	return s != NULL ? s : "";
}

/*
 * job_wait: poll until DONE, 0.5 s after the job was sent (SENT, on the
 * monotonic clock) at first, then less and less often.  A job that was
 * sent long ago, while others were waited for, is asked at once.
 */
json_t *
job_wait(const struct bq *b, const char *jobid, json_t *job, double sent)
{
	long	 ms, cap, wait;
	double	 deadline;

	ms = env_long("BQ_UPLOAD_POLL_BASE_MS", 500, 1, 60000);
	cap = env_long("BQ_UPLOAD_POLL_CAP_MS", 4000, 1, 600000);
	deadline = sent + env_long("BQ_UPLOAD_JOB_TIMEOUT", 3600, 1,
	    86400 * 7);
	wait = ms - (long)((now_mono() - sent) * 1000);
	while (strcmp(job_state(job), "DONE") != 0) {
		if (now_mono() > deadline)
			fatal(EX_TEMPFAIL, "job %s: not done in time (state "
			    "%s)", jobid, job_state(job));
		if (wait > 0)
			sleep_ms(wait);
		ms = ms * 2 > cap ? cap : ms * 2;
		wait = ms;
		json_decref(job);
		if ((job = job_get(b, jobid)) == NULL)
			fatal(EX_UNAVAILABLE, "job %s: gone (jobs.get: not "
			    "found)", jobid);
	}
	return job;
}

static void
error_print(json_t *e, const char *what)
{
	const char	*reason, *loc, *msg;

	reason = json_string_value(json_object_get(e, "reason"));
	loc = json_string_value(json_object_get(e, "location"));
	msg = json_string_value(json_object_get(e, "message"));
	progress_clear();
	fprintf(stderr, "%s: %s: %s%s%s%s%s\n", getprogname(), what,
	    reason ? reason : "error", loc ? ": " : "", loc ? loc : "",
	    msg ? ": " : "", msg ? msg : "");
	logx(LOG_ERROR, "table=%s what=%s reason=%s location=%s message=%s",
	    bq_table, what, reason ? reason : "error", loc ? loc : "-",
	    msg ? msg : "-");
}

/*
 * job_outcome: 0 for a job that succeeded, 1 for one that failed in a
 * way a new attempt may cure; any other failure is reported here with
 * every message BigQuery gave (rows and fields), and its exit code
 * returned (EX_DATAERR, or EX_CONFIG for accessDenied).
 */
int
job_outcome(json_t *job, const char *what)
{
	static const char *again[] = { "backendError", "internalError",
	    "rateLimitExceeded", "jobBackendError", "jobInternalError",
	    "jobRateLimitExceeded" };
	json_t		*st, *er, *errs;
	const char	*reason;
	size_t		 i;

	st = json_object_get(job, "status");
	if ((er = json_object_get(st, "errorResult")) == NULL)
		return 0;
	reason = json_string_value(json_object_get(er, "reason"));
	for (i = 0; reason && i < sizeof(again) / sizeof(again[0]); i++)
		if (strcmp(reason, again[i]) == 0) {
			logx(LOG_WARNING, "table=%s what=%s job=failed "
			    "reason=%s retry=yes", bq_table, what, reason);
			return 1;
		}
	error_print(er, what);
	errs = json_object_get(st, "errors");
	for (i = 0; i < json_array_size(errs); i++)
		if (!json_equal(json_array_get(errs, i), er))
			error_print(json_array_get(errs, i), what);
	return reason != NULL && strcmp(reason, "accessDenied") == 0 ?
	    EX_CONFIG : EX_DATAERR;
}

long long
job_rows(json_t *job)
{
	json_t	*v;

	v = json_object_get(json_object_get(json_object_get(job,
	    "statistics"), "load"), "outputRows");
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	if (json_is_integer(v))
		return json_integer_value(v);
	return -1;
}

static void
boundary_make(char out[33])
{
	unsigned char	rnd[16];
	int		i;

	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
}

static json_t *
load_multipart(const struct bq *b, json_t *meta, int fd, long long size)
{
	struct http_req		 q;
	struct http_resp	 r = { .range_last = -1 };
	struct http_part	 parts[3];
	json_t			*j;
	char			 bnd[33], *url, *m, *head, *tail, *ctype;

	/* 128 random bits: the data will not hold the boundary */
	boundary_make(bnd);
	m = json_text(meta);
	head = xasprintf("--%s\r\nContent-Type: application/json; "
	    "charset=UTF-8\r\n\r\n%s\r\n--%s\r\nContent-Type: "
	    "application/octet-stream\r\n\r\n", bnd, m, bnd);
	tail = xasprintf("\r\n--%s--\r\n", bnd);
	memset(parts, 0, sizeof(parts));
	parts[0].mem = head;
	parts[0].len = strlen(head);
	parts[1].fd = fd;
	parts[1].len = (size_t)size;
	parts[2].mem = tail;
	parts[2].len = strlen(tail);
	ctype = xasprintf("multipart/related; boundary=%s", bnd);
	url = xasprintf("%s/upload/bigquery/v2/projects/%s/jobs?"
	    "uploadType=multipart&" JOB_FIELDS, b->api, b->project_esc);
	req_init(&q, "POST", url, "jobs.insert (multipart upload)");
	q.ctype = ctype;
	q.parts = parts;
	q.nparts = 3;
	http_call(&q, &r);
	if (r.status == 409)
		j = job_existing(b, meta);
	else if (r.status == 200)
		j = reply_json(&r, q.what);
	else
		resp_fail(&r, q.what);
	resp_free(&r);
	free(url);
	free(ctype);
	free(tail);
	free(head);
	free(m);
	return j;
}

/*
 * The resumable protocol.  A session URI is kept in the batch's state
 * file, so that a rerun after a kill asks the server how much it has
 * (PUT "bytes * / N") and sends only the rest.
 */
struct session {
	const struct bq	*b;
	json_t		*meta;
	const char	*path;
	int		 fd;
	long long	 size;
	struct jobstate	*st;
	const char	*updir, *name;
	json_t		*job;		/* the reply once complete */
};

enum probe { P_OFFSET, P_DONE, P_GONE, P_RETRY };

/* session_reply: what a PUT's reply means for the upload */
static enum probe
session_reply(struct session *s, struct http_resp *r, long long *off)
{
	if (r->status == 200 || r->status == 201) {
		s->job = reply_json(r, "resumable upload");
		return P_DONE;
	}
	if (r->status == 308) {
		*off = r->range_last + 1;	/* no Range: nothing kept */
		return P_OFFSET;
	}
	if (r->status == 409) {
		s->job = job_existing(s->b, s->meta);
		return P_DONE;
	}
	if (r->status == 404 || r->status == 410)
		return P_GONE;
	if (r->status == 401 || resp_retryable(r)) {
		if (r->status == 401)
			auth_invalidate();
		return P_RETRY;
	}
	resp_fail(r, "resumable upload");
}

static enum probe
session_probe(struct session *s, struct http_resp *r, long long *off)
{
	struct http_req	 q;
	char		*range;
	int		 rc;

	range = xasprintf("Content-Range: bytes */%lld", s->size);
	req_init(&q, "PUT", s->st->session, "resumable upload (status)");
	q.extra = range;
	rc = http_once(&q, r);
	free(range);
	if (rc == -1)
		return P_RETRY;
	return session_reply(s, r, off);
}

static void
session_start(struct session *s)
{
	struct http_req		 q;
	struct http_resp	 r = { .range_last = -1 };
	char			*url, *body, *extra;

	url = xasprintf("%s/upload/bigquery/v2/projects/%s/jobs?"
	    "uploadType=resumable", s->b->api, s->b->project_esc);
	body = json_text(s->meta);
	extra = xasprintf("X-Upload-Content-Length: %lld", s->size);
	req_init(&q, "POST", url, "jobs.insert (resumable upload)");
	q.ctype = "application/json; charset=UTF-8";
	q.extra = extra;
	q.body = body;
	q.len = strlen(body);
	http_call(&q, &r);
	if (r.status == 409)
		s->job = job_existing(s->b, s->meta);
	else if ((r.status != 200 && r.status != 201) || r.location == NULL)
		resp_fail(&r, q.what);
	else {
		s->st->session = xstrdup(r.location);
		state_save(s->updir, s->name, s->st);
	}
	resp_free(&r);
	free(extra);
	free(body);
	free(url);
}

static enum probe
chunk_put(struct session *s, size_t chunk, struct http_resp *r,
    long long *off)
{
	struct http_req		 q;
	struct http_part	 part;
	char			*range;
	size_t			 n;
	int			 rc;

	/* a server that has every byte answers the status probe with the
	 * job; one that says so but does not is asked again, later */
	if (*off >= s->size && s->size > 0)
		return P_RETRY;
	n = s->size - *off < (long long)chunk ? (size_t)(s->size - *off) :
	    chunk;
	if (s->size == 0)
		range = xasprintf("Content-Range: bytes */0");
	else
		range = xasprintf("Content-Range: bytes %lld-%lld/%lld", *off,
		    *off + (long long)n - 1, s->size);
	memset(&part, 0, sizeof(part));
	part.fd = s->fd;
	part.off = *off;
	part.len = n;
	req_init(&q, "PUT", s->st->session, "resumable upload");
	q.extra = range;
	q.parts = &part;
	q.nparts = 1;
	rc = http_once(&q, r);
	free(range);
	if (rc == -1)
		return P_RETRY;
	return session_reply(s, r, off);
}

static void
session_forget(struct session *s)
{
	free(s->st->session);
	s->st->session = NULL;
	state_save(s->updir, s->name, s->st);
}

static json_t *
load_resumable(struct session *s)
{
	struct http_resp	 r = { .range_last = -1 };
	struct backoff		 bo;
	enum probe		 p = P_RETRY;
	long long		 off = 0, was;
	int			 restarts = 0;
	size_t			 chunk;
	char			 err[512];

	chunk = (size_t)env_long("BQ_UPLOAD_CHUNK_BYTES", 32 * CHUNK_UNIT,
	    CHUNK_UNIT, 1L << 30) / CHUNK_UNIT * CHUNK_UNIT;
	backoff_start(&bo);
	if (s->st->session != NULL)
		p = session_probe(s, &r, &off);
	for (;;) {
		if (p == P_DONE)
			break;
		if (p == P_GONE && s->st->session != NULL) {
			if (++restarts > 5)
				fatal(EX_TEMPFAIL, "%s: resumable upload: the "
				    "server keeps losing the session",
				    s->path);
			session_forget(s);
		}
		if (s->st->session == NULL) {
			session_start(s);
			if (s->job != NULL)
				break;
			off = 0;
			p = P_OFFSET;
		}
		if (p == P_OFFSET) {
			was = off;
			p = chunk_put(s, chunk, &r, &off);
			if (p != P_OFFSET)
				continue;
			if (off > was) {
				backoff_start(&bo);	/* it moved on */
				continue;
			}
		}
		/* no progress: wait, then ask how much the server kept */
		if (backoff_wait(&bo, "resumable upload", &r) == -1)
			fatal(EX_TEMPFAIL, "%s: resumable upload: giving up "
			    "after %d attempts: %s", s->path, bo.tries,
			    resp_error(&r, err, sizeof(err)));
		p = session_probe(s, &r, &off);
	}
	resp_free(&r);
	return s->job;
}

/*
 * load_send: send one batch as a load job; the job resource (perhaps
 * still running), or JOB_GONE.  Small files go in one multipart
 * request, large ones in 256 KiB-multiple chunks that survive a kill.
 */
json_t *
load_send(const struct bq *b, json_t *meta, const char *path,
    long long size, struct jobstate *st, const char *updir,
    const char *name)
{
	struct session	 s;
	struct stat	 sb;
	json_t		*job;
	long		 max;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1)
		fatal(EX_DATAERR, "%s: %s", path, strerror(errno));
	if (sb.st_size != size)
		fatal(EX_DATAERR, "%s: changed since it was checked", path);
	max = env_long("BQ_UPLOAD_MULTIPART_MAX", 5L << 20, 0, 1L << 30);
	if (size <= max && st->session == NULL) {
		job = load_multipart(b, meta, fd, size);
		close(fd);
		return job;
	}
	memset(&s, 0, sizeof(s));
	s.b = b;
	s.meta = meta;
	s.path = path;
	s.fd = fd;
	s.size = size;
	s.st = st;
	s.updir = updir;
	s.name = name;
	job = load_resumable(&s);
	close(fd);
	return job;
}
