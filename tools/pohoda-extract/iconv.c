/*
 * iconv.c: iconv_open(), iconv() and iconv_close() in front of glibc's.
 * FreeTDS converts every char/varchar value from its collation's code
 * page and every nchar/nvarchar value from UTF-16LE to the client
 * charset, UTF-8, through iconv(3), and db-lib can hand out the values
 * only after that (the conversion is done as a row is read).  A
 * program's own definitions come before a library's, so FreeTDS's calls
 * land here: the two conversions to UTF-8 that conv.c does the same way
 * glibc does are done there, every other one is glibc's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <strings.h>

#include "extract.h"

typedef size_t	(*conv_fn)(char **, size_t *, char **, size_t *);

/* every descriptor handed out is one of these, glibc's inside */
struct cd {
	conv_fn	 fn;		/* NULL: glibc's sys */
	iconv_t	 sys;
	size_t	 (*sys_iconv)(iconv_t, char **, size_t *, char **,
		    size_t *);
	int	 (*sys_close)(iconv_t);
};

/* conv_pick: ours for FROM to TO, NULL for glibc's; only the names
 * FreeTDS asks for: anything else (a suffix such as //TRANSLIT) is
 * glibc's to judge */
static conv_fn
conv_pick(const char *to, const char *from)
{
	if (strcasecmp(to, "UTF-8") != 0)
		return NULL;
	if (strcasecmp(from, "CP1250") == 0)
		return conv_cp1250;
	if (strcasecmp(from, "UTF-16LE") == 0)
		return conv_utf16le;
	return NULL;
}

iconv_t
iconv_open(const char *to, const char *from)
{
	iconv_t	 (*sys_open)(const char *, const char *);
	struct cd	*cd;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return (iconv_t)-1;
	if ((cd->fn = conv_pick(to, from)) != NULL)
		return (iconv_t)cd;
	sys_open = (iconv_t (*)(const char *, const char *))
	    dlsym(RTLD_NEXT, "iconv_open");
	cd->sys_iconv = (size_t (*)(iconv_t, char **, size_t *, char **,
	    size_t *))dlsym(RTLD_NEXT, "iconv");
	cd->sys_close = (int (*)(iconv_t))dlsym(RTLD_NEXT, "iconv_close");
	if (sys_open == NULL || cd->sys_iconv == NULL ||
	    cd->sys_close == NULL) {
		free(cd);
		errno = EINVAL;
		return (iconv_t)-1;
	}
	if ((cd->sys = sys_open(to, from)) == (iconv_t)-1) {
		free(cd);
		return (iconv_t)-1;
	}
	return (iconv_t)cd;
}

size_t
iconv(iconv_t h, char **in, size_t *inleft, char **out, size_t *outleft)
{
	struct cd	*cd = (struct cd *)h;

	if (cd->fn == NULL)
		return cd->sys_iconv(cd->sys, in, inleft, out, outleft);
	/* a reset: our conversions keep no state */
	if (in == NULL || *in == NULL)
		return 0;
	return cd->fn(in, inleft, out, outleft);
}

int
iconv_close(iconv_t h)
{
	struct cd	*cd = (struct cd *)h;
	int		 rc = 0;

	if (cd->fn == NULL)
		rc = cd->sys_close(cd->sys);
	free(cd);
	return rc;
}
