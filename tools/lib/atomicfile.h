/*
 * atomicfile.h: write a file under a temporary name in its final folder,
 * then fsync and rename it into place, so that a file with its final
 * name is always complete.  Temporary names are ".NAME.tmp.XXXXXX": a
 * leftover one is garbage that a resume may remove.
 */
#ifndef POHODA_ATOMICFILE_H
#define POHODA_ATOMICFILE_H

#include <limits.h>

struct atomicfile {
	char	path[PATH_MAX];		/* final name */
	char	tmp[PATH_MAX];		/* temporary name */
	int	fd;			/* open on tmp, mode 0600 */
};

/* af_open: -1 with errno on failure (ENAMETOOLONG for a long path) */
int	af_open(struct atomicfile *, const char *);
/* af_commit: fsync, close, rename, fsync the folder; -1 with errno, and
 * the temporary file removed, on failure */
int	af_commit(struct atomicfile *);
/* af_abort: close and remove the temporary file */
void	af_abort(struct atomicfile *);
/* af_is_temp: whether a file name is one of our temporary names */
int	af_is_temp(const char *);
/* dir_fsync: make a rename in folder DIR durable */
int	dir_fsync(const char *);

#endif
