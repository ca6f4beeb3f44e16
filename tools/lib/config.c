/*
 * config.c: the config file, checked against a table of known keys so
 * that every error names the key's path.
 */
#include <err.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>
#include <jansson.h>

#include "config.h"
#include "util.h"

#define CONFIG_MAX	(1024 * 1024)

enum ktype { K_OBJ, K_STR, K_INT, K_LEVEL };

struct key {
	const char	*path;
	enum ktype	 type;
	size_t		 off;		/* into struct config */
	long long	 min, max;	/* K_INT range */
	int		 required;	/* when its object is present */
	int		 secret;	/* never echo its value */
};

#define OFF(f)	offsetof(struct config, f)
static const struct key keys[] = {
	{ "mssql", K_OBJ, OFF(has_mssql), 0, 0, 0, 0 },
	{ "mssql.host", K_STR, OFF(mssql.host), 0, 0, 1, 0 },
	{ "mssql.port", K_INT, OFF(mssql.port), 1, 65535, 0, 0 },
	{ "mssql.user", K_STR, OFF(mssql.user), 0, 0, 1, 0 },
	{ "mssql.password", K_STR, OFF(mssql.password), 0, 0, 1, 1 },
	{ "mssql.database", K_STR, OFF(mssql.database), 0, 0, 1, 0 },
	{ "mssql.tds_version", K_STR, OFF(mssql.tds_version), 0, 0, 0, 0 },
	{ "mssql.encryption", K_STR, OFF(mssql.encryption), 0, 0, 0, 0 },
	/* a nightly job must never wait for ever on a silent server */
	{ "mssql.login_timeout", K_INT, OFF(mssql.login_timeout),
	    1, 3600, 0, 0 },
	{ "mssql.query_timeout", K_INT, OFF(mssql.query_timeout),
	    0, 86400, 0, 0 },
	{ "companies_query", K_STR, OFF(companies_query), 0, 0, 0, 0 },
	{ "bigquery", K_OBJ, OFF(has_bigquery), 0, 0, 0, 0 },
	{ "bigquery.credentials", K_STR, OFF(bq.credentials), 0, 0, 1, 0 },
	{ "bigquery.project", K_STR, OFF(bq.project), 0, 0, 0, 0 },
	{ "bigquery.dataset", K_STR, OFF(bq.dataset), 0, 0, 1, 0 },
	{ "bigquery.location", K_STR, OFF(bq.location), 0, 0, 0, 0 },
	{ "bigquery.api_url", K_STR, OFF(bq.api_url), 0, 0, 0, 0 },
	{ "batch_size", K_INT, OFF(batch_size), 1, 10000000, 0, 0 },
	{ "sql_dir", K_STR, OFF(sql_dir), 0, 0, 0, 0 },
	{ "spool_dir", K_STR, OFF(spool_dir), 0, 0, 0, 0 },
	{ "resume_hours", K_INT, OFF(resume_hours), 0, 8760, 0, 0 },
	{ "keep_days", K_INT, OFF(keep_days), 0, 3650, 0, 0 },
	{ "log", K_OBJ, 0, 0, 0, 0, 0 },
	{ "log.file", K_STR, OFF(log.file), 0, 0, 0, 0 },
	{ "log.level", K_LEVEL, OFF(log.level), 0, 0, 0, 0 },
	{ "log.max_bytes", K_INT, OFF(log.max_bytes),
	    4096, 1LL << 40, 0, 0 },
	{ "log.backups", K_INT, OFF(log.backups), 0, 100, 0, 0 },
	{ "sentry", K_OBJ, 0, 0, 0, 0, 0 },
	{ "sentry.dsn", K_STR, OFF(sentry.dsn), 0, 0, 0, 1 },
	{ "sentry.environment", K_STR, OFF(sentry.environment), 0, 0, 0, 0 },
};
#undef OFF

static const char *level_names[] = { "ERROR", "WARNING", "INFO", "DEBUG" };

const char *
log_level_name(enum log_level l)
{
	return level_names[l];
}

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->mssql.port = 1433;
	c->mssql.tds_version = xstrdup("7.4");
	c->mssql.encryption = xstrdup("request");
	c->mssql.login_timeout = 30;
	c->companies_query =
	    xstrdup("SELECT TOP 1 linked_server, [database] FROM companies");
	c->bq.project = xstrdup("");
	c->bq.location = xstrdup("EU");
	c->bq.api_url = xstrdup("https://bigquery.googleapis.com");
	c->batch_size = 5000;
	c->sql_dir = xstrdup("sql");
	c->spool_dir = xstrdup("spool");
	c->resume_hours = 12;
	c->keep_days = 14;
	c->log.file = xstrdup("sync.log");
	c->log.level = LOG_INFO;
	c->log.max_bytes = 10485760;
	c->log.backups = 5;
	c->sentry.dsn = xstrdup("");
	c->sentry.environment = xstrdup("production");
}

static const struct key *
key_find(const char *path)
{
	size_t	i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

static const char *
jtype_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int
key_store(const char *file, const struct key *k, json_t *v, struct config *c)
{
	char		*field = (char *)c + k->off;
	const char	*s;
	long long	 n;
	size_t		 i;

	switch (k->type) {
	case K_OBJ:
		if (!json_is_object(v))
			goto badtype;
		if (k->off != 0)
			*(int *)(void *)field = 1;
		return 0;
	case K_STR:
		if (!json_is_string(v))
			goto badtype;
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(json_string_value(v));
		return 0;
	case K_LEVEL:
		if (!json_is_string(v))
			goto badtype;
		s = json_string_value(v);
		for (i = 0; i < 4; i++)
			if (strcasecmp(s, level_names[i]) == 0)
				break;
		if (i == 4) {
			warnx("%s: %s: expected ERROR, WARNING, INFO or DEBUG",
			    file, k->path);
			return -1;
		}
		*(enum log_level *)(void *)field = (enum log_level)i;
		return 0;
	case K_INT:
		if (!json_is_integer(v))
			goto badtype;
		n = json_integer_value(v);
		if (n < k->min || n > k->max) {
			warnx("%s: %s: %lld is out of range (%lld to %lld)",
			    file, k->path, n, k->min, k->max);
			return -1;
		}
		if (k->off == offsetof(struct config, batch_size))
			*(long *)(void *)field = (long)n;
		else if (k->off == offsetof(struct config, log.max_bytes))
			*(long long *)(void *)field = n;
		else
			*(int *)(void *)field = (int)n;
		return 0;
	}
badtype:
	warnx("%s: %s: expected %s, not %s", file, k->path,
	    k->type == K_OBJ ? "an object" :
	    k->type == K_INT ? "a whole number" : "a string",
	    json_is_real(v) ? "a fraction" : jtype_name(v));
	return -1;
}

static int
object_walk(const char *file, const char *prefix, json_t *obj,
    struct config *c)
{
	const char		*name;
	json_t			*v;
	const struct key	*k;
	char			 path[128];
	int			 rc = 0;

	json_object_foreach(obj, name, v) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", prefix,
		    prefix[0] ? "." : "", name) >= sizeof(path) ||
		    (k = key_find(path)) == NULL) {
			warnx("%s: %s%s%s: unknown key", file, prefix,
			    prefix[0] ? "." : "", name);
			rc = -1;
			continue;
		}
		if (key_store(file, k, v, c) == -1) {
			rc = -1;
			continue;
		}
		if (k->type == K_OBJ && object_walk(file, path, v, c) == -1)
			rc = -1;
	}
	return rc;
}

static int
required_check(const char *file, json_t *root)
{
	size_t		 i;
	const char	*dot;
	json_t		*obj;
	int		 rc = 0;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!keys[i].required)
			continue;
		dot = strchr(keys[i].path, '.');
		obj = json_object_getn(root, keys[i].path,
		    (size_t)(dot - keys[i].path));
		if (!json_is_object(obj) || json_object_get(obj, dot + 1))
			continue;
		warnx("%s: %s: missing (it is required)", file, keys[i].path);
		rc = -1;
	}
	return rc;
}

static int
values_check(const char *file, struct config *c)
{
	const char	*e = c->mssql.encryption;

	if (strcmp(e, "off") && strcmp(e, "request") && strcmp(e, "require")) {
		warnx("%s: mssql.encryption: expected off, request or require",
		    file);
		return -1;
	}
	if (c->has_bigquery && c->bq.dataset[0] == '\0') {
		warnx("%s: bigquery.dataset: must not be empty", file);
		return -1;
	}
	return 0;
}

static void
paths_resolve(struct config *c)
{
	char	**p[] = { &c->bq.credentials, &c->sql_dir, &c->spool_dir,
		    &c->log.file };
	char	 *r;
	size_t	  i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		if (*p[i] == NULL)
			continue;
		if ((*p[i])[0] == '\0') {
			free(*p[i]);
			*p[i] = NULL;
			continue;
		}
		r = path_resolve(c->dir, *p[i]);
		free(*p[i]);
		*p[i] = r;
	}
}

static int
config_parse(const char *path, struct config *c)
{
	json_t		*root;
	json_error_t	 jerr;
	char		*text, *end;
	size_t		 len;
	int		 rc;

	if ((text = file_read(path, CONFIG_MAX, &len)) == NULL) {
		warn("%s", path);
		return -1;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	explicit_bzero(text, len);
	free(text);
	if (root == NULL) {
		/* jansson quotes the text "near" the error: a password */
		if ((end = strstr(jerr.text, " near ")) != NULL)
			*end = '\0';
		warnx("%s: line %d, column %d: %s", path, jerr.line,
		    jerr.column, jerr.text);
		explicit_bzero(&jerr, sizeof(jerr));
		return -1;
	}
	if (!json_is_object(root)) {
		warnx("%s: expected a JSON object at the top", path);
		json_decref(root);
		return -1;
	}
	rc = object_walk(path, "", root, c);
	if (required_check(path, root) == -1)
		rc = -1;
	json_decref(root);
	return rc;
}

const char *
config_path(const char *given)
{
	const char	*env;

	if (given != NULL)
		return given;
	if ((env = getenv("POHODA_SYNC_CONFIG")) != NULL && env[0] != '\0')
		return env;
	return "config.json";
}

int
config_load(const char *path, struct config *c)
{
	config_defaults(c);
	c->path = xstrdup(path);
	c->dir = path_dir(path);
	if (config_parse(path, c) == -1 || values_check(path, c) == -1) {
		config_free(c);
		return EX_CONFIG;
	}
	paths_resolve(c);
	perm_warn(path);
	return 0;
}

static void
secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
config_free(struct config *c)
{
	char	*plain[] = { c->path, c->dir, c->mssql.host, c->mssql.user,
		    c->mssql.database, c->mssql.tds_version,
		    c->mssql.encryption,
		    c->companies_query, c->bq.credentials, c->bq.project,
		    c->bq.dataset, c->bq.location, c->bq.api_url, c->sql_dir,
		    c->spool_dir, c->log.file, c->sentry.environment };
	size_t	 i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		free(plain[i]);
	secret_free(c->mssql.password);
	secret_free(c->sentry.dsn);
	memset(c, 0, sizeof(*c));
}
