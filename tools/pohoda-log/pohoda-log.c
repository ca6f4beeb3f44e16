/*
 * pohoda-log: write one event (or one per line of standard input) to the
 * log file named by the config, for run-sync.sh, which is a shell script
 * and cannot use tools/lib/log.c itself.  With --check it only validates
 * the config, so that the driver's errors name the key path.
 */
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "config.h"
#include "log.h"
#include "util.h"

#define EVENT_MAX	3500	/* below the log's own line limit */

static void
usage(FILE *f)
{
	fprintf(f, "usage: pohoda-log [-iqv] [-c config] [-p name] [-P pid] "
	    "level [key=value ...]\n"
	    "       pohoda-log [-c config] --check\n");
}

static int
level_parse(const char *s, enum log_level *lp)
{
	int	i;

	for (i = LOG_ERROR; i <= LOG_DEBUG; i++)
		if (strcasecmp(s, log_level_name((enum log_level)i)) == 0) {
			*lp = (enum log_level)i;
			return 0;
		}
	return -1;
}

static int
key_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_')
			return 0;
	return 1;
}

/* fields_join: "k=v k2=v2" from argv, values quoted as the log wants */
static int
fields_join(char *buf, size_t size, int argc, char **argv)
{
	char		 q[EVENT_MAX];
	const char	*eq;
	size_t		 len = 0;
	int		 i, n;

	buf[0] = '\0';
	for (i = 0; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL ||
		    !key_valid(argv[i], (size_t)(eq - argv[i]))) {
			warnx("%s: expected key=value", argv[i]);
			return -1;
		}
		n = snprintf(buf + len, size - len, "%s%.*s=%s",
		    len ? " " : "", (int)(eq - argv[i]), argv[i],
		    log_value(q, sizeof(q), eq + 1));
		if (n < 0 || (size_t)n >= size - len) {
			warnx("%.*s: event too long", (int)(eq - argv[i]),
			    argv[i]);
			return -1;
		}
		len += (size_t)n;
	}
	return 0;
}

/* config_quiet_load: the driver checked the config once with --check;
 * its warnings need not be repeated for every event */
static int
config_quiet_load(const char *path, struct config *cfg, int quiet)
{
	int	saved = -1, null, rc;

	if (quiet && (null = open("/dev/null", O_WRONLY)) != -1) {
		fflush(stderr);
		saved = dup(STDERR_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	rc = config_load(path, cfg);
	if (saved != -1) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	return rc;
}

/*
 * log_check: the log must be writable before a run starts; every
 * program would otherwise say so once per event, and the night would
 * go by with no log at all
 */
static int
log_check(const struct config *cfg)
{
	char	*dir;
	int	 rc = 0;

	if (cfg->log.file == NULL || cfg->log.file[0] == '\0')
		return 0;
	if (access(cfg->log.file, F_OK) == 0) {
		if (access(cfg->log.file, W_OK) == -1)
			rc = -1;
	} else {
		dir = path_dir(cfg->log.file);
		if (access(dir, W_OK | X_OK) == -1)
			rc = -1;
		free(dir);
	}
	if (rc == -1)
		warn("%s: log.file: %s", cfg->path, cfg->log.file);
	return rc;
}

static void
lines_log(enum log_level level, const char *fields)
{
	char	*line = NULL, q[EVENT_MAX];
	size_t	 cap = 0;
	ssize_t	 n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (n > EVENT_MAX - 100)
			line[EVENT_MAX - 100] = '\0';
		logx(level, "%s%smsg=%s", fields, fields[0] ? " " : "",
		    log_value(q, sizeof(q), line));
	}
	free(line);
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
	struct config	 cfg;
	const char	*path = NULL, *name = NULL, *errstr;
	char		 fields[EVENT_MAX];
	enum log_level	 level;
	long		 pid = 0;
	int		 ch, check = 0, stdin_lines = 0, quiet = 0;
	int		 verbose = 0;
	int		 rc;

	while ((ch = getopt_long(argc, argv, "c:ip:P:qv", longopts,
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
		case 'i':
			stdin_lines = 1;
			break;
		case 'p':
			name = optarg;
			break;
		case 'P':
			pid = strtonum(optarg, 1, 1L << 30, &errstr);
			if (errstr != NULL)
				errx(EX_USAGE, "-P %s: pid is %s", optarg,
				    errstr);
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
			usage(stderr);
			return EX_USAGE;
		}
	}
	path = config_path(path);
	argc -= optind;
	argv += optind;

	if (check) {
		if (argc != 0) {
			usage(stderr);
			return EX_USAGE;
		}
		/* the key file is read by bq-upload, whose warnings reach
		 * only the log; say it here too, where a person sees it */
		if ((rc = config_load(path, &cfg)) == 0 && cfg.has_bigquery &&
		    cfg.bq.credentials != NULL)
			perm_warn(cfg.bq.credentials);
		if (rc == 0 && log_check(&cfg) == -1)
			rc = EX_CONFIG;
		config_free(&cfg);
		return rc == 0 ? 0 : EX_CONFIG;
	}
	if (argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if (level_parse(argv[0], &level) == -1)
		errx(EX_USAGE, "%s: expected ERROR, WARNING, INFO or DEBUG",
		    argv[0]);
	if (fields_join(fields, sizeof(fields), argc - 1, argv + 1) == -1)
		return EX_USAGE;

	if ((rc = config_quiet_load(path, &cfg, quiet)) != 0) {
		config_free(&cfg);
		return EX_CONFIG;
	}
	log_init(&cfg, verbose);
	log_ident(name, pid);

	if (stdin_lines)
		lines_log(level, fields);
	else
		logx(level, "%s", fields);

	config_free(&cfg);
	return 0;
}
