/*
 * auth.c: OAuth 2.0 for a service account.  The key file's private key
 * signs a short JWT (RS256) which token_uri exchanges for an access
 * token.  The token lives in this file's memory only: it is never
 * written anywhere, and it and the key are wiped when done.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bq.h"
#include "log.h"
#include "util.h"

#define KEY_MAX		(1 << 20)
#define SCOPE		"https://www.googleapis.com/auth/bigquery"
#define GRANT_TYPE	"urn:ietf:params:oauth:grant-type:jwt-bearer"

static struct {
	const char	*file;
	char		*email;
	char		*key_id;
	char		*token_uri;
	EVP_PKEY	*pkey;
	char		*token;
	double		 renew_at;
} A;

static void
json_free_wiped(void *p)
{
	if (p != NULL)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/*
 * auth_guard: jansson copies the strings it parses (the private key, the
 * access token) into scratch buffers of its own; have it wipe every
 * buffer it frees.  The JSON this program handles is small.
 */
void
auth_guard(void)
{
	json_set_alloc_funcs(malloc, json_free_wiped);
}

static void
key_fail(const char *field, const char *what)
{
	fatal(EX_CONFIG, "%s: %s: %s", A.file, field, what);
}

static char *
key_string(json_t *j, const char *field, int required)
{
	json_t	*v = json_object_get(j, field);

	if (v == NULL || json_is_null(v)) {
		if (required)
			key_fail(field, "missing");
		return NULL;
	}
	if (!json_is_string(v) || json_string_length(v) == 0)
		key_fail(field, "expected a non-empty string");
	return xstrdup(json_string_value(v));
}

static int
pem_no_passphrase(char *buf, int size, int rw, void *arg)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)arg;
	return 0;		/* an encrypted key is refused, not prompted */
}

static void
key_parse_private(json_t *j)
{
	json_t	*v = json_object_get(j, "private_key");
	BIO	*bio;

	if (v == NULL)
		key_fail("private_key", "missing");
	if (!json_is_string(v) || json_string_length(v) == 0)
		key_fail("private_key", "expected a non-empty string");
	bio = BIO_new_mem_buf(json_string_value(v),
	    (int)json_string_length(v));
	if (bio == NULL)
		fatal(EX_FAILURE, "out of memory");
	A.pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_no_passphrase, NULL);
	BIO_free(bio);
	explicit_bzero((char *)json_string_value(v), json_string_length(v));
	ERR_clear_error();
	if (A.pkey == NULL)
		key_fail("private_key", "not a PEM private key");
	if (EVP_PKEY_base_id(A.pkey) != EVP_PKEY_RSA)
		key_fail("private_key", "not an RSA key");
}

/*
 * auth_init: read the key file; its project_id is returned (or NULL).
 * Every problem is an EX_CONFIG error naming the file and the field.
 */
char *
auth_init(const char *file)
{
	json_error_t	 jerr;
	json_t		*j, *type;
	char		*text, *project, err[512];
	size_t		 len;

	A.file = file;
	perm_warn(file);
	if ((text = file_read(file, KEY_MAX, &len)) == NULL)
		fatal(EX_CONFIG, "%s: %s", file, strerror(errno));
	j = json_loadb(text, len, 0, &jerr);
	explicit_bzero(text, len);
	free(text);
	/* jansson's message may quote the text near the error: not shown */
	if (j == NULL)
		fatal(EX_CONFIG, "%s: line %d: not valid JSON", file,
		    jerr.line);
	if (!json_is_object(j))
		fatal(EX_CONFIG, "%s: not a service-account key", file);
	type = json_object_get(j, "type");
	if (type != NULL && (!json_is_string(type) ||
	    strcmp(json_string_value(type), "service_account") != 0))
		key_fail("type", "expected \"service_account\"");
	A.email = key_string(j, "client_email", 1);
	A.token_uri = key_string(j, "token_uri", 1);
	A.key_id = key_string(j, "private_key_id", 0);
	project = key_string(j, "project_id", 0);
	key_parse_private(j);
	json_decref(j);
	if (url_check(A.token_uri, err, sizeof(err)) == -1)
		key_fail("token_uri", err);
	return project;
}

static char *
b64url(const unsigned char *p, size_t len)
{
	char	*out, *s, *d;

	out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	for (s = d = out; *s != '\0'; s++) {
		if (*s == '=')
			break;
		*d++ = *s == '+' ? '-' : *s == '/' ? '_' : *s;
	}
	*d = '\0';
	return out;
}

static char *
b64url_json(json_t *j)
{
	char	*text, *out;

	if ((text = json_dumps(j, JSON_COMPACT)) == NULL)
		fatal(EX_FAILURE, "out of memory");
	out = b64url((unsigned char *)text, strlen(text));
	free(text);
	json_decref(j);
	return out;
}

static char *
jwt_sign(const char *input)
{
	EVP_MD_CTX	*ctx;
	unsigned char	*sig;
	size_t		 siglen = 0;
	char		*out;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, A.pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1)
		fatal(EX_FAILURE, "%s: cannot sign with the key", A.file);
	sig = xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1)
		fatal(EX_FAILURE, "%s: cannot sign with the key", A.file);
	EVP_MD_CTX_free(ctx);
	out = b64url(sig, siglen);
	free(sig);
	return out;
}

/* jwt_make: header.claims.signature; iat a little in the past so that a
 * token server whose clock is slightly behind ours still accepts it */
static char *
jwt_make(void)
{
	json_t		*hdr, *claims;
	char		*h, *c, *input, *sig, *jwt;
	long long	 iat = (long long)time(NULL) - 10;

	hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	if (A.key_id != NULL)
		json_object_set_new(hdr, "kid", json_string(A.key_id));
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", A.email,
	    "scope", SCOPE, "aud", A.token_uri, "iat", (json_int_t)iat,
	    "exp", (json_int_t)(iat + 3600));
	if (hdr == NULL || claims == NULL)
		fatal(EX_FAILURE, "out of memory");
	h = b64url_json(hdr);
	c = b64url_json(claims);
	input = xasprintf("%s.%s", h, c);
	sig = jwt_sign(input);
	jwt = xasprintf("%s.%s", input, sig);
	free(h);
	free(c);
	free(input);
	free(sig);
	return jwt;
}

static void
token_keep(const struct http_resp *r)
{
	json_t		*j, *tok, *exp;
	json_int_t	 ttl = 3600;

	if ((j = resp_json(r)) == NULL ||
	    !json_is_string(tok = json_object_get(j, "access_token")) ||
	    json_string_length(tok) == 0)
		fatal(EX_UNAVAILABLE, "%s: token reply without an "
		    "access_token", A.token_uri);
	if (json_is_integer(exp = json_object_get(j, "expires_in")))
		ttl = json_integer_value(exp);
	A.token = xstrdup(json_string_value(tok));
	explicit_bzero((char *)json_string_value(tok),
	    json_string_length(tok));
	json_decref(j);
	/* renew a few minutes early, or a quarter early for short tokens */
	A.renew_at = now_mono() + (double)ttl - (ttl >= 1200 ? 300 :
	    (double)ttl / 4);
	logx(LOG_DEBUG, "table=%s token=renewed expires_in=%llds", bq_table,
	    (long long)ttl);
}

static void
token_fetch(void)
{
	struct http_req		 q;
	struct http_resp	 r;
	char			*jwt, *grant, *body, buf[1024];

	memset(&r, 0, sizeof(r));
	jwt = jwt_make();
	if ((grant = curl_easy_escape(NULL, GRANT_TYPE, 0)) == NULL)
		fatal(EX_FAILURE, "out of memory");
	body = xasprintf("grant_type=%s&assertion=%s", grant, jwt);
	curl_free(grant);
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.url = A.token_uri;
	q.ctype = "application/x-www-form-urlencoded";
	q.body = body;
	q.len = strlen(body);
	q.what = "token request";
	http_call(&q, &r);
	/* the signed assertion is itself a credential for an hour */
	explicit_bzero(body, strlen(body));
	explicit_bzero(jwt, strlen(jwt));
	free(body);
	free(jwt);
	if (r.status != 200)
		fatal(r.status == 400 || r.status == 401 || r.status == 403 ?
		    EX_CONFIG : EX_UNAVAILABLE, "%s: %s: token request "
		    "refused: %s", A.file, A.token_uri,
		    resp_error(&r, buf, sizeof(buf)));
	token_keep(&r);
	resp_free(&r);
}

const char *
auth_token(void)
{
	if (A.token == NULL || now_mono() >= A.renew_at) {
		auth_invalidate();
		token_fetch();
	}
	return A.token;
}

void
auth_invalidate(void)
{
	if (A.token != NULL) {
		explicit_bzero(A.token, strlen(A.token));
		free(A.token);
	}
	A.token = NULL;
}

void
auth_wipe(void)
{
	auth_invalidate();
	EVP_PKEY_free(A.pkey);
	A.pkey = NULL;
	free(A.email);
	free(A.key_id);
	free(A.token_uri);
	A.email = A.key_id = A.token_uri = NULL;
}
