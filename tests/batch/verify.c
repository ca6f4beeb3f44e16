/*
 * verify.c: manifest_read and manifest_verify on a batch folder, the way
 * bq-upload checks a set before it loads it.  Prints "ok" or the error;
 * exits 0, or 1 when the set does not verify.
 */
#include <stdio.h>

#include "manifest.h"

int
main(int argc, char *argv[])
{
	struct manifest	m;
	char		err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: verify dir\n");
		return 64;
	}
	if (manifest_read(argv[1], &m, err, sizeof(err)) != 0 ||
	    manifest_verify(argv[1], &m, err, sizeof(err)) != 0) {
		printf("%s\n", err);
		return 1;
	}
	printf("ok %zu batches %lld rows\n", m.n, m.rows);
	manifest_free(&m);
	return 0;
}
