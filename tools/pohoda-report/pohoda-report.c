/*
 * pohoda-report: send one error event about a failed run to Sentry,
 * through the envelope endpoint of the DSN in the config.  It is called
 * by run-sync.sh once per failed run; Sentry being slow, down or
 * rate-limiting must never hold the nightly job for long, so there are
 * short timeouts and no retries at all.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <curl/curl.h>
#include <jansson.h>

#include "config.h"
#include "log.h"
#include "util.h"

#define CONNECT_TIMEOUT	5L		/* seconds */
#define TOTAL_TIMEOUT	10L
#define TAIL_LINES	50
#define TAIL_BYTES	(64 * 1024)
#define MESSAGE_MAX	8192
#define SCRUBBED	"[scrubbed]"

struct dsn {
	char	*key;		/* public key: a secret to us */
	char	*secret;	/* deprecated, optional */
	char	*url;		/* the envelope endpoint */
	char	*host;
	int	 loopback;
};

struct report {
	const char	*run, *table, *step, *program, *logfile;
	long		 status;	/* -1: not given */
	char		*message;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: pohoda-report [-qv] [-c config] [-r run] "
	    "[-t table] [-s step] [-p program]\n"
	    "                     [-x status] [-L logfile] message ...\n"
	    "       pohoda-report [-c config] --check\n");
}

static void
secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static int
host_is_loopback(const char *h)
{
	return strcmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 ||
	    strncmp(h, "127.", 4) == 0;
}

/*
 * dsn_parse: PROTOCOL://KEY[:SECRET]@HOST[:PORT][/PATH]/PROJECT.  The
 * error messages never show the DSN: it holds the key.
 */
static int
dsn_parse(const char *s, struct dsn *d)
{
	const char	*scheme_end, *at, *hostp, *slash, *last, *colon;
	const char	*port;
	size_t		 hostlen;

	memset(d, 0, sizeof(*d));
	if ((scheme_end = strstr(s, "://")) == NULL ||
	    !((scheme_end - s == 4 && strncmp(s, "http", 4) == 0) ||
	    (scheme_end - s == 5 && strncmp(s, "https", 5) == 0)))
		return -1;
	hostp = scheme_end + 3;
	if ((at = strchr(hostp, '@')) == NULL || at == hostp)
		return -1;
	slash = strchr(at, '/');
	last = strrchr(at, '/');
	if (slash == NULL || last[1] == '\0' || strchr(last, '?') != NULL)
		return -1;
	colon = memchr(hostp, ':', (size_t)(at - hostp));
	d->key = colon ? xasprintf("%.*s", (int)(colon - hostp), hostp) :
	    xasprintf("%.*s", (int)(at - hostp), hostp);
	if (colon != NULL)
		d->secret = xasprintf("%.*s", (int)(at - colon - 1),
		    colon + 1);
	hostlen = (size_t)(slash - at - 1);
	port = memchr(at + 1, ']', hostlen) ? memchr(at + 1, ']', hostlen) :
	    at + 1;
	port = memchr(port, ':', (size_t)(slash - port));
	d->host = xasprintf("%.*s", (int)((port ? port : slash) - at - 1),
	    at + 1);
	if (d->host[0] == '\0' || d->key[0] == '\0')
		return -1;
	d->loopback = host_is_loopback(d->host);
	/* base = scheme://host[:port][/path], then /api/PROJECT/envelope/ */
	d->url = xasprintf("%.*s%.*s/api/%s/envelope/",
	    (int)(hostp - s), s, (int)(last - at - 1), at + 1, last + 1);
	if (s[4] == ':' && !d->loopback)
		return -2;
	return 0;
}

static void
dsn_free(struct dsn *d)
{
	secret_free(d->key);
	secret_free(d->secret);
	free(d->url);
	free(d->host);
}

/* scrub_word: replace every occurrence of WORD in *SP */
static void
scrub_word(char **sp, const char *word)
{
	char	*s = *sp, *p, *out;
	size_t	 wl, n = 0, len = 0;

	if (word == NULL || (wl = strlen(word)) < 3)
		return;
	for (p = s; (p = strstr(p, word)) != NULL; p += wl)
		n++;
	if (n == 0)
		return;
	out = xmalloc(strlen(s) + n * strlen(SCRUBBED) + 1);
	for (; (p = strstr(s, word)) != NULL; s = p + wl) {
		memcpy(out + len, s, (size_t)(p - s));
		len += (size_t)(p - s);
		memcpy(out + len, SCRUBBED, strlen(SCRUBBED));
		len += strlen(SCRUBBED);
	}
	memcpy(out + len, s, strlen(s) + 1);
	explicit_bzero(*sp, strlen(*sp));
	free(*sp);
	*sp = out;
}

static int
token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("-._~+/=", c) != NULL;
}

/* scrub_after: blank the token after each case-insensitive MARK */
static void
scrub_after(char *s, const char *mark)
{
	size_t	ml = strlen(mark);
	char	*p;

	for (p = s; *p != '\0'; p++) {
		if (strncasecmp(p, mark, ml) != 0)
			continue;
		p += ml;
		while (*p != '\0' && token_char(*p))
			*p++ = '*';
		if (*p == '\0')
			break;
	}
}

/*
 * text_scrub: nothing we know to be secret, nor anything that looks like
 * a bearer token or a Google access token, leaves in the event, even if
 * a program wrote one into the log by mistake
 */
static void
text_scrub(char **sp, const struct config *cfg, const struct dsn *d)
{
	scrub_word(sp, cfg->mssql.password);
	scrub_word(sp, d->key);
	scrub_word(sp, d->secret);
	scrub_after(*sp, "bearer ");
	scrub_after(*sp, "access_token\":\"");
	scrub_after(*sp, "ya29.");
	scrub_after(*sp, "password=");
	scrub_after(*sp, "-----BEGIN PRIVATE KEY-----");
}

/* tail_read: the last N lines of FILE (within TAIL_BYTES), or NULL */
static char *
tail_read(const char *file, int nlines)
{
	struct stat	 st;
	char		*buf, *p;
	off_t		 from;
	ssize_t		 n;
	int		 fd, seen = 0;

	if (file == NULL || (fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	from = st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
	buf = xmalloc(TAIL_BYTES + 1);
	n = pread(fd, buf, TAIL_BYTES, from);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (n <= 0)
		return buf;
	/* the final newline ends the last line; count the ones before */
	for (p = buf + n - 1; p > buf; p--)
		if (p[-1] == '\n' && ++seen == nlines)
			break;
	if (p == buf && from > 0 && (p = strchr(buf, '\n')) != NULL)
		p++;	/* a partial first line */
	if (p == NULL)
		p = buf;
	memmove(buf, p, strlen(p) + 1);
	return buf;
}

static void
tag_set(json_t *tags, json_t *extra, const char *k, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return;
	/* Sentry refuses tag values of 200 characters or more */
	json_object_set_new(tags, k, json_stringn(v, strnlen(v, 199)));
	json_object_set_new(extra, k, json_string(v));
}

static void
event_id_make(char out[33])
{
	unsigned char	b[16];
	int		i;

	arc4random_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void
time_now(char *buf, size_t size)
{
	struct tm	tm;
	time_t		now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
event_build(const struct report *r, const struct config *cfg,
    const char *event_id, char *tail)
{
	json_t	*ev, *tags, *extra, *exc;
	char	 host[256], now[32], status[32];

	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "unknown", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	time_now(now, sizeof(now));
	tags = json_object();
	extra = json_object();
	tag_set(tags, extra, "run", r->run);
	tag_set(tags, extra, "table", r->table);
	tag_set(tags, extra, "step", r->step);
	tag_set(tags, extra, "program", r->program);
	if (r->status >= 0) {
		snprintf(status, sizeof(status), "%ld", r->status);
		tag_set(tags, extra, "exit_status", status);
	}
	if (tail != NULL)
		json_object_set_new(extra, "log_tail", json_string(tail));
	exc = json_pack("{s:[{s:s,s:s}]}", "values", "type",
	    r->program ? r->program : "run-sync.sh", "value", r->message);
	ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s},s:o,s:o,"
	    "s:o,s:[s,s,s,s],s:{s:s,s:s}}",
	    "event_id", event_id, "timestamp", now, "platform", "c",
	    "level", "error", "logger", "pohoda-sync", "server_name", host,
	    "release", "pohoda-sync@" VERSION,
	    "environment", cfg->sentry.environment,
	    "logentry", "formatted", r->message,
	    "exception", exc, "tags", tags, "extra", extra,
	    "fingerprint", "pohoda-sync", r->program ? r->program : "",
	    r->step ? r->step : "", r->table ? r->table : "",
	    "sdk", "name", "pohoda-sync.pohoda-report", "version", VERSION);
	return ev;
}

static char *
envelope_build(const char *event_id, json_t *ev)
{
	char	*payload, *env, now[32];

	time_now(now, sizeof(now));
	if ((payload = json_dumps(ev, JSON_COMPACT)) == NULL)
		errx(EX_FAILURE, "cannot encode the event");
	env = xasprintf("{\"event_id\":\"%s\",\"sent_at\":\"%s\","
	    "\"sdk\":{\"name\":\"pohoda-sync.pohoda-report\","
	    "\"version\":\"%s\"}}\n{\"type\":\"event\",\"length\":%zu}\n"
	    "%s\n", event_id, now, VERSION, strlen(payload), payload);
	free(payload);
	return env;
}

static size_t
header_seen(char *buf, size_t size, size_t n, void *arg)
{
	char	*retry = arg;
	size_t	 len = size * n;
	const char *name = "retry-after:";

	if (len > strlen(name) && strncasecmp(buf, name, strlen(name)) == 0) {
		snprintf(retry, 32, "%.*s", (int)(len - strlen(name)),
		    buf + strlen(name));
		retry[strcspn(retry, "\r\n")] = '\0';
	}
	return len;
}

static size_t
body_drop(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

/* envelope_send: one POST, no retry; an exit code */
static int
envelope_send(const struct dsn *d, const char *env, const char *event_id)
{
	struct curl_slist	*hdrs = NULL;
	CURL			*c;
	CURLcode		 cc;
	char			*auth, ebuf[CURL_ERROR_SIZE] = "";
	char			 retry[32] = "";
	long			 code = 0;

	auth = xasprintf("X-Sentry-Auth: Sentry sentry_version=7, "
	    "sentry_client=pohoda-report/%s, sentry_key=%s%s%s", VERSION,
	    d->key, d->secret ? ", sentry_secret=" : "",
	    d->secret ? d->secret : "");
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs,
	    "Content-Type: application/x-sentry-envelope");
	explicit_bzero(auth, strlen(auth));
	free(auth);
	if (hdrs == NULL || (c = curl_easy_init()) == NULL)
		errx(EX_FAILURE, "cannot set up libcurl");
	curl_easy_setopt(c, CURLOPT_URL, d->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, env);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(env));
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pohoda-report/" VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, TOTAL_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_seen);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)retry);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_drop);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (d->loopback)
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);

	if (cc != CURLE_OK) {
		warnx("sentry: %s: %s", d->host, ebuf[0] ? ebuf :
		    curl_easy_strerror(cc));
		logx(LOG_WARNING, "step=report status=unreachable host=%s",
		    d->host);
		return EX_UNAVAILABLE;
	}
	if (code == 429) {
		warnx("sentry: %s: rate limited (retry after %s s); event "
		    "dropped", d->host, retry[0] ? retry : "60");
		logx(LOG_WARNING, "step=report status=rate_limited "
		    "retry_after=%s", retry[0] ? retry : "60");
		return EX_TEMPFAIL;
	}
	if (code != 200) {
		warnx("sentry: %s: HTTP %ld; event dropped", d->host, code);
		logx(LOG_WARNING, "step=report status=http_%ld", code);
		return code >= 500 ? EX_UNAVAILABLE : EX_FAILURE;
	}
	logx(LOG_INFO, "step=report status=sent event_id=%s", event_id);
	return 0;
}

static char *
message_join(int argc, char **argv)
{
	char	*m = xcalloc(1, MESSAGE_MAX);
	int	 i;

	for (i = 0; i < argc; i++)
		if ((i > 0 && strlcat(m, " ", MESSAGE_MAX) >= MESSAGE_MAX) ||
		    strlcat(m, argv[i], MESSAGE_MAX) >= MESSAGE_MAX)
			break;	/* Sentry truncates at 8192 anyway */
	return m;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct report	 r = { NULL, NULL, NULL, NULL, NULL, -1, NULL };
	struct config	 cfg;
	struct dsn	 d;
	const char	*path = NULL, *errstr;
	char		 event_id[33], *tail, *env;
	json_t		*ev;
	int		 ch, rc, verbose = 0, check = 0;

	while ((ch = getopt_long(argc, argv, "c:L:p:qr:s:t:vx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'L':
			r.logfile = optarg;
			break;
		case 'p':
			r.program = optarg;
			break;
		case 'q':
			break;
		case 'r':
			r.run = optarg;
			break;
		case 's':
			r.step = optarg;
			break;
		case 't':
			r.table = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			version_print();
			return 0;
		case 'x':
			r.status = strtonum(optarg, 0, 255, &errstr);
			if (errstr != NULL)
				errx(EX_USAGE, "-x %s: exit status is %s",
				    optarg, errstr);
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	path = config_path(path);
	argc -= optind;
	argv += optind;
	if (check ? argc != 0 : argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}

	if ((rc = config_load(path, &cfg)) != 0 ||
	    cfg.sentry.dsn == NULL || cfg.sentry.dsn[0] == '\0') {
		config_free(&cfg);	/* no DSN: reporting is off */
		return rc == 0 ? 0 : EX_CONFIG;
	}
	if ((rc = dsn_parse(cfg.sentry.dsn, &d)) != 0) {
		warnx("%s: sentry.dsn: %s", path, rc == -1 ? "expected "
		    "PROTOCOL://KEY@HOST[:PORT][/PATH]/PROJECT" :
		    "plain http is allowed only for a loopback host");
		dsn_free(&d);
		config_free(&cfg);
		return EX_CONFIG;
	}
	if (check) {
		dsn_free(&d);
		config_free(&cfg);
		return 0;
	}
	log_init(&cfg, verbose);

	r.message = message_join(argc, argv);
	text_scrub(&r.message, &cfg, &d);
	if ((tail = tail_read(r.logfile ? r.logfile : cfg.log.file,
	    TAIL_LINES)) != NULL)
		text_scrub(&tail, &cfg, &d);
	event_id_make(event_id);
	ev = event_build(&r, &cfg, event_id, tail);
	env = envelope_build(event_id, ev);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		errx(EX_FAILURE, "cannot initialise libcurl");
	rc = envelope_send(&d, env, event_id);

	curl_global_cleanup();
	json_decref(ev);
	free(env);
	free(tail);
	free(r.message);
	dsn_free(&d);
	config_free(&cfg);
	return rc;
}
