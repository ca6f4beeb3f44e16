/*
 * atomicfile.c: write-temp-then-rename.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "atomicfile.h"

#define TMP_MARK	".tmp."

int
af_open(struct atomicfile *af, const char *path)
{
	const char	*base;
	int		 n;

	af->fd = -1;
	if (strlcpy(af->path, path, sizeof(af->path)) >= sizeof(af->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	n = snprintf(af->tmp, sizeof(af->tmp), "%.*s.%s" TMP_MARK "XXXXXX",
	    (int)(base - path), path, base);
	if (n < 0 || (size_t)n >= sizeof(af->tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((af->fd = mkostemp(af->tmp, O_CLOEXEC)) == -1)
		return -1;
	/* mkostemp makes 0600 already; say so for a future reader */
	(void)fchmod(af->fd, S_IRUSR | S_IWUSR);
	return 0;
}

int
dir_fsync(const char *dir)
{
	int	fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
af_dir_fsync(const char *path)
{
	char	 dir[PATH_MAX];
	char	*slash;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return -1;
	if ((slash = strrchr(dir, '/')) == NULL)
		return dir_fsync(".");
	if (slash == dir)
		slash++;
	*slash = '\0';
	return dir_fsync(dir);
}

int
af_commit(struct atomicfile *af)
{
	int	saved;

	if (fsync(af->fd) == -1)
		goto fail;
	if (close(af->fd) == -1) {
		af->fd = -1;
		goto fail;
	}
	af->fd = -1;
	if (rename(af->tmp, af->path) == -1)
		goto fail;
	if (af_dir_fsync(af->path) == -1)
		return -1;
	return 0;
fail:
	saved = errno;
	af_abort(af);
	errno = saved;
	return -1;
}

void
af_abort(struct atomicfile *af)
{
	int	saved = errno;

	if (af->fd != -1)
		close(af->fd);
	af->fd = -1;
	if (af->tmp[0] != '\0')
		unlink(af->tmp);
	af->tmp[0] = '\0';
	errno = saved;
}

int
af_is_temp(const char *name)
{
	const char	*base, *mark;

	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (base[0] != '.')
		return 0;
	mark = strstr(base, TMP_MARK);
	return mark != NULL && strlen(mark) == strlen(TMP_MARK) + 6;
}
