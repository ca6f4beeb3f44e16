/*
 * manifest.h: DIR/manifest, the list of a complete batch set.
 *
 * A text file written last by pohoda-batch; fields are separated by tabs
 * (shown here as spaces):
 *
 *   # pohoda-batch manifest 1
 *   00001.ndjson.gz 5000 1048576 204800 <sha256 of the file, hex>
 *   00002.ndjson.gz 1234 262144 51200 <sha256>
 *   total 6234 1310720 256000 2
 *
 * columns: file, rows, bytes (uncompressed NDJSON), size (of the file),
 * checksum; the total line has the sums and the number of batches.  A
 * batch set without a manifest, or whose files do not match it, is
 * incomplete or damaged.
 */
#ifndef POHODA_MANIFEST_H
#define POHODA_MANIFEST_H

#define MANIFEST_NAME	"manifest"
#define MANIFEST_MAGIC	"# pohoda-batch manifest 1"

struct batch {
	char		name[32];	/* "00001.ndjson.gz" */
	long long	rows;
	long long	bytes;
	long long	size;
	char		sha256[65];
};

struct manifest {
	struct batch	*b;
	size_t		 n;
	long long	 rows, bytes, size;
};

/* manifest_read: 0; -1 with errno (ENOENT: no manifest); -2 malformed,
 * with a message "line N: what" in ERR */
int	manifest_read(const char *, struct manifest *, char *, size_t);
/* manifest_write: DIR/manifest, atomically; -1 with errno */
int	manifest_write(const char *, const struct manifest *);
/* manifest_add: append a batch and update the totals */
void	manifest_add(struct manifest *, const struct batch *);
/* manifest_verify: every file present with its size and checksum; -1
 * with a message naming the file in ERR */
int	manifest_verify(const char *, const struct manifest *, char *,
	    size_t);
void	manifest_free(struct manifest *);
/* file_sha256: checksum and size of a file; -1 with errno */
int	file_sha256(const char *, char [65], long long *);
/* batch_name: the file name of batch number N (from 1) */
void	batch_name(char [32], unsigned long);

#endif
