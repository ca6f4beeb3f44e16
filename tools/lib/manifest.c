/*
 * manifest.c: read, write and verify batch manifests.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <openssl/evp.h>

#include "atomicfile.h"
#include "manifest.h"
#include "util.h"

void
batch_name(char name[32], unsigned long n)
{
	snprintf(name, 32, "%05lu.ndjson.gz", n);
}

void
manifest_add(struct manifest *m, const struct batch *b)
{
	m->b = xreallocarray(m->b, m->n + 1, sizeof(*m->b));
	m->b[m->n++] = *b;
	m->rows += b->rows;
	m->bytes += b->bytes;
	m->size += b->size;
}

void
manifest_free(struct manifest *m)
{
	free(m->b);
	memset(m, 0, sizeof(*m));
}

int
file_sha256(const char *path, char hex[65], long long *sizep)
{
	unsigned char	 buf[65536], md[32];
	EVP_MD_CTX	*ctx;
	ssize_t		 n;
	long long	 size = 0;
	int		 fd, i, rc = -1, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		size += n;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			goto out;
	}
	if (!EVP_DigestFinal_ex(ctx, md, NULL))
		goto out;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	*sizep = size;
	rc = 0;
out:
	saved = errno;
	EVP_MD_CTX_free(ctx);
	close(fd);
	errno = saved;
	return rc;
}

static int
line_parse(char *line, struct batch *b, int *is_total, long long *count)
{
	char	*f[5];
	char	*end;
	int	 i;

	for (i = 0; i < 5; i++) {
		f[i] = strsep(&line, "\t");
		if (f[i] == NULL || f[i][0] == '\0')
			return -1;
	}
	if (line != NULL)
		return -1;
	*is_total = strcmp(f[0], "total") == 0;
	if (strlcpy(b->name, f[0], sizeof(b->name)) >= sizeof(b->name))
		return -1;
	b->rows = strtoll(f[1], &end, 10);
	if (*end != '\0' || b->rows < 0)
		return -1;
	b->bytes = strtoll(f[2], &end, 10);
	if (*end != '\0' || b->bytes < 0)
		return -1;
	b->size = strtoll(f[3], &end, 10);
	if (*end != '\0' || b->size < 0)
		return -1;
	if (*is_total) {
		*count = strtoll(f[4], &end, 10);
		return *end == '\0' ? 0 : -1;
	}
	if (strlen(f[4]) != 64 || strspn(f[4], "0123456789abcdef") != 64)
		return -1;
	memcpy(b->sha256, f[4], 65);
	return 0;
}

static int
manifest_parse(char *text, struct manifest *m, char *err, size_t errsz)
{
	struct batch	 b, total;
	char		*line;
	long long	 count = 0;
	int		 lineno = 1, is_total = 0, have_total = 0;
	int		 total_line = 0;

	line = strsep(&text, "\n");
	if (strcmp(line, MANIFEST_MAGIC) != 0) {
		snprintf(err, errsz, "line 1: not a batch manifest");
		return -2;
	}
	while ((line = strsep(&text, "\n")) != NULL) {
		lineno++;
		if (line[0] == '\0' && text == NULL)
			break;
		if (have_total || line_parse(line, &b, &is_total, &count)) {
			snprintf(err, errsz, "line %d: malformed", lineno);
			return -2;
		}
		if (is_total) {
			total = b;
			have_total = 1;
			total_line = lineno;
		} else
			manifest_add(m, &b);
	}
	if (!have_total) {
		snprintf(err, errsz, "no total line (truncated)");
		return -2;
	}
	if (total.rows != m->rows || total.bytes != m->bytes ||
	    total.size != m->size || count != (long long)m->n) {
		snprintf(err, errsz, "line %d: totals do not add up",
		    total_line);
		return -2;
	}
	return 0;
}

int
manifest_read(const char *dir, struct manifest *m, char *err, size_t errsz)
{
	char	*path, *text;
	int	 rc;

	memset(m, 0, sizeof(*m));
	path = xasprintf("%s/%s", dir, MANIFEST_NAME);
	text = file_read(path, 64 << 20, NULL);
	free(path);
	if (text == NULL) {
		snprintf(err, errsz, "%s", strerror(errno));
		return -1;
	}
	rc = manifest_parse(text, m, err, errsz);
	free(text);
	if (rc != 0)
		manifest_free(m);
	return rc;
}

int
manifest_write(const char *dir, const struct manifest *m)
{
	struct atomicfile	 af;
	FILE			*fp;
	char			*path;
	size_t			 i;
	int			 rc;

	path = xasprintf("%s/%s", dir, MANIFEST_NAME);
	rc = af_open(&af, path);
	free(path);
	if (rc == -1)
		return -1;
	if ((fp = fdopen(dup(af.fd), "w")) == NULL) {
		af_abort(&af);
		return -1;
	}
	fprintf(fp, "%s\n", MANIFEST_MAGIC);
	for (i = 0; i < m->n; i++)
		fprintf(fp, "%s\t%lld\t%lld\t%lld\t%s\n", m->b[i].name,
		    m->b[i].rows, m->b[i].bytes, m->b[i].size, m->b[i].sha256);
	fprintf(fp, "total\t%lld\t%lld\t%lld\t%zu\n", m->rows, m->bytes,
	    m->size, m->n);
	if (fclose(fp) == EOF) {
		af_abort(&af);
		return -1;
	}
	return af_commit(&af);
}

int
manifest_verify(const char *dir, const struct manifest *m, char *err,
    size_t errsz)
{
	char		 hex[65];
	char		*path;
	long long	 size;
	size_t		 i;
	int		 rc;

	for (i = 0; i < m->n; i++) {
		path = xasprintf("%s/%s", dir, m->b[i].name);
		rc = file_sha256(path, hex, &size);
		free(path);
		if (rc == -1) {
			snprintf(err, errsz, "%s: %s", m->b[i].name,
			    strerror(errno));
			return -1;
		}
		if (size != m->b[i].size || strcmp(hex, m->b[i].sha256)) {
			snprintf(err, errsz, "%s: does not match the manifest "
			    "(%s)", m->b[i].name, size != m->b[i].size ?
			    "size differs" : "checksum differs");
			return -1;
		}
	}
	return 0;
}
