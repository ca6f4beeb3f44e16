/*
 * lib-test: drives tools/lib from the shell tests (tests/lib.t).
 *   lib-test config FILE          load FILE; print the resolved values
 *   lib-test manifest DIR         read and verify DIR/manifest
 *   lib-test log FILE MAX N TAG   append N lines "tag=TAG n=I" to FILE
 *   lib-test atomic FILE TEXT     write TEXT to FILE atomically
 *   lib-test istemp NAME          exit 0 when NAME is a temporary name
 *   lib-test path [GIVEN]         the config path a program would read
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "config.h"
#include "log.h"
#include "manifest.h"
#include "util.h"

static int
do_config(const char *path)
{
	struct config	c;
	int		rc;

	if ((rc = config_load(path, &c)) != 0)
		return rc;
	printf("mssql.host=%s\nmssql.port=%d\nbatch_size=%ld\n",
	    c.has_mssql ? c.mssql.host : "-", c.mssql.port, c.batch_size);
	printf("spool_dir=%s\nlog.file=%s\nlog.level=%s\n", c.spool_dir,
	    c.log.file ? c.log.file : "-", log_level_name(c.log.level));
	printf("bigquery.credentials=%s\n",
	    c.has_bigquery ? c.bq.credentials : "-");
	config_free(&c);
	return 0;
}

static int
do_manifest(const char *dir)
{
	struct manifest	m;
	char		e[256];
	int		rc;

	if ((rc = manifest_read(dir, &m, e, sizeof(e))) != 0) {
		warnx("%s/manifest: %s", dir, e);
		return EX_DATAERR;
	}
	if (manifest_verify(dir, &m, e, sizeof(e)) == -1) {
		warnx("%s: %s", dir, e);
		manifest_free(&m);
		return EX_DATAERR;
	}
	printf("batches=%zu rows=%lld bytes=%lld\n", m.n, m.rows, m.bytes);
	manifest_free(&m);
	return 0;
}

static int
do_log(const char *file, const char *max, const char *count,
    const char *tag)
{
	long	i, n = atol(count);

	log_setup(file, LOG_INFO, atoll(max), 5, 0);
	for (i = 1; i <= n; i++)
		logx(LOG_INFO, "tag=%s n=%ld pad=%s", tag, i,
		    "................................................");
	return 0;
}

static int
do_atomic(const char *path, const char *text)
{
	struct atomicfile	af;
	size_t			len = strlen(text);

	if (af_open(&af, path) == -1)
		err(1, "%s", path);
	if (write(af.fd, text, len) != (ssize_t)len) {
		af_abort(&af);
		err(1, "%s", path);
	}
	if (af_commit(&af) == -1)
		err(1, "%s", path);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "config") == 0)
		return do_config(argv[2]);
	if (argc == 3 && strcmp(argv[1], "manifest") == 0)
		return do_manifest(argv[2]);
	if (argc == 6 && strcmp(argv[1], "log") == 0)
		return do_log(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 4 && strcmp(argv[1], "atomic") == 0)
		return do_atomic(argv[2], argv[3]);
	if (argc >= 2 && argc <= 3 && strcmp(argv[1], "path") == 0) {
		puts(config_path(argv[2]));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "istemp") == 0)
		return !af_is_temp(argv[2]);
	fprintf(stderr, "usage: lib-test config|manifest|log|atomic ...\n");
	return EX_USAGE;
}
