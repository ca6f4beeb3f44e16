/*
 * conn.h: the FreeTDS db-lib side of pohoda-extract.
 */
#ifndef POHODA_EXTRACT_CONN_H
#define POHODA_EXTRACT_CONN_H

#include "config.h"
#include "extract.h"

/* db_connect: log in with the config's mssql block; the password is
 * wiped once it has been handed to db-lib.  0 or an exit status */
int	db_connect(struct config *, const char *, int);
/* db_query: send SQL and move to its first result set with columns */
int	db_query(const char *);
/* db_columns: that result set's columns (names not yet made) */
int	db_columns(struct column **, int *);
/* db_row: 1 for a row, 0 at the end of the result set, -1 on failure
 * (db_status() says which) */
int	db_row(void);
const unsigned char *db_value(int, size_t *);
/* db_finish: read to the end of the batch; 0 or an exit status */
int	db_finish(void);
/* db_status: the exit status the failures so far call for, 0 if none */
int	db_status(void);
/* db_fail: report a failure found outside db-lib (a value, a write) */
void	db_fail(int);
void	db_close(void);

#endif
