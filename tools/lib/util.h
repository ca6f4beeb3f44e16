/*
 * util.h: small helpers every program uses.
 */
#ifndef POHODA_UTIL_H
#define POHODA_UTIL_H

#include <stddef.h>
#include <sysexits.h>

#define EX_FAILURE	1	/* anything else */

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xasprintf(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

/* path_resolve: NAME as is when absolute, else DIR/NAME */
char	*path_resolve(const char *, const char *);
char	*path_dir(const char *);

/* file_read: the whole file (or "-" for stdin), NUL-terminated; NULL and
 * errno set on failure, EFBIG when it is larger than MAX bytes */
char	*file_read(const char *, size_t, size_t *);

/* perm_warn: warn when a file holding secrets is readable by others */
void	 perm_warn(const char *);

/* version_print: the --version line */
void	 version_print(void);

#endif
