/*
 * pohoda-rewrite: qualify the table names of a T-SQL query with a linked
 * server and database, so that FROM FA reads
 * FROM [SERVER1].[POHODA_DB].dbo.FA.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "rewrite.h"
#include "tsql.h"

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: pohoda-rewrite -s server -d database "
	    "[-S schema] [file]\n");
	exit(status);
}

static char *
input_read(const char *path, const char *name, size_t *len)
{
	char	*in;

	if ((in = file_read(path, TSQL_MAX_INPUT, len)) != NULL)
		return in;
	if (errno == EFBIG)
		errx(EX_DATAERR, "%s: larger than %u MiB", name,
		    TSQL_MAX_INPUT / (1024 * 1024));
	err(EX_FAILURE, "%s", name);
}

static char *
input_rewrite(const struct rewrite_target *tg, const char *name,
    const char *in, size_t len, size_t *outlen)
{
	struct rewrite_error	 e;
	char			*out;

	switch (rewrite_sql(tg, in, len, &out, outlen, &e)) {
	case REWRITE_OK:
		return out;
	case REWRITE_ESYNTAX:
		errx(EX_DATAERR, "%s: line %zu, column %zu: %s", name, e.line,
		    e.column, e.what);
	case REWRITE_ETOOBIG:
		errx(EX_DATAERR, "%s: larger than %u MiB", name,
		    TSQL_MAX_INPUT / (1024 * 1024));
	default:
		errno = ENOMEM;
		err(EX_FAILURE, "%s", name);
	}
}

static void
output_write(const char *out, size_t len)
{
	if (fwrite(out, 1, len, stdout) != len || fflush(stdout) == EOF ||
	    ferror(stdout))
		err(EX_FAILURE, "stdout");
	if (fclose(stdout) == EOF)
		err(EX_FAILURE, "stdout");
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct rewrite_target	 tg = { NULL, NULL, "dbo" };
	const char		*path = "-", *name = "<stdin>";
	char			*in, *out;
	size_t			 len, outlen;
	int			 ch;

	while ((ch = getopt_long(argc, argv, "d:hs:S:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd':
			tg.database = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 's':
			tg.server = optarg;
			break;
		case 'S':
			tg.schema = optarg;
			break;
		case 'V':
			version_print();
			return 0;
		default:
			usage(stderr, EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || tg.server == NULL || tg.database == NULL)
		usage(stderr, EX_USAGE);
	if (tg.database[0] == '\0') {
		warnx("-d: the database name is empty");
		usage(stderr, EX_USAGE);
	}
	if (argc == 1 && strcmp(argv[0], "-") != 0)
		path = name = argv[0];

	in = input_read(path, name, &len);
	out = input_rewrite(&tg, name, in, len, &outlen);
	free(in);
	output_write(out, outlen);
	free(out);
	return 0;
}
