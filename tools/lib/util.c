/*
 * util.c: allocation that cannot fail, paths, whole-file reads.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#include "util.h"

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		err(EX_FAILURE, NULL);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		err(EX_FAILURE, NULL);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if ((p = reallocarray(old, n == 0 ? 1 : n, size)) == NULL)
		err(EX_FAILURE, NULL);
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		err(EX_FAILURE, NULL);
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		err(EX_FAILURE, NULL);
	return p;
}

char *
path_resolve(const char *dir, const char *name)
{
	if (name[0] == '/' || dir == NULL || dir[0] == '\0')
		return xstrdup(name);
	return xasprintf("%s/%s", dir, name);
}

char *
path_dir(const char *path)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

char *
file_read(const char *path, size_t max, size_t *lenp)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fd, saved;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > max) {
			n = -1;
			errno = EFBIG;
			break;
		}
	}
	saved = errno;
	if (fd != STDIN_FILENO)
		close(fd);
	if (n < 0) {
		free(buf);
		errno = saved;
		return NULL;
	}
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

void
perm_warn(const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		warnx("warning: %s: readable by group or others "
		    "(it holds secrets; chmod 600 it)", path);
}

void
version_print(void)
{
	printf("%s (pohoda-sync) %s\n", getprogname(), VERSION);
}
