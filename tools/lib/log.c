/*
 * log.c: append-only event log with size-based rotation.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#include "log.h"
#include "util.h"

#define LINE_MAX_BYTES	4096

static struct {
	char		*file;
	enum log_level	 level;
	long long	 max_bytes;
	int		 backups;
	int		 verbose;
	int		 failed;	/* said the log is unwritable */
	char		*ident;		/* NULL: getprogname() */
	long		 pid;		/* 0: getpid() */
} lg = { NULL, LOG_INFO, 10485760, 5, 0, 0, NULL, 0 };

void
log_ident(const char *name, long pid)
{
	free(lg.ident);
	lg.ident = name ? xstrdup(name) : NULL;
	lg.pid = pid;
}

void
log_setup(const char *file, enum log_level level, long long max_bytes,
    int backups, int verbose)
{
	free(lg.file);
	lg.file = file ? xstrdup(file) : NULL;
	lg.level = level;
	lg.max_bytes = max_bytes;
	lg.backups = backups;
	lg.verbose = verbose;
}

void
log_init(const struct config *c, int verbose)
{
	if (c == NULL)
		log_setup(NULL, LOG_INFO, 0, 0, verbose);
	else
		log_setup(c->log.file, verbose ? LOG_DEBUG > c->log.level ?
		    c->log.level : LOG_DEBUG : c->log.level, c->log.max_bytes,
		    c->log.backups, verbose);
}

static int
log_rotate(void)
{
	char	*from, *to;
	int	 i, rc = 0;

	if (lg.backups == 0)
		return truncate(lg.file, 0);
	for (i = lg.backups; i >= 1 && rc == 0; i--) {
		from = i == 1 ? xstrdup(lg.file) :
		    xasprintf("%s.%d", lg.file, i - 1);
		to = xasprintf("%s.%d", lg.file, i);
		if (rename(from, to) == -1 && errno != ENOENT)
			rc = -1;
		free(from);
		free(to);
	}
	return rc;
}

int
log_write_line(const char *line, size_t len)
{
	struct stat	 st;
	char		*lockname;
	int		 lockfd, fd = -1, rc = -1;

	lockname = xasprintf("%s.lock", lg.file);
	lockfd = open(lockname, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lockname);
	if (lockfd == -1)
		return -1;
	while (flock(lockfd, LOCK_EX) == -1)
		if (errno != EINTR)
			goto out;
	if (stat(lg.file, &st) == 0 && st.st_size > 0 &&
	    st.st_size + (long long)len > lg.max_bytes && log_rotate() == -1)
		goto out;
	fd = open(lg.file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1)
		goto out;
	if (write(fd, line, len) == (ssize_t)len)
		rc = 0;
out:
	if (fd != -1 && close(fd) == -1)
		rc = -1;
	close(lockfd);		/* releases the lock */
	return rc;
}

const char *
log_value(char *buf, size_t size, const char *s)
{
	size_t		i, j = 0;
	int		quote = s[0] == '\0';

	for (i = 0; s[i] != '\0' && !quote; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '=')
			quote = 1;
	if (!quote)
		return s;
	buf[j++] = '"';
	for (i = 0; s[i] != '\0' && j + 4 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			buf[j++] = '\\';
			buf[j++] = (char)ch;
		} else if (ch < ' ' || ch == 0x7f) {
			buf[j++] = ' ';
		} else
			buf[j++] = (char)ch;
	}
	buf[j++] = '"';
	buf[j] = '\0';
	return buf;
}

static size_t
log_format(char *buf, size_t size, enum log_level level, const char *fmt,
    va_list ap)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	size_t		 n, i;
	int		 r;

	gmtime_r(&now, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	r = snprintf(buf + n, size - n, "%s %s[%ld] ", log_level_name(level),
	    lg.ident ? lg.ident : getprogname(),
	    lg.pid ? lg.pid : (long)getpid());
	n += r > 0 ? (size_t)r : 0;
	r = vsnprintf(buf + n, size - n, fmt, ap);
	if (r < 0)
		r = 0;
	n = n + (size_t)r >= size - 1 ? size - 2 : n + (size_t)r;
	/* one event, one line: no newline may split it */
	for (i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

void
logx(enum log_level level, const char *fmt, ...)
{
	char	 line[LINE_MAX_BYTES];
	va_list	 ap;
	size_t	 n;

	if (level > lg.level && !(lg.verbose && level <= LOG_DEBUG))
		return;
	va_start(ap, fmt);
	n = log_format(line, sizeof(line), level, fmt, ap);
	va_end(ap);
	if (lg.verbose)
		fputs(line, stderr);
	if (lg.file == NULL || level > lg.level)
		return;
	if (log_write_line(line, n) == -1 && !lg.failed) {
		lg.failed = 1;
		fprintf(stderr, "%s: %s: %s\n", getprogname(), lg.file,
		    strerror(errno));
	}
}
