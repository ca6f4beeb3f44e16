/*
 * log.h: one-line events for sync.log (DESIGN §7):
 *   2026-12-03T04:00:02Z INFO pohoda-extract[4242] table=FA rows=12000
 * Several processes may write one log: each line is written whole under
 * an flock on "FILE.lock", which also serialises rotation.
 */
#ifndef POHODA_LOG_H
#define POHODA_LOG_H

#include "config.h"

/* log_init: log to the config's log file (NULL config or file: none);
 * VERBOSE also copies lines at INFO and above to stderr */
void	log_init(const struct config *, int);
/* log_setup: the same from plain values, for programs without a config */
void	log_setup(const char *, enum log_level, long long, int, int);
/* log_ident: show NAME[PID] in lines instead of this process's own
 * name and pid (for pohoda-log, which writes a shell driver's events);
 * NULL or 0 keeps the default */
void	log_ident(const char *, long);
void	logx(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* log_value: VALUE made safe for a key=value field (quoted when it has
 * spaces, quotes or control characters), in BUF */
const char *log_value(char *, size_t, const char *);
/* log_write_line: append one preformatted line (with rotation); -1 with
 * errno on failure */
int	log_write_line(const char *, size_t);

#endif
