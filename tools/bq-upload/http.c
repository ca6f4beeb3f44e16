/*
 * http.c: every request bq-upload makes goes through here, so that the
 * URL policy (TLS, or plain http to loopback only), the timeouts, the
 * retry rules and the handling of the bearer token live in one place.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <curl/curl.h>

#include "bq.h"
#include "log.h"
#include "util.h"

#define	UPLOAD_BUFFER	(512L * 1024)
#define BODY_MAX	(64 << 20)	/* a reply larger than this is junk */

static CURL	*curl;
static char	 curl_errbuf[CURL_ERROR_SIZE];

static struct {
	long	base, cap, budget, attempts;
	long	connect_s, stall_s;
} rp;

long
env_long(const char *name, long def, long min, long max)
{
	const char	*v, *e = NULL;
	long long	 n;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return def;
	n = strtonum(v, min, max, &e);
	if (e != NULL)
		fatal(EX_USAGE, "%s=%s: %s", name, v, e);
	return (long)n;
}

double
now_mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
http_init(void)
{
	rp.base = env_long("BQ_UPLOAD_RETRY_BASE_MS", 1000, 1, 600000);
	rp.cap = env_long("BQ_UPLOAD_RETRY_CAP_MS", 60000, 1, 3600000);
	rp.budget = env_long("BQ_UPLOAD_RETRY_BUDGET_MS", 600000, 0,
	    86400000);
	rp.attempts = env_long("BQ_UPLOAD_RETRY_ATTEMPTS", 8, 1, 1000);
	rp.connect_s = env_long("BQ_UPLOAD_CONNECT_TIMEOUT", 30, 1, 3600);
	rp.stall_s = env_long("BQ_UPLOAD_STALL_TIMEOUT", 60, 1, 3600);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (curl = curl_easy_init()) == NULL)
		fatal(EX_FAILURE, "cannot initialise libcurl");
}

void
http_end(void)
{
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl = NULL;
	curl_global_cleanup();
}

static int
host_is_loopback(const char *host)
{
	struct in_addr	a;

	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a) == 1)
		return (ntohl(a.s_addr) >> 24) == 127;
	return 0;
}

/*
 * url_check: the bearer token and the key's assertion must never cross a
 * network in clear text, so http:// is for local test servers only.
 */
int
url_check(const char *url, char *err, size_t errsz)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL;
	int	 rc = -1;

	if ((u = curl_url()) == NULL)
		fatal(EX_FAILURE, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		snprintf(err, errsz, "%s: not a URL", url);
	else if (strcasecmp(scheme, "https") == 0)
		rc = 0;
	else if (strcasecmp(scheme, "http") != 0)
		snprintf(err, errsz, "%s: only https is supported", url);
	else if (!host_is_loopback(host))
		snprintf(err, errsz, "%s: plain http is allowed only to a "
		    "loopback address", url);
	else
		rc = 0;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static size_t
body_write(char *p, size_t size, size_t n, void *arg)
{
	struct http_resp	*r = arg;
	size_t			 len = size * n;

	if (r->len + len > BODY_MAX)
		return 0;
	if (r->len + len + 1 > r->cap) {
		r->cap = (r->len + len + 1) * 2;
		r->body = xreallocarray(r->body, r->cap, 1);
	}
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* a body streamed from its parts, so that a batch of any size costs no
 * memory; every attempt starts reading from the beginning again */
struct reader {
	const struct http_part	*p;
	size_t			 n, i, done;
};

static size_t
body_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct reader		*rd = arg;
	const struct http_part	*p;
	size_t			 want = size * nitems, got = 0, k;
	ssize_t			 r;

	while (got < want && rd->i < rd->n) {
		p = &rd->p[rd->i];
		k = p->len - rd->done < want - got ? p->len - rd->done :
		    want - got;
		if (k == 0) {
			rd->i++;
			rd->done = 0;
			continue;
		}
		if (p->mem != NULL)
			memcpy(buf + got, p->mem + rd->done, k);
		else {
			r = pread(p->fd, buf + got, k,
			    (off_t)(p->off + (long long)rd->done));
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0)
				return CURL_READFUNC_ABORT;
			k = (size_t)r;
		}
		rd->done += k;
		got += k;
	}
	return got;
}

static char *
header_value(char *p, size_t len, size_t skip)
{
	while (skip < len && (p[skip] == ' ' || p[skip] == '\t'))
		skip++;
	while (len > skip && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
	    p[len - 1] == ' '))
		len--;
	return xasprintf("%.*s", (int)(len - skip), p + skip);
}

static size_t
header_read(char *p, size_t size, size_t n, void *arg)
{
	struct http_resp	*r = arg;
	size_t			 len = size * n;
	char			*v;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after a 100 Continue): forget the old */
		free(r->location);
		r->location = NULL;
		r->range_last = -1;
	} else if (len > 9 && strncasecmp(p, "Location:", 9) == 0) {
		free(r->location);
		r->location = header_value(p, len, 9);
	} else if (len > 6 && strncasecmp(p, "Range:", 6) == 0) {
		v = header_value(p, len, 6);
		if (strncmp(v, "bytes=0-", 8) == 0)
			r->range_last = strtoll(v + 8, NULL, 10);
		free(v);
	}
	return len;
}

void
resp_free(struct http_resp *r)
{
	/* a token reply holds the access token: never leave it in memory */
	if (r->body != NULL)
		explicit_bzero(r->body, r->cap);
	free(r->body);
	free(r->location);
	memset(r, 0, sizeof(*r));
	r->range_last = -1;
}

json_t *
resp_json(const struct http_resp *r)
{
	if (r->body == NULL)
		return NULL;
	return json_loadb(r->body, r->len, 0, NULL);
}

/* resp_parse_error: Google's envelope {"error":{"message", "errors":
 * [{"reason"}]}} or OAuth's {"error":"...","error_description":"..."} */
static void
resp_parse_error(struct http_resp *r)
{
	json_t		*j, *e, *reason = NULL, *msg = NULL;

	if ((j = resp_json(r)) == NULL)
		return;
	e = json_object_get(j, "error");
	if (json_is_object(e)) {
		msg = json_object_get(e, "message");
		reason = json_object_get(json_array_get(json_object_get(e,
		    "errors"), 0), "reason");
		if (!json_is_string(reason))
			reason = json_object_get(e, "status");
	} else if (json_is_string(e)) {
		reason = e;
		msg = json_object_get(j, "error_description");
	}
	if (json_is_string(reason))
		strlcpy(r->reason, json_string_value(reason),
		    sizeof(r->reason));
	if (json_is_string(msg))
		strlcpy(r->message, json_string_value(msg),
		    sizeof(r->message));
	json_decref(j);
}

static struct curl_slist *
headers_make(const struct http_req *q)
{
	struct curl_slist	*h = NULL;
	char			*line;

	/* no "Expect: 100-continue" round trip before a chunk */
	h = curl_slist_append(h, "Expect:");
	if (q->ctype != NULL) {
		line = xasprintf("Content-Type: %s", q->ctype);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (q->extra != NULL)
		h = curl_slist_append(h, q->extra);
	if (q->auth) {
		/* NEEDSWORK: libcurl copies the header into its send buffer
		 * and frees that unwiped; only our own copies are wiped */
		line = xasprintf("Authorization: Bearer %s", auth_token());
		h = curl_slist_append(h, line);
		explicit_bzero(line, strlen(line));
		free(line);
	}
	if (h == NULL)
		fatal(EX_FAILURE, "out of memory");
	return h;
}

static void
headers_free(struct curl_slist *h)
{
	struct curl_slist	*s;

	for (s = h; s != NULL; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(h);
}

static void
curl_setup(const struct http_req *q, struct http_resp *r,
    struct curl_slist *h, struct reader *rd)
{
	size_t	i, total = 0;

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, q->url);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, rp.connect_s);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, rp.stall_s);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "bq-upload/" VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_read);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	if (strcmp(q->method, "GET") == 0)
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	else if (strcmp(q->method, "DELETE") == 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
	else if (q->parts != NULL) {
		memset(rd, 0, sizeof(*rd));
		rd->p = q->parts;
		rd->n = q->nparts;
		for (i = 0; i < q->nparts; i++)
			total += q->parts[i].len;
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		/* fewer, larger reads and sends than the 64 KiB default */
		curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE,
		    UPLOAD_BUFFER);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, body_read);
		curl_easy_setopt(curl, CURLOPT_READDATA, rd);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)total);
		if (strcmp(q->method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
			    q->method);
	} else {
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
		    q->body != NULL ? q->body : "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->len);
		if (strcmp(q->method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
			    q->method);
	}
}

/*
 * http_once: one attempt.  0 when a reply came (any status), -1 on a
 * transport error (refused, reset, timed out) described in r->err.
 */
int
http_once(const struct http_req *q, struct http_resp *r)
{
	struct curl_slist	*h;
	struct reader		 rd;
	CURLcode		 cc;
	char			 err[512], buf[256];

	resp_free(r);
	if (url_check(q->url, err, sizeof(err)) == -1)
		fatal(EX_CONFIG, "%s: %s", q->what, err);
	h = headers_make(q);
	curl_setup(q, r, h, &rd);
	curl_errbuf[0] = '\0';
	cc = curl_easy_perform(curl);
	/* libcurl keeps the header list by reference only */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	headers_free(h);
	if (cc != CURLE_OK) {
		snprintf(r->err, sizeof(r->err), "%s",
		    curl_errbuf[0] ? curl_errbuf : curl_easy_strerror(cc));
		r->status = 0;
		/* a peer that fails verification will not pass by waiting */
		if (cc == CURLE_PEER_FAILED_VERIFICATION ||
		    cc == CURLE_SSL_CACERT_BADFILE ||
		    cc == CURLE_SSL_CERTPROBLEM ||
		    cc == CURLE_URL_MALFORMAT ||
		    cc == CURLE_UNSUPPORTED_PROTOCOL)
			fatal(EX_CONFIG, "%s: %s", q->what, r->err);
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status >= 400)
		resp_parse_error(r);
	logx(LOG_DEBUG, "table=%s call=%s method=%s status=%ld", bq_table,
	    log_value(buf, sizeof(buf), q->what), q->method, r->status);
	return 0;
}

int
resp_retryable(const struct http_resp *r)
{
	static const char *reasons[] = { "backendError",
	    "rateLimitExceeded", "internalError", "badGateway" };
	size_t	i;

	if (r->status == 0 || r->status == 408 || r->status == 429 ||
	    r->status >= 500)
		return 1;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(r->reason, reasons[i]) == 0)
			return 1;
	return 0;
}

const char *
resp_error(const struct http_resp *r, char *buf, size_t size)
{
	if (r->status == 0)
		snprintf(buf, size, "%s", r->err);
	else if (r->reason[0] != '\0' || r->message[0] != '\0')
		snprintf(buf, size, "HTTP %ld: %s: %s", r->status,
		    r->reason[0] ? r->reason : "error",
		    r->message[0] ? r->message : "(no message)");
	else
		snprintf(buf, size, "HTTP %ld", r->status);
	return buf;
}

/*
 * resp_fail: a reply no retry can fix.  The exit code tells the caller
 * what to do next: fix the data (65), the config or key (78), or wait.
 */
void
resp_fail(const struct http_resp *r, const char *what)
{
	char	buf[1024];
	int	code;

	if (strcmp(r->reason, "quotaExceeded") == 0)
		code = EX_TEMPFAIL;
	else if (r->status == 400 || r->status == 409)
		code = EX_DATAERR;
	else if (r->status == 401 || r->status == 403 || r->status == 404)
		code = EX_CONFIG;
	else
		code = EX_UNAVAILABLE;
	fatal(code, "%s: %s", what, resp_error(r, buf, sizeof(buf)));
}

void
backoff_start(struct backoff *b)
{
	b->tries = 0;
	b->start = now_mono();
}

/*
 * backoff_wait: sleep before the next attempt, exponential with full
 * jitter; -1 when at least the minimum number of attempts was made and
 * the time budget is spent.
 */
int
backoff_wait(struct backoff *b, const char *what, const struct http_resp *r)
{
	char	 buf[1024], msg[512], call[256];
	double	 ceil_ms;
	long	 ms;

	b->tries++;
	if (b->tries >= rp.attempts &&
	    (now_mono() - b->start) * 1000 >= rp.budget)
		return -1;
	ceil_ms = (double)rp.base * (double)(1UL << (b->tries > 20 ? 20 :
	    b->tries - 1));
	if (ceil_ms > rp.cap)
		ceil_ms = rp.cap;
	ms = (long)arc4random_uniform((uint32_t)ceil_ms + 1);
	logx(b->tries >= 3 ? LOG_WARNING : LOG_DEBUG,
	    "table=%s call=%s attempt=%d retry_ms=%ld error=%s", bq_table,
	    log_value(call, sizeof(call), what), b->tries, ms,
	    log_value(buf, sizeof(buf), resp_error(r, msg, sizeof(msg))));
	sleep_ms(ms);
	return 0;
}

/*
 * http_call: the request until it gets a reply no retry would change;
 * a bearer token refused once is renewed once.  A spent retry budget
 * ends the program with EX_TEMPFAIL: a later run resumes.
 */
void
http_call(const struct http_req *q, struct http_resp *r)
{
	struct backoff	 b;
	char		 buf[1024];
	int		 renewed = 0;

	backoff_start(&b);
	for (;;) {
		if (http_once(q, r) == 0) {
			if (r->status == 401 && q->auth && !renewed) {
				renewed = 1;
				auth_invalidate();
				continue;
			}
			if (!resp_retryable(r))
				return;
		}
		if (backoff_wait(&b, q->what, r) == -1)
			fatal(EX_TEMPFAIL, "%s: giving up after %d attempts: "
			    "%s", q->what, b.tries,
			    resp_error(r, buf, sizeof(buf)));
	}
}
